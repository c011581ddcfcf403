// Mocha's TypeScript hook (.mocharc.json): ts-node with SWC, transpile only, as `npm start` runs
// (`npm test` type-checks in test/static.ts). JavaScript, as it is what lets Node load TypeScript.
// It applies to mocha's process and its parallel workers only: the worker threads of the plan's
// simulation pool register ts-node themselves, without SWC (plan/proof/pool.ts says why).
//
// With --parallel (`npm test`, test/unit.ts), mocha's own process only hands the files to its
// workers (which have MOCHA_WORKER_ID) and collects their results: it loads no test file, so it
// needs neither the hook nor test/stacks.ts (@pulumi/pulumi), which each worker loads.
// https://mochajs.org/#parallel-tests
const parallelMain =
    process.env.MOCHA_WORKER_ID === undefined && process.argv.some((a) => a === "--parallel" || a === "-p");
if (!parallelMain) {
    require("ts-node").register({ transpileOnly: true, swc: true });
    require("./stacks.ts");
}

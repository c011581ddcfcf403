// Mocha's TypeScript hook (.mocharc.json): ts-node with SWC, transpile only, as `npm start` runs
// (`npm test` type-checks in test/static.ts). JavaScript, as it is what lets Node load TypeScript.
// It applies to mocha's process and its parallel workers only: the worker threads of the plan's
// simulation pool register ts-node themselves, without SWC (plan/proof/pool.ts says why).
require("ts-node").register({ transpileOnly: true, swc: true });

// Mocha's TypeScript hook (see .mocharc.json): ts-node with SWC, transpile only, as `npm start`
// runs (`npm test` type-checks in test/static.ts). In plain JavaScript, as it is what lets Node
// load TypeScript; only this process and mocha's parallel workers, not the worker threads of the
// plan's simulation pool, which register ts-node themselves (plan/proof/pool.ts).
require("ts-node").register({ transpileOnly: true, swc: true });

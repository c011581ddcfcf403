import * as path from "path";
import { realDeps, verify } from "./core";

/**
 * `npm run verify -- --help`: proves a deployed share with real AWS calls. The checks and their
 * tests: verify/core.ts, test/verify/verify.test.ts.
 */
verify(process.argv.slice(2), realDeps(path.resolve(__dirname, "..")))
    .then((code) => {
        process.exitCode = code;
    })
    .catch((e: unknown) => {
        process.stderr.write(`verify: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
    });

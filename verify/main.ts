import * as path from "path";
import { realDeps } from "./deps";
import { verify } from "./verify";

/**
 * `npm run verify -- --help`: proves a deployed share with real AWS calls. The command:
 * verify/verify.ts; its tests: test/verify/.
 */
verify(process.argv.slice(2), realDeps(path.resolve(__dirname, "..")))
    .then((code) => {
        process.exitCode = code;
    })
    .catch((e: unknown) => {
        process.stderr.write(`verify: unexpected error: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
    });

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
        // Anything that escapes is a bug, not a failed check (1) or a usage error (2): exit 3
        // with the stack trace, as `npm start` does.
        process.stderr.write(`verify: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exitCode = 3;
    });

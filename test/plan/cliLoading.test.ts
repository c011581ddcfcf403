import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ROOT } from "../mocks";

/** `npm start`'s command (ts-node with SWC, plan/cli.ts) with `preload` (lines of JavaScript) required first. */
function cliWithPreload(preload: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-preload-"));
    const file = path.join(dir, "preload.js");
    fs.writeFileSync(file, [...preload, ""].join("\n"));
    try {
        return spawnSync(
            process.execPath,
            ["-r", file, path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"), "--swc", "plan/cli.ts"],
            { cwd: ROOT, encoding: "utf8", env: { ...process.env, SECRETSHARE_TRACE: "" } },
        );
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/**
 * `npm start` reports progress on stderr when a run takes more than about two seconds
 * (plan/progress.ts), counted without the time its modules take to load: plan/cli.ts loads the
 * Pulumi SDK and the program when a command needs them, inside `main`, where an eager import had
 * loaded them before `main` started its clock. A preloaded clock that stands still, except for a
 * jump of ten seconds while the Pulumi SDK loads, makes a slow start-up and a quick plan exact.
 */
describe("npm start: progress counts the plan's work, not the loading of its modules", () => {
    let run: ReturnType<typeof cliWithPreload>;
    before(function () {
        this.timeout(60000);
        run = cliWithPreload([
            `const Module = require("module");`,
            `const { performance } = require("perf_hooks");`,
            `const sdk = ${JSON.stringify(require.resolve("@pulumi/pulumi"))};`,
            `let clock = 0;`,
            `performance.now = () => clock;`,
            `const load = Module._load;`,
            `Module._load = function (request, parent) {`,
            `    const first = clock === 0 && Module._resolveFilename(request, parent) === sdk;`,
            `    const m = load.apply(this, arguments);`,
            `    if (first) clock = 10000;`,
            `    return m;`,
            `};`,
            `process.on("exit", () => process.stderr.write("CLOCK " + clock + "\\n"));`,
        ]);
    });

    it("a quick plan after a slow start-up prints no progress lines", () => {
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stderr).to.match(/^CLOCK 10000$/m);
        expect(run.stdout).to.match(/^access: \d+ checks, \d+ as expected$/m);
        expect(run.stderr.split("\n").filter((l) => l.startsWith("progress:"))).to.deep.equal([]);
    });
});

/**
 * A module of the plan that fails to load (a bad merge, a broken install) is an internal error:
 * exit 3 with `internal error:`, as any bug, not Node's crash at start-up with exit 1, which CI
 * would read as a failed check. plan/cli.ts loads those modules inside `main`.
 */
describe("npm start: a plan module that fails to load is an internal error", () => {
    it("exit 3, `internal error:` and the hint to SECRETSHARE_TRACE=1", function () {
        this.timeout(60000);
        const r = cliWithPreload([
            `const Module = require("module");`,
            `const broken = ${JSON.stringify(path.join(ROOT, "plan", "summary.ts"))};`,
            `const load = Module._load;`,
            `Module._load = function (request, parent) {`,
            `    if (Module._resolveFilename(request, parent) === broken) throw new Error("summary.ts cannot load");`,
            `    return load.apply(this, arguments);`,
            `};`,
        ]);
        expect(r.status, r.stderr).to.equal(3);
        expect(r.stdout).to.equal("");
        expect(r.stderr).to.equal(
            "internal error: Error: summary.ts cannot load\n(run with SECRETSHARE_TRACE=1 for the stack trace)\n",
        );
    });
});

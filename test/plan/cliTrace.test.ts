import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ROOT } from "../mocks";

/**
 * plan/cli.ts as `npm start` runs it turns the capture of stack traces off for speed; an internal
 * error then asks for SECRETSHARE_TRACE=1, whose traces must name the TypeScript source lines
 * (ts-node maps the compiled positions back through source maps), not the compiled ones.
 */
describe("npm start: SECRETSHARE_TRACE=1 keeps stack traces as TypeScript lines", () => {
    // A function whose types make the compiled code shorter than the source: line 8 throws.
    const source = [
        "interface Settings {",
        "    readonly a: number;",
        "    readonly b: string;",
        "}",
        "type Wrapped = { readonly settings: Settings };",
        "export const fail = (w: Wrapped): number => {",
        "    if (w.settings.a > 0) {",
        '        throw new Error("internal");',
        "    }",
        "    return 0;",
        "};",
        "",
    ].join("\n");

    /** The line of `throws.ts` that a trace names, from a process running plan/cli.ts --help. */
    const tracedLine = (env: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-trace-"));
        const throws = path.join(dir, "throws.ts");
        fs.writeFileSync(throws, source);
        // After the cli has set up the process: a TypeScript module's error, as an internal error would be.
        const preload = path.join(dir, "preload.js");
        fs.writeFileSync(
            preload,
            `process.on("exit", () => { try { require(${JSON.stringify(throws)}).fail({ settings: { a: 1, b: "" } }); } ` +
                `catch (e) { process.stderr.write("TRACE " + e.stack + "\\n"); } });\n`,
        );
        const r = spawnSync(
            process.execPath,
            [
                "-r",
                preload,
                path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"),
                "--swc",
                "plan/cli.ts",
                "--help",
            ],
            { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...env } },
        );
        expect(r.status, r.stderr).to.equal(0);
        return /throws\.ts:(\d+):\d+/.exec(r.stderr)?.[1];
    };

    it("with SECRETSHARE_TRACE=1: the source line", function () {
        this.timeout(60000);
        expect(tracedLine({ SECRETSHARE_TRACE: "1" })).to.equal("8");
    });

    it("without: no frames at all", function () {
        this.timeout(60000);
        expect(tracedLine({ SECRETSHARE_TRACE: "" })).to.equal(undefined);
    });
});

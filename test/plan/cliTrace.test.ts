import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ROOT } from "../mocks";

/**
 * plan/cli.ts as `npm start` runs it turns the capture of stack traces off for speed; an internal
 * error then asks for SECRETSHARE_TRACE=1, whose traces must name the TypeScript source lines
 * (ts-node maps the compiled positions back through source maps), not the compiled ones. The same
 * two processes show that `--help` loads none of the modules that plan (plan/cli.ts `load`).
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

    /** Modules that only a plan needs, as Node names them in `require.cache`. */
    const PLAN_MODULES = [
        path.join(ROOT, "plan", "plan.ts"),
        path.join(ROOT, "plan", "proof", "index.ts"),
        path.join(ROOT, "plan", "analysis", "confirm.ts"),
        path.join(ROOT, "plan", "report.ts"),
        require.resolve("@pulumi/pulumi"),
    ];

    /**
     * A process running plan/cli.ts --help: the line of `throws.ts` that a trace names, and which
     * of PLAN_MODULES it loaded.
     */
    const run = (env: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-trace-"));
        const throws = path.join(dir, "throws.ts");
        fs.writeFileSync(throws, source);
        // After the cli has set up the process: a TypeScript module's error, as an internal error would be.
        const preload = path.join(dir, "preload.js");
        fs.writeFileSync(
            preload,
            `process.on("exit", () => { ` +
                `process.stderr.write("LOADED " + JSON.stringify(${JSON.stringify(PLAN_MODULES)}.filter((m) => m in require.cache)) + "\\n"); ` +
                `try { require(${JSON.stringify(throws)}).fail({ settings: { a: 1, b: "" } }); } ` +
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
        return {
            line: /throws\.ts:(\d+):\d+/.exec(r.stderr)?.[1],
            loaded: JSON.parse(/^LOADED (.*)$/m.exec(r.stderr)?.[1] ?? "null") as string[] | null,
        };
    };

    let traced: ReturnType<typeof run>;
    let untraced: ReturnType<typeof run>;
    before(function () {
        this.timeout(60000);
        traced = run({ SECRETSHARE_TRACE: "1" });
        untraced = run({ SECRETSHARE_TRACE: "" });
    });

    it("with SECRETSHARE_TRACE=1: the source line", () => {
        expect(traced.line).to.equal("8");
    });

    it("without: no frames at all", () => {
        expect(untraced.line).to.equal(undefined);
    });

    it("--help loads neither the program, the proof, the analysis, the reports nor the Pulumi SDK", () => {
        expect(traced.loaded).to.deep.equal([]);
        expect(untraced.loaded).to.deep.equal([]);
    });
});

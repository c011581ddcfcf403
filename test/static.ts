import { spawn } from "child_process";
import * as os from "os";
import * as path from "path";
import { ESLint } from "eslint";
import * as ts from "typescript";
import { unitCommand } from "./unit";

/**
 * The static checks of `npm test`: the type check (as `tsc --noEmit -p .`), ESLint (as `eslint .`)
 * and Prettier (as `prettier --check .`). The type check and ESLint share one TypeScript program,
 * built once from tsconfig.json: typescript-eslint's typed rules get it through
 * `parserOptions.programs` instead of building their own.
 * https://typescript-eslint.io/packages/parser/#programs
 * Prettier, which needs no program, runs meanwhile in a process of its own.
 *
 * With --unit (`npm test`), the mocha suite runs alongside too (unit.ts says how), its output as
 * it comes; the static checks report after it, so a failure shows at the end. Exits 1 if anything
 * failed.
 *
 * Everything here is CPU-bound and the machines it runs on (CI's included) may have two cores:
 * the type check and ESLint, one after the other, are the longest chain, so the processes that
 * run alongside (Prettier, mocha and its workers) run at a lower scheduling priority and take the
 * cores that chain leaves. Their output and outcome are the same at any priority.
 */

const ROOT = path.resolve(__dirname, "..");

interface Outcome {
    readonly ok: boolean;
    /** What the check printed, shown once everything has finished. */
    readonly report: string;
}

/** Niceness of the checks that run alongside the type check and ESLint (see above). */
const ALONGSIDE = 10;

/**
 * A command run from the repository root, at niceness `nice` (its children inherit it: mocha's
 * workers); `inherit`: its output goes straight to ours.
 */
function run(command: string, args: readonly string[], nice: number, inherit = false): Promise<Outcome> {
    const child = spawn(command, args, { cwd: ROOT, stdio: inherit ? ["ignore", "inherit", "inherit"] : "pipe" });
    try {
        if (child.pid !== undefined) os.setPriority(child.pid, nice);
    } catch {
        // Not permitted here (or already exited): the same checks at the same priority.
    }
    let report = "";
    child.stdout?.on("data", (d: Buffer) => (report += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (report += d.toString()));
    return new Promise((resolve) => {
        child.on("error", (e) => resolve({ ok: false, report: `${report}${command}: ${e.message}\n` }));
        child.on("close", (code) => resolve({ ok: code === 0, report }));
    });
}

const formatHost: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => ts.sys.newLine,
};

/** The program of tsconfig.json, and what `tsc --noEmit -p .` would report about it. */
function typecheck(): { program: ts.Program } & Outcome {
    const configErrors: ts.Diagnostic[] = [];
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(ROOT, "tsconfig.json"),
        { noEmit: true },
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d) },
    );
    if (!parsed) throw new Error(ts.formatDiagnostics(configErrors, formatHost));
    // As tsc parses: JSDoc only where a type error can depend on it (typescript-eslint would parse
    // all of it, which only its no-deprecated rule reads, and that rule is not enabled here).
    const host = ts.createCompilerHost(parsed.options);
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
    const program = ts.createProgram({
        rootNames: parsed.fileNames,
        options: parsed.options,
        projectReferences: parsed.projectReferences,
        configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
        host,
    });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
    const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
    const report = diagnostics.length
        ? `${format(diagnostics, formatHost)}\nFound ${errors} error${errors === 1 ? "" : "s"}.\n`
        : "";
    return { program, ok: errors === 0, report };
}

/** `eslint .` with eslint.config.mjs as it is, but `program` instead of the project service's. */
async function lint(program: ts.Program): Promise<Outcome> {
    const eslint = new ESLint({
        cwd: ROOT,
        overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
    });
    const results = await eslint.lintFiles(["."]);
    const report = await (await eslint.loadFormatter("stylish")).format(results);
    return { ok: results.every((r) => r.errorCount === 0), report: report.replace(/([^\n])$/, "$1\n") };
}

async function main(argv: readonly string[]): Promise<number> {
    const unknown = argv.filter((a) => a !== "--unit");
    if (unknown.length) throw new Error(`unknown argument ${JSON.stringify(unknown[0])}; usage: static.ts [--unit]`);
    const unit = argv.includes("--unit") ? run(process.execPath, unitCommand(ROOT), ALONGSIDE, true) : undefined;
    const prettierBin = path.join(path.dirname(require.resolve("prettier/package.json")), "bin", "prettier.cjs");
    const prettier = run(process.execPath, [prettierBin, "--check", "."], ALONGSIDE);

    const types = typecheck();
    const eslint = await lint(types.program);
    const checks: [string, Outcome][] = [
        ["typecheck", types],
        ["eslint", eslint],
        ["prettier", await prettier],
    ];
    if (unit) checks.push(["unit tests", await unit]);

    for (const [, o] of checks) process.stdout.write(o.report);
    const failed = checks.filter(([, o]) => !o.ok).map(([name]) => name);
    const names = checks.map(([name]) => name).join(", ");
    process.stdout.write(failed.length ? `failed: ${failed.join(", ")}\n` : `passed: ${names}\n`);
    return failed.length ? 1 : 0;
}

// Only as a script: a bare `npx mocha` (default spec ./test) would load this file too.
if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => (process.exitCode = code),
        (e: unknown) => {
            console.error(e);
            process.exitCode = 1;
        },
    );
}

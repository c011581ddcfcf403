import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { main } from "../../plan/cli";
import type { PlanOptions } from "../../plan/plan";
import { ROOT } from "../mocks";

/** Helpers for the plan's tests: in-process runs of `main` and throwaway project directories. */

export interface Outcome {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Outcomes of plans of the repository's committed directories (its root and examples/, which no
 * test writes), by directory and arguments. A mocha worker runs many test files in one process,
 * and many of them plan the committed stacks with the same arguments: the same files and
 * arguments give the same outcome, so each is computed once per worker. Only the arguments that
 * choose what is planned and how it is shown are replayed; a run that mutates what was
 * registered, reads a git ref, a world file or a saved plan, or names a directory runs each time.
 */
const committedOutcomes = new Map<string, Outcome>();
const REPLAYED = new Set(["--json", "--markdown", "--verbose", "--preview", "--help", "-h", "--stack"]);
const replayable = (argv: readonly string[], dir: string, extra: Pick<PlanOptions, "mutate">) =>
    extra.mutate === undefined &&
    (dir === ROOT || dir.startsWith(path.join(ROOT, "examples") + path.sep)) &&
    argv.every(
        (a, i) => REPLAYED.has(a) || a.startsWith("--stack=") || (argv[i - 1] === "--stack" && !a.startsWith("-")),
    );

/** `npm start -- <argv>` in-process, in `dir` (default: the repository with the committed stacks). */
export async function plan(
    argv: readonly string[],
    dir = ROOT,
    extra: Pick<PlanOptions, "mutate"> = {},
): Promise<Outcome> {
    if (!replayable(argv, dir, extra)) return planOnce(argv, dir, extra);
    const key = JSON.stringify([path.resolve(dir), argv]);
    const known = committedOutcomes.get(key) ?? (await planOnce(argv, dir, extra));
    committedOutcomes.set(key, known);
    return { ...known };
}

async function planOnce(argv: readonly string[], dir: string, extra: Pick<PlanOptions, "mutate">): Promise<Outcome> {
    let stdout = "";
    let stderr = "";
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: dir }, extra);
    return { code, stdout, stderr };
}

export interface JsonReport {
    ok: boolean;
    summary: { checks: number; asExpected: number; failed: number };
    stacks: {
        name: string;
        file: string;
        mode: string | null;
        reads: { reference: string; stack: string } | null;
        readsAll?: { reference: string; stack: string }[];
        placeholders: string[];
        resources: {
            type: string;
            name: string;
            account: string | null;
            region: string | null;
            origin: string;
            inputs: Record<string, unknown>;
        }[];
        outputs: Record<string, unknown>;
    }[];
    access: {
        check: string;
        secret: string;
        who: string;
        principal: string;
        action: string;
        resource: string;
        context: Record<string, string>;
        expected: "Allowed" | "Denied";
        decision: string;
        ok: boolean;
        reason?: string;
    }[];
    notProven: { secret: string; reader: string; reason: string }[];
}

export async function planJson(
    argv: readonly string[] = [],
    dir = ROOT,
    extra: Pick<PlanOptions, "mutate"> = {},
): Promise<{ code: number; report: JsonReport; stderr: string }> {
    const out = await plan(["--json", ...argv], dir, extra);
    return { code: out.code, report: JSON.parse(out.stdout) as JsonReport, stderr: out.stderr };
}

/** The committed stack file of `stack`, parsed. */
export function committed(stack: string): { config: Record<string, unknown> } {
    return YAML.parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
    };
}

/**
 * A temporary project: the repository's Pulumi.yaml (unless `project` is given) and one
 * `Pulumi.<stack>.yaml` per entry, each given as its `config` map.
 */
export function tempProject(stacks: Record<string, Record<string, unknown>>, project?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-plan-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), project ?? fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8"));
    for (const [name, config] of Object.entries(stacks)) {
        fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), YAML.stringify({ config }));
    }
    return dir;
}

/** `dir` with the example world snapshot (examples/existing/world.json) beside its stack files, which the plan then uses. */
export function withExampleWorld(dir: string): string {
    fs.copyFileSync(path.join(ROOT, "examples", "existing", "world.json"), path.join(dir, "world.json"));
    return dir;
}

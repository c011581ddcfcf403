import * as fs from "fs";
import * as path from "path";
import type { PlanDiff } from "../../../plan/diff/diff";
import type { PlanOptions } from "../../../plan/plan";
import { committed, plan, tempProject, withExampleWorld } from "../helpers";

/** Helpers for the access diff's tests: stack configs to change, and a diff of two configs. */

export type Config = Record<string, unknown>;
export type Stacks = Record<string, Config>;
type Mutate = PlanOptions["mutate"];

/** The committed stacks' configs, deep-copied, to change in a test. */
export function committedStacks(): Stacks {
    return {
        primary: structuredClone(committed("primary").config),
        secondary: structuredClone(committed("secondary").config),
    };
}

export const consumers = (s: Stacks) =>
    s.primary["secretshare:consumers"] as Record<string, { accountId: string; readers: Record<string, unknown>[] }>;
export const secrets = (s: Stacks) => s.primary["secretshare:secrets"] as Record<string, unknown>[];

/** The committed stacks with a second reader `Bob` of MySecret in the secondary account. */
export function withBob(): Stacks {
    const s = committedStacks();
    consumers(s).secondary.readers.push({ user: "Bob" });
    secrets(s)[0].readers = ["secondary/Stuart", "secondary/Bob"];
    return s;
}

/**
 * The saved `--json` plan of each base config planned without a mutation, by config: several
 * tests diff against the same base, and a plan's JSON names its stack files relative to their
 * directory, so the same config in another temporary directory saves the same file.
 */
const savedBases = new Map<string, string>();

/** Plans `base` and saves its `--json`; then `--against` that file on `head`, in `format`. */
export async function savedDiff(
    base: Stacks,
    head: Stacks,
    options: { mutateBase?: Mutate; mutateHead?: Mutate; format?: string[] } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
    // Existing resources (an existing Stuart, MySecret) as the example world records them.
    const baseDir = withExampleWorld(tempProject(base));
    const key = options.mutateBase ? undefined : JSON.stringify(base);
    let json = key === undefined ? undefined : savedBases.get(key);
    if (json === undefined) {
        const saved = await plan(["--json"], baseDir, { mutate: options.mutateBase });
        if (saved.code !== 0) throw new Error(`base plan failed (${saved.code}): ${saved.stderr}`);
        json = saved.stdout;
        if (key !== undefined) savedBases.set(key, json);
    }
    const file = path.join(baseDir, "base.json");
    fs.writeFileSync(file, json);
    return plan(["--against", file, ...(options.format ?? ["--json"])], withExampleWorld(tempProject(head)), {
        mutate: options.mutateHead,
    });
}

export async function savedDiffJson(base: Stacks, head: Stacks, options: Parameters<typeof savedDiff>[2] = {}) {
    const out = await savedDiff(base, head, options);
    if (out.code !== 0) throw new Error(`diff failed (${out.code}): ${out.stderr}`);
    return JSON.parse(out.stdout) as PlanDiff;
}

/** Access changes, short: "gained secondary/Bob GetSecretValue VersionStage=AWSCURRENT on MySecret". */
export const accessLines = (d: PlanDiff) =>
    d.access.map(
        (c) =>
            `${c.change} ${c.who} ${c.action.replace(/^secretsmanager:/, "")}${c.context.startsWith("VersionStage") || !c.context ? ` ${c.context || "(no stage)"}` : ""} on ${c.secret}`,
    );

/** Resource changes, short: "created secondary aws:iam/user:User secondary-Bob". */
export const resourceLines = (d: PlanDiff) =>
    d.resources.map((r) => `${r.change} ${r.stack} ${r.type} ${r.name}${r.from ? ` (from ${r.from})` : ""}`);

/** Statement changes, short: "changed key policy of share-key SecretShareDecrypt73534949 Condition". */
export const statementLines = (d: PlanDiff) =>
    d.documents.flatMap((doc) =>
        doc.statements.map((s) => `${s.change} ${doc.resource} ${s.sid}${s.fields ? ` ${s.fields.join(",")}` : ""}`),
    );

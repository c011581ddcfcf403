import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../../common/errors";
import { diffPlans, isEmpty, type PlanDiff } from "./diff";
import { loadBase } from "./against";
import { readPlanJson, type PlanJson } from "./facts";
import { pictureOf } from "./mermaid";
import { diffMarkdown, diffText } from "./render";
import type { FailOn } from "./failOn";

/**
 * `npm start -- --against <ref-or-file>`: the access diff between a base plan and the head
 * (the working tree, planned by the caller, or `--head FILE`), in the chosen form.
 */

export { FAIL_ON, type FailOn } from "./failOn";

/** Exit code when the diff matches `--fail-on` (and the head plan itself passes). */
export const EXIT_FAIL_ON = 4;

export interface DiffArgs {
    readonly against: string;
    readonly head?: string;
    readonly failOn?: FailOn;
    readonly fullReport?: string;
    readonly format: "text" | "json" | "markdown";
    readonly stacks: readonly string[];
}

/** Whether the diff is what `--fail-on` asks CI to stop on. */
export function failsOn(d: PlanDiff, on: FailOn | undefined): boolean {
    if (on === "gain") return d.summary.gained > 0;
    if (on === "external") return d.risks.some((r) => r.kind === "external-account");
    if (on === "any") return !isEmpty(d);
    return false;
}

/** Starts loading the base: a child process for a git ref, so it runs while the head is planned. */
export function startBase(args: DiffArgs, dir: string, cwd: string) {
    return loadBase(
        args.against,
        dir,
        args.stacks.flatMap((s) => ["--stack", s]),
        cwd,
    );
}

export function readHead(file: string, cwd: string): PlanJson {
    const p = path.resolve(cwd, file);
    if (!fs.existsSync(p)) throw new UsageError(`--head ${file}: no such file (expected a plan saved with --json)`);
    if (!fs.statSync(p).isFile())
        throw new UsageError(`--head ${file}: not a file (expected a plan saved with --json)`);
    return readPlanJson(fs.readFileSync(p, "utf8"), file);
}

/** The report on stdout (and the full Markdown in `--full-report`, relative to `cwd`); the exit code. */
export function report(
    args: DiffArgs,
    base: { plan: PlanJson; label: string },
    head: { plan: PlanJson; label: string },
    cwd: string,
    stdout: (text: string) => void,
): number {
    const d = diffPlans(base.plan, head.plan, { base: base.label, head: head.label });
    const picture = pictureOf(base.plan, head.plan, d);
    if (args.format === "json") stdout(JSON.stringify(d, null, 2) + "\n");
    else if (args.format === "markdown") stdout(diffMarkdown(d, picture));
    else stdout(diffText(d));
    if (args.fullReport) fs.writeFileSync(path.resolve(cwd, args.fullReport), diffMarkdown(d, picture, 0));
    if (!head.plan.ok) return 1;
    return failsOn(d, args.failOn) ? EXIT_FAIL_ON : 0;
}

import type { Plan } from "../plan";
import { buildChecks, type NotProven } from "./checks";
import type { NotProvenInPreview } from "./preview";
import { judge, type CheckResult } from "./judge";
import { simulateAll, type PoolOptions } from "./pool";
import { unknownWorld, type UnknownWorldReport } from "../world/unproven";

/**
 * The access matrix: who can read each secret, proven with an IAM policy simulator on the
 * documents the program registered in the plan (./registry.ts), against what the owner stacks
 * export as granted and the owner's config says (./checks.ts). Each check is one request through the simulator
 * (./simulator.ts), in worker threads for a large plan (./pool.ts), judged in the checks' order
 * (./judge.ts).
 */

export { ANONYMOUS, type Decision, type PolicyRef, type SimulationOutcome, type SimulationRequest } from "./simulator";
export type { Check, Expectation, NotProven } from "./checks";
export type { NotProvenInPreview } from "./preview";
export type { CheckResult } from "./judge";

export interface AccessMatrix {
    readonly checks: readonly CheckResult[];
    readonly notProven: readonly NotProven[];
    /** What the plan proves but a person should know: a role trusted by an external account. */
    readonly warnings?: readonly string[];
    /** A preview plan's checks that use values the preview does not know: not simulated (./preview.ts). */
    readonly notProvenInPreview?: readonly NotProvenInPreview[];
    /** Existing resources planned with stand-ins (no world snapshot), and what is therefore not proven. */
    readonly unknownWorld?: UnknownWorldReport;
}

export type MatrixOptions = PoolOptions;

/** The whole matrix: every check simulated, one action per simulation, judged in the checks' order. */
export async function accessMatrix(plan: Plan, options: MatrixOptions = {}): Promise<AccessMatrix> {
    const { checks, notProven, warnings, notProvenInPreview } = buildChecks(plan);
    const outcomes = await simulateAll(checks, options);
    const results: CheckResult[] = [];
    for (const [i, check] of checks.entries()) {
        const outcome = outcomes[i];
        // As a sequential loop would: the first request in order that `simulate` refused throws.
        if ("thrown" in outcome) throw new Error(outcome.thrown);
        results.push(judge(check, outcome));
    }
    const unknown = unknownWorld(plan.world?.unknown ?? [], results);
    return {
        checks: results,
        notProven,
        warnings,
        ...(notProvenInPreview && { notProvenInPreview }),
        ...(unknown && { unknownWorld: unknown }),
    };
}

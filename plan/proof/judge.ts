import type { Check } from "./checks";
import { ANONYMOUS, isServicePrincipal, type Decision, type SimulationOutcome } from "./simulator";

export interface CheckResult extends Check {
    readonly decision: Decision | "Error";
    readonly outcome: SimulationOutcome;
    readonly ok: boolean;
    /** Why the check failed, in words. */
    readonly reason?: string;
}

/**
 * Judges one check's outcome: the decision must match, and the simulator must have seen every key.
 * A "Kept" check (a statement not managed here lets the principal in) shows the decision as it
 * is: only a request the simulator refuses or a key it ignores fails it.
 */
export function judge(check: Check, outcome: SimulationOutcome): CheckResult {
    const decision = outcome.decision ?? "Error";
    const problems: string[] = [];
    if (outcome.error) problems.push(`the simulator refused the request: ${outcome.error}`);
    const matches =
        check.expected === "Kept" ||
        (check.expected === "Allowed" ? decision === "Allowed" : decision.endsWith("Denied"));
    if (!outcome.error && !matches) {
        problems.push(
            `expected ${check.expected}, got ${decision}` +
                (outcome.deniedBy.length ? ` (denied by: ${outcome.deniedBy.join(", ")})` : ""),
        );
    }
    if (outcome.ignoredContextKeys.length) {
        problems.push(
            `the simulator ignored context key(s) ${outcome.ignoredContextKeys.join(", ")}: conditions on them were not evaluated`,
        );
    }
    // A service principal acts on the resource policy alone (a trust policy): it has no identity policy.
    if (
        check.expected === "Allowed" &&
        check.principal !== ANONYMOUS &&
        !isServicePrincipal(check.principal) &&
        check.identityPolicies.length === 0
    ) {
        problems.push(`no identity policy for ${check.principal} in the planned stacks`);
    }
    return {
        ...check,
        decision,
        outcome,
        ok: problems.length === 0,
        ...(problems.length && { reason: problems.join("; ") }),
    };
}

import type { Check } from "./checks";
import type { KeptInfo } from "./kept";
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
 * A "Kept" check (a statement not managed here lets the principal in) is judged by judgeKept.
 */
export function judge(check: Check, outcome: SimulationOutcome): CheckResult {
    if (check.expected === "Kept") return judgeKept(check, outcome);
    const decision = outcome.decision ?? "Error";
    const problems: string[] = [];
    if (outcome.error) problems.push(`the simulator refused the request: ${outcome.error}`);
    const matches = check.expected === "Allowed" ? decision === "Allowed" : decision.endsWith("Denied");
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
    return result(check, outcome, problems);
}

const result = (check: Check, outcome: SimulationOutcome, problems: string[], kept?: KeptInfo): CheckResult => ({
    ...check,
    ...(kept && { kept }),
    decision: outcome.decision ?? "Error",
    outcome,
    ok: problems.length === 0,
    ...(problems.length && { reason: problems.join("; ") }),
});

/**
 * A kept row shows what AWS decides, in words that cannot be read as "no access" when the
 * access only depends on a condition of the statement's (an organization, a VPC, a tag):
 * - Allowed: the statement lets the principal in (with the values shown in the context);
 * - "conditional (...)": it would, given a value of a key this probe did not meet;
 * - ExplicitlyDenied with no condition left: a Deny stops the principal whatever it carries.
 * The foreign team's conditions never fail the plan; the row fails when the simulator refuses
 * the request, ignores a key of the call itself, or denies a principal that a statement lets in
 * with nothing left to meet: then the matrix would show "no access" where there is.
 */
export function judgeKept(check: Check, outcome: SimulationOutcome): CheckResult {
    const info: KeptInfo = check.kept ?? { sids: [], document: "?" };
    const decision = outcome.decision ?? "Error";
    const problems: string[] = [];
    if (outcome.error) problems.push(`the simulator refused the request: ${outcome.error}`);
    const supplied = Object.keys(info.supplied ?? {});
    const ignoredSupplied = outcome.ignoredContextKeys.filter((k) => supplied.includes(k));
    const ignoredOwn = outcome.ignoredContextKeys.filter((k) => !supplied.includes(k));
    if (ignoredOwn.length) {
        problems.push(
            `the simulator ignored context key(s) ${ignoredOwn.join(", ")}: conditions on them were not evaluated`,
        );
    }
    const conditional = info.conditionalOn ?? [];
    const notMet = conditional.filter((k) => !supplied.includes(k) || ignoredSupplied.includes(k));
    let verdict: string = decision;
    if (decision !== "Allowed" && decision !== "Error") {
        if (notMet.length) verdict = `conditional (not met by this probe: ${notMet.join(", ")})`;
        else if (conditional.length) verdict = `conditional (${decision} with the values shown)`;
        else if (decision === "ImplicitlyDenied" && !outcome.error) {
            problems.push(
                `statement(s) ${info.sids.join(", ")} of the ${info.document} let ${check.who} in with no condition, ` +
                    `but the simulator denies it: this row cannot show who the statement lets in`,
            );
        }
    }
    return result(check, outcome, problems, { ...info, verdict, ...(notMet.length && { notMet }) });
}

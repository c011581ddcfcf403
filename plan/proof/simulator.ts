import {
    createValidatedPolicy,
    validateIdentityPolicy,
    validateResourcePolicy,
    type ValidatedPolicy,
} from "@cloud-copilot/iam-policy";
import {
    anonymousPrincipal,
    getDenialReasons,
    runSimulation,
    type RunSimulationResults,
    type Simulation,
} from "@cloud-copilot/iam-simulate";
import { accountOfArn, parseIdentityArn } from "../../aws/arn";
import { relevantIdentityStatements, relevantStatements } from "./relevant";

/**
 * The adapter to the IAM policy simulator (@cloud-copilot/iam-simulate): one request, one action,
 * one outcome. Two traps of the simulator are closed here: it does not derive `aws:PrincipalArn`
 * and `aws:PrincipalAccount` from the principal (we do, from the ARN, never by hand), and it
 * drops context keys it does not know (`ignoredContextKeys`), which the judge then counts as a
 * failure: a condition the simulator cannot see proves nothing.
 */

export const ANONYMOUS = "anonymous";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export interface PolicyRef {
    /** Where the document comes from, e.g. "aws:iam/userPolicy:UserPolicy secondary-Stuart-read". */
    readonly name: string;
    readonly policy: unknown;
}

/** A service principal, e.g. ecs-tasks.amazonaws.com (the form config accepts in assumedBy). */
export function isServicePrincipal(principal: string): boolean {
    return /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(principal);
}

/** One simulated request. `principal` is an IAM user or role ARN, a service principal, or ANONYMOUS. */
export interface SimulationRequest {
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    /** Context keys of the request. `aws:PrincipalArn`/`aws:PrincipalAccount` are derived, never given. */
    readonly context: Readonly<Record<string, string | string[]>>;
    readonly identityPolicies: readonly PolicyRef[];
    readonly resourcePolicy?: PolicyRef;
}

export interface SimulationOutcome {
    /** The simulator's decision; undefined when it refused the request (see `error`). */
    readonly decision?: Decision;
    /** The context actually sent, derived principal keys included. */
    readonly context: Record<string, string | string[]>;
    readonly ignoredContextKeys: readonly string[];
    /** Which policy types denied, for an explanation. */
    readonly deniedBy: readonly string[];
    readonly error?: string;
}

/**
 * The request as AWS would see it: a role acts through a session of that role, and
 * `aws:PrincipalArn` is then the role's ARN; `aws:PrincipalAccount` is the principal's account.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
export function principalContext(principal: string): {
    caller: string;
    context: Record<string, string>;
} {
    if (principal === ANONYMOUS) return { caller: ANONYMOUS, context: {} };
    // A service calls as itself; what it acts for comes in aws:SourceAccount, which the check gives.
    if (isServicePrincipal(principal)) return { caller: principal, context: {} };
    const id = parseIdentityArn(principal);
    if (!id) throw new Error(`not an IAM user or role ARN: ${principal}`);
    const caller =
        id.kind === "role"
            ? `arn:${id.partition}:sts::${id.accountId}:assumed-role/${id.name}/secretshare-plan`
            : principal;
    return { caller, context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": id.accountId } };
}

type Validate = (policy: unknown) => ReturnType<typeof validateIdentityPolicy>;

const validatedIdentity = new WeakMap<object, ValidatedPolicy>();
const validatedResource = new WeakMap<object, ValidatedPolicy>();

/**
 * A document validated once, in the form the simulator takes instead of the document itself
 * (`ValidatedPolicy`, which it then does not validate again): the same documents recur in
 * thousands of requests. Kept per document object (documents are not changed once planned),
 * identity and resource documents apart (they are validated by different rules). A resource
 * document with a `name` of its own is passed as it is: the simulator names the resource policy
 * by it.
 */
function validated(policy: unknown, cache: WeakMap<object, ValidatedPolicy>, validate: Validate): unknown {
    if (typeof policy !== "object" || policy === null || "name" in policy) return policy;
    let v = cache.get(policy);
    if (!v) cache.set(policy, (v = createValidatedPolicy(policy, validate)));
    return v;
}

const relevant = new WeakMap<object, Map<string, unknown>>();

/** `trim(policy)`, kept per document and `key`: the same result, the same object, for the caches above. */
function kept(policy: unknown, key: string, trim: (policy: unknown) => unknown): unknown {
    if (typeof policy !== "object" || policy === null) return trim(policy);
    let byRequest = relevant.get(policy);
    if (!byRequest) relevant.set(policy, (byRequest = new Map<string, unknown>()));
    if (!byRequest.has(key)) byRequest.set(key, trim(policy));
    return byRequest.get(key);
}

/**
 * The resource policy's statements that can apply (./relevant.ts), once it is valid: as for an
 * identity policy, a statement left out must not hide an error in the whole document.
 */
function relevantOf(policy: unknown, principal: string, caller: string, action: string): unknown {
    const whole = validated(policy, validatedResource, validateResourcePolicy);
    if (whole === policy || (whole as ValidatedPolicy).errors.length) return whole;
    return validated(
        kept(policy, `${principal}\0${caller}\0${action}`, (p) => relevantStatements(p, principal, caller, action)),
        validatedResource,
        validateResourcePolicy,
    );
}

/**
 * An identity policy's statements that can apply (./relevant.ts), once it is valid: a statement
 * left out must not hide an error the simulator would report for the whole document.
 */
function identityOf(policy: unknown, action: string, resource: string): unknown {
    const whole = validated(policy, validatedIdentity, validateIdentityPolicy);
    if (whole === policy || (whole as ValidatedPolicy).errors.length) return whole;
    return validated(
        kept(policy, `\0${action}\0${resource}`, (p) => relevantIdentityStatements(p, action, resource)),
        validatedIdentity,
        validateIdentityPolicy,
    );
}

/** Runs one request through the simulator (one action per simulation). */
export async function simulate(request: SimulationRequest): Promise<SimulationOutcome> {
    for (const k of Object.keys(request.context)) {
        if (/^aws:Principal(Arn|Account)$/i.test(k)) {
            throw new Error(`${k} is derived from the principal; do not pass it (${request.principal})`);
        }
    }
    const { caller, context: derived } = principalContext(request.principal);
    const context = { ...derived, ...request.context };
    const simulation: Simulation = {
        request: {
            principal: caller === ANONYMOUS ? anonymousPrincipal : caller,
            action: request.action,
            resource: { resource: request.resource, accountId: accountOfArn(request.resource) },
            contextVariables: context,
        },
        identityPolicies: request.identityPolicies.map((p) => ({
            name: p.name,
            policy: identityOf(p.policy, request.action, request.resource),
        })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(request.resourcePolicy && {
            // Only the statements that can apply: the same decision, without evaluating every other
            // reader's statement of a packed key policy for each probe (./relevant.ts).
            resourcePolicy:
                caller === ANONYMOUS || isServicePrincipal(caller)
                    ? validated(request.resourcePolicy.policy, validatedResource, validateResourcePolicy)
                    : relevantOf(request.resourcePolicy.policy, request.principal, caller, request.action),
        }),
    };
    let result: RunSimulationResults;
    try {
        result = await runSimulation(simulation, {});
    } catch (e) {
        return { context, ignoredContextKeys: [], deniedBy: [], error: (e as Error).message };
    }
    if (result.resultType === "error") {
        return { context, ignoredContextKeys: [], deniedBy: [], error: result.errors.message };
    }
    const results = result.resultType === "single" ? [result.result] : result.results;
    const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))].sort();
    const deniedBy =
        result.overallResult === "Allowed"
            ? []
            : [
                  ...new Set(
                      results.flatMap((r) =>
                          getDenialReasons(r.analysis).map(
                              (d) =>
                                  `${d.policyType} policy` +
                                  (d.denialType === "Explicit" && d.statementId ? ` (${d.statementId})` : ""),
                          ),
                      ),
                  ),
              ];
    // Cross-account, a request with no resource policy at all is denied without a statement to name.
    if (result.overallResult !== "Allowed" && !request.resourcePolicy && deniedBy.length === 0) {
        deniedBy.push("no resource policy");
    }
    return { decision: result.overallResult, context, ignoredContextKeys: ignored, deniedBy };
}

/** An outcome, or the message of what `simulate` threw (a request it must not send). */
export type SettledOutcome = SimulationOutcome | { readonly thrown: string };

/** `simulate`, with what it throws kept as a value, so that a batch can carry it between threads. */
export async function simulateSettled(request: SimulationRequest): Promise<SettledOutcome> {
    try {
        return await simulate(request);
    } catch (e) {
        return { thrown: e instanceof Error ? e.message : String(e) };
    }
}

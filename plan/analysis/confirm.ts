import type { AccessMatrix, CheckResult } from "../proof";
import { simulateAll, type PoolOptions } from "../proof/pool";
import { ANONYMOUS, isServicePrincipal, type PolicyRef, type SimulationRequest } from "../proof/simulator";
import { decide, type Document, type Service } from "./reach";
import { PRINCIPAL, type Frame } from "./statements";
import { VAR_KEYS, whoCanRead, type ConfirmInput, type WhoCanRead } from "./whoCanRead";

/**
 * The second engine: every principal the analysis finds is instantiated (a concrete principal and
 * values) and simulated with @cloud-copilot/iam-simulate, which must allow it; and every request
 * of the access matrix on a secret, a key or a role, already simulated, is decided by the
 * analysis too, which must agree. A disagreement is a bug in one of them and fails the plan.
 */

export interface Agreement {
    /** Requests simulated for the analysis, and those whose outcome the access matrix already had. */
    readonly simulated: number;
    readonly reused: number;
    /** Access-matrix checks the analysis decided too. */
    readonly crossChecked: number;
    readonly disagreements: readonly string[];
}

export interface Analysis extends WhoCanRead {
    readonly agreement: Agreement;
}

const allowAll = (action: string): PolicyRef => ({
    name: `its own identity policy (assumed: it allows ${action})`,
    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: "*" }] },
});

/** The simulator's request for a point of a set. */
export function requestOf(input: ConfirmInput): SimulationRequest {
    const p = input.point[PRINCIPAL] ?? ANONYMOUS;
    const context: Record<string, string> = { ...input.context };
    for (const [v, value] of Object.entries(input.point)) {
        if (v !== PRINCIPAL && value !== undefined) context[VAR_KEYS[v] ?? v] = value;
    }
    const service = p === ANONYMOUS || isServicePrincipal(p);
    return {
        principal: p,
        action: input.frame.action,
        resource: input.frame.resource,
        context,
        identityPolicies: service ? [] : (input.identity(p) ?? [allowAll(input.frame.action)]),
        ...(input.resourcePolicy && { resourcePolicy: input.resourcePolicy }),
    };
}

const keyOf = (r: SimulationRequest) =>
    JSON.stringify([
        r.principal,
        r.action,
        r.resource,
        Object.entries(r.context).sort(),
        r.identityPolicies.map((p) => p.name),
        r.resourcePolicy?.name ?? null,
    ]);

/** The analysis, confirmed by the simulator and cross-checked against the access matrix. */
export async function analyseAccess(
    plan: Parameters<typeof whoCanRead>[0],
    matrix: AccessMatrix,
    options: PoolOptions = {},
): Promise<Analysis> {
    const who = whoCanRead(plan);
    const inputs = [...who.secrets, ...who.roles].flatMap((s) => s.requests);
    const requests = inputs.map(requestOf);
    // The matrix's checks by request, for those of a principal, action and resource asked here
    // (the others' keys cannot equal a request's).
    const asked = new Set(requests.map((r) => `${r.principal}\0${r.action}\0${r.resource}`));
    const known = new Map<string, CheckResult>();
    for (const c of matrix.checks) if (asked.has(`${c.principal}\0${c.action}\0${c.resource}`)) known.set(keyOf(c), c);
    const fresh = requests.map((r, i) => ({ r, i })).filter(({ r }) => !known.has(keyOf(r)));
    // The worker threads simulate while this thread cross-checks the matrix (it needs no outcome).
    const simulated = simulateAll(
        fresh.map((f) => f.r),
        options,
    );
    const cross = crossCheck(matrix.checks);
    const outcomes = await simulated;
    const decisions = new Map<number, string>();
    fresh.forEach((f, j) => {
        const o = outcomes[j];
        decisions.set(f.i, "thrown" in o ? `error: ${o.thrown}` : (o.decision ?? `error: ${o.error ?? "?"}`));
    });
    const disagreements: string[] = [];
    requests.forEach((r, i) => {
        const decision = decisions.get(i) ?? known.get(keyOf(r))?.decision ?? "?";
        if (decision !== "Allowed") {
            disagreements.push(
                `the analysis finds that ${r.principal} can ${inputs[i].what} (${r.action}` +
                    `${
                        Object.keys(r.context).length
                            ? `, ${Object.entries(r.context)
                                  .map(([k, v]) => `${k}=${String(v)}`)
                                  .join(" ")}`
                            : ""
                    }), ` +
                    `but the simulator decides ${decision}`,
            );
        }
    });
    return {
        ...who,
        agreement: {
            simulated: fresh.length,
            reused: requests.length - fresh.length,
            crossChecked: cross.checked,
            disagreements: [...disagreements, ...cross.disagreements],
        },
    };
}

/** The modelled condition keys of each action: the rest of a check's context is fixed. */
const MODELLED: Record<string, { service: Service; vars: Record<string, string> }> = {
    "secretsmanager:getsecretvalue": {
        service: "secretsmanager",
        vars: { "secretsmanager:versionstage": "stage", "secretsmanager:versionid": "versionId" },
    },
    "kms:decrypt": { service: "kms", vars: {} },
    "sts:assumerole": { service: "sts", vars: { "aws:sourceaccount": "sourceAccount" } },
};

/**
 * The analysis's decision for each simulated check of these actions, from the same statements
 * it builds the sets from; checks with a kept condition or a refused request are left out.
 */
export function crossCheck(checks: readonly CheckResult[]): { checked: number; disagreements: string[] } {
    let checked = 0;
    const disagreements: string[] = [];
    for (const c of checks) {
        const m = MODELLED[c.action.toLowerCase()];
        if (!m || !c.outcome.decision || c.outcome.ignoredContextKeys.length || c.kept?.conditionalOn?.length) continue;
        const fixed: Record<string, string> = {};
        const point: Record<string, string | undefined> = { [PRINCIPAL]: c.principal };
        for (const [k, v] of Object.entries(c.context)) {
            if (typeof v !== "string") continue;
            const variable = m.vars[k.toLowerCase()];
            if (variable) point[variable] = v;
            else fixed[k.toLowerCase()] = v;
        }
        const frame: Frame = { action: c.action, resource: c.resource, fixed, vars: m.vars };
        const doc = (p: PolicyRef): Document => ({ name: p.name, policy: p.policy });
        const account = c.resource.split(":")[4] ?? "";
        const d = decide(
            c.resourcePolicy && doc(c.resourcePolicy),
            c.identityPolicies.map(doc),
            frame,
            m.service,
            account,
            point,
        );
        if (d === "unknown") continue;
        checked++;
        const same = d === "Allowed" ? c.decision === "Allowed" : c.decision !== "Allowed";
        if (!same) disagreements.push(`check "${c.name}": the simulator decides ${c.decision}, the analysis ${d}`);
    }
    return { checked, disagreements };
}

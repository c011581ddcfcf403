import type { LiveStatement } from "../../existing/merge";
import { KNOWN_SERVICES } from "../../policies/documents";
import { ANONYMOUS } from "../proof/simulator";
import { accountOfPrincipal, exact, fromTokens, tokens, type Pattern } from "./glob";
import { contains, nonEmpty, type Cube, type Point, type Space, type VarConstraint } from "./solver";
import { candidates } from "./candidates";
import { and, evaluate, IAM_PRINCIPAL, PRINCIPAL, sidOf, translate, type Frame, type Translated } from "./statements";

/**
 * Who one action on one resource lets in, following AWS's evaluation logic
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
 * its cross-account page): an explicit Deny wins; across accounts both the principal's identity
 * policies and the resource's policy must allow; within the resource's account either does for
 * Secrets Manager, but for a KMS key (and a role's trust policy) the resource policy must allow,
 * directly or through the account ("enable IAM policies"): then the principal's IAM policies
 * decide. https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 *
 * The identity side of a principal the analysis does not know is its own account's to write: the
 * sets say "if its own IAM policies allow" (as IAM Access Analyzer does), so that everything the
 * owner's documents let in is listed.
 */

/** How the service reads a resource policy within its own account. */
export type Service = "secretsmanager" | "kms" | "sts";

/** Why a cube is in a set: a statement of a document, or the IAM policies of the resource's account. */
export interface Via {
    readonly document: string;
    /** The statement's Sid (or "statement <n>"); absent for the account's IAM policies. */
    readonly sid?: string;
    /** A statement kept from others on an existing secret or key, not managed here. */
    readonly kept: boolean;
}

export interface Grant {
    readonly cube: Cube;
    readonly via: Via;
    /** The principal's own IAM policies must allow too (another account, or through its account). */
    readonly ownPolicies: boolean;
    /** Conditions it depends on, kept as written. */
    readonly conditions: readonly string[];
}

export interface Reach {
    readonly frame: Frame;
    readonly space: Space;
    /** The resource's account. */
    readonly account: string;
    readonly grants: readonly Grant[];
    /** Statements whose principals cannot be decided, in words. */
    readonly notProven: readonly string[];
    /** Deny statements with conditions kept as written: not subtracted, so the sets may be larger. */
    readonly unapplied: readonly string[];
}

export interface Document {
    readonly name: string;
    readonly policy: unknown;
    /** Whether a statement is kept from others (default: none is). */
    readonly kept?: (s: LiveStatement) => boolean;
}

export const statementsOf = (policy: unknown): LiveStatement[] => {
    const s = (policy as { Statement?: unknown } | undefined)?.Statement;
    return (Array.isArray(s) ? s : s ? [s] : []).filter((x): x is LiveStatement => !!x && typeof x === "object");
};

/** The forms a principal takes, in the order witnesses are tried: a role, a user, a root, a service, anonymous. */
export function principalDomains(partition: string): Pattern[] {
    const { one, run, ANY } = tokens;
    const lit = (s: string) => [...s].map((c) => one(c));
    const account = Array.from({ length: 12 }, () => one("0123456789"));
    const iam = (rest: ReturnType<typeof one>[]) =>
        fromTokens([...lit(`arn:${partition}:iam::`), ...account, ...rest], `${partition} IAM principal`);
    return [
        iam([...lit(":role/"), run(ANY), one("/", true)]),
        iam([...lit(":user/"), run(ANY), one("/", true)]),
        iam(lit(":root")),
        ...KNOWN_SERVICES.map(exact),
        exact(ANONYMOUS),
    ];
}

const domains = new Map<string, Record<string, readonly Pattern[]>>();

export function spaceOf(frame: Frame, partition: string, preferred: Record<string, readonly string[]> = {}): Space {
    let d = domains.get(partition);
    if (!d) domains.set(partition, (d = { [PRINCIPAL]: principalDomains(partition) }));
    return {
        vars: [PRINCIPAL, ...[...new Set(Object.values(frame.vars))].sort()],
        preferred,
        domains: d,
        present: [PRINCIPAL],
    };
}

/** The principals of an account (IAM users, roles and its root). */
export const accountCube = (account: string): Cube => ({
    [PRINCIPAL]: { pos: [accountOfPrincipal(account, false, false)], neg: [] },
});

/** Who `doc` (the resource's policy; none: no policy) lets do the frame's request. */
export function reach(doc: Document | undefined, frame: Frame, service: Service, account: string, space: Space): Reach {
    const grants: Grant[] = [];
    const denies: Grant[] = [];
    const notProven: string[] = [];
    const unapplied: string[] = [];
    // Within the account, Secrets Manager lets the principal's IAM policies alone decide.
    if (service === "secretsmanager") {
        grants.push({
            cube: accountCube(account),
            via: { document: `IAM policies of ${account}`, kept: false },
            ownPolicies: true,
            conditions: [],
        });
    }
    statementsOf(doc?.policy).forEach((s, i) => {
        const t = translate(s, frame);
        if (!t.applies) return;
        const via: Via = { document: doc?.name ?? "?", sid: sidOf(s, i), kept: doc?.kept?.(s) ?? false };
        if (t.notProven) {
            notProven.push(
                `${s.Effect === "Deny" ? "Deny" : "statement"} ${via.sid} of the ${via.document}: ${t.notProven}`,
            );
            return;
        }
        for (const part of t.parts) {
            const acct = ownAccountOnly(part.cube, account);
            const ownPolicies = part.accountLevel || !acct;
            const g: Grant = { cube: part.cube, via, ownPolicies, conditions: part.conditions };
            if (s.Effect === "Deny") {
                if (part.conditions.length)
                    unapplied.push(`Deny ${via.sid} of the ${via.document} (when ${part.conditions.join("; ")})`);
                else denies.push(g);
            } else if (s.Effect === "Allow") grants.push(g);
        }
    });
    let out = grants;
    for (const d of denies) out = out.flatMap((g) => subtract(g, d.cube, space));
    return { frame, space, account, grants: out, notProven, unapplied: [...new Set(unapplied)] };
}

/** Whether a cube holds principals of `account` only (then no other account's policies play a part). */
function ownAccountOnly(cube: Cube, account: string): boolean {
    const p = cube[PRINCIPAL];
    return !!p?.pos.some((x) => x.label === `any principal of ${account}` || x.exact?.split(":")[4] === account);
}

/** The points of `g` outside `cube`: one grant per way of failing one of the cube's constraints. */
function subtract(g: Grant, cube: Cube, space: Space): Grant[] {
    const out: Grant[] = [];
    for (const [v, c] of Object.entries(cube)) {
        if (!c) continue;
        for (const not of negations(c, v === PRINCIPAL)) {
            const both = and(g.cube, { [v]: not });
            if (both && nonEmpty(both, space)) out.push({ ...g, cube: both });
        }
    }
    return out;
}

function negations(c: VarConstraint, alwaysPresent: boolean): VarConstraint[] {
    const out: VarConstraint[] = [];
    if (c.absent === true) out.push({ pos: [], neg: [], absent: false });
    if (!alwaysPresent && (c.absent === false || c.pos.length)) out.push({ pos: [], neg: [], absent: true });
    for (const p of c.pos) out.push({ pos: [], neg: [p], absent: false });
    for (const n of c.neg) out.push({ pos: [n], neg: [], absent: false });
    return out;
}

/** The grants that hold a point. */
export const grantsAt = (r: Reach, point: Point) => r.grants.filter((g) => contains(g.cube, point));

/**
 * The decision for one concrete request, from the same statements: what the property tests
 * compare with the simulator. `identity`: the principal's identity policies (its own account's).
 * "unknown" when a statement that could apply cannot be decided or depends on a kept condition.
 */
export function decide(
    resource: Document | undefined,
    identity: readonly Document[],
    frame: Frame,
    service: Service,
    account: string,
    point: Point,
): "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "unknown" {
    // Only the statements that can hold the point (./candidates.ts): the same decision.
    const principal = point[PRINCIPAL];
    const side = (docs: readonly Document[]) =>
        sideOf(
            docs.flatMap((d) => {
                const c = candidates(d.policy, () => statementsOf(d.policy), frame);
                const held = principal === undefined ? [] : (c.byPrincipal.get(principal) ?? []);
                return [...c.general, ...held].map(({ statement, prepared }) => ({
                    effect: statement.Effect,
                    translated: evaluate(prepared, frame.fixed),
                }));
            }),
            point,
        );
    return combine(side(resource ? [resource] : []), side(identity), point[PRINCIPAL] ?? "", service, account);
}

/** What the statements of one side (the resource policy, or the identity policies) say of a point. */
export interface Side {
    /** An Allow naming the principal itself. */
    readonly direct: boolean;
    /** An Allow naming the principal's account (its root). */
    readonly viaAccount: boolean;
    readonly deny: boolean;
    /** A statement whose outcome depends on a condition or a value not known. */
    readonly unknown: boolean;
}

/** What statements of one side, each translated for the frame, say of a point. */
export function sideOf(
    statements: Iterable<{ readonly effect: unknown; readonly translated: Translated }>,
    point: Point,
): Side {
    let direct = false;
    let viaAccount = false;
    let deny = false;
    let unknown = false;
    for (const { effect, translated: t } of statements) {
        if (!t.applies) continue;
        if (t.notProven) unknown = true;
        for (const part of t.parts) {
            if (!contains(part.cube, point)) continue;
            if (part.conditions.length) unknown = true;
            else if (effect === "Deny") deny = true;
            else if (effect === "Allow") {
                if (part.accountLevel) viaAccount = true;
                else direct = true;
            }
        }
    }
    return { direct, viaAccount, deny, unknown };
}

/** The decision from both sides, as AWS combines a resource policy with identity policies. */
export function combine(
    res: Side,
    id: Side,
    principal: string,
    service: Service,
    account: string,
): "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied" | "unknown" {
    if (res.deny || id.deny) return "ExplicitlyDenied";
    if (res.unknown || id.unknown) return "unknown";
    const isIam = principal.startsWith("arn:");
    const same = isIam && principal.split(":")[4] === account;
    const byResource = res.direct || res.viaAccount;
    let allowed: boolean;
    if (!isIam) allowed = byResource;
    else if (service === "secretsmanager") allowed = same ? id.direct || res.direct : id.direct && byResource;
    else allowed = same ? res.direct || (res.viaAccount && id.direct) : id.direct && byResource;
    return allowed ? "Allowed" : "ImplicitlyDenied";
}

/** In words: who a cube's principal constraint names. */
export function describePrincipal(c: VarConstraint | undefined): string {
    if (!c || (!c.pos.length && !c.neg.length)) return "anyone";
    const one = c.pos.find((p) => p.exact !== undefined)?.exact;
    if (one !== undefined && !c.neg.length) return one;
    const named = (p: Pattern) => p.label ?? p.exact ?? `principals matching ${p.source}`;
    // An account is implied by a pattern on the ARN that names it: say the narrower one.
    const narrow = c.pos.filter((p) => p !== IAM_PRINCIPAL && !p.label);
    const pos = (narrow.length ? narrow : c.pos.filter((p) => p !== IAM_PRINCIPAL)).map(named);
    const iamOnly = c.pos.includes(IAM_PRINCIPAL) && !pos.length ? ["any IAM principal"] : [];
    const notIam = c.neg.includes(IAM_PRINCIPAL) ? ["any service or anonymous caller"] : [];
    const neg = c.neg.filter((p) => p !== IAM_PRINCIPAL).map(named);
    const base = [...pos, ...iamOnly, ...notIam].join(" and ") || "anyone";
    return neg.length ? `${base}, except ${neg.join(", ")}` : base;
}

/** In words: the values of a variable a cube allows (a version stage, a source account). */
export function describeValue(c: VarConstraint | undefined, none: string): string {
    if (!c || (!c.pos.length && !c.neg.length && c.absent === undefined)) return "any";
    if (c.absent === true) return none;
    const pos = c.pos.map((p) => p.exact ?? `matching ${p.source}`);
    const neg = c.neg.map((p) => p.exact ?? `matching ${p.source}`);
    const orNone = c.absent === undefined && pos.length === 0 ? [`or ${none}`] : [];
    return [pos.join(" and ") || "any", ...(neg.length ? [`except ${neg.join(", ")}`] : []), ...orNone].join(" ");
}

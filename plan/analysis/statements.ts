import { isOwnStatement, type LiveStatement } from "../../existing/merge";
import { accountOfPrincipal, arnGlob, exact, exactIgnoreCase, glob, matches, type Pattern } from "./glob";
import { conjoin, type Cube, type VarConstraint } from "./solver";

/**
 * One policy statement as a set of requests: for a fixed action and resource (the request the
 * analysis asks about), the principals (and values of the modelled condition keys) it matches,
 * as a union of cubes (./solver.ts). Conditions on keys whose value the request fixes (the path
 * through Secrets Manager, the secret's ARN in the encryption context) are decided at once;
 * conditions on keys that say nothing about who calls (an organization, a network, a tag, a time)
 * are kept as they are: the cube is then "conditional on" them. What the analysis does not model
 * (NotPrincipal, a policy variable, an operator it does not read on a key it models) makes the
 * statement "not proven", never silently allowed.
 */

export const PRINCIPAL = "principal";

export interface Frame {
    readonly action: string;
    readonly resource: string;
    /** Condition keys the request fixes, by lower-case key. */
    readonly fixed: Readonly<Record<string, string>>;
    /** Condition keys modelled as variables, by lower-case key: the variable's name. */
    readonly vars: Readonly<Record<string, string>>;
}

export interface Part {
    readonly cube: Cube;
    /** Matched by an account (root or bare ID) in Principal: that account's IAM policies must allow too. */
    readonly accountLevel: boolean;
    /** Conditions the cube depends on that the analysis keeps as written, e.g. `aws:PrincipalOrgID StringEquals o-abc`. */
    readonly conditions: readonly string[];
}

export interface Translated {
    /** The statement covers the action and the resource. */
    readonly applies: boolean;
    readonly parts: readonly Part[];
    /** Why who it matches cannot be decided. */
    readonly notProven?: string;
}

const list = (v: unknown): string[] =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean"
        ? [String(v)]
        : Array.isArray(v)
          ? v.filter((x) => ["string", "number", "boolean"].includes(typeof x)).map(String)
          : [];

/** Whether Action/NotAction (without case) and Resource/NotResource cover the request. */
export function covers(s: LiveStatement, frame: Frame): boolean {
    const has = (key: "Action" | "Resource", value: string, ignoreCase: boolean) => {
        const match = (p: string) => {
            if (p === "*") return true;
            const arn = key === "Resource" ? arnGlob(p) : undefined;
            return matches(arn ?? glob(p, ignoreCase), value);
        };
        if (s[key] !== undefined) return list(s[key]).some(match);
        if (s[`Not${key}`] !== undefined) return !list(s[`Not${key}`]).some(match);
        // A trust policy has no Resource: it is the role's own.
        return key === "Resource" && s.NotResource === undefined;
    };
    return has("Action", frame.action, true) && has("Resource", frame.resource, false);
}

/** IAM principals (users, roles, roots, federated users): those with an `aws:PrincipalArn`. */
export const IAM_PRINCIPAL = glob("arn:*");

const ACCOUNT = /^\d{12}$/;

interface Alternative {
    readonly cube: Cube;
    readonly accountLevel?: boolean;
}

/** Who the Principal element names: alternatives of the principal variable. */
function principals(s: LiveStatement): Alternative[] | string {
    if (s.NotPrincipal !== undefined) return "NotPrincipal is not modelled";
    const p = s.Principal;
    if (p === undefined) return [{ cube: {} }]; // an identity policy: its own principal
    if (p === "*") return [{ cube: {} }];
    if (!p || typeof p !== "object") return `Principal ${JSON.stringify(p)} is not read`;
    const out: Alternative[] = [];
    for (const [kind, values] of Object.entries(p as Record<string, unknown>)) {
        for (const v of list(values)) {
            if (kind === "AWS") {
                if (v === "*") out.push({ cube: {} });
                else if (ACCOUNT.test(v) || /^arn:[^:]+:iam::\d{12}:root$/.test(v)) {
                    const account = ACCOUNT.test(v) ? v : v.split(":")[4];
                    out.push({
                        cube: { [PRINCIPAL]: { pos: [accountOfPrincipal(account, false, false, v)], neg: [] } },
                        accountLevel: true,
                    });
                } else if (/^arn:[^:]+:iam::\d{12}:(user|role)\//.test(v)) {
                    out.push({ cube: { [PRINCIPAL]: { pos: [exact(v)], neg: [] } } });
                } else return `principal ${v} (a session, a federated user or another form) is not modelled`;
            } else if (kind === "Service") out.push({ cube: { [PRINCIPAL]: { pos: [exact(v)], neg: [] } } });
            else return `a ${kind} principal is not modelled`;
        }
    }
    return out;
}

const POSITIVE = /^(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$/i;
const NEGATED = /^(StringNotEquals|StringNotEqualsIgnoreCase|StringNotLike|ArnNotEquals|ArnNotLike)$/i;

/** A value of an operator as a pattern on `key`'s value (or on the principal's ARN for its account). */
function patternOf(base: string, value: string, account: boolean): Pattern | string {
    if (value.includes("${")) return `the policy variable in ${value} is not modelled`;
    const op = base.replace(/^(String|Arn)Not/i, "$1").toLowerCase();
    const ignoreCase = op === "stringequalsignorecase";
    const wild = op === "stringlike" || op === "arnlike" || op === "arnequals";
    if (account) return accountOfPrincipal(value, ignoreCase, wild, value);
    if (op.startsWith("arn")) return arnGlob(value) ?? `${value} is not an ARN of six parts`;
    return wild ? glob(value) : ignoreCase ? exactIgnoreCase(value) : exact(value);
}

/** Alternatives for one condition on a modelled variable, or a reason it cannot be read. */
function alternatives(
    operator: string,
    values: readonly string[],
    variable: string,
    account: boolean,
): Alternative[] | string {
    if (/^For(Any|All)Values:/i.test(operator)) return `${operator} on a single-valued key is not modelled`;
    const ifExists = /IfExists$/i.test(operator);
    const base = operator.replace(/IfExists$/i, "");
    // A principal key is present exactly for IAM principals.
    const principalKey = variable === PRINCIPAL;
    const absent: Alternative = {
        cube: { [variable]: principalKey ? { pos: [], neg: [IAM_PRINCIPAL] } : { pos: [], neg: [], absent: true } },
    };
    const present = (c: VarConstraint): Alternative => ({
        cube: { [variable]: principalKey ? { ...c, pos: [...c.pos, IAM_PRINCIPAL] } : { ...c, absent: false } },
    });
    if (/^Null$/i.test(base)) {
        const v = values.map((x) => x.toLowerCase());
        if (v.length !== 1 || !["true", "false"].includes(v[0])) return `Null with ${values.join(", ")} is not read`;
        return v[0] === "true" ? [absent] : [present({ pos: [], neg: [] })];
    }
    const patterns: Pattern[] = [];
    for (const value of values) {
        const p = patternOf(base, value, account);
        if (typeof p === "string") return p;
        patterns.push(p);
    }
    if (POSITIVE.test(base))
        return [...(ifExists ? [absent] : []), ...patterns.map((p) => present({ pos: [p], neg: [] }))];
    if (NEGATED.test(base)) return [absent, present({ pos: [], neg: patterns })];
    return `${operator} on ${variable === PRINCIPAL ? "a principal key" : "a modelled key"} is not modelled`;
}

/**
 * A condition on a key the request fixes, read once: `holds` gives, for a value (undefined when
 * absent), true, false, or undefined when it cannot be read; `readable` is false when it may give
 * undefined.
 */
function fixedTest(
    operator: string,
    values: readonly string[],
): { holds: (value: string | undefined) => boolean | undefined; readable: boolean } {
    const unread = { holds: () => undefined, readable: false };
    if (/^For(Any|All)Values:/i.test(operator)) return unread;
    const ifExists = /IfExists$/i.test(operator);
    const base = operator.replace(/IfExists$/i, "");
    if (/^Null$/i.test(base))
        return {
            holds: (value) => values.some((v) => v.toLowerCase() === String(value === undefined)),
            readable: true,
        };
    const negated = NEGATED.test(base);
    if (!negated && !POSITIVE.test(base)) return unread;
    let patterns: Pattern[] | undefined = [];
    for (const v of values) {
        const p = patternOf(base, v, false);
        if (typeof p === "string") {
            patterns = undefined;
            break;
        }
        patterns.push(p);
    }
    const known = patterns;
    return {
        holds: (value) => {
            if (value === undefined) return negated || ifExists;
            if (!known) return undefined;
            const any = known.some((p) => matches(p, value));
            return negated ? !any : any;
        },
        readable: known !== undefined,
    };
}

const PRINCIPAL_ARN = "aws:principalarn";
const ACCOUNT_KEYS = ["aws:principalaccount", "kms:calleraccount"];

/** Above this many cubes for one statement, it is not proven (a product of many conditions). */
const MAX_PARTS = 5000;

/** A condition on a key the request fixes, in the order the statement writes its conditions. */
interface FixedCheck {
    readonly key: string;
    readonly holds: (value: string | undefined) => boolean | undefined;
    /** `holds` never gives undefined. */
    readonly readable: boolean;
    /** The translation when it cannot be read. */
    readonly unread: Translated;
}

/**
 * A statement read for every frame of one shape (`shapeOf`): all but the values of the keys the
 * request fixes, which each frame checks in `fixed`. The statement translates to `constant` in any
 * frame of the shape; else to the first fixed check's `unread` or `APPLIES_TO_NONE` when it does
 * not hold, else to `result`.
 */
export interface Prepared {
    readonly constant?: Translated;
    readonly fixed: readonly FixedCheck[];
    readonly result: Translated;
}

/** A statement that covers the request and whose conditions exclude it. */
const APPLIES_TO_NONE: Translated = Object.freeze({ applies: true, parts: Object.freeze([]) });
const APPLIES_NOT: Translated = Object.freeze({ applies: false, parts: Object.freeze([]) });

const prepared = new WeakMap<object, Map<string, Prepared>>();
const shapes = new WeakMap<Frame, string>();

/**
 * What of a frame a statement's reading depends on, besides the values of the fixed keys: the
 * action, the resource, which keys are fixed and how keys are modelled. A key policy is read once
 * for all the secrets it encrypts (their frames differ only in the encryption context's value).
 */
export function shapeOf(frame: Frame): string {
    let k = shapes.get(frame);
    if (k === undefined) {
        const fixed = Object.keys(frame.fixed).sort();
        k = `${frame.action}\0${frame.resource}\0${JSON.stringify(fixed)}\0${JSON.stringify(frame.vars)}`;
        shapes.set(frame, k);
    }
    return k;
}

/** The statement read for the frame's shape; kept per statement and shape (statements are not changed). */
export function prepare(s: LiveStatement, frame: Frame): Prepared {
    if (!s || typeof s !== "object") return { constant: APPLIES_NOT, fixed: [], result: APPLIES_NOT };
    const key = shapeOf(frame);
    let byShape = prepared.get(s);
    if (!byShape) prepared.set(s, (byShape = new Map<string, Prepared>()));
    let p = byShape.get(key);
    if (!p) byShape.set(key, (p = prepareOnce(s, frame)));
    return p;
}

/** The statement's translation in a frame of the prepared shape. */
export function evaluate(p: Prepared, fixed: Frame["fixed"]): Translated {
    if (p.constant) return p.constant;
    for (const c of p.fixed) {
        const holds = c.holds(fixed[c.key]);
        if (holds === undefined) return c.unread;
        if (!holds) return APPLIES_TO_NONE;
    }
    return p.result;
}

/**
 * The statement as cubes over the frame's variables, or why it cannot be decided. Pure: read once
 * per statement and shape of frame (`prepare`), then checked against the frame's fixed values.
 */
export function translate(s: LiveStatement, frame: Frame): Translated {
    return evaluate(prepare(s, frame), frame.fixed);
}

/**
 * Conditions are read in the order written; the first that decides ends the reading. A fixed key's
 * condition decides only in a frame (it fails, or cannot be read), so each is kept as a check;
 * the first condition on a modelled key that cannot be read (or too many combinations) gives the
 * result when every check before it holds, as reading the frame at once would.
 */
function prepareOnce(s: LiveStatement, frame: Frame): Prepared {
    if (!covers(s, frame)) return { constant: APPLIES_NOT, fixed: [], result: APPLIES_NOT };
    const who = principals(s);
    if (typeof who === "string") {
        const t = notProven(who);
        return { constant: t, fixed: [], result: t };
    }
    let alts: { cube: Cube; accountLevel: boolean }[] = who.map((a) => ({
        cube: a.cube,
        accountLevel: !!a.accountLevel,
    }));
    const conditions: string[] = [];
    const fixed: FixedCheck[] = [];
    const done = (result: Translated): Prepared =>
        fixed.length ? { fixed, result } : { constant: result, fixed, result };
    const condition = s.Condition;
    if (condition && typeof condition === "object") {
        for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
            if (!block || typeof block !== "object") continue;
            for (const [rawKey, raw] of Object.entries(block as Record<string, unknown>)) {
                const key = rawKey.toLowerCase();
                const values = list(raw);
                const written = `${rawKey} ${operator} ${values.join(", ")}`;
                if (key in frame.fixed) {
                    fixed.push({
                        key,
                        ...fixedTest(operator, values),
                        unread: notProven(`${written}: the operator is not read`),
                    });
                    continue;
                }
                const variable = key === PRINCIPAL_ARN || ACCOUNT_KEYS.includes(key) ? PRINCIPAL : frame.vars[key];
                if (variable === undefined) {
                    conditions.push(written);
                    continue;
                }
                const options = alternatives(operator, values, variable, ACCOUNT_KEYS.includes(key));
                if (typeof options === "string") return done(notProven(`${written}: ${options}`));
                alts = alts.flatMap((a) =>
                    options.flatMap((o) => {
                        const cube = and(a.cube, o.cube);
                        return cube ? [{ cube, accountLevel: a.accountLevel }] : [];
                    }),
                );
                if (alts.length > MAX_PARTS)
                    return done(notProven(`more than ${MAX_PARTS} combinations of conditions`));
            }
        }
    }
    return done({ applies: true, parts: alts.map((a) => ({ ...a, conditions })) });
}

const notProven = (reason: string): Translated => ({ applies: true, parts: [], notProven: reason });

/** Two cubes at once; undefined when they cannot both hold on presence alone. */
export function and(a: Cube, b: Cube): Cube | undefined {
    const out: Record<string, VarConstraint | undefined> = { ...a };
    for (const [v, c] of Object.entries(b)) {
        const both = conjoin(out[v], c);
        if (both && both.absent === true && both.pos.length) return undefined;
        out[v] = both;
    }
    return out;
}

/** The statement's name for a report: its Sid, else its position. */
export const sidOf = (s: LiveStatement, index: number) =>
    typeof s.Sid === "string" && s.Sid ? s.Sid : `statement ${index + 1}`;

export { isOwnStatement };

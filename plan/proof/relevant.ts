import { parseIdentityArn } from "../../aws/arn";

/**
 * The statements of a resource or key policy that can apply to one request, for the simulator:
 * a packed key policy holds hundreds of Decrypt statements, each for other readers, and the
 * simulator evaluates every one of them for every probe. A statement is left out only when it
 * provably cannot match: an Allow (a Deny always stays) whose actions are all literal and none is
 * the request's, or whose principals are all exact ARNs or account IDs and none is the caller,
 * its role, or its account. Anything else (wildcards, NotPrincipal, NotAction, other principal
 * types, a service or anonymous caller) is kept, so the decision is the same as over the whole
 * document. A policy that keeps nothing keeps its first statement (one that does not match),
 * so that the simulator still sees a resource policy that denies implicitly.
 */

interface Stmt {
    readonly Effect?: unknown;
    readonly Action?: unknown;
    readonly Principal?: unknown;
    readonly NotAction?: unknown;
    readonly NotPrincipal?: unknown;
    readonly NotResource?: unknown;
}

const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const literal = (v: unknown): v is string => typeof v === "string" && !/[*?]/.test(v);

function actionCannotMatch(s: Stmt, action: string): boolean {
    const actions = list(s.Action);
    if (!actions.length || !actions.every(literal)) return false;
    return !actions.some((a) => a.toLowerCase() === action.toLowerCase());
}

function principalCannotMatch(s: Stmt, principalArn: string, callerArn: string): boolean {
    const p = s.Principal;
    if (typeof p !== "object" || p === null || Array.isArray(p)) return false;
    const keys = Object.keys(p);
    if (keys.length !== 1 || keys[0] !== "AWS") return false;
    const id = parseIdentityArn(principalArn);
    if (!id) return false;
    const values = list((p as { AWS: unknown }).AWS);
    if (!values.length || !values.every(literal)) return false;
    return values.every((v) => {
        const value = v;
        if (/^\d{12}$/.test(value)) return value !== id.accountId;
        if (!value.startsWith("arn:")) return false;
        // The simulator reads any `arn:<partition>:iam::<account>:root` as the account (its fifth
        // part), whatever the partition.
        if (/^arn:.*?:iam::[0-9]{12}:root$/.test(value)) return value.split(":")[4] !== id.accountId;
        // A role acts through a session, which the simulator matches to a role ARN by the name's
        // last path segment, without regard to case or accents, whatever the path.
        if (id.kind === "role" && /:role\//.test(value) && sameRoleName(value, id.name)) return false;
        return value !== principalArn && value !== callerArn;
    });
}

const sameRoleName = (roleArn: string, name: string) =>
    roleArn.slice(roleArn.lastIndexOf("/") + 1).localeCompare(name, "en", { sensitivity: "base" }) === 0;

/**
 * `policy` with the statements that cannot apply to `principalArn` (an IAM user or role ARN;
 * `callerArn` its session) calling `action` left out; the document itself when it is not of the
 * usual form or nothing can be left out.
 */
export function relevantStatements(policy: unknown, principalArn: string, callerArn: string, action: string): unknown {
    if (typeof policy !== "object" || policy === null) return policy;
    const statements = (policy as { Statement?: unknown }).Statement;
    if (!Array.isArray(statements) || !parseIdentityArn(principalArn)) return policy;
    const kept = statements.filter((raw) => {
        if (typeof raw !== "object" || raw === null) return true;
        const s = raw as Stmt;
        if (s.Effect !== "Allow" || s.NotAction !== undefined || s.NotPrincipal !== undefined) return true;
        return !(actionCannotMatch(s, action) || principalCannotMatch(s, principalArn, callerArn));
    });
    if (kept.length === statements.length) return policy;
    return { ...policy, Statement: kept.length ? kept : [statements[0]] };
}

const asciiLower = (v: string) => v.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * Whether a policy's Resource value provably does not match the request's resource, read as the
 * simulator reads it: an ARN of six parts or more whose partition, service, region and account
 * each compare without regard to ASCII case (a case-insensitive regex of the part, so only parts
 * of letters, digits and dashes are read here), and whose resource part compares exactly. A value
 * with a wildcard or a `$` (a policy variable), a shorter ARN, or a request resource with a `*`
 * or of fewer than six parts is never left out.
 */
function resourceCannotMatch(value: unknown, resource: string): boolean {
    if (typeof value !== "string" || /[*?$]/.test(value) || resource.includes("*")) return false;
    const p = value.split(":");
    const r = resource.split(":");
    if (p.length < 6 || r.length < 6) return false;
    for (let i = 1; i <= 4; i++) {
        if (!/^[A-Za-z0-9-]*$/.test(p[i])) return false;
        if (asciiLower(p[i]) !== asciiLower(r[i])) return true;
    }
    return p.slice(5).join(":") !== r.slice(5).join(":");
}

/**
 * An identity policy with what cannot apply to `action` on `resource` left out: the Allow
 * statements whose actions are all literal and none is `action` (the same rule as above, without
 * principals: an identity policy names none), and in the other Allow statements, the Resource
 * values that provably do not match `resource`, a statement left with none left out too. The
 * document itself when it is not of the usual form or nothing can be left out; a document that
 * keeps no statement keeps its first, as above. The simulator evaluates every statement and every
 * resource of every document for each request, and a reader's policy holds a statement per
 * action, each listing all its secrets or keys.
 */
export function relevantIdentityStatements(policy: unknown, action: string, resource: string): unknown {
    if (typeof policy !== "object" || policy === null) return policy;
    const statements = (policy as { Statement?: unknown }).Statement;
    if (!Array.isArray(statements)) return policy;
    let changed = false;
    const kept = statements.flatMap((raw: unknown) => {
        if (typeof raw !== "object" || raw === null) return [raw];
        const s = raw as Stmt & { readonly Resource?: unknown };
        if (s.Effect !== "Allow" || s.NotAction !== undefined || s.Principal !== undefined) return [raw];
        if (actionCannotMatch(s, action)) {
            changed = true;
            return [];
        }
        if (s.NotResource !== undefined || s.Resource === undefined) return [raw];
        const values = Array.isArray(s.Resource) ? (s.Resource as unknown[]) : [s.Resource];
        const may = values.filter((v) => !resourceCannotMatch(v, resource));
        if (may.length === values.length) return [raw];
        changed = true;
        if (!may.length) return [];
        return [{ ...s, Resource: may }];
    });
    if (!changed) return policy;
    return { ...policy, Statement: kept.length ? kept : [statements[0]] };
}

import { accountOfArn, parseArn, parseIdentityArn } from "../../aws/arn";
import { isOwnStatement, type LiveStatement } from "../../existing/merge";
import { isServicePrincipal, type PolicyRef } from "./simulator";

/**
 * Who the statements kept from others let in. On an existing secret or key, the program writes
 * its own statements (Sid prefix "SecretShare") and keeps every other statement as it found it
 * (existing/merge.ts). Those others can let principals read the secret or decrypt with the key;
 * the access matrix lists each of them as kept, not managed here, so that it shows everyone a
 * document lets in, not only the readers this program grants.
 *
 * A statement names principals in its Principal element; an account root (or a bare account ID)
 * lets in every principal of that account that its own IAM policies allow, unless an
 * `aws:PrincipalArn` condition narrows it to some of them.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts
 */

export interface KeptPrincipal {
    /** The principal to simulate: an IAM user or role ARN (a stand-in for "any" or a pattern), or a service. */
    readonly principal: string;
    /** Who it is, in words, for the matrix. */
    readonly who: string;
    /** The Sids of the kept statements that name it ("statement <n>" when a statement has none). */
    readonly sids: readonly string[];
}

const list = (v: unknown): string[] =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** IAM's wildcard match: `*` any run of characters, `?` one; actions without case. */
function globMatches(pattern: string, value: string, ignoreCase: boolean): boolean {
    const source = pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${source}$`, ignoreCase ? "i" : "").test(value);
}

function covers(s: LiveStatement, key: "Action" | "Resource", value: string): boolean {
    const ignoreCase = key === "Action";
    if (s[key] !== undefined) return list(s[key]).some((p) => globMatches(p, value, ignoreCase));
    const not = s[`Not${key}`];
    if (not !== undefined) return !list(not).some((p) => globMatches(p, value, ignoreCase));
    return false;
}

/** The `aws:PrincipalArn` values of a statement's condition, whatever the operator. */
function principalArnCondition(s: LiveStatement): string[] {
    const condition = s.Condition;
    if (!condition || typeof condition !== "object") return [];
    const out: string[] = [];
    for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
        if (!/^(ForAnyValue:|ForAllValues:)?(Arn|String)(Equals|Like)(IgnoreCase)?(IfExists)?$/i.test(operator))
            continue;
        if (!block || typeof block !== "object") continue;
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
            if (key.toLowerCase() === "aws:principalarn") out.push(...list(value));
        }
    }
    return out;
}

/** A concrete principal for an ARN pattern: each wildcard stands for one "x". */
const instanceOf = (pattern: string) => pattern.replace(/[*?]/g, "x");

/**
 * Every principal that a kept statement of `doc` allows `action` on `resource`, merged by
 * principal (a principal two statements name is listed once, with both Sids). `stranger` is an
 * account no planned stack uses: a principal there stands for "anyone".
 */
export function keptPrincipals(doc: unknown, action: string, resource: string, stranger: string): KeptPrincipal[] {
    const statements = (doc as { Statement?: unknown } | undefined)?.Statement;
    const all = (Array.isArray(statements) ? statements : statements ? [statements] : []) as LiveStatement[];
    const partition = parseArn(resource)?.partition ?? "aws";
    const byPrincipal = new Map<string, { who: string; sids: string[] }>();
    const add = (principal: string, who: string, sid: string) => {
        const found = byPrincipal.get(principal) ?? { who, sids: [] };
        if (!found.sids.includes(sid)) found.sids.push(sid);
        byPrincipal.set(principal, found);
    };
    const anyoneArn = `arn:${partition}:iam::${stranger}:role/anyone`;
    all.forEach((s, i) => {
        if (!s || typeof s !== "object" || isOwnStatement(s) || s.Effect !== "Allow") return;
        if (!covers(s, "Action", action) || !covers(s, "Resource", resource)) return;
        const sid = typeof s.Sid === "string" && s.Sid ? s.Sid : `statement ${i + 1}`;
        if (s.NotPrincipal !== undefined) {
            add(anyoneArn, "anyone but the principals of its NotPrincipal", sid);
            return;
        }
        const p = s.Principal;
        if (p === "*") {
            add(anyoneArn, 'anyone (Principal "*")', sid);
            return;
        }
        if (!p || typeof p !== "object") return;
        const narrowed = principalArnCondition(s);
        for (const v of list((p as Record<string, unknown>).AWS)) {
            if (v === "*") {
                add(anyoneArn, 'anyone (Principal "*")', sid);
                continue;
            }
            const root = /^\d{12}$/.test(v) ? v : /^arn:[^:]+:iam::(\d{12}):root$/.exec(v)?.[1];
            if (root) {
                const within = narrowed.filter((a) => accountOfArn(a) === root && parseIdentityArn(instanceOf(a)));
                if (within.length) {
                    for (const a of within) add(instanceOf(a), a, sid);
                } else {
                    add(
                        `arn:${partition}:iam::${root}:role/any-principal`,
                        `any principal of ${root} its own IAM policies allow`,
                        sid,
                    );
                }
                continue;
            }
            if (parseIdentityArn(v)) {
                add(v, v, sid);
                continue;
            }
            // A role session: the role it is a session of.
            const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(v);
            if (session) add(`arn:${session[1]}:iam::${session[2]}:role/${session[3]}`, v, sid);
        }
        for (const service of list((p as Record<string, unknown>).Service)) {
            if (isServicePrincipal(service)) add(service, `service ${service}`, sid);
        }
    });
    return [...byPrincipal].map(([principal, { who, sids }]) => ({ principal, who, sids }));
}

/** A check of a kept principal, less what the caller adds: the context and the document. */
export interface KeptCheck {
    readonly probe: string;
    readonly who: string;
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    readonly identityPolicies: readonly PolicyRef[];
    readonly expected: "Kept";
    readonly kept: { readonly sids: readonly string[]; readonly document: string };
}

/**
 * The kept principals of a secret's resource policy (GetSecretValue) and of its key's policy
 * (kms:Decrypt), as checks. Their own identity policy is theirs: assumed to allow the call, so
 * that the kept statement alone decides, as it must for a principal of another account.
 */
export function keptChecks(
    secretPolicy: PolicyRef | undefined,
    keyPolicy: PolicyRef | undefined,
    secretArn: string,
    keyArn: string,
    stranger: string,
): KeptCheck[] {
    const of = (doc: PolicyRef | undefined, action: string, resource: string, document: string, probe: string) =>
        (doc ? keptPrincipals(doc.policy, action, resource, stranger) : []).map((k): KeptCheck => ({
            probe,
            who: k.who,
            principal: k.principal,
            action,
            resource,
            identityPolicies: isServicePrincipal(k.principal)
                ? []
                : [
                      {
                          name: `identity policy of ${k.principal} (assumed: it allows ${action})`,
                          policy: {
                              Version: "2012-10-17",
                              Statement: [{ Effect: "Allow", Action: action, Resource: "*" }],
                          },
                      },
                  ],
            expected: "Kept",
            kept: { sids: k.sids, document },
        }));
    return [
        ...of(
            secretPolicy,
            "secretsmanager:GetSecretValue",
            secretArn,
            "secret resource policy",
            "GetSecretValue AWSCURRENT (kept)",
        ),
        ...of(keyPolicy, "kms:Decrypt", keyArn, "key policy", "kms:Decrypt via Secrets Manager (kept)"),
    ];
}

import { parseArn, secretsManagerService } from "../../aws/arn";
import { isOwnStatement, type LiveStatement } from "../../existing/merge";
import {
    conditionEntries,
    defeatingValue,
    globMatches,
    holds,
    instanceOf,
    satisfyingValue,
    type ConditionEntry,
} from "./conditions";
import { statementPrincipals } from "./principals";
import { isServicePrincipal, principalContext, type PolicyRef } from "./simulator";

/**
 * Who the statements kept from others let in. On an existing secret or key, the program writes
 * its own statements (Sid prefix "SecretShare") and keeps every other statement as it found it
 * (existing/merge.ts). Those others can let principals read the secret, decrypt with the key, or
 * change who may (a new resource policy, key policy or grant); the access matrix lists each of
 * them as kept, not managed here, so that it shows everyone a document lets in, not only the
 * readers this program grants.
 *
 * Each principal is probed as the statement lets it in (./principals.ts): with each version
 * stage the statement names, and with the literal value of each condition it sets on the
 * request (e.g. `aws:PrincipalOrgID`), which the row then shows as "conditional on" that key.
 * A condition the probe cannot meet (a date, a policy variable, a key the simulator does not
 * know) leaves the row conditional, never a plain denial.
 */

/** What a kept row adds to a check: where the statement is, and what the access depends on. */
export interface KeptInfo {
    /** The Sids of the kept statements that name it ("statement <n>" when a statement has none). */
    readonly sids: readonly string[];
    /** "secret resource policy" or "key policy". */
    readonly document: string;
    /** The condition keys the access depends on, beyond the principal and the call itself. */
    readonly conditionalOn?: readonly string[];
    /** The values put in the request for some of them, from the statements' literals. */
    readonly supplied?: Readonly<Record<string, string>>;
    /** Set for an action that lets the principal change who reads (and so let itself in). */
    readonly can?: "change who reads";
    /** After judging (./judge.ts): the decision in words, and the keys the probe did not meet. */
    readonly verdict?: string;
    readonly notMet?: readonly string[];
}

export interface KeptPrincipal {
    /** The principal to simulate: an IAM user or role ARN (a stand-in for "any" or a pattern), or a service. */
    readonly principal: string;
    /** Who it is, in words, for the matrix. */
    readonly who: string;
    readonly sids: readonly string[];
    /** The version stage the statement names, probed instead of the caller's. */
    readonly stage?: string;
    readonly supplied?: Readonly<Record<string, string>>;
    readonly conditionalOn?: readonly string[];
}

const STAGE = "secretsmanager:VersionStage";
const list = (v: unknown): string[] =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
const sameKey = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function covers(s: LiveStatement, key: "Action" | "Resource", value: string): boolean {
    // Actions are compared without case; resources with.
    const ignoreCase = key === "Action";
    if (s[key] !== undefined) return list(s[key]).some((p) => globMatches(p, value, ignoreCase));
    const not = s[`Not${key}`];
    if (not !== undefined) return !list(not).some((p) => globMatches(p, value, ignoreCase));
    return false;
}

/** Keys the principal gives (never supplied: the simulator derives them) or that are the resource's. */
const notSuppliable = (key: string) => /^aws:Principal(Arn|Account)$/i.test(key) || /ResourceTag\//i.test(key);

/** The stages a statement's condition names for GetSecretValue; none: the caller's stage. */
function stagesOf(entries: readonly ConditionEntry[]): (string | undefined)[] {
    const named = entries
        .filter((e) => sameKey(e.key, STAGE) && /^String(Equals|Like)(IgnoreCase)?$/i.test(e.base))
        .flatMap((e) => e.values)
        .filter((v) => !v.includes("${"))
        .map((v) => (globMatches(v, "AWSCURRENT") ? "AWSCURRENT" : instanceOf(v)));
    return named.length ? [...new Set(named)] : [undefined];
}

/** Whether a statement's Principal (or NotPrincipal) takes in `principal`, roughly: for Deny statements. */
function names(s: LiveStatement, principal: string): boolean {
    const account = principal.split(":")[4];
    const matches = (v: string) =>
        v === "*" || v === principal || v === account || v === `arn:${principal.split(":")[1]}:iam::${account}:root`;
    if (s.NotPrincipal !== undefined) {
        const np = s.NotPrincipal as Record<string, unknown>;
        return !list(np?.AWS)
            .concat(list(np?.Service))
            .some((v) => v !== "*" && matches(v));
    }
    const p = s.Principal;
    if (p === "*") return true;
    if (!p || typeof p !== "object") return false;
    return list((p as Record<string, unknown>).AWS)
        .concat(list((p as Record<string, unknown>).Service))
        .some(matches);
}

/**
 * Every principal that a kept statement of `doc` allows `action` on `resource`, merged by
 * principal and request (a principal two statements name alike is listed once, with both Sids).
 * `stranger` is an account no planned stack uses: a principal there stands for "anyone".
 * `base` is the request's own context (the stage, the path through Secrets Manager).
 */
export function keptPrincipals(
    doc: unknown,
    action: string,
    resource: string,
    stranger: string,
    base: Readonly<Record<string, string>> = {},
): KeptPrincipal[] {
    const statements = (doc as { Statement?: unknown } | undefined)?.Statement;
    const all = (Array.isArray(statements) ? statements : statements ? [statements] : []) as LiveStatement[];
    const partition = parseArn(resource)?.partition ?? "aws";
    const applies = (s: LiveStatement) =>
        !!s && typeof s === "object" && covers(s, "Action", action) && covers(s, "Resource", resource);
    const denies = all.filter((s) => applies(s) && s.Effect === "Deny");
    const merged = new Map<string, { entry: KeptPrincipal; sids: string[]; conditional: Set<string> }>();

    all.forEach((s, i) => {
        if (!applies(s) || isOwnStatement(s) || s.Effect !== "Allow") return;
        const sid = typeof s.Sid === "string" && s.Sid ? s.Sid : `statement ${i + 1}`;
        const entries = conditionEntries(s);
        const stages = action === "secretsmanager:GetSecretValue" ? stagesOf(entries) : [undefined];
        for (const { principal, who } of statementPrincipals(s, entries, partition, stranger)) {
            for (const stage of stages) {
                const request = { ...base, ...(stage && { [STAGE]: stage }) };
                const derived = principalContext(principal).context;
                const supplied: Record<string, string> = {};
                const conditional = new Set<string>();
                const seen = () => ({ ...request, ...supplied, ...derived });
                // The statement's own conditions: met by the principal and the call, or by a
                // value of the statement's, or not met here (the row is then conditional).
                for (const e of entries) {
                    if (holds(e, seen()) === true) continue;
                    conditional.add(e.key);
                    const inRequest = Object.keys(request).some((k) => sameKey(k, e.key));
                    const value = satisfyingValue(e);
                    if (!inRequest && !notSuppliable(e.key) && value !== undefined && !(e.key in supplied)) {
                        supplied[e.key] = value;
                    }
                }
                // A Deny that would stop the request for want of a value the statement's
                // principals can carry (e.g. "StringNotEquals aws:PrincipalOrgID"): the access
                // is conditional on that key, and the probe carries the value that passes.
                for (const d of denies) {
                    if (!names(d, principal)) continue;
                    const dEntries = conditionEntries(d);
                    if (!dEntries.length || dEntries.some((e) => holds(e, seen()) === false)) continue;
                    for (const e of dEntries) {
                        if (Object.keys(request).some((k) => sameKey(k, e.key)) || notSuppliable(e.key)) continue;
                        conditional.add(e.key);
                        const value = defeatingValue(e);
                        if (value !== undefined && !(e.key in supplied)) supplied[e.key] = value;
                    }
                }
                const key = [principal, stage ?? "", JSON.stringify(Object.entries(supplied).sort())].join("\n");
                const found = merged.get(key) ?? {
                    entry: {
                        principal,
                        who,
                        sids: [],
                        ...(stage && { stage }),
                        ...(Object.keys(supplied).length && { supplied }),
                    },
                    sids: [],
                    conditional: new Set<string>(),
                };
                if (!found.sids.includes(sid)) found.sids.push(sid);
                for (const k of conditional) found.conditional.add(k);
                merged.set(key, found);
            }
        }
    });
    return [...merged.values()].map(({ entry, sids, conditional }) => ({
        ...entry,
        sids,
        ...(conditional.size && { conditionalOn: [...conditional].sort() }),
    }));
}

/** A check of a kept principal, as ./checks.ts adds it (less its name and secret). */
export interface KeptCheck {
    readonly probe: string;
    readonly who: string;
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    readonly context: Readonly<Record<string, string>>;
    readonly identityPolicies: readonly PolicyRef[];
    readonly resourcePolicy: PolicyRef;
    readonly expected: "Kept";
    readonly kept: KeptInfo;
}

/** What a kept statement may let a principal do, with the request that shows it. */
interface Probe {
    readonly action: string;
    readonly name: (stage: string | undefined) => string;
    readonly base: Readonly<Record<string, string>>;
    readonly can?: "change who reads";
}

/**
 * The kept principals of a secret's resource policy and of its key's policy, as checks: who can
 * read the secret (GetSecretValue, at each stage a statement names, else AWSCURRENT), decrypt it
 * (kms:Decrypt via Secrets Manager), and who can change who reads: write the secret's policy
 * (secretsmanager:PutResourcePolicy), the key's policy (kms:PutKeyPolicy) or give anyone a grant
 * (kms:CreateGrant). Their own identity policy is theirs: assumed to allow the call, so that the
 * kept statement alone decides, as it must for a principal of another account. `keysListed`:
 * the keys whose rewrite rows are already listed (a key encrypts many secrets).
 * https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
 */
export function keptChecks(
    secretPolicy: PolicyRef | undefined,
    keyPolicy: PolicyRef | undefined,
    secretArn: string,
    keyArn: string,
    stranger: string,
    keysListed: Set<string> = new Set(),
): KeptCheck[] {
    const region = parseArn(secretArn)?.region ?? "";
    const rewrite = (action: string): Probe => ({
        action,
        name: () => `${action} (kept: can change who reads)`,
        base: {},
        can: "change who reads",
    });
    const secretProbes: Probe[] = [
        {
            action: "secretsmanager:GetSecretValue",
            name: (stage) => `GetSecretValue ${stage ?? "AWSCURRENT"} (kept)`,
            base: { [STAGE]: "AWSCURRENT" },
        },
        rewrite("secretsmanager:PutResourcePolicy"),
    ];
    const keyProbes: Probe[] = [
        {
            action: "kms:Decrypt",
            name: () => "kms:Decrypt via Secrets Manager (kept)",
            base: {
                "kms:ViaService": secretsManagerService(region),
                "kms:EncryptionContext:SecretARN": secretArn,
            },
        },
        rewrite("kms:PutKeyPolicy"),
        rewrite("kms:CreateGrant"),
    ];
    const of = (doc: PolicyRef | undefined, probes: readonly Probe[], resource: string, document: string) =>
        doc
            ? probes.flatMap((p) =>
                  keptPrincipals(doc.policy, p.action, resource, stranger, p.base).map((k): KeptCheck => ({
                      probe: p.name(k.stage),
                      who: k.who,
                      principal: k.principal,
                      action: p.action,
                      resource,
                      context: { ...p.base, ...(k.stage && { [STAGE]: k.stage }), ...k.supplied },
                      identityPolicies: isServicePrincipal(k.principal)
                          ? []
                          : [
                                {
                                    name: `identity policy of ${k.principal} (assumed: it allows ${p.action})`,
                                    policy: {
                                        Version: "2012-10-17",
                                        Statement: [{ Effect: "Allow", Action: p.action, Resource: "*" }],
                                    },
                                },
                            ],
                      resourcePolicy: doc,
                      expected: "Kept",
                      kept: {
                          sids: k.sids,
                          document,
                          ...(k.conditionalOn && { conditionalOn: k.conditionalOn }),
                          ...(k.supplied && { supplied: k.supplied }),
                          ...(p.can && { can: p.can }),
                      },
                  })),
              )
            : [];
    const checks = [
        ...of(secretPolicy, secretProbes, secretArn, "secret resource policy"),
        // Who can rewrite a key's policy does not depend on the secret: listed with its first secret.
        ...of(keyPolicy, keysListed.has(keyArn) ? keyProbes.slice(0, 1) : keyProbes, keyArn, "key policy"),
    ];
    keysListed.add(keyArn);
    // One principal probed twice alike (two statements with different conditions): distinct names.
    const count = new Map<string, number>();
    return checks.map((c) => {
        const id = `${c.who} ${c.probe}`;
        const n = (count.get(id) ?? 0) + 1;
        count.set(id, n);
        return n > 1 ? { ...c, probe: `${c.probe} #${n}` } : c;
    });
}

/** The EXPECTED column of a kept row: where it comes from, and what the access depends on. */
export function keptExpectedText(kept: KeptInfo | undefined): string {
    const sids = kept?.sids.join(", ") ?? "?";
    return (
        `kept, not managed here (${sids})` +
        (kept?.conditionalOn?.length ? `, conditional on ${kept.conditionalOn.join(", ")}` : "") +
        (kept?.can ? `, can ${kept.can}` : "")
    );
}

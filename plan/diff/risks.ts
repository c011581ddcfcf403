import type { AccessChange, DocumentChange, ResourceChange } from "./diff";
import type { PlanFacts, PolicyDocument } from "./facts";

/**
 * The changes of an access diff that a reviewer should look at twice (docs/diff.md, "Risk
 * flags"): a new external account, a wildcard principal, a reader that loses a secret its
 * deployed consumer still calls, `blockPublicPolicy` turned off, a read without the
 * VersionStage condition, and a protected resource that the change deletes.
 */

export type RiskKind =
    | "external-account"
    | "wildcard-principal"
    | "reader-still-calls"
    | "block-public-policy-removed"
    | "version-stage-narrowing-removed"
    | "protected-delete";

export interface Risk {
    readonly kind: RiskKind;
    readonly message: string;
}

/** Principal values and `aws:PrincipalArn` condition values of a statement. */
function principalsOf(s: Record<string, unknown>): string[] {
    const flat = (v: unknown): string[] =>
        typeof v === "string"
            ? [v]
            : Array.isArray(v)
              ? v.flatMap(flat)
              : v && typeof v === "object"
                ? Object.values(v).flatMap(flat)
                : [];
    const fromCondition = Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap((ops) =>
        Object.entries(ops ?? {})
            .filter(([k]) => /^aws:PrincipalArn$/i.test(k))
            .flatMap(([, v]) => flat(v)),
    );
    return [...flat(s.Principal), ...fromCondition];
}

function grantsGetSecretValue(s: Record<string, unknown>): boolean {
    const actions = [s.Action].flat().filter((a): a is string => typeof a === "string");
    return (
        s.Effect === "Allow" &&
        actions.some((a) => /^(\*|secretsmanager:\*|secretsmanager:GetSecret\*?Value?)$/i.test(a))
    );
}

const mentionsStage = (s: Record<string, unknown>) =>
    JSON.stringify(s.Condition ?? {}).includes("secretsmanager:VersionStage");

export function risksOf(
    base: PlanFacts,
    head: PlanFacts,
    access: readonly AccessChange[],
    documents: readonly DocumentChange[],
    resources: readonly ResourceChange[],
): Risk[] {
    const out: Risk[] = [];
    // Accounts that could do anything allowed before, and the accounts the stacks deploy into.
    const allowedAccounts = (f: PlanFacts) =>
        new Set([...f.access.values()].filter((t) => t.allowed && t.account).map((t) => t.account as string));
    const known = new Set([...allowedAccounts(base), ...base.stackAccounts]);
    const fresh = new Map<string, string[]>();
    for (const c of access) {
        if (c.change !== "gained" || !c.account || known.has(c.account)) continue;
        fresh.set(c.account, [...new Set([...(fresh.get(c.account) ?? []), c.secret])]);
    }
    for (const [account, secrets] of fresh) {
        out.push({
            kind: "external-account",
            message: `account ${account} gains access for the first time (${secrets.join(", ")})`,
        });
    }
    for (const d of documents) {
        for (const s of d.statements) {
            if (!s.after || s.after.Effect !== "Allow") continue;
            const now = principalsOf(s.after).filter((p) => p === "*" || /[*?]/.test(p));
            const was = new Set(s.before ? principalsOf(s.before) : []);
            const added = now.filter((p) => !was.has(p));
            if (added.length) {
                out.push({
                    kind: "wildcard-principal",
                    message: `${d.title}: statement ${s.sid} lets in ${added.join(", ")} (a wildcard: any principal it matches)`,
                });
            }
        }
        if (d.resource.startsWith("aws:secretsmanager/secretPolicy:SecretPolicy ")) {
            const before = base.documents.get(`${d.stack} ${d.resource}`);
            const after = head.documents.get(`${d.stack} ${d.resource}`);
            if (before?.blockPublicPolicy === true && after && after.blockPublicPolicy !== true) {
                out.push({
                    kind: "block-public-policy-removed",
                    message: `${d.title}: blockPublicPolicy is no longer on`,
                });
            }
            const unnarrowed = (doc?: PolicyDocument) =>
                (doc?.statements ?? [])
                    .filter((s) => grantsGetSecretValue(s.body) && !mentionsStage(s.body))
                    .map((s) => s.id);
            const wasOpen = new Set(unnarrowed(before));
            const open = unnarrowed(after).filter((id) => !wasOpen.has(id));
            if (before && open.length) {
                out.push({
                    kind: "version-stage-narrowing-removed",
                    message: `${d.title}: statement ${open.join(", ")} allows GetSecretValue without a secretsmanager:VersionStage condition (any version, AWSPREVIOUS included)`,
                });
            }
        }
    }
    for (const c of access) {
        if (c.change !== "lost" || c.action !== "secretsmanager:GetSecretValue") continue;
        const calls = base.consumerCalls.get(c.principal);
        if (!calls?.secrets.has(c.secret)) continue;
        const still = head.consumerCalls.get(c.principal)?.secrets.has(c.secret);
        out.push({
            kind: "reader-still-calls",
            message:
                `${c.who} loses ${c.secret} (${c.context || "no stage"}), which the deployed consumer stack ${calls.stack} lets it call: ` +
                (still
                    ? "its identity policy still allows the call after this change, so the calls fail with AccessDenied"
                    : "its calls fail with AccessDenied from the owner's `pulumi up` until the consumer stack is updated and the caller stops"),
        });
    }
    for (const r of resources) {
        if (r.protect && (r.change === "deleted" || r.change === "replaced")) {
            out.push({
                kind: "protected-delete",
                message: `${r.stack}: ${r.type} ${r.change === "replaced" ? r.from : r.name} is protected and this change deletes it: \`pulumi up\` would fail`,
            });
        }
    }
    // Each message once (a reader loses a secret once per stage/context).
    return [...new Map(out.map((r) => [`${r.kind} ${r.message}`, r])).values()];
}

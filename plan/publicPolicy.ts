import { isOwnStatement } from "../existing/merge";
import { conditionEntries, isNegated } from "./proof/conditions";
import type { RegisteredResource } from "./mocks";

/**
 * A secret's resource policy written with `blockPublicPolicy: true` (as the program always
 * writes it) is refused by Secrets Manager with PublicPolicyException when a statement allows
 * broad access: an Allow with NotPrincipal, or with Principal "*" that no condition narrows to
 * fixed accounts, organizations, networks or sources. On an existing secret, such a statement is
 * someone else's, kept as found (existing/merge.ts), so the deploy would fail on it: the plan
 * refuses it first, naming the statement.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_block-policies.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html
 */

/**
 * Condition keys whose fixed values keep a "*" principal from being public: the sources Secrets
 * Manager documents (aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceAccount) and the
 * principal's own account, organization or ARN. Any other condition (an IP range, a tag) is not
 * counted as narrowing: the plan would rather refuse than let the deploy fail.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_block-policies.html
 */
const NARROWING = [
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalOrgID",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOwner",
    "aws:SourceVpc",
    "aws:SourceVpce",
].map((k) => k.toLowerCase());

/** A fixed value: no policy variable, not only wildcards, and an ARN's account written out. */
function fixed(key: string, value: string): boolean {
    if (value.includes("${") || /^[*?]*$/.test(value)) return false;
    return /arn$/i.test(key) ? /^arn:[^:*?]*:[^:*?]*:[^:]*:\d{12}:/.test(value) : true;
}

/** Why a statement is public, or undefined when it is not. */
export function publicReason(s: Readonly<Record<string, unknown>>): string | undefined {
    if (s.Effect !== "Allow") return undefined;
    if (s.NotPrincipal !== undefined) return "an Allow with NotPrincipal lets in everyone else";
    const p = s.Principal;
    const star =
        p === "*" ||
        (!!p && typeof p === "object" && [(p as Record<string, unknown>).AWS].flat().some((v) => v === "*"));
    if (!star) return undefined;
    const narrowed = conditionEntries(s).some(
        (e) =>
            NARROWING.includes(e.key.toLowerCase()) &&
            !isNegated(e) &&
            !e.ifExists &&
            !/^Null$/i.test(e.base) &&
            e.values.length > 0 &&
            e.values.every((v) => fixed(e.key, v)),
    );
    return narrowed
        ? undefined
        : 'Principal "*" with no condition on fixed values of aws:PrincipalAccount, aws:PrincipalOrgID, aws:PrincipalArn, aws:SourceVpc, aws:SourceVpce or aws:SourceAccount';
}

/** One problem per public statement kept from others in a secret policy written with blockPublicPolicy. */
export function publicSecretPolicyProblems(
    placed: readonly { readonly stack: string; readonly r: RegisteredResource }[],
    where: (p: { readonly stack: string; readonly r: RegisteredResource }) => string,
): string[] {
    const out: string[] = [];
    for (const p of placed) {
        if (p.r.type !== "aws:secretsmanager/secretPolicy:SecretPolicy") continue;
        const block = p.r.inputs.blockPublicPolicy;
        if (block !== true && block !== "true") continue;
        let doc: { Statement?: unknown };
        try {
            doc = JSON.parse(String(p.r.inputs.policy)) as { Statement?: unknown };
        } catch {
            continue;
        }
        const statements = [doc?.Statement]
            .flat()
            .filter((s): s is Record<string, unknown> => !!s && typeof s === "object");
        statements.forEach((s, i) => {
            // Ours are proven by the access matrix (a public one of ours fails its probes).
            const reason = isOwnStatement(s) ? undefined : publicReason(s);
            if (!reason) return;
            const sid = typeof s.Sid === "string" && s.Sid ? `"${s.Sid}"` : `number ${i + 1} (no Sid)`;
            const secret = typeof p.r.inputs.secretArn === "string" ? p.r.inputs.secretArn : "the secret";
            out.push(
                `public secret policy: statement ${sid} kept in the resource policy of ${secret} (${where(p)}) is public: ${reason}. ` +
                    "The program writes the policy with blockPublicPolicy: true, which Secrets Manager refuses with PublicPolicyException " +
                    "(https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_block-policies.html). " +
                    "Remove the statement from the secret's policy in AWS, or narrow it with a condition such as " +
                    '"StringEquals": {"aws:PrincipalOrgID": "o-..."} or {"aws:PrincipalAccount": "<account>"}, then plan again',
            );
        });
    }
    return out;
}

import * as iam from "@pulumi/aws/iam";
import type * as pulumi from "@pulumi/pulumi";
import { ExistingResourceError } from "../common/errors";
import { LIMITS, MAX_ATTACHED_POLICIES, sizeOf } from "../aws/limits";
import type { PolicyDocument } from "../policies/documents";
import {
    consumerInlinePolicyName,
    consumerManagedPolicyPrefix,
    isLegacyConsumerPolicy,
    writerStackId,
} from "../policies/names";
import { bounded, settle, READ_TIMEOUT_MS } from "./settle";
import { invokeReason } from "./invokeError";

/**
 * IAM's per-identity quotas count everything the identity has, not only what this program
 * writes: all inline policies of a user together at most 2,048 characters (a role 10,240,
 * whitespace not counted), and at most 10 managed policies attached. For an identity that
 * exists before the program (`existing: true`), the consumer side reads what it already holds
 * and refuses, before registering anything, a policy that AWS would refuse at deploy
 * ("LimitExceeded: Maximum policy size of 2048 bytes exceeded for user ...").
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */

/** What an existing identity holds that counts against its quotas. */
export interface IdentityHoldings {
    readonly kind: "user" | "role";
    readonly name: string;
    /** Inline policies: name and size as IAM counts it. */
    readonly inline: readonly { readonly name: string; readonly size: number }[];
    /** ARNs of the attached managed policies (AWS managed ones included). */
    readonly attached: readonly string[];
}

/** What the program writes on one reader (a `ReaderPolicyPlan` of components/secretConsumer.ts). */
export interface OurPolicies {
    readonly reader: { readonly kind: "user" | "role"; readonly name: string; readonly existing: boolean };
    readonly packing: { readonly mode: "inline" | "managed" };
    readonly names: readonly string[];
    readonly sizes: readonly number[];
}

/** The existing identities of one consumer account, and the provider that reads them. */
export interface ConsumerIdentities {
    readonly consumer: string;
    readonly accountId: string;
    readonly plans: readonly OurPolicies[];
    readonly provider: pulumi.ProviderResource;
}

const num = (n: number) => n.toLocaleString("en-US");
const reason = invokeReason;
const policyNameOfArn = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);

/**
 * Whether an inline policy or an attached managed policy is this stack's own (it is replaced,
 * not added): the names it writes now, its other parts, and the names of before the stack id.
 */
function isOurs(name: string, reader: string, stackId: string): boolean {
    if (name === consumerInlinePolicyName(stackId) || isLegacyConsumerPolicy(name, reader)) return true;
    const head = `${consumerManagedPolicyPrefix(stackId)}${reader}-`;
    return name.startsWith(head) && /^\d+$/.test(name.slice(head.length));
}

/** The inline text of a stored policy, measured as IAM counts it (whitespace not counted). */
export function storedPolicySize(text: string, kind: "user" | "role"): number {
    const limit = kind === "user" ? "userInline" : "roleInline";
    let doc: unknown;
    try {
        // GetUserPolicy returns the document URL-encoded; the provider decodes it.
        doc = JSON.parse(text);
    } catch {
        return text.replace(/\s+/g, "").length;
    }
    return sizeOf(doc as PolicyDocument, limit);
}

/**
 * The reasons ours would not fit next to what the identity holds; empty when it fits. Pure.
 * `where` names the identity's account for the message.
 */
export function identityQuotaProblems(
    held: IdentityHoldings,
    ours: OurPolicies,
    writerStack: string,
    where: string,
): string[] {
    const stackId = writerStackId(writerStack);
    const { kind, name } = ours.reader;
    const who = `existing ${kind} ${name} (${where})`;
    if (ours.packing.mode === "inline") {
        const limit = LIMITS[kind === "user" ? "userInline" : "roleInline"];
        const others = held.inline.filter((p) => !isOurs(p.name, name, stackId));
        const theirs = others.reduce((n, p) => n + p.size, 0);
        const total = theirs + ours.sizes[0];
        if (total <= limit.size) return [];
        const listed = [...others]
            .sort((a, b) => b.size - a.size || a.name.localeCompare(b.name))
            .map((p) => `${p.name}: ${num(p.size)}`);
        return [
            `${who} already has ${num(theirs)} characters of inline policy (${listed.join(", ")}); ` +
                `the inline policy ${ours.names[0]} this stack writes on it needs ${num(ours.sizes[0])} more: ` +
                `${num(total)} in all, over the ${num(limit.size)} characters IAM allows for all inline policies of one ${kind} together ` +
                `(whitespace not counted). Remove or shrink one of its other inline policies, or move it to a customer managed policy ` +
                `(aws iam create-policy, then aws iam attach-${kind}-policy), then deploy this stack again` +
                (kind === "user" ? "; or let a role read the secrets instead (10,240 characters for a role)." : "."),
        ];
    }
    const others = held.attached.filter((arn) => !isOurs(policyNameOfArn(arn), name, stackId));
    const total = others.length + ours.names.length;
    if (total <= MAX_ATTACHED_POLICIES) return [];
    return [
        `${who} already has ${num(others.length)} managed ${others.length === 1 ? "policy" : "policies"} attached ` +
            `(${others.map(policyNameOfArn).sort().join(", ")}); its grants do not fit inline, and the ` +
            `${ours.names.length === 1 ? "managed policy" : `${ours.names.length} managed policies`} this stack attaches ` +
            `(${ours.names.join(", ")}) make ${num(total)}, over the ${MAX_ATTACHED_POLICIES} IAM attaches to one ${kind} ` +
            `by default (the quota this check assumes). Detach a policy it does not need, or let fewer secrets be read ` +
            `by this identity (split them across several identities), then deploy this stack again.`,
    ];
}

/**
 * Reads what an existing user or role holds. Each read is a Pulumi resource read (`X.get`,
 * nothing is written; the provider's Read of each type), and these AWS calls, which the role
 * that runs `pulumi preview` needs in the consumer account:
 * - `UserPoliciesExclusive.get` / `RolePoliciesExclusive.get` (id: the identity's name):
 *   iam:ListUserPolicies / iam:ListRolePolicies;
 * - `UserPolicy.get` / `RolePolicy.get` (id `<identity>:<policy>`), for each inline policy that
 *   is not ours: iam:GetUserPolicy / iam:GetRolePolicy;
 * - `UserPolicyAttachmentsExclusive.get` / `RolePolicyAttachmentsExclusive.get` (id: the
 *   identity's name): iam:ListAttachedUserPolicies / iam:ListAttachedRolePolicies.
 * A read never takes ownership: the `*Exclusive` resources only reconcile when created.
 * https://www.pulumi.com/docs/iac/concepts/resources/get/
 */
export async function readHoldings(
    prefix: string,
    ours: OurPolicies,
    writerStack: string,
    provider: pulumi.ProviderResource,
    timeoutMs = READ_TIMEOUT_MS,
): Promise<IdentityHoldings> {
    const { kind, name } = ours.reader;
    const opts: pulumi.CustomResourceOptions = { provider };
    const stackId = writerStackId(writerStack);
    const listed =
        kind === "user"
            ? iam.UserPoliciesExclusive.get(`${prefix}-inline-policies`, name, { userName: name }, opts).policyNames
            : iam.RolePoliciesExclusive.get(`${prefix}-inline-policies`, name, { roleName: name }, opts).policyNames;
    const attachedOut =
        kind === "user"
            ? iam.UserPolicyAttachmentsExclusive.get(`${prefix}-attached-policies`, name, { userName: name }, opts)
                  .policyArns
            : iam.RolePolicyAttachmentsExclusive.get(`${prefix}-attached-policies`, name, { roleName: name }, opts)
                  .policyArns;
    const [names, attached] = await Promise.all([
        settle(listed, `the inline policies of ${kind} ${name}`, timeoutMs),
        settle(attachedOut, `the managed policies attached to ${kind} ${name}`, timeoutMs),
    ]);
    // Our own policies are replaced, not added: their documents need not be read.
    const inline = await Promise.all(
        [...(names ?? [])]
            .filter((p) => !isOurs(p, name, stackId))
            .sort()
            .map(async (p) => {
                const doc =
                    kind === "user"
                        ? iam.UserPolicy.get(`${prefix}-inline-${p}`, `${name}:${p}`, undefined, opts).policy
                        : iam.RolePolicy.get(`${prefix}-inline-${p}`, `${name}:${p}`, undefined, opts).policy;
                const text = await settle(doc, `the inline policy ${p} of ${kind} ${name}`, timeoutMs);
                return { name: p, size: storedPolicySize(text ?? "", kind) };
            }),
    );
    return { kind, name, inline, attached: [...(attached ?? [])].sort() };
}

/**
 * For every existing reader of the given consumer accounts: reads what it holds and checks that
 * ours fits next to it. Throws one ExistingResourceError with every problem (`stack`: the stack
 * whose config names the identities as existing, i.e. the owner stack), before the caller
 * registers any policy.
 */
export async function checkExistingIdentities(
    stack: string,
    writerStack: string,
    accounts: readonly ConsumerIdentities[],
    timeoutMs = READ_TIMEOUT_MS,
): Promise<void> {
    const problems = await Promise.all(
        accounts.flatMap((a) =>
            a.plans
                .filter((p) => p.reader.existing)
                .map(async (p) => {
                    const where = `account ${a.accountId}`;
                    const { kind, name } = p.reader;
                    const Kind = kind === "user" ? "User" : "Role";
                    try {
                        // iam:GetUser / iam:GetRole first: a read (`get`) of a missing identity
                        // would fail as a resource of the stack, with the engine's own error.
                        const opts: pulumi.InvokeOptions = { provider: a.provider };
                        await bounded<unknown>(
                            kind === "user" ? iam.getUser({ userName: name }, opts) : iam.getRole({ name }, opts),
                            `${kind} ${name}`,
                            timeoutMs,
                        );
                    } catch (e) {
                        return [
                            `existing ${kind} ${name} (${where}) was not found (${reason(e)}). Create it, or let this ` +
                                `program create it (remove existing: true from the reader in the owner stack's config), then deploy again.`,
                        ];
                    }
                    let held: IdentityHoldings;
                    try {
                        held = await readHoldings(`${a.consumer}-${name}-live`, p, writerStack, a.provider, timeoutMs);
                    } catch (e) {
                        return [
                            `existing ${kind} ${name} (${where}): cannot read the policies it already has (${reason(e)}). ` +
                                `This stack's credentials need iam:List${Kind}Policies, iam:Get${Kind}Policy and ` +
                                `iam:ListAttached${Kind}Policies on it, in preview too (docs/existing.md).`,
                        ];
                    }
                    return identityQuotaProblems(held, p, writerStack, where);
                }),
        ),
    );
    const all = problems.flat();
    if (all.length) throw new ExistingResourceError(stack, all);
}

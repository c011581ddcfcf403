import { createHash } from "crypto";

/**
 * The physical names of the policies a stack writes on its readers. One place, because the
 * consumer component writes them, the existing-identity check tells ours from others', and the
 * watch's consumer-side rules select them by name.
 *
 * Every name carries the id of the stack that writes it (`writerStackId`): several stacks may
 * write on one identity (several owner stacks granting one reader, each through its own consumer
 * stack), and an inline policy name is unique per identity, a managed policy name per account.
 * With a shared name the last deploy would silently overwrite the other stack's grants, and a
 * `pulumi destroy` of one stack would delete the other's. Naming by the writing stack, not by
 * the owner stack it reads, holds even for two consumer stacks of one owner (e.g. one per
 * region) and keeps the names stable when a consumer stack reads more owner stacks later.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */

/**
 * Prefix of every inline policy name the program writes (`secretshare-read-<stack id>`), and
 * the exact name written before names carried the stack id (see `isLegacyConsumerPolicy`).
 * A watch that selects our inline policies in general matches this as a prefix; one stack's own
 * policy is `consumerInlinePolicyName(id)`.
 */
export const CONSUMER_INLINE_POLICY = "secretshare-read";

/**
 * Prefix of every customer managed policy name the program writes, before and after names
 * carried the stack id. One stack's own managed policies start with
 * `consumerManagedPolicyPrefix(id)`.
 */
export const CONSUMER_MANAGED_POLICY_PREFIX = "secretshare-";

/** Hex characters of the stack id: 32 bits, so that two stacks writing on one identity collide with odds of 1 in 4 billion. */
export const STACK_ID_LENGTH = 8;

/** IAM's longest policy name, inline or managed. */
export const MAX_POLICY_NAME = 128;

/**
 * A short, stable id of the stack that writes the policies, from its fully qualified name
 * `<org>/<project>/<stack>` (`pulumi.getOrganization()`, `getProject()`, `getStack()`):
 * `printf %s acme/secretshare/secondary | sha256sum | cut -c1-8` gives it in a shell.
 */
export function writerStackId(stackRef: string): string {
    return createHash("sha256").update(stackRef).digest("hex").slice(0, STACK_ID_LENGTH);
}

/** The inline policy a stack writes on each of its readers: `secretshare-read-<stack id>`. */
export function consumerInlinePolicyName(stackId: string): string {
    return `${CONSUMER_INLINE_POLICY}-${stackId}`;
}

/** The prefix of one stack's managed policy names, and of their ARNs after `policy/`. */
export function consumerManagedPolicyPrefix(stackId: string): string {
    return `${consumerInlinePolicyName(stackId)}-`;
}

/**
 * A reader's `part`-th managed policy (1-based): `secretshare-read-<stack id>-<reader>-<part>`.
 * At most 17 + 8 + 1 + 64 (IAM's longest user or role name) + 1 + 2 = 93 characters.
 */
export function consumerManagedPolicyName(stackId: string, reader: string, part: number): string {
    const name = `${consumerManagedPolicyPrefix(stackId)}${reader}-${part}`;
    if (name.length > MAX_POLICY_NAME) {
        // Config refuses reader names over 64 characters first; this guards the arithmetic above.
        throw new Error(`policy name ${name} is over the ${MAX_POLICY_NAME} characters IAM allows`);
    }
    return name;
}

/**
 * Names this program wrote before they carried the stack id: the inline `secretshare-read` and
 * the managed `secretshare-<reader>-read-<n>`. The first `pulumi up` with stack ids replaces them
 * (docs/operations.md), so the existing-identity check counts them as ours, about to go.
 */
export function isLegacyConsumerPolicy(name: string, reader: string): boolean {
    if (name === CONSUMER_INLINE_POLICY) return true;
    const head = `${CONSUMER_MANAGED_POLICY_PREFIX}${reader}-read-`;
    return name.startsWith(head) && /^\d+$/.test(name.slice(head.length));
}

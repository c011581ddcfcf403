/**
 * The physical names of the policies a consumer stack writes on its readers. One place, because
 * the consumer component writes them and the watch's consumer-side rules select them by name.
 */

/** The name of the inline policy SecretConsumer writes on each reader. */
export const CONSUMER_INLINE_POLICY = "secretshare-read";

/** The prefix of the customer managed policies SecretConsumer writes when inline does not fit. */
export const CONSUMER_MANAGED_POLICY_PREFIX = "secretshare-";

/** The name of a reader's `part`-th managed policy (1-based). */
export function consumerManagedPolicyName(reader: string, part: number): string {
    return `${CONSUMER_MANAGED_POLICY_PREFIX}${reader}-read-${part}`;
}

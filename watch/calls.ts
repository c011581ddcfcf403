/**
 * The CloudTrail management events the watch reacts to: which calls mean that a shared secret,
 * its key, or (on the consumer side) a reader's policy or the reader itself changed, and for
 * each the alert's words: what happened and what to check. All of them are write events, so a
 * trail that logs write-only management events is enough (docs/watch.md).
 */

/** One watched API call: what it means and what the person alerted should check. */
export interface WatchedCall {
    readonly service: "secretsmanager" | "kms" | "iam";
    readonly call: string;
    /** What happened, in words, for the alert. */
    readonly what: string;
    /** What to check, for the alert. */
    readonly check: string;
}

/** The owner side: a shared secret, its resource policy, rotation or replicas. */
export const SECRET_CALLS: readonly WatchedCall[] = [
    {
        service: "secretsmanager",
        call: "DeleteSecret",
        what: "A shared secret was scheduled for deletion (or deleted without recovery)",
        check: "Was this planned? Consumers can no longer read a secret that is scheduled for deletion. If not planned, call RestoreSecret before the recovery window ends.",
    },
    {
        service: "secretsmanager",
        call: "PutResourcePolicy",
        what: "The resource policy of a shared secret was replaced",
        check: "Compare it with the policy this program manages (pulumi preview shows the drift): a wider policy exposes the secret, a narrower one cuts consumers off. Deploys of this program also make this call.",
    },
    {
        service: "secretsmanager",
        call: "DeleteResourcePolicy",
        what: "The resource policy of a shared secret was deleted",
        check: "Every consumer account has lost access. If not planned, run pulumi up to restore the managed policy.",
    },
    {
        service: "secretsmanager",
        call: "UpdateSecret",
        what: "The KMS key of a shared secret was set (UpdateSecret named a KmsKeyId)",
        check: "Compare request.kmsKeyId with the secret's key in the stack output keyArns. Another key cuts consumers off (they can decrypt only with the shared key), and its key policy decides who else can read the secret: if not planned, run pulumi up to restore the shared key. The same key changes nothing. Deploys of this program also make this call when they change a secret's description or key.",
    },
    {
        service: "secretsmanager",
        call: "RestoreSecret",
        what: "The scheduled deletion of a shared secret was cancelled",
        check: "Find out why it had been scheduled for deletion, and check that its resource policy and key are still the managed ones.",
    },
    {
        service: "secretsmanager",
        call: "CancelRotateSecret",
        what: "Rotation of a shared secret was turned off",
        check: "Check whether rotation was meant to run; a cancelled rotation can leave a version labelled AWSPENDING behind.",
    },
    {
        service: "secretsmanager",
        call: "RemoveRegionsFromReplication",
        what: "Replicas of a shared secret were removed from other Regions",
        check: "Consumers that read a replica in a removed Region have lost access; confirm the change was planned.",
    },
];

/** The owner side: the KMS key that encrypts shared secrets. */
export const KEY_CALLS: readonly WatchedCall[] = [
    {
        service: "kms",
        call: "ScheduleKeyDeletion",
        what: "The KMS key that encrypts shared secrets was scheduled for deletion",
        check: "The key is unusable while pending deletion and every secret it encrypts is lost when it is deleted. If not planned, call CancelKeyDeletion and then EnableKey.",
    },
    {
        service: "kms",
        call: "DisableKey",
        what: "The KMS key that encrypts shared secrets was disabled",
        check: "Nobody, owner or consumer, can read the secrets it encrypts until EnableKey is called.",
    },
    {
        service: "kms",
        call: "PutKeyPolicy",
        what: "The key policy of the KMS key that encrypts shared secrets was replaced",
        check: "Compare it with the key policy this program manages (pulumi preview shows the drift): consumers need their Decrypt statement, and a wider policy lets others decrypt. Deploys of this program also make this call.",
    },
    {
        service: "kms",
        call: "CreateGrant",
        what: "Another account created a grant on the KMS key that encrypts shared secrets",
        check: "A grant gives lasting use of the key outside its key policy. List the key's grants (ListGrants) and revoke any you do not expect.",
    },
];

/** The consumer side: a reader's identity policy, or the reader, going away. IAM events. */
export const CONSUMER_CALLS: readonly WatchedCall[] = [
    {
        service: "iam",
        call: "DeleteUserPolicy",
        what: "The inline policy that lets a reader read shared secrets was deleted from a user",
        check: "The user can no longer read the shared secrets. If not planned, run pulumi up on the consumer stack.",
    },
    {
        service: "iam",
        call: "DeleteRolePolicy",
        what: "The inline policy that lets a reader read shared secrets was deleted from a role",
        check: "The role can no longer read the shared secrets. If not planned, run pulumi up on the consumer stack.",
    },
    {
        service: "iam",
        call: "DetachUserPolicy",
        what: "A managed policy that lets a reader read shared secrets was detached from a user",
        check: "The user can no longer read some shared secrets. If not planned, run pulumi up on the consumer stack.",
    },
    {
        service: "iam",
        call: "DetachRolePolicy",
        what: "A managed policy that lets a reader read shared secrets was detached from a role",
        check: "The role can no longer read some shared secrets. If not planned, run pulumi up on the consumer stack.",
    },
    {
        service: "iam",
        call: "DeleteUser",
        what: "A user that reads shared secrets was deleted",
        check: "A user recreated with the same name is a new principal; if the owner names readers by ARN (principal-arn form), the owner stack must be deployed again.",
    },
    {
        service: "iam",
        call: "DeleteRole",
        what: "A role that reads shared secrets was deleted",
        check: "A role recreated with the same name is a new principal; if the owner names readers by ARN (principal-arn form), the owner stack must be deployed again.",
    },
];

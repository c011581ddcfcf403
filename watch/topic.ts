import { createHash } from "crypto";
import type { WatchSubscriber } from "../config/types";
import { accountRootArn } from "../aws/arn";
import { SID_PREFIX, type PolicyDocument } from "../policies/documents";

/**
 * Where the alerts go: the SNS topic's policy, the policy of the topic's own customer managed
 * key, and the names of the subscriptions. Pure; components/secretWatch.ts creates the resources.
 */

/**
 * The alert topic's policy: only EventBridge may publish, for this account's rules whose name
 * starts with this watch's prefix (watch/names.ts). One statement of constant size: it names
 * the rules by a name pattern (`ArnLike` on `aws:SourceArn`), not one by one, so the policy does
 * not grow with the number of rules, and stays far below SNS's 30 KiB whatever the share's size.
 *
 * The source conditions use the IfExists form on purpose. The EventBridge guide has said "You
 * can't use Condition blocks in Amazon SNS topic policies for EventBridge"; if EventBridge sends
 * no aws:SourceAccount / aws:SourceArn, a plain condition would never hold and every alert would
 * be dropped silently. With IfExists the statement restricts the publisher to this watch's
 * rules whenever EventBridge supplies the keys, and never blocks delivery when it does not.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function watchTopicPolicy(args: {
    topicArn: string;
    partition: string;
    region: string;
    /** The account of the rules (and of the topic). */
    accountId: string;
    /** The prefix of every rule name of this watch (`ruleNamePrefix`). */
    rulePrefix: string;
}): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: `${SID_PREFIX}EventBridgePublishes`,
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: args.topicArn,
                Condition: {
                    StringEqualsIfExists: { "aws:SourceAccount": args.accountId },
                    ArnLikeIfExists: { "aws:SourceArn": watchRuleArnPattern(args) },
                },
            },
        ],
    };
}

/** The ARN of every rule of one watch, on the default bus: `arn:...:rule/<prefix>*`. */
export function watchRuleArnPattern(args: {
    partition: string;
    region: string;
    accountId: string;
    rulePrefix: string;
}): string {
    if (/[*?]/.test(args.rulePrefix)) throw new Error(`rule name prefix ${args.rulePrefix} has a wildcard`);
    return `arn:${args.partition}:events:${args.region}:${args.accountId}:rule/${args.rulePrefix}*`;
}

/**
 * The alert topic's own customer managed key. The owner account administers it; EventBridge may
 * generate and decrypt data keys so that it can publish to the encrypted topic. No source
 * condition: SNS documents that aws:SourceAccount and aws:SourceArn in a KMS policy "is not
 * supported for EventBridge-to-encrypted topics". The key encrypts this topic only.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
 */
export function watchKeyPolicy(partition: string, ownerAccountId: string): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: `${SID_PREFIX}OwnerAdministers`,
                Effect: "Allow",
                Principal: { AWS: accountRootArn(partition, ownerAccountId) },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: `${SID_PREFIX}EventBridgeEncryptsAlerts`,
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
            },
        ],
    };
}

/**
 * A stable, non-reversible name for a subscriber's resource: the address never enters a URN,
 * a log line or an output, and reordering the list does not recreate subscriptions (an email
 * subscription must be confirmed again when it is recreated).
 */
export function subscriberId(stack: string, s: WatchSubscriber): string {
    return `${s.kind}-${createHash("sha256").update(`${stack}\n${s.kind}\n${s.address}`).digest("hex").slice(0, 10)}`;
}

import { createHash } from "crypto";
import type { OwnerStackConfig, WatchSettings, WatchSubscriber } from "../config/types";
import { accountRootArn, placeholderKeyArn, placeholderSecretArn } from "../aws/arn";
import { SID_PREFIX, type PolicyDocument } from "../policies/documents";
import type { EventPattern, Matcher } from "./eventPattern";
import { ownerLayout } from "../policies/layout";

/**
 * The watch on a share, as plain values: which CloudTrail management events mean that a shared
 * secret, its key or their policies changed, the EventBridge patterns that select them for this
 * program's secrets and keys only, the alert each one sends, and the policies of the alert topic
 * and its key. Pure: the component, the tests and the offline plan all call these functions.
 *
 * CloudTrail delivers management events to EventBridge with detail-type "AWS API Call via
 * CloudTrail", in the Region of the call, once a trail logs management events there:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 * (see docs/watch.md for what happens without one).
 */

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/**
 * Default maximum length of an EventBridge event pattern (adjustable to 4,096 by a quota
 * request). Patterns longer than this are split over several rules.
 * https://www.pulumi.com/registry/packages/aws/api-docs/cloudwatch/eventrule/#eventpattern_nodejs
 */
export const MAX_PATTERN_LENGTH = 2048;

/** One watched API call: what it means and what the person alerted should check. */
export interface WatchedCall {
    readonly service: "secretsmanager" | "kms" | "iam";
    readonly call: string;
    /** What happened, in words, for the alert. */
    readonly what: string;
    /** What to check, for the alert. */
    readonly check: string;
}

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
        what: "A shared secret was re-encrypted with a KMS key that is not the shared key",
        check: "Consumers can decrypt only with the shared key: the new key cuts them off, and its key policy decides who else can read the secret. If not planned, run pulumi up to restore the shared key.",
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

/** A secret as the watch sees it. `arn` is the full ARN, with its six-character suffix. */
export interface WatchedSecret {
    readonly name: string;
    readonly arn: string;
    /** The id of the key that encrypts it (a `KeyPlan` id). */
    readonly keyId: string;
}

/** A key as the watch sees it: its layout id, alias name (without alias/) and ARN. */
export interface WatchedKey {
    readonly id: string;
    readonly alias: string;
    readonly arn: string;
}

export interface OwnerWatchInput {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    readonly secrets: readonly WatchedSecret[];
    readonly keys: readonly WatchedKey[];
}

/** One EventBridge rule: its pattern and the alert its target sends. */
export interface WatchRule {
    /** Stable name suffix: `<call>-<n>`. */
    readonly id: string;
    readonly call: WatchedCall;
    readonly pattern: EventPattern;
    /** The input transformer of its SNS target. */
    readonly inputPaths: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
    /** Names of the secrets it covers (for a key rule, the secrets its keys encrypt). */
    readonly secrets: readonly string[];
}

/**
 * The ways a caller can name a secret in `secretId`, all recorded by CloudTrail as given: the
 * name, the full ARN, or the partial ARN (the ARN without the "-" and six random characters).
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
 *
 * Exact values, not a prefix: a prefix or wildcard on "<partial ARN>-" would also match a
 * secret named "<name>-other" in the same account, which EventBridge's wildcard (only `*`, no
 * single-character `?`) cannot exclude. The full ARN is known once the secret exists, and the
 * component passes it in; before deploy, `placeholderSecretArn` has the same length.
 */
export function secretIdForms(partition: string, region: string, accountId: string, secret: WatchedSecret): string[] {
    const partial = `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${secret.name}`;
    return [secret.name, partial, secret.arn];
}

/**
 * The ways a caller can name a key in ScheduleKeyDeletion, DisableKey, PutKeyPolicy and
 * CreateGrant: key ID or key ARN (these operations do not take an alias; another account must
 * use the ARN). https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html
 */
export function keyIdForms(keyArn: string): string[] {
    return [keyArn.split("/").pop() as string, keyArn];
}

/** The forms of a key that UpdateSecret may name as KmsKeyId: ID, ARN, alias name, alias ARN. */
function keyAllForms(partition: string, region: string, accountId: string, key: WatchedKey): string[] {
    return [
        ...keyIdForms(key.arn),
        `alias/${key.alias}`,
        `arn:${partition}:kms:${region}:${accountId}:alias/${key.alias}`,
    ];
}

function basePattern(service: "secretsmanager" | "kms" | "iam", call: string, detail: EventPattern): EventPattern {
    return {
        source: [`aws.${service}`],
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        detail: { eventSource: [`${service}.amazonaws.com`], eventName: [call], ...detail },
    };
}

/**
 * Splits `items` into consecutive groups whose pattern stays within MAX_PATTERN_LENGTH.
 * Sizes are measured on the values given, so callers pass real ARNs or same-length placeholders.
 */
function chunk<T>(items: readonly T[], patternOf: (group: readonly T[]) => EventPattern): T[][] {
    const groups: T[][] = [];
    let current: T[] = [];
    for (const item of items) {
        if (current.length && JSON.stringify(patternOf([...current, item])).length > MAX_PATTERN_LENGTH) {
            groups.push(current);
            current = [];
        }
        current.push(item);
    }
    if (current.length) groups.push(current);
    for (const g of groups) {
        const length = JSON.stringify(patternOf(g)).length;
        if (length > MAX_PATTERN_LENGTH) {
            throw new Error(
                `an EventBridge pattern for one item is ${length} characters, over the ${MAX_PATTERN_LENGTH} EventBridge allows by default`,
            );
        }
    }
    return groups;
}

/**
 * The alert: a JSON object, the form the EventBridge docs show for templates with variables.
 * Variables stand outside quotes (EventBridge inserts their JSON), and every path exists in every
 * event the rule matches: `$.detail.userIdentity` is the whole identity object, because
 * cross-account calls can carry no `arn` in it, and a template variable whose path is missing is
 * dropped ("that variable isn't created").
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
function transformer(
    call: WatchedCall,
    subjectPath: string,
    affects: Readonly<Record<string, readonly string[]>> | undefined,
    stack: string,
): { inputPaths: Record<string, string>; inputTemplate: string } {
    const inputPaths = {
        call: "$.detail.eventName",
        subject: subjectPath,
        by: "$.detail.userIdentity",
        at: "$.detail.eventTime",
        account: "$.account",
        region: "$.region",
    };
    const text = (s: string) => JSON.stringify(s);
    const inputTemplate = [
        "{",
        `"alert": ${text(`secretshare (${stack}): ${call.what}`)},`,
        `"call": <call>,`,
        `"${call.service === "kms" ? "key" : call.service === "iam" ? "identity" : "secret"}": <subject>,`,
        ...(affects ? [`"secretsEncryptedByKey": ${JSON.stringify(affects)},`] : []),
        `"by": <by>,`,
        `"at": <at>,`,
        `"account": <account>,`,
        `"region": <region>,`,
        `"check": ${text(call.check)},`,
        `"rule": <aws.events.rule-name>,`,
        `"event": <aws.events.event>`,
        "}",
    ].join("\n");
    return { inputPaths, inputTemplate };
}

/** Every rule of the owner side, for this program's secrets and keys only. */
export function ownerWatchRules(input: OwnerWatchInput, stack: string): WatchRule[] {
    const { partition, region, accountId } = input;
    const secrets = [...input.secrets].sort((a, b) => a.name.localeCompare(b.name));
    const rules: WatchRule[] = [];
    const secretIds = (group: readonly WatchedSecret[]) =>
        group.flatMap((s) => secretIdForms(partition, region, accountId, s));

    for (const call of SECRET_CALLS) {
        if (call.call === "UpdateSecret") continue;
        const patternOf = (group: readonly WatchedSecret[]) =>
            basePattern("secretsmanager", call.call, { requestParameters: { secretId: secretIds(group) } });
        chunk(secrets, patternOf).forEach((group, i) =>
            rules.push({
                id: `${call.call}-${i}`,
                call,
                pattern: patternOf(group),
                ...transformer(call, "$.detail.requestParameters.secretId", undefined, stack),
                secrets: group.map((s) => s.name),
            }),
        );
    }

    // UpdateSecret: only when it names a KmsKeyId that is not the secret's own key, so deploys
    // that change a description do not alert. `anything-but` does not match a missing field.
    const update = SECRET_CALLS.find((c) => c.call === "UpdateSecret") as WatchedCall;
    let n = 0;
    for (const key of [...input.keys].sort((a, b) => a.id.localeCompare(b.id))) {
        const encrypted = secrets.filter((s) => s.keyId === key.id);
        if (!encrypted.length) continue;
        const patternOf = (group: readonly WatchedSecret[]) =>
            basePattern("secretsmanager", update.call, {
                requestParameters: {
                    secretId: secretIds(group),
                    kmsKeyId: [{ "anything-but": keyAllForms(partition, region, accountId, key) }],
                },
            });
        for (const group of chunk(encrypted, patternOf)) {
            rules.push({
                id: `${update.call}-${n++}`,
                call: update,
                pattern: patternOf(group),
                ...transformer(update, "$.detail.requestParameters.secretId", undefined, stack),
                secrets: group.map((s) => s.name),
            });
        }
    }

    const keys = [...input.keys].sort((a, b) => a.id.localeCompare(b.id));
    for (const call of KEY_CALLS) {
        const patternOf = (group: readonly WatchedKey[]) =>
            basePattern("kms", call.call, {
                requestParameters: { keyId: group.flatMap((k) => keyIdForms(k.arn)) },
                // A grant made by the owner account is this program's or the owner's business;
                // one made from any other account is not expected.
                ...(call.call === "CreateGrant" && {
                    userIdentity: { accountId: [{ "anything-but": accountId }] },
                }),
            });
        chunk(keys, patternOf).forEach((group, i) => {
            const affects: Record<string, string[]> = {};
            for (const k of group) affects[k.arn] = secrets.filter((s) => s.keyId === k.id).map((s) => s.name);
            rules.push({
                id: `${call.call}-${i}`,
                call,
                pattern: patternOf(group),
                ...transformer(call, "$.detail.requestParameters.keyId", affects, stack),
                secrets: Object.values(affects).flat(),
            });
        });
    }
    return rules;
}

/** A reader of the consumer side, as the watch sees it. */
export interface WatchedReader {
    readonly kind: "user" | "role";
    readonly name: string;
}

/** The Region where IAM, a global service, delivers its CloudTrail events to EventBridge. */
export function globalEventsRegion(partition: string): string {
    // Commercial partition: us-east-1, per
    // https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
    // GovCloud and China: not verified here; IAM's home Regions there are assumed (docs/watch.md).
    if (partition === "aws-us-gov") return "us-gov-west-1";
    if (partition === "aws-cn") return "cn-north-1";
    return "us-east-1";
}

/** The name of the inline policy SecretConsumer writes, and the prefix of its managed policies. */
export const CONSUMER_INLINE_POLICY = "secretshare-read";
export const CONSUMER_MANAGED_POLICY_PREFIX = "secretshare-";

/**
 * The consumer side's rules, for one consumer account. IAM names are case-insensitive, so a
 * reader is matched whatever case the caller used.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */
export function consumerWatchRules(
    partition: string,
    accountId: string,
    readers: readonly WatchedReader[],
    stack: string,
): WatchRule[] {
    const rules: WatchRule[] = [];
    const names = (kind: "user" | "role") =>
        readers.filter((r) => r.kind === kind).map((r): Matcher => ({ "equals-ignore-case": r.name }));
    const managedPrefix = `arn:${partition}:iam::${accountId}:policy/${CONSUMER_MANAGED_POLICY_PREFIX}`;
    for (const call of CONSUMER_CALLS) {
        const kind = call.call.includes("User") ? "user" : "role";
        const who = names(kind);
        if (!who.length) continue;
        const nameField = kind === "user" ? "userName" : "roleName";
        const extra: EventPattern =
            call.call.startsWith("DeleteUserPolicy") || call.call.startsWith("DeleteRolePolicy")
                ? { policyName: [CONSUMER_INLINE_POLICY] }
                : call.call.startsWith("Detach")
                  ? { policyArn: [{ prefix: managedPrefix }] }
                  : {};
        const pattern = basePattern("iam", call.call, { requestParameters: { [nameField]: who, ...extra } });
        if (JSON.stringify(pattern).length > MAX_PATTERN_LENGTH) {
            throw new Error(`the ${call.call} pattern is over the ${MAX_PATTERN_LENGTH} characters EventBridge allows`);
        }
        rules.push({
            id: `${call.call}-0`,
            call,
            pattern,
            ...transformer(call, `$.detail.requestParameters.${nameField}`, undefined, stack),
            secrets: [],
        });
    }
    return rules;
}

/**
 * The alert topic's policy: only EventBridge may publish, for this account's rules.
 *
 * The source conditions use the IfExists form on purpose. The EventBridge guide has said "You
 * can't use Condition blocks in Amazon SNS topic policies for EventBridge"; if EventBridge sends
 * no aws:SourceAccount / aws:SourceArn, a plain condition would never hold and every alert would
 * be dropped silently. With IfExists the statement restricts the publisher to this account's
 * rules whenever EventBridge supplies the keys, and never blocks delivery when it does not.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists
 */
export function watchTopicPolicy(args: {
    topicArn: string;
    ownerAccountId: string;
    ruleArns: readonly string[];
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
                    StringEqualsIfExists: { "aws:SourceAccount": args.ownerAccountId },
                    ArnEqualsIfExists: { "aws:SourceArn": [...args.ruleArns].sort() },
                },
            },
        ],
    };
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

/** The defaults when `secretshare:watch` is not set: on, nobody subscribed. */
export function watchSettings(settings: WatchSettings | undefined): WatchSettings {
    return settings ?? { enabled: true, subscribers: [], consumerSide: false };
}

export interface WatchSummary {
    readonly enabled: boolean;
    /** Where the rules and the topic live: the owner's Region. */
    readonly region: string;
    /** One entry per watched call, in order. */
    readonly events: readonly { service: string; call: string; what: string; rules: number; secrets: number }[];
    readonly rules: number;
    readonly consumerSide: boolean;
    /** Consumer-side calls and the Region their rules live in (IAM events arrive in one Region). */
    readonly consumerEvents: readonly { call: string; region: string; accounts: number }[];
    /** Counts only: addresses are never shown. */
    readonly subscribers: { readonly total: number; readonly email: number; readonly https: number };
    readonly prerequisite: string;
}

/**
 * What the watch of an owner stack puts in place, for the offline plan: the watched calls, how
 * many rules select them, and how many subscribers of each kind. Pure; addresses never appear.
 * Rules are counted with placeholder ARNs of the real length, so the count is the deployed one.
 */
export function watchSummary(config: OwnerStackConfig): WatchSummary {
    const settings = watchSettings(config.watch);
    const { partition, region, accountId } = config.owner.account;
    const layout = ownerLayout(config.owner);
    const keys = layout.keys.map((k, i) => ({
        id: k.id,
        alias: k.alias,
        arn: placeholderKeyArn(partition, region, accountId, i),
    }));
    const secrets = config.owner.secrets.map((s) => ({
        name: s.name,
        arn: placeholderSecretArn(partition, region, accountId, s.name),
        keyId: layout.keyOf[s.name],
    }));
    const rules = settings.enabled
        ? ownerWatchRules({ partition, region, accountId, secrets, keys }, config.stack)
        : [];
    const calls = [...SECRET_CALLS, ...KEY_CALLS];
    const consumerSide = settings.enabled && settings.consumerSide && config.mode === "all";
    const consumerAccounts = Object.values(config.owner.consumers);
    return {
        enabled: settings.enabled,
        region,
        events: settings.enabled
            ? calls.map((c) => {
                  const mine = rules.filter((r) => r.call === c);
                  return {
                      service: c.service,
                      call: c.call,
                      what: c.what,
                      rules: mine.length,
                      secrets: new Set(mine.flatMap((r) => r.secrets)).size,
                  };
              })
            : [],
        rules: rules.length,
        consumerSide,
        consumerEvents: consumerSide
            ? CONSUMER_CALLS.map((c) => ({
                  call: c.call,
                  region: globalEventsRegion(partition),
                  accounts: consumerAccounts.filter((a) =>
                      a.readers.some((r) => (c.call.includes("User") ? r.kind === "user" : r.kind === "role")),
                  ).length,
              })).filter((e) => e.accounts > 0)
            : [],
        subscribers: {
            total: settings.subscribers.length,
            email: settings.subscribers.filter((s) => s.kind === "email").length,
            https: settings.subscribers.filter((s) => s.kind === "https").length,
        },
        prerequisite:
            "A CloudTrail trail logging management events (write or all) in " +
            region +
            (consumerSide ? ` and ${globalEventsRegion(partition)}` : "") +
            ": without one, EventBridge receives no 'AWS API Call via CloudTrail' events and no alert is sent (docs/watch.md).",
    };
}

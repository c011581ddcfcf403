import { alertTransformer } from "./alerts";
import { CONSUMER_CALLS, KEY_CALLS, SECRET_CALLS, type WatchedCall } from "./calls";
import type { EventPattern, Matcher } from "./pattern";
import { CONSUMER_INLINE_POLICY, CONSUMER_MANAGED_POLICY_PREFIX } from "../policies/names";

/**
 * The EventBridge rules of the watch, as plain values: for each watched call, the patterns that
 * select it for this program's secrets and keys only (owner side) or for the readers of one
 * consumer account (consumer side), and the alert each rule's target sends. Pure: the
 * component, the tests and the offline plan all call these functions.
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
                ...alertTransformer(call, "$.detail.requestParameters.secretId", undefined, stack),
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
                ...alertTransformer(update, "$.detail.requestParameters.secretId", undefined, stack),
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
                ...alertTransformer(call, "$.detail.requestParameters.keyId", affects, stack),
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

export { CONSUMER_INLINE_POLICY, CONSUMER_MANAGED_POLICY_PREFIX };

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
            ...alertTransformer(call, `$.detail.requestParameters.${nameField}`, undefined, stack),
            secrets: [],
        });
    }
    return rules;
}

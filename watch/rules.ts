import { LIMITS } from "../aws/limits";
import { alertTransformer } from "./alerts";
import { CONSUMER_CALLS, KEY_CALLS, SECRET_CALLS, type WatchedCall } from "./calls";
import type { EventPattern, Matcher } from "./pattern";
import { CONSUMER_INLINE_POLICY, CONSUMER_MANAGED_POLICY_PREFIX } from "../policies/names";

/**
 * The EventBridge rules of the watch, as plain values. One rule per kind of scoping, not per
 * watched call: a rule lists every call that is scoped the same way (`eventName` is a list),
 * and only the list of our secrets, keys or readers is split over several rules, where it would
 * pass the pattern limit. So the number of rules grows with the number of secrets (one more
 * rule of each secret kind per chunk of about ten secrets), not with the number of calls.
 * Pure: the component, the tests and the offline plan all call these functions.
 *
 * CloudTrail delivers management events to EventBridge with detail-type "AWS API Call via
 * CloudTrail", in the Region of the call, once a trail logs management events there:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html
 * (see docs/watch.md for what happens without one).
 */

export const CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail";

/** EventBridge's default limit on an event pattern; longer lists are split over several rules. */
export const MAX_PATTERN_LENGTH = LIMITS.eventPattern.size;

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

/**
 * The kinds of owner rule: the Secrets Manager calls on our secrets; UpdateSecret that moves
 * one of them to another key; the KMS calls on our keys; grants on them from other accounts.
 */
export type OwnerRuleKind = "secrets" | "reencrypt" | "keys" | "grants";
/** The kinds of consumer rule: a reader's inline policy, its managed policies, the reader. */
export type ConsumerRuleKind = "inline-users" | "managed-users" | "users" | "inline-roles" | "managed-roles" | "roles";
export type RuleKind = OwnerRuleKind | ConsumerRuleKind;

/** One EventBridge rule: its pattern and the alert its target sends. */
export interface WatchRule {
    /** Stable name suffix: `<kind>-<n>`. */
    readonly id: string;
    readonly kind: RuleKind;
    /** The calls its pattern lists (`eventName`). */
    readonly calls: readonly WatchedCall[];
    /** What it watches, in words (the rule's description). */
    readonly description: string;
    readonly pattern: EventPattern;
    /** The input transformer of its SNS target. */
    readonly inputPaths: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
    /** Names of the secrets its pattern names (secret rules only). */
    readonly secrets: readonly string[];
    /** Ids of the keys its pattern names (for reencrypt rules: the keys of its secrets). */
    readonly keys: readonly string[];
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

/**
 * Both forms in one matcher: the key ARN ends with "/<key ID>", so a suffix match on the key ID
 * matches the ID and the ARN, and nothing else (key IDs are unique; a multi-Region key's
 * replicas share its ID, but their calls reach their own Region's bus).
 */
function keyMatcher(keyArn: string): Matcher {
    return { suffix: keyArn.split("/").pop() as string };
}

/** The forms of a key that UpdateSecret may name as KmsKeyId: ID, ARN, alias name, alias ARN. */
function keyAllForms(partition: string, region: string, accountId: string, key: WatchedKey): string[] {
    return [
        ...keyIdForms(key.arn),
        `alias/${key.alias}`,
        `arn:${partition}:kms:${region}:${accountId}:alias/${key.alias}`,
    ];
}

function basePattern(
    service: "secretsmanager" | "kms" | "iam",
    calls: readonly WatchedCall[],
    detail: EventPattern,
): EventPattern {
    return {
        source: [`aws.${service}`],
        "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
        detail: { eventSource: [`${service}.amazonaws.com`], eventName: calls.map((c) => c.call), ...detail },
    };
}

const length = (p: EventPattern) => JSON.stringify(p).length;

/**
 * Splits `items` into consecutive groups whose rule's pattern stays within MAX_PATTERN_LENGTH.
 * Sizes are measured on the values given, so callers pass real ARNs or same-length placeholders.
 */
function chunk<T>(items: readonly T[], patternOf: (group: readonly T[]) => EventPattern): T[][] {
    const groups: T[][] = [];
    let current: T[] = [];
    for (const item of items) {
        if (current.length && length(patternOf([...current, item])) > MAX_PATTERN_LENGTH) {
            groups.push(current);
            current = [];
        }
        current.push(item);
    }
    if (current.length) groups.push(current);
    for (const g of groups) {
        if (length(patternOf(g)) > MAX_PATTERN_LENGTH) {
            throw new Error(
                `an EventBridge pattern for one item is ${length(patternOf(g))} characters, over the ${MAX_PATTERN_LENGTH} EventBridge allows by default`,
            );
        }
    }
    return groups;
}

const callsNamed = (list: readonly WatchedCall[], names: readonly string[]) =>
    names.map((n) => list.find((c) => c.call === n) as WatchedCall);

/** The calls of each owner kind, in the order of calls.ts. */
export const OWNER_RULE_CALLS: Readonly<Record<OwnerRuleKind, readonly WatchedCall[]>> = {
    secrets: SECRET_CALLS.filter((c) => c.call !== "UpdateSecret"),
    reencrypt: callsNamed(SECRET_CALLS, ["UpdateSecret"]),
    keys: KEY_CALLS.filter((c) => c.call !== "CreateGrant"),
    grants: callsNamed(KEY_CALLS, ["CreateGrant"]),
};

/** The pattern of an owner rule of `kind` for all of `input`'s secrets or keys. */
export function ownerPattern(kind: OwnerRuleKind, input: OwnerWatchInput): EventPattern {
    const { partition, region, accountId } = input;
    const calls = OWNER_RULE_CALLS[kind];
    if (kind === "secrets" || kind === "reencrypt") {
        const keys = new Map(input.keys.map((k) => [k.id, k]));
        const ownKeys = [...new Set(input.secrets.map((s) => s.keyId))].map((id) => keys.get(id) as WatchedKey);
        return basePattern("secretsmanager", calls, {
            requestParameters: {
                secretId: input.secrets.flatMap((s) => secretIdForms(partition, region, accountId, s)),
                // UpdateSecret alerts only when it names a KmsKeyId that is none of the keys of
                // this rule's secrets, so updates of a description do not alert.
                // `anything-but` does not match a missing field.
                ...(kind === "reencrypt" && {
                    kmsKeyId: [
                        { "anything-but": ownKeys.flatMap((k) => keyAllForms(partition, region, accountId, k)) },
                    ],
                }),
            },
        });
    }
    return basePattern("kms", calls, {
        requestParameters: { keyId: input.keys.map((k) => keyMatcher(k.arn)) },
        // A grant made by the owner account is this program's or the owner's business; one
        // made from any other account is not expected.
        ...(kind === "grants" && { userIdentity: { accountId: [{ "anything-but": accountId }] } }),
    });
}

/**
 * One owner rule of `kind`, for all of `input`'s secrets (secret kinds) or keys (key kinds),
 * unsplit. `ownerWatchRules` calls it on each chunk; the component calls it again on one chunk
 * with the real ARNs. `input.secrets` of a key rule only count the secrets of each key.
 */
export function ownerRule(kind: OwnerRuleKind, n: number, input: OwnerWatchInput, stack: string): WatchRule {
    const calls = OWNER_RULE_CALLS[kind];
    const pattern = ownerPattern(kind, input);
    const id = `${kind}-${n}`;
    if (kind === "secrets" || kind === "reencrypt") {
        const headline = "a watched call on a shared secret";
        return {
            id,
            kind,
            calls,
            description: `secretshare (${stack}): ${kind === "secrets" ? headline : calls[0].what}`,
            pattern,
            ...alertTransformer({
                stack,
                headline,
                calls,
                subject: { field: "secret", path: "$.detail.requestParameters.secretId" },
            }),
            secrets: input.secrets.map((s) => s.name),
            keys: kind === "reencrypt" ? [...new Set(input.secrets.map((s) => s.keyId))] : [],
        };
    }
    const headline = "a watched call on the KMS key that encrypts shared secrets";
    // How many secrets each key encrypts, never which: the stack output keyArns says that.
    const counts = new Map<string, number>();
    for (const s of input.secrets) counts.set(s.keyId, (counts.get(s.keyId) ?? 0) + 1);
    const secretsPerKey = Object.fromEntries(
        input.keys.map((k) => [k.arn.split("/").pop() as string, counts.get(k.id) ?? 0]),
    );
    return {
        id,
        kind,
        calls,
        description: `secretshare (${stack}): ${kind === "keys" ? headline : calls[0].what}`,
        pattern,
        ...alertTransformer({
            stack,
            headline,
            calls,
            subject: { field: "key", path: "$.detail.requestParameters.keyId" },
            extra: {
                secretsEncryptedByKey: secretsPerKey,
                whichSecrets: `The stack output keyArns maps each shared secret to its key: pulumi stack output keyArns --stack ${stack}`,
            },
        }),
        secrets: [],
        keys: input.keys.map((k) => k.id),
    };
}

/** Every rule of the owner side, for this program's secrets and keys only. */
export function ownerWatchRules(input: OwnerWatchInput, stack: string): WatchRule[] {
    const byName = [...input.secrets].sort((a, b) => a.name.localeCompare(b.name));
    // Secrets of one key together, so that a reencrypt rule names as few keys as it can.
    const byKey = [...byName].sort((a, b) => a.keyId.localeCompare(b.keyId));
    const keys = [...input.keys].sort((a, b) => a.id.localeCompare(b.id));
    const rules: WatchRule[] = [];
    const add = (kind: OwnerRuleKind, groups: OwnerWatchInput[]) =>
        groups.forEach((g, i) => rules.push(ownerRule(kind, i, g, stack)));
    const withSecrets = (secrets: readonly WatchedSecret[]) => ({ ...input, secrets });
    const withKeys = (group: readonly WatchedKey[]) => ({ ...input, keys: group });
    for (const kind of ["secrets", "reencrypt"] as const) {
        const ordered = kind === "secrets" ? byName : byKey;
        add(kind, chunk(ordered, (g) => ownerPattern(kind, withSecrets(g))).map(withSecrets));
    }
    for (const kind of ["keys", "grants"] as const) {
        add(kind, chunk(keys, (g) => ownerPattern(kind, withKeys(g))).map(withKeys));
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
 * The consumer side's rules, for one consumer account: for users and for roles (each only if
 * the account has such a reader), the deletion of our inline policy, the detaching of our
 * managed policies, and the deletion of the reader. IAM names are case-insensitive, so a reader
 * is matched whatever case the caller used. Our policies are matched by the prefix every stack's
 * policy names share (policies/names.ts), so a reader granted by several stacks is covered.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */
export function consumerWatchRules(
    partition: string,
    accountId: string,
    readers: readonly WatchedReader[],
    stack: string,
): WatchRule[] {
    const rules: WatchRule[] = [];
    const managedPrefix = `arn:${partition}:iam::${accountId}:policy/${CONSUMER_MANAGED_POLICY_PREFIX}`;
    for (const kind of ["user", "role"] as const) {
        const names = [...new Set(readers.filter((r) => r.kind === kind).map((r) => r.name))].sort();
        if (!names.length) continue;
        const nameField = kind === "user" ? "userName" : "roleName";
        const Kind = kind === "user" ? "User" : "Role";
        const kinds: [ConsumerRuleKind, string, EventPattern][] = [
            [`inline-${kind}s`, `Delete${Kind}Policy`, { policyName: [{ prefix: CONSUMER_INLINE_POLICY }] }],
            [`managed-${kind}s`, `Detach${Kind}Policy`, { policyArn: [{ prefix: managedPrefix }] }],
            [`${kind}s`, `Delete${Kind}`, {}],
        ];
        for (const [ruleKind, call, extra] of kinds) {
            const calls = callsNamed(CONSUMER_CALLS, [call]);
            const patternOf = (group: readonly string[]) =>
                basePattern("iam", calls, {
                    requestParameters: {
                        [nameField]: group.map((n): Matcher => ({ "equals-ignore-case": n })),
                        ...extra,
                    },
                });
            chunk(names, patternOf).forEach((group, i) =>
                rules.push({
                    id: `${ruleKind}-${i}`,
                    kind: ruleKind,
                    calls,
                    description: `secretshare (${stack}): ${calls[0].what}`,
                    pattern: patternOf(group),
                    ...alertTransformer({
                        stack,
                        headline: calls[0].what,
                        calls,
                        subject: { field: "identity", path: `$.detail.requestParameters.${nameField}` },
                    }),
                    secrets: [],
                    keys: [],
                }),
            );
        }
    }
    return rules;
}

import { LIMITS } from "../aws/limits";
import { alertTransformer } from "./alerts";
import { CONSUMER_CALLS, KEY_CALLS, SECRET_CALLS, type WatchedCall } from "./calls";
import type { EventPattern, Matcher } from "./pattern";
import { CONSUMER_INLINE_POLICY, CONSUMER_MANAGED_POLICY_PREFIX } from "../policies/names";

/**
 * The EventBridge rules of the watch, as plain values. One rule per kind of scoping, not per
 * watched call: on the owner side, one kind for the Secrets Manager calls on our secrets and one
 * for the KMS calls on our keys, each pattern listing every call (`eventName`) and, where a call
 * needs a condition of its own, a `$or` branch for it. Only the list of our exact secret and key
 * IDs is split over several rules, where it would pass the pattern limit: the number of rules
 * grows with the number of IDs (docs/watch.md has the arithmetic), not with the number of calls.
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

/** The kinds of owner rule: the Secrets Manager calls on our secrets; the KMS calls on our keys. */
export type OwnerRuleKind = "secrets" | "keys";
/** The kinds of consumer rule: a reader's inline policy, its managed policies, the reader. */
export type ConsumerRuleKind = "inline-users" | "managed-users" | "users" | "inline-roles" | "managed-roles" | "roles";
/** "rotation": Secrets Manager's events of failed or abandoned rotations of our secrets (./rotation.ts). */
export type RuleKind = OwnerRuleKind | ConsumerRuleKind | "rotation";

/**
 * One exact ID an owner rule lists: form number `form` of `secretIdForms` of the secret named
 * `of` (secret rules) or of `keyIdForms` of the key whose layout id is `of` (key rules). A
 * secret's forms may be split over two consecutive rules when they do not fit one.
 */
export interface WatchedId {
    readonly of: string;
    readonly form: number;
}

/** One EventBridge rule: its pattern and the alert its target sends. */
export interface WatchRule {
    /** Stable name suffix: `<kind>-<n>`. */
    readonly id: string;
    readonly kind: RuleKind;
    /** The calls its pattern lists (`eventName`, in the pattern or its `$or` branches). */
    readonly calls: readonly WatchedCall[];
    /** What it watches, in words (the rule's description). */
    readonly description: string;
    readonly pattern: EventPattern;
    /** The input transformer of its SNS target. */
    readonly inputPaths: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
    /** Names of the secrets whose IDs its pattern lists (secret rules only). */
    readonly secrets: readonly string[];
    /** Layout ids of the keys whose IDs its pattern lists (key rules only). */
    readonly keys: readonly string[];
    /** The exact IDs its pattern lists (owner rules only), to rebuild it from the real ARNs. */
    readonly ids: readonly WatchedId[];
}

/**
 * The ways a caller can name a secret in `secretId`, all recorded by CloudTrail as given: the
 * name, the full ARN (with the "-" and six random characters), or the partial ARN (without
 * them). https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
 * CloudTrail records `requestParameters` as the request carried them, not normalised, so all
 * three are listed.
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
 * Exact values: a `suffix` on the key ID would also match any key ID a caller makes up that
 * ends with it (`alias/x-<key id>`), and any principal of the owner account can make such a
 * call fail and be logged, so alerts could be triggered at will.
 */
export function keyIdForms(keyArn: string): string[] {
    return [keyArn.split("/").pop() as string, keyArn];
}

/** The calls of each owner kind, in the order of calls.ts. */
export const OWNER_RULE_CALLS: Readonly<Record<OwnerRuleKind, readonly WatchedCall[]>> = {
    secrets: SECRET_CALLS,
    keys: KEY_CALLS,
};

/**
 * The calls of `kind` that need a condition of their own, each in a `$or` branch: UpdateSecret
 * only when it names a KmsKeyId (an UpdateSecret of the description alone names none), and
 * CreateGrant only from another account (the owner account's own grants are its business).
 * `$or` branches are ANDed with the other fields of their object:
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
 * (AWS's matcher flattens each branch into field paths such as
 * `detail.requestParameters.kmsKeyId`, so a branch may name fields under `requestParameters`
 * next to the `secretId` list outside it:
 * https://github.com/aws/event-ruler/blob/main/src/main/software/amazon/event/ruler/JsonRuleCompiler.java)
 */
function ownBranches(kind: OwnerRuleKind, accountId: string): Readonly<Record<string, EventPattern>> {
    return kind === "secrets"
        ? { UpdateSecret: { requestParameters: { kmsKeyId: [{ exists: true }] } } }
        : { CreateGrant: { userIdentity: { accountId: [{ "anything-but": accountId }] } } };
}

/**
 * CloudTrail's events of `service`. `source` (`aws.<service>`) already says which service made
 * the call, so `detail.eventSource` (`<service>.amazonaws.com`) is not repeated: every character
 * left over holds more IDs. `detail-type` keeps out the service's other events (such as
 * Secrets Manager's rotation events, "AWS Service Event via CloudTrail").
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-secretsmanager.html
 */
function basePattern(service: "secretsmanager" | "kms" | "iam", detail: EventPattern): EventPattern {
    return { source: [`aws.${service}`], "detail-type": [CLOUDTRAIL_DETAIL_TYPE], detail };
}

const length = (p: EventPattern) => JSON.stringify(p).length;

/**
 * Splits `items` into consecutive groups whose pattern stays within MAX_PATTERN_LENGTH: the
 * pattern of a group is the pattern of an empty list plus each entry's JSON and a comma between
 * two. Sizes are measured on the values given, so callers pass real ARNs or same-length
 * placeholders. Every entry here fits a rule of its own (the longest, a full secret ARN with a
 * 512-character name, leaves room to spare), which the final check holds the builders to.
 */
function chunk<T>(
    items: readonly T[],
    entryOf: (item: T) => Matcher,
    patternOf: (entries: Matcher[]) => EventPattern,
): T[][] {
    const empty = length(patternOf([]));
    const groups: T[][] = [];
    let current: T[] = [];
    let size = empty;
    for (const item of items) {
        const entry = JSON.stringify(entryOf(item)).length;
        if (current.length && size + 1 + entry > MAX_PATTERN_LENGTH) {
            groups.push(current);
            current = [];
            size = empty;
        }
        size += entry + (current.length ? 1 : 0);
        current.push(item);
    }
    if (current.length) groups.push(current);
    for (const g of groups) {
        const n = length(patternOf(g.map(entryOf)));
        if (n > MAX_PATTERN_LENGTH) {
            throw new Error(`an EventBridge pattern is ${n} characters, over the ${MAX_PATTERN_LENGTH} allowed`);
        }
    }
    return groups;
}

const callsNamed = (list: readonly WatchedCall[], names: readonly string[]) =>
    names.map((n) => list.find((c) => c.call === n) as WatchedCall);

/** The pattern of an owner rule of `kind` that lists the exact IDs `values`. */
export function ownerPattern(kind: OwnerRuleKind, accountId: string, values: readonly Matcher[]): EventPattern {
    const branches = ownBranches(kind, accountId);
    const plain = OWNER_RULE_CALLS[kind].filter((c) => !(c.call in branches)).map((c) => c.call);
    return basePattern(kind === "secrets" ? "secretsmanager" : "kms", {
        requestParameters: { [kind === "secrets" ? "secretId" : "keyId"]: [...values] },
        $or: [
            { eventName: plain },
            ...Object.entries(branches).map(([call, extra]) => ({ eventName: [call], ...extra })),
        ],
    });
}

/** Every exact ID of `kind` in `input`, in rule order: secrets by name, keys by layout id. */
function allIds(kind: OwnerRuleKind, input: OwnerWatchInput): WatchedId[] {
    const names = kind === "secrets" ? input.secrets.map((s) => s.name) : input.keys.map((k) => k.id);
    const forms = kind === "secrets" ? 3 : 2;
    return [...names]
        .sort((a, b) => a.localeCompare(b))
        .flatMap((of) => Array.from({ length: forms }, (_, form) => ({ of, form })));
}

/** The value of one exact ID in `input` (real ARNs or same-length placeholders). */
function idValue(kind: OwnerRuleKind, input: OwnerWatchInput): (id: WatchedId) => string {
    const { partition, region, accountId } = input;
    const secrets = new Map(input.secrets.map((s) => [s.name, s]));
    const keys = new Map(input.keys.map((k) => [k.id, k]));
    return ({ of, form }) => {
        const forms =
            kind === "secrets"
                ? secretIdForms(partition, region, accountId, secrets.get(of) as WatchedSecret)
                : keyIdForms((keys.get(of) as WatchedKey).arn);
        return forms[form];
    };
}

/**
 * One owner rule of `kind` listing `ids` (a chunk `ownerWatchRules` made), with their values
 * from `input`: the component calls it again on each chunk with the real ARNs.
 */
export function ownerRule(
    kind: OwnerRuleKind,
    n: number,
    input: OwnerWatchInput,
    ids: readonly WatchedId[],
    stack: string,
): WatchRule {
    const calls = OWNER_RULE_CALLS[kind];
    const pattern = ownerPattern(kind, input.accountId, ids.map(idValue(kind, input)));
    const of = [...new Set(ids.map((i) => i.of))];
    const base = { id: `${kind}-${n}`, kind, calls, pattern, ids: [...ids] };
    if (kind === "secrets") {
        const headline = "a watched call on a shared secret";
        return {
            ...base,
            description: `secretshare (${stack}): ${headline}`,
            ...alertTransformer({ stack, headline, calls }),
            secrets: of,
            keys: [],
        };
    }
    const headline = "a watched call on the KMS key that encrypts shared secrets";
    // How many secrets each key encrypts, never which: the stack output keyArns says that.
    const keys = input.keys.filter((k) => of.includes(k.id));
    const secretsPerKey = Object.fromEntries(
        keys.map((k) => [k.arn.split("/").pop() as string, input.secrets.filter((s) => s.keyId === k.id).length]),
    );
    return {
        ...base,
        description: `secretshare (${stack}): ${headline}`,
        ...alertTransformer({
            stack,
            headline,
            calls,
            extra: {
                secretsEncryptedByKey: secretsPerKey,
                whichSecrets: `The stack output keyArns maps each shared secret to its key: pulumi stack output keyArns --stack ${stack}`,
            },
        }),
        secrets: [],
        keys: of,
    };
}

/** Every rule of the owner side, for this program's secrets and keys only. */
export function ownerWatchRules(input: OwnerWatchInput, stack: string): WatchRule[] {
    const rules: WatchRule[] = [];
    for (const kind of ["secrets", "keys"] as const) {
        const groups = chunk(allIds(kind, input), idValue(kind, input), (values) =>
            ownerPattern(kind, input.accountId, values),
        );
        groups.forEach((ids, n) => rules.push(ownerRule(kind, n, input, ids, stack)));
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
            const entryOf = (n: string): Matcher => ({ "equals-ignore-case": n });
            const patternOf = (entries: Matcher[]) =>
                basePattern("iam", {
                    eventName: [call],
                    requestParameters: { [nameField]: entries, ...extra },
                });
            chunk(names, entryOf, patternOf).forEach((group, i) =>
                rules.push({
                    id: `${ruleKind}-${i}`,
                    kind: ruleKind,
                    calls,
                    description: `secretshare (${stack}): ${calls[0].what}`,
                    pattern: patternOf(group.map(entryOf)),
                    ...alertTransformer({ stack, headline: calls[0].what, calls }),
                    secrets: [],
                    keys: [],
                    ids: [],
                }),
            );
        }
    }
    return rules;
}

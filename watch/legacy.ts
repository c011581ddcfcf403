import { KEY_CALLS, SECRET_CALLS } from "./calls";
import {
    CLOUDTRAIL_DETAIL_TYPE,
    keyIdForms,
    MAX_PATTERN_LENGTH,
    secretIdForms,
    type OwnerWatchInput,
    type WatchedKey,
} from "./rules";

/**
 * How many owner rules the earlier watch made for the same secrets and keys: one rule per
 * watched call and chunk of secrets (or keys), named `watch-<call>-<n>`, with UpdateSecret split
 * per key. Its rules have other names than today's, so the first `pulumi up` of a stack deployed
 * with it creates today's rules before it deletes those, at the end of the update (Pulumi
 * deletes resources that left the program last:
 * https://www.pulumi.com/docs/iac/concepts/how-pulumi-works/): for that run the bus holds both.
 * Only the count matters here, so patterns are measured, not kept.
 */
export function legacyOwnerRuleCount(input: OwnerWatchInput): number {
    const { partition, region, accountId } = input;
    const secrets = [...input.secrets].sort((a, b) => a.name.localeCompare(b.name));
    const keys = [...input.keys].sort((a, b) => a.id.localeCompare(b.id));
    // The length of a pattern with an empty ID list, for `service`, `call` and extra fields.
    const empty = (service: string, call: string, params: Record<string, unknown>, extra = {}) =>
        JSON.stringify({
            source: [`aws.${service}`],
            "detail-type": [CLOUDTRAIL_DETAIL_TYPE],
            detail: {
                eventSource: [`${service}.amazonaws.com`],
                eventName: [call],
                requestParameters: params,
                ...extra,
            },
        }).length;
    const idsLength = (ids: readonly string[]) => ids.reduce((n, id) => n + JSON.stringify(id).length + 1, 0);
    let count = 0;
    const secretLength = new Map(
        secrets.map((s) => [s.name, idsLength(secretIdForms(partition, region, accountId, s))]),
    );
    const secretLengths = secrets.map((s) => secretLength.get(s.name) as number);
    for (const call of SECRET_CALLS) {
        if (call.call === "UpdateSecret") continue;
        count += chunks(empty("secretsmanager", call.call, { secretId: [] }), secretLengths);
    }
    for (const key of keys) {
        const own = secrets.filter((s) => s.keyId === key.id).map((s) => secretLength.get(s.name) as number);
        const excluded = [{ "anything-but": keyAllForms(input, key) }];
        if (own.length)
            count += chunks(empty("secretsmanager", "UpdateSecret", { secretId: [], kmsKeyId: excluded }), own);
    }
    const keyLengths = keys.map((k) => idsLength(keyIdForms(k.arn)));
    for (const call of KEY_CALLS) {
        const extra =
            call.call === "CreateGrant" ? { userIdentity: { accountId: [{ "anything-but": accountId }] } } : {};
        count += chunks(empty("kms", call.call, { keyId: [] }, extra), keyLengths);
    }
    return count;
}

function keyAllForms(input: OwnerWatchInput, key: WatchedKey): string[] {
    const { partition, region, accountId } = input;
    return [
        ...keyIdForms(key.arn),
        `alias/${key.alias}`,
        `arn:${partition}:kms:${region}:${accountId}:alias/${key.alias}`,
    ];
}

/** Greedy chunks of items of `lengths` (each with its trailing comma) next to `empty`. */
function chunks(empty: number, lengths: readonly number[]): number {
    let n = 0;
    let size = Infinity;
    for (const l of lengths) {
        if (size + l - 1 > MAX_PATTERN_LENGTH) {
            n++;
            size = empty;
        }
        size += l;
    }
    return n;
}

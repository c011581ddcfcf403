import { LIMITS } from "../aws/limits";
import type { WatchedCall } from "./calls";
import type { EventPattern } from "./pattern";
import type { OwnerWatchInput, WatchRule } from "./rules";

/**
 * The watch on automatic rotation: Secrets Manager's own events when a rotation of one of our
 * rotated secrets failed, or was abandoned (a new version was written while one was pending).
 * Turning rotation off (CancelRotateSecret) is an API call, already in the secrets rule
 * (calls.ts). These events are "AWS Service Event via CloudTrail", with the secret's full ARN in
 * `additionalEventData.SecretId` and no `requestParameters`:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html
 * Exact ARNs only, as the other owner rules: a prefix would match other secrets.
 */

export const SERVICE_EVENT_DETAIL_TYPE = "AWS Service Event via CloudTrail";

export const ROTATION_EVENTS: readonly WatchedCall[] = [
    {
        service: "secretsmanager",
        call: "RotationFailed",
        what: "A rotation of a shared secret failed",
        check: "Readers still get the previous AWSCURRENT value. Read the rotation function's log (detail.errorMessage names the step), fix the cause, then call RotateSecret; a version labelled AWSPENDING may be left behind.",
    },
    {
        service: "secretsmanager",
        call: "RotationAbandoned",
        what: "A rotation of a shared secret was abandoned: a new value was written while one was pending",
        check: "Someone or something wrote the secret during its rotation (PutSecretValue or a pulumi up that changed regenerate). Check that the new AWSCURRENT is the value readers should have.",
    },
];

const MAX_PATTERN = LIMITS.eventPattern.size;

/** The pattern of a rotation rule listing the full ARNs `arns`. */
export function rotationPattern(arns: readonly string[]): EventPattern {
    return {
        source: ["aws.secretsmanager"],
        "detail-type": [SERVICE_EVENT_DETAIL_TYPE],
        detail: {
            eventName: ROTATION_EVENTS.map((c) => c.call),
            additionalEventData: { SecretId: [...arns] },
        },
    };
}

/**
 * The alert: what happened and what to check, the time, account and Region (set by AWS), and
 * the whole CloudTrail record (`detail`, inserted as JSON), which names the secret and, for a
 * failure, the step that failed. Only paths every such event has: it has no requestParameters.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export function rotationAlert(stack: string): { inputPaths: Record<string, string>; inputTemplate: string } {
    const meaning = Object.fromEntries(ROTATION_EVENTS.map((c) => [c.call, { what: c.what, check: c.check }]));
    const inputTemplate = [
        "{",
        `"alert": ${JSON.stringify(`secretshare (${stack}): a rotation of a shared secret failed or was abandoned`)},`,
        `"call": <call>,`,
        `"at": <at>,`,
        `"account": <account>,`,
        `"region": <region>,`,
        `"meaning": ${JSON.stringify(meaning)},`,
        `"rule": <aws.events.rule-name>,`,
        `"detail": <detail>`,
        "}",
    ].join("\n");
    if (/[<>]/.test(JSON.stringify(meaning))) throw new Error('a rotation alert meaning has "<" or ">"');
    return {
        inputPaths: {
            call: "$.detail.eventName",
            at: "$.detail.eventTime",
            account: "$.account",
            region: "$.region",
            detail: "$.detail",
        },
        inputTemplate,
    };
}

/** One rotation rule for the secrets `names` (full ARNs from `input`). */
export function rotationRule(n: number, input: OwnerWatchInput, names: readonly string[], stack: string): WatchRule {
    const arnOf = new Map(input.secrets.map((s) => [s.name, s.arn]));
    const arns = names.map((s) => arnOf.get(s) as string);
    return {
        id: `rotation-${n}`,
        kind: "rotation",
        calls: ROTATION_EVENTS,
        description: `secretshare (${stack}): a rotation of a shared secret failed or was abandoned`,
        pattern: rotationPattern(arns),
        ...rotationAlert(stack),
        secrets: [...names],
        keys: [],
        ids: names.map((of) => ({ of, form: 2 })),
    };
}

/**
 * The rotation rules of the owner side: none when no secret rotates; otherwise the rotated
 * secrets' ARNs split over as few rules as the pattern limit allows (one rule holds about 25
 * full ARNs of 60-character names). Sizes are measured on the values given (real ARNs or
 * placeholders of the same length).
 */
export function rotationWatchRules(input: OwnerWatchInput, rotated: readonly string[], stack: string): WatchRule[] {
    const names = [...rotated].sort((a, b) => a.localeCompare(b));
    const arnOf = new Map(input.secrets.map((s) => [s.name, s.arn]));
    const groups: string[][] = [];
    let current: string[] = [];
    for (const name of names) {
        const next = [...current, name];
        if (
            current.length &&
            JSON.stringify(rotationPattern(next.map((s) => arnOf.get(s) as string))).length > MAX_PATTERN
        ) {
            groups.push(current);
            current = [name];
        } else current = next;
    }
    if (current.length) groups.push(current);
    return groups.map((g, i) => {
        const rule = rotationRule(i, input, g, stack);
        const size = JSON.stringify(rule.pattern).length;
        if (size > MAX_PATTERN)
            throw new Error(`an EventBridge pattern is ${size} characters, over the ${MAX_PATTERN} allowed`);
        return rule;
    });
}

import { LIMITS } from "../aws/limits";
import type { WatchedCall } from "./calls";

/**
 * The alert a rule's SNS target sends: an EventBridge input transformer whose template is a
 * JSON object, the form the EventBridge docs show for templates with variables.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 *
 * What happened comes from the event itself: `detail` is the whole CloudTrail record (input path
 * `$.detail`), so the subscriber sees who called (`userIdentity`), which call (`eventName`), with
 * which parameters (`requestParameters`) and, when it failed, `errorCode` and `errorMessage`.
 * `<aws.events.event>` would not do: EventBridge documents it as the event without its
 * `detail`. Every input path is one that every event the rule matches has (`$.detail`, its
 * `eventName`, `eventTime`, `userIdentity` and `requestParameters`, `$.account`, `$.region`):
 * EventBridge drops a variable whose path is missing, which would leave the JSON template
 * broken. `errorCode` is therefore read inside `detail`, never as a variable.
 *
 * No value a caller chooses reaches the alert as a string variable: the same page lists, among
 * its common issues, that "EventBridge doesn't escape values extracted by Input Path", so a
 * `"` in a string variable would end the string and let the caller add fields to the alert.
 * Caller-chosen values (the secret or key as named, KmsKeyId, policy names, the caller's
 * session name) arrive only inside the object variables `request` (`requestParameters`), `by`
 * (`userIdentity`) and `detail`, which EventBridge inserts as JSON. The string variables are
 * values AWS sets (`eventTime`, the account, the Region, the rule's name) or that the rule's
 * pattern pins to the exact names of the calls it lists (`eventName`).
 *
 * The template's size is bounded by construction: the words for each call the rule watches,
 * and for key rules one count per key of the rule (a rule holds only as many keys as its
 * pattern fits), never a list of secrets. `alertTransformer` refuses a template over EventBridge's
 * 8,192 characters all the same.
 */

/** The input transformer of a rule's SNS target: what it reads from the event, and the alert. */
export interface AlertTransformer {
    readonly inputPaths: Record<string, string>;
    readonly inputTemplate: string;
}

/** EventBridge's limit on an input template. */
export const MAX_INPUT_TEMPLATE = LIMITS.inputTemplate.size;

export interface AlertArgs {
    /** The stack, named in the alert. */
    readonly stack: string;
    /** What the rule watches, in words, when it watches several calls. */
    readonly headline: string;
    /** The calls the rule matches: the alert explains each. */
    readonly calls: readonly WatchedCall[];
    /** Constant fields, after the explanations (e.g. how many secrets each key encrypts). */
    readonly extra?: Readonly<Record<string, unknown>>;
}

/** The input paths whose values EventBridge inserts as JSON objects. */
export const OBJECT_PATHS = ["$.detail.requestParameters", "$.detail.userIdentity", "$.detail"] as const;
/** The input paths of string values that AWS sets, or (`eventName`) that every pattern pins. */
export const STRING_PATHS = ["$.detail.eventName", "$.detail.eventTime", "$.account", "$.region"] as const;

export function alertTransformer(args: AlertArgs): AlertTransformer {
    const inputPaths = {
        call: "$.detail.eventName",
        request: "$.detail.requestParameters",
        by: "$.detail.userIdentity",
        at: "$.detail.eventTime",
        account: "$.account",
        region: "$.region",
        detail: "$.detail",
    };
    const headline = args.calls.length === 1 ? args.calls[0].what : args.headline;
    const meaning = Object.fromEntries(args.calls.map((c) => [c.call, { what: c.what, check: c.check }]));
    const constant = (key: string, value: unknown) => {
        const text = JSON.stringify(value);
        // "<" would read as the start of a template variable.
        if (/[<>]/.test(text)) throw new Error(`alert field ${key} has "<" or ">": ${text}`);
        return `${JSON.stringify(key)}: ${text},`;
    };
    const inputTemplate = [
        "{",
        constant("alert", `secretshare (${args.stack}): ${headline}`),
        `"call": <call>,`,
        `"request": <request>,`,
        `"by": <by>,`,
        `"at": <at>,`,
        `"account": <account>,`,
        `"region": <region>,`,
        constant("meaning", meaning),
        ...Object.entries(args.extra ?? {}).map(([k, v]) => constant(k, v)),
        `"rule": <aws.events.rule-name>,`,
        `"detail": <detail>`,
        "}",
    ].join("\n");
    if (inputTemplate.length > MAX_INPUT_TEMPLATE) {
        throw new Error(
            `the alert template is ${inputTemplate.length} characters, over the ${MAX_INPUT_TEMPLATE} EventBridge allows`,
        );
    }
    return { inputPaths, inputTemplate };
}

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
 * `eventName`, `eventTime` and `userIdentity`, `$.account`, `$.region`, and the subject, which
 * the pattern requires): EventBridge drops a variable whose path is missing, which would leave
 * the JSON template broken. `errorCode` is therefore read inside `detail`, never as a variable.
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
    /** Where the event names the secret, key or identity, and the field it gets in the alert. */
    readonly subject: { readonly field: "secret" | "key" | "identity"; readonly path: string };
    /** Constant fields, after the explanations (e.g. how many secrets each key encrypts). */
    readonly extra?: Readonly<Record<string, unknown>>;
}

export function alertTransformer(args: AlertArgs): AlertTransformer {
    const inputPaths = {
        call: "$.detail.eventName",
        subject: args.subject.path,
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
        `"${args.subject.field}": <subject>,`,
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

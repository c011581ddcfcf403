import type { WatchedCall } from "./calls";

/** The input transformer of a rule's SNS target: what it reads from the event, and the alert. */
export interface AlertTransformer {
    readonly inputPaths: Record<string, string>;
    readonly inputTemplate: string;
}

/**
 * The alert: a JSON object, the form the EventBridge docs show for templates with variables.
 * Variables stand outside quotes (EventBridge inserts their JSON), and every path exists in every
 * event the rule matches: `$.detail.userIdentity` is the whole identity object, because
 * cross-account calls can carry no `arn` in it, and a template variable whose path is missing is
 * dropped ("that variable isn't created").
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 *
 * `subjectPath` is where the event names the secret, key or identity; `affects` (key rules
 * only) lists, by key ARN, the secrets each key encrypts; `stack` names the stack in the alert.
 */
export function alertTransformer(
    call: WatchedCall,
    subjectPath: string,
    affects: Readonly<Record<string, readonly string[]>> | undefined,
    stack: string,
): AlertTransformer {
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

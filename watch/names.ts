import { createHash } from "crypto";
import { AUTONAME_SUFFIX, nameRuleOf } from "../aws/names";

/**
 * The names of the watch's EventBridge rules. Pulumi names each rule after its logical name
 * plus "-" and 7 random hex characters, and EventBridge refuses a rule name over 64 characters
 * (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html), so the
 * logical name must leave room for the suffix whatever the stack or consumer is called.
 *
 * A rule's logical name is `<prefix><rule id>`, with the prefix
 * `watch-<label>-<8 hex>-`: the label is the owner stack's or the consumer account's name,
 * cut to 22 characters (it is there for people reading the console), and the hex characters
 * are a hash of the stack and the watch, which keep the prefix unique to this stack's watch
 * however the label was cut. The alert topic admits EventBridge only for rules whose name starts
 * with that prefix (watch/topic.ts), so its policy does not list the rules one by one.
 */

/** EventBridge's longest rule name. */
export const MAX_RULE_NAME = nameRuleOf("aws:cloudwatch/eventRule:EventRule")?.max ?? 64;

/** The longest rule id: `<kind>-<n>`, the longest kind ("managed-users") and up to 4 digits. */
export const MAX_RULE_ID = 18;

const HASH_LENGTH = 8;
const HEAD = "watch-";

/** Room for the label: what is left of 64 after the suffix, the id, the head, the hash and two "-". */
export const MAX_RULE_LABEL = MAX_RULE_NAME - AUTONAME_SUFFIX - MAX_RULE_ID - HEAD.length - HASH_LENGTH - 2;

/** Pulumi's longest autonamed SNS topic name (AWS allows 256). */
const MAX_TOPIC_NAME = nameRuleOf("aws:sns/topic:Topic")?.autoname?.max ?? 80;
const TOPIC_TAIL = "-topic";

/**
 * The watch component's name, which its topic's name starts with: `watch` on the owner side,
 * `watch-<consumer>` on the consumer side. A consumer name too long for the topic's name, or with
 * a character SNS refuses in one ("."), gives `watch-<cut, "." as "-">-<8 hex>` instead: the
 * hash of the full name keeps two such consumers apart.
 * https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
 */
export function watchComponentName(consumer?: string): string {
    if (consumer === undefined) return HEAD.slice(0, -1);
    const plain = `${HEAD}${consumer}`;
    const room = MAX_TOPIC_NAME - AUTONAME_SUFFIX - TOPIC_TAIL.length;
    if (plain.length <= room && /^[\w-]+$/.test(plain)) return plain;
    const hash = createHash("sha256").update(consumer).digest("hex").slice(0, HASH_LENGTH);
    const cut = consumer.replace(/[^\w-]/g, "-").slice(0, room - HEAD.length - HASH_LENGTH - 1);
    return `${HEAD}${cut}-${hash}`;
}

/** The logical name of the watch's topic; Pulumi adds its suffix. */
export function watchTopicLogicalName(component: string): string {
    return `${component}${TOPIC_TAIL}`;
}

/**
 * The prefix of every rule name of one watch. `stackRef` is the fully qualified stack
 * (`<org>/<project>/<stack>`), `component` the watch's component name (unique in the stack),
 * `label` the readable part. Characters EventBridge does not accept in a name become "-".
 */
export function ruleNamePrefix(stackRef: string, component: string, label: string): string {
    const hash = createHash("sha256").update(`${stackRef}\n${component}`).digest("hex").slice(0, HASH_LENGTH);
    const shown = label.replace(/[^.\-_A-Za-z0-9]/g, "-").slice(0, MAX_RULE_LABEL);
    return `${HEAD}${shown ? `${shown}-` : ""}${hash}-`;
}

/** The logical name of a rule (and of its target); the physical name adds Pulumi's suffix. */
export function ruleLogicalName(prefix: string, id: string): string {
    if (id.length > MAX_RULE_ID) {
        throw new Error(
            `watch rule id ${id} is over ${MAX_RULE_ID} characters: its name would not fit EventBridge's 64`,
        );
    }
    return `${prefix}${id}`;
}

/**
 * The watch on a share, as plain values (no Pulumi types): the CloudTrail calls it reacts to
 * (calls.ts), the EventBridge rules that select them (rules.ts) and their names (names.ts), the
 * alert each rule sends (alerts.ts), the alert topic's policies and subscriber names (topic.ts)
 * and the defaults of `secretshare:watch` (settings.ts). components/secretWatch.ts turns them
 * into resources; docs/watch.md explains the choices.
 */

export {
    alertTransformer,
    MAX_INPUT_TEMPLATE,
    OBJECT_PATHS,
    STRING_PATHS,
    type AlertArgs,
    type AlertTransformer,
} from "./alerts";
export { CONSUMER_CALLS, KEY_CALLS, SECRET_CALLS, type WatchedCall } from "./calls";
export {
    MAX_RULE_ID,
    MAX_RULE_LABEL,
    MAX_RULE_NAME,
    ruleLogicalName,
    ruleNamePrefix,
    watchComponentName,
    watchTopicLogicalName,
} from "./names";
export { legacyOwnerRuleCount } from "./legacy";
export type { EventPattern, Matcher, Scalar } from "./pattern";
export {
    CLOUDTRAIL_DETAIL_TYPE,
    CONSUMER_INLINE_POLICY,
    CONSUMER_MANAGED_POLICY_PREFIX,
    consumerWatchRules,
    globalEventsRegion,
    keyIdForms,
    MAX_PATTERN_LENGTH,
    OWNER_RULE_CALLS,
    ownerPattern,
    ownerRule,
    ownerWatchRules,
    secretIdForms,
    type ConsumerRuleKind,
    type OwnerRuleKind,
    type OwnerWatchInput,
    type RuleKind,
    type WatchedKey,
    type WatchedReader,
    type WatchedId,
    type WatchedSecret,
    type WatchRule,
} from "./rules";
export { ROTATION_EVENTS, rotationPattern, rotationRule, rotationWatchRules } from "./rotation";
export { watchSettings } from "./settings";
export { subscriberId, watchKeyPolicy, watchRuleArnPattern, watchTopicPolicy } from "./topic";

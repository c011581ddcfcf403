import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as kms from "@pulumi/aws/kms";
import * as sns from "@pulumi/aws/sns";
import * as pulumi from "@pulumi/pulumi";
import type { Account, OwnerStackConfig, WatchSettings, WatchSubscriber } from "../config/types";
import { placeholderKeyArn, placeholderSecretArn } from "../aws/arn";
import { QUOTAS } from "../aws/limits";
import {
    consumerWatchRules,
    globalEventsRegion,
    legacyOwnerRuleCount,
    ownerRule,
    ownerWatchRules,
    rotationRule,
    rotationWatchRules,
    ruleLogicalName,
    ruleNamePrefix,
    subscriberId,
    watchComponentName,
    watchKeyPolicy,
    watchSettings,
    watchTopicLogicalName,
    watchTopicPolicy,
    type OwnerRuleKind,
    type WatchedReader,
    type WatchRule,
} from "../watch";
import type { OwnerLayout } from "../policies/layout";
import { accountProvider } from "../aws/provider";

export interface SecretWatchArgs {
    readonly partition: string;
    /** The Region of the rules and the topic (the provider's). */
    readonly region: string;
    /** The account that owns the watched resources; only its EventBridge may publish alerts. */
    readonly accountId: string;
    /**
     * The rules by id (`<kind>-<n>`), built by `ownerWatchRules` / `consumerWatchRules`. The ids
     * are known before deploy, so one EventBridge rule is registered per id; each rule's content
     * may be an Output that waits only for the ARNs that rule selects. (An Output of all rules
     * would make every rule depend on every secret and key: quadratic at hundreds of secrets.)
     */
    readonly rules: Readonly<Record<string, pulumi.Input<WatchRule>>>;
    /** The prefix of every rule's name (`ruleNamePrefix`), unique to this stack's watch. */
    readonly rulePrefix: string;
    readonly subscribers: readonly WatchSubscriber[];
    /** Deletion window of the alert key, in days (7 to 30). */
    readonly keyDeletionWindowInDays?: number;
}

/**
 * The watch on a share, in one account and Region: EventBridge rules on CloudTrail management
 * events that select this program's secrets and keys, each with an SNS target whose input
 * transformer says what happened, to which secret, by whom and what to check, and carries the
 * CloudTrail record; the SNS topic, encrypted with its own customer managed key, that only this
 * watch's rules may publish to; and the subscriptions. Deploy it with the provider of the
 * account (and Region) it watches.
 *
 * The topic has a key of its own rather than the shared secrets' key: that key's policy is
 * sized and laid out for the readers, and an alert that "the shared key was disabled" must not
 * depend on the key that was just disabled.
 */
export class SecretWatch extends pulumi.ComponentResource {
    public readonly topicArn: pulumi.Output<string>;
    public readonly keyArn: pulumi.Output<string>;
    /** EventBridge rule ARN by rule id. */
    public readonly ruleArns: pulumi.Output<Record<string, string>>;
    /** Subscriber counts by kind; addresses never leave the subscription resources. */
    public readonly subscriberCounts: { total: number; email: number; https: number };

    constructor(name: string, args: SecretWatchArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secretshare:index:SecretWatch", name, {}, opts);

        const key = new kms.Key(
            `${name}-key`,
            {
                description: "secretshare: encrypts the watch's alert topic",
                enableKeyRotation: true,
                deletionWindowInDays: args.keyDeletionWindowInDays ?? 30,
                policy: JSON.stringify(watchKeyPolicy(args.partition, args.accountId)),
            },
            { parent: this },
        );
        const topic = new sns.Topic(
            watchTopicLogicalName(name),
            { displayName: "secretshare watch", kmsMasterKeyId: key.arn },
            { parent: this },
        );

        const ruleArns: Record<string, pulumi.Output<string>> = {};
        for (const [id, input] of Object.entries(args.rules)) {
            const rule = pulumi.output(input) as pulumi.Output<WatchRule>;
            // Pulumi appends "-" and 7 hex characters: ruleLogicalName leaves room for them.
            const logical = ruleLogicalName(args.rulePrefix, id);
            const eventRule = new cloudwatch.EventRule(
                logical,
                {
                    description: rule.apply((r) => r.description.slice(0, 512)),
                    eventPattern: rule.apply((r) => JSON.stringify(r.pattern)),
                    state: "ENABLED",
                },
                { parent: this },
            );
            new cloudwatch.EventTarget(
                logical,
                {
                    rule: eventRule.name,
                    arn: topic.arn,
                    // No roleArn: SNS targets are authorized by the topic policy, and a role can
                    // make delivery to a KMS-encrypted topic fail.
                    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
                    inputTransformer: {
                        inputPaths: rule.apply((r) => ({ ...r.inputPaths })),
                        inputTemplate: rule.apply((r) => r.inputTemplate),
                    },
                },
                { parent: this },
            );
            ruleArns[id] = eventRule.arn;
        }

        // Names the rules by their name prefix, not one by one: constant size (watch/topic.ts).
        new sns.TopicPolicy(
            `${name}-topic-policy`,
            {
                arn: topic.arn,
                policy: topic.arn.apply((topicArn) =>
                    JSON.stringify(
                        watchTopicPolicy({
                            topicArn,
                            partition: args.partition,
                            region: args.region,
                            accountId: args.accountId,
                            rulePrefix: args.rulePrefix,
                        }),
                    ),
                ),
            },
            { parent: this },
        );

        for (const s of args.subscribers) {
            new sns.TopicSubscription(
                `${name}-${subscriberId(pulumi.getStack(), s)}`,
                {
                    topic: topic.arn,
                    protocol: s.kind,
                    // A Pulumi secret: masked in previews and logs, encrypted in the state.
                    endpoint: pulumi.secret(s.address),
                },
                { parent: this },
            );
        }
        if (args.subscribers.length === 0) {
            void pulumi.log.warn(
                "secretshare:watch has no subscribers: alerts reach the topic but nobody is told. Add secretshare:watch.subscribers, or subscribe to the topic (output watch.topicArn).",
                this,
            );
        }

        this.topicArn = topic.arn;
        this.keyArn = key.arn;
        this.ruleArns = pulumi.output(ruleArns);
        this.subscriberCounts = {
            total: args.subscribers.length,
            email: args.subscribers.filter((s) => s.kind === "email").length,
            https: args.subscribers.filter((s) => s.kind === "https").length,
        };
        this.registerOutputs({
            topicArn: this.topicArn,
            keyArn: this.keyArn,
            ruleArns: this.ruleArns,
            subscribers: this.subscriberCounts,
        });
    }
}

/** What a watch exports: no subscriber address, only counts. */
export interface WatchOutputs {
    readonly topicArn: pulumi.Output<string>;
    readonly region: string;
    readonly events: readonly string[];
    readonly rules: pulumi.Output<Record<string, string>>;
    readonly subscribers: { total: number; email: number; https: number };
}

/** The fully qualified name of the running stack, `<org>/<project>/<stack>`. */
function stackRef(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
}

/**
 * The owner side's watch, when `secretshare:watch` leaves it on (the default): rules for the
 * stack's secrets and keys in the owner's account and Region. Returns undefined when it is off.
 * `secretArns` and `keyArns` are the SecretOwner's outputs (by secret name).
 */
export function ownerWatch(
    config: OwnerStackConfig,
    layout: OwnerLayout,
    arns: {
        /** ARN of each secret, by name (the SecretOwner's `secretArnOf`). */
        secretArnOf: Readonly<Record<string, pulumi.Input<string>>>;
        /** ARN of each key, by key id (the SecretOwner's `keyArnOf`). */
        keyArnOf: Readonly<Record<string, pulumi.Input<string>>>;
    },
    opts: pulumi.ComponentResourceOptions,
): WatchOutputs | undefined {
    const settings = watchSettings(config.watch);
    if (!settings.enabled) return undefined;
    const { partition, region, accountId } = config.owner.account;
    const keyIndex = new Map(layout.keys.map((k, i) => [k.id, i]));
    const input = (secretArn: (name: string) => string, keyArn: (id: string) => string) => ({
        partition,
        region,
        accountId,
        secrets: config.owner.secrets.map((s) => ({
            name: s.name,
            arn: secretArn(s.name),
            keyId: layout.keyOf[s.name],
        })),
        keys: layout.keys.map((k) => ({ id: k.id, alias: k.alias, arn: keyArn(k.id) })),
    });
    const placeholderSecret = (n: string) => placeholderSecretArn(partition, region, accountId, n);
    const placeholderKey = (id: string) => placeholderKeyArn(partition, region, accountId, keyIndex.get(id) ?? 0);
    // Placeholders have the real ARNs' length, so the planned rules split exactly as the real ones.
    const plannedInput = input(placeholderSecret, placeholderKey);
    const rotated = config.owner.secrets.filter((s) => s.rotation && !s.existing).map((s) => s.name);
    const rotationRules = rotationWatchRules(plannedInput, rotated, config.stack);
    const planned = [...ownerWatchRules(plannedInput, config.stack), ...rotationRules];
    upgradeNote(planned.length, legacyOwnerRuleCount(plannedInput), settings.rulesPerBus);
    // Each rule is rebuilt from the ARNs it lists alone: its IDs fitted one rule with
    // placeholders of the same length, so they fit one rule again, and the rule depends on those
    // secrets and keys only.
    const rules: Record<string, pulumi.Output<WatchRule>> = {};
    for (const p of rotationRules) {
        rules[p.id] = pulumi
            .all(Object.fromEntries(p.secrets.map((n) => [n, arns.secretArnOf[n]])))
            .apply((secretArns) => {
                const real = input(
                    (n) => secretArns[n] ?? placeholderSecret(n),
                    (k) => placeholderKey(k),
                );
                return rotationRule(Number(p.id.slice("rotation-".length)), real, p.secrets, config.stack);
            });
    }
    for (const p of planned) {
        if (p.kind === "rotation") continue;
        const kind = p.kind as OwnerRuleKind;
        rules[p.id] = pulumi
            .all([
                pulumi.all(Object.fromEntries(p.secrets.map((n) => [n, arns.secretArnOf[n]]))),
                pulumi.all(Object.fromEntries(p.keys.map((k) => [k, arns.keyArnOf[k]]))),
            ])
            .apply(([secretArns, keyArns]) => {
                const real = input(
                    (n) => secretArns[n] ?? placeholderSecret(n),
                    (k) => keyArns[k] ?? placeholderKey(k),
                );
                // A key rule's alert counts the secrets of its keys by their key ids: no ARNs needed.
                return ownerRule(kind, Number(p.id.slice(kind.length + 1)), real, p.ids, config.stack);
            });
    }
    const watch = new SecretWatch(
        watchComponentName(),
        {
            partition,
            region,
            accountId,
            rules,
            rulePrefix: ruleNamePrefix(stackRef(), watchComponentName(), config.stack),
            subscribers: settings.subscribers,
            keyDeletionWindowInDays: config.owner.key.deletionWindowInDays,
        },
        opts,
    );
    return outputsOf(watch, region, planned);
}

/**
 * The consumer side's watch for one consumer account: IAM events for its readers. IAM is a
 * global service whose CloudTrail events reach EventBridge in one Region only (us-east-1 in the
 * commercial partition), so the rules, topic and key live there, whatever the account's Region.
 * https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region
 */
export function consumerWatch(
    name: string,
    account: Account,
    readers: readonly WatchedReader[],
    settings: WatchSettings | undefined,
    stack: string,
): WatchOutputs | undefined {
    const s = watchSettings(settings);
    if (!s.enabled || !s.consumerSide || readers.length === 0) return undefined;
    const region = globalEventsRegion(account.partition);
    const rules = consumerWatchRules(account.partition, account.accountId, readers, stack);
    const provider = accountProvider(`consumer-${name}-${region}`, { ...account, region });
    const component = watchComponentName(name);
    const watch = new SecretWatch(
        component,
        {
            partition: account.partition,
            region,
            accountId: account.accountId,
            rules: Object.fromEntries(rules.map((r) => [r.id, r])),
            rulePrefix: ruleNamePrefix(stackRef(), component, name),
            subscribers: s.subscribers,
        },
        { provider },
    );
    return outputsOf(watch, region, rules);
}

/**
 * A one-line note when the first `pulumi up` after an upgrade from the watch of one rule per
 * call (rules named `watch-<call>-<n>`) could pass the rules-per-bus quota: Pulumi creates this
 * version's rules before it deletes those at the end of the update, so the bus briefly holds
 * both. Only when that watch fitted the quota itself: otherwise it was never deployed with
 * this config. docs/watch.md describes the two-step upgrade.
 */
function upgradeNote(rules: number, legacy: number, quota: number = QUOTAS.rulesPerBus.value): void {
    if (legacy > quota || rules + legacy <= quota) return;
    void pulumi.log.warn(
        `secretshare:watch: if this stack was last deployed with the watch of one rule per call (rules named watch-<call>-<n>), upgrade in two steps (docs/watch.md, "Upgrading"): its first pulumi up would hold ${legacy} old and ${rules} new rules on the bus at once, ${rules + legacy}, over the quota of ${quota}.`,
    );
}

function outputsOf(watch: SecretWatch, region: string, rules: readonly WatchRule[]): WatchOutputs {
    return {
        topicArn: watch.topicArn,
        region,
        events: [...new Set(rules.flatMap((r) => r.calls.map((c) => c.call)))],
        rules: watch.ruleArns,
        subscribers: watch.subscriberCounts,
    };
}

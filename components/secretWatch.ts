import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Account, OwnerStackConfig, WatchSettings, WatchSubscriber } from "../config/types";
import { placeholderKeyArn, placeholderSecretArn } from "../policies/arn";
import {
    consumerWatchRules,
    globalEventsRegion,
    ownerWatchRules,
    subscriberId,
    watchKeyPolicy,
    watchSettings,
    watchTopicPolicy,
    type WatchedReader,
    type WatchRule,
} from "../policies/events";
import type { OwnerLayout } from "../policies/layout";
import { accountProvider } from "./provider";

export interface SecretWatchArgs {
    readonly partition: string;
    /** The account that owns the watched resources; only its EventBridge may publish alerts. */
    readonly accountId: string;
    /**
     * The rules, built by `ownerWatchRules` / `consumerWatchRules` once the watched ARNs are
     * known (an Output, since secret and key ARNs exist only after deploy).
     */
    readonly rules: pulumi.Input<WatchRule[]>;
    /**
     * The ids of those rules (`<call>-<n>`), known before deploy: one EventBridge rule resource
     * is registered per id, so the resource graph does not wait for ARNs.
     */
    readonly ruleIds: readonly string[];
    readonly subscribers: readonly WatchSubscriber[];
    /** Deletion window of the alert key, in days (7 to 30). */
    readonly keyDeletionWindowInDays?: number;
}

/**
 * The watch on a share, in one account and Region: EventBridge rules on CloudTrail management
 * events that select this program's secrets and keys, each with an SNS target whose input
 * transformer says what happened, to which secret, by whom and what to check; the SNS topic,
 * encrypted with its own customer managed key, that only EventBridge may publish to; and the
 * subscriptions. Deploy it with the provider of the account (and Region) it watches.
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

        const key = new aws.kms.Key(
            `${name}-key`,
            {
                description: "secretshare: encrypts the watch's alert topic",
                enableKeyRotation: true,
                deletionWindowInDays: args.keyDeletionWindowInDays ?? 30,
                policy: JSON.stringify(watchKeyPolicy(args.partition, args.accountId)),
            },
            { parent: this },
        );
        const topic = new aws.sns.Topic(
            `${name}-topic`,
            { displayName: "secretshare watch", kmsMasterKeyId: key.arn },
            { parent: this },
        );

        const rules = pulumi.output(args.rules);
        const ruleArns: Record<string, pulumi.Output<string>> = {};
        for (const id of args.ruleIds) {
            const rule = rules.apply((all) => {
                const r = all.find((x) => x.id === id);
                if (!r) throw new Error(`watch rule ${id} was announced but not built`);
                return r;
            });
            const eventRule = new aws.cloudwatch.EventRule(
                `${name}-${id}`,
                {
                    description: rule.apply((r) => `secretshare: ${r.call.what}`.slice(0, 512)),
                    eventPattern: rule.apply((r) => JSON.stringify(r.pattern)),
                    state: "ENABLED",
                },
                { parent: this },
            );
            new aws.cloudwatch.EventTarget(
                `${name}-${id}`,
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

        new aws.sns.TopicPolicy(
            `${name}-topic-policy`,
            {
                arn: topic.arn,
                policy: pulumi
                    .all([topic.arn, pulumi.all(Object.values(ruleArns))])
                    .apply(([topicArn, arns]) =>
                        JSON.stringify(watchTopicPolicy({ topicArn, ownerAccountId: args.accountId, ruleArns: arns })),
                    ),
            },
            { parent: this },
        );

        for (const s of args.subscribers) {
            new aws.sns.TopicSubscription(
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

/**
 * The owner side's watch, when `secretshare:watch` leaves it on (the default): rules for the
 * stack's secrets and keys in the owner's account and Region. Returns undefined when it is off.
 * `secretArns` and `keyArns` are the SecretOwner's outputs (by secret name).
 */
export function ownerWatch(
    config: OwnerStackConfig,
    layout: OwnerLayout,
    arns: {
        secretArns: pulumi.Input<Record<string, string>>;
        keyArns: pulumi.Input<Record<string, string>>;
    },
    opts: pulumi.ComponentResourceOptions,
): WatchOutputs | undefined {
    const settings = watchSettings(config.watch);
    if (!settings.enabled) return undefined;
    const { partition, region, accountId } = config.owner.account;
    const build = (secretArn: (name: string) => string, keyArn: (i: number) => string) =>
        ownerWatchRules(
            {
                partition,
                region,
                accountId,
                secrets: config.owner.secrets.map((s) => ({
                    name: s.name,
                    arn: secretArn(s.name),
                    keyId: layout.keyOf[s.name],
                })),
                keys: layout.keys.map((k, i) => ({ id: k.id, alias: k.alias, arn: keyArn(i) })),
            },
            config.stack,
        );
    // Placeholders have the real ARNs' length, so the planned rules split exactly as the real ones.
    const planned = build(
        (n) => placeholderSecretArn(partition, region, accountId, n),
        (i) => placeholderKeyArn(partition, region, accountId, i),
    );
    const rules = pulumi
        .all([pulumi.output(arns.secretArns), pulumi.output(arns.keyArns)])
        .apply(([secretArns, keyArns]) =>
            build(
                (n) => secretArns[n],
                (i) => keyArns[layout.keys[i].secrets[0]],
            ),
        );
    const watch = new SecretWatch(
        "watch",
        {
            partition,
            accountId,
            rules,
            ruleIds: planned.map((r) => r.id),
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
    const watch = new SecretWatch(
        `watch-${name}`,
        {
            partition: account.partition,
            accountId: account.accountId,
            rules,
            ruleIds: rules.map((r) => r.id),
            subscribers: s.subscribers,
        },
        { provider },
    );
    return outputsOf(watch, region, rules);
}

function outputsOf(watch: SecretWatch, region: string, rules: readonly WatchRule[]): WatchOutputs {
    return {
        topicArn: watch.topicArn,
        region,
        events: [...new Set(rules.map((r) => r.call.call))],
        rules: watch.ruleArns,
        subscribers: watch.subscriberCounts,
    };
}

import * as pulumi from "@pulumi/pulumi";
import { accountProvider } from "./aws/provider";
import { currentStackRef, readOwnerStack } from "./contract/ownerReference";
import { previousKeyIds } from "./contract/previousLayout";
import { mergeOwnerViews } from "./contract/ownerViews";
import { checkExistingIdentities } from "./existing/identity";
import { findRetainedIdentities } from "./existing/ownIdentities";
import { readExisting } from "./existing/read";
import { consumerPolicyPlan, SecretConsumer } from "./components/secretConsumer";
import { SecretOwner } from "./components/secretOwner";
import { consumerWatch, ownerWatch } from "./components/secretWatch";
import { ownerRotations } from "./components/secretRotation";
import { ConfigError, LimitError } from "./common/errors";
import { configPasswords, loadConfig, type OwnerStackConfig } from "./config";
import { ownerLayout, type OwnerLayout } from "./policies/layout";

/**
 * secretshare: one program for every stack. `secretshare:mode` picks the side:
 * "owner" (the account that holds the secrets), "consumer" (a reader account, which reads the
 * owner stack by StackReference) or "all" (both sides in one stack, one provider per account).
 * Pulumi runs the exported async function and exports what it returns.
 */
export = async (): Promise<Record<string, unknown>> => {
    const config = loadConfig();

    if (config.mode === "consumer") {
        // Every owner stack this one reads; its readers get one set of policies for all of them.
        const views = [];
        for (const [i, ownerStack] of config.ownerStacks.entries()) {
            // The first keeps the name a single owner's reference always had.
            const ref = new pulumi.StackReference(i === 0 ? "owner" : `owner-${ownerStack.replace(/\//g, "-")}`, {
                name: ownerStack,
            });
            views.push({ stack: ownerStack, view: await readOwnerStack(ref, ownerStack, config.consumer) });
        }
        const owner = mergeOwnerViews(views);
        const provider = accountProvider(
            `consumer-${config.consumer.name}`,
            config.consumer,
            renamedFrom(config.formerNames),
        );
        const args = {
            readers: owner.readers,
            secretArns: owner.secretArns,
            keyArns: owner.keyArns,
            keyOf: owner.keyArns,
            secretsRegion: owner.region,
            ownerAccountId: owner.ownerAccountId,
            ...(config.ownerStacks.length > 1 && { origins: owner.origins }),
            writerStack: currentStackRef(),
        };
        const plan = consumerPolicyPlan(config.consumer.name, args);
        // An existing identity's IAM quotas count what it already holds: read it, and stop
        // before writing anything if ours would not fit. See docs/existing.md.
        await checkExistingIdentities(config.ownerStack, args.writerStack, [
            { consumer: config.consumer.name, accountId: config.consumer.accountId, plans: plan, provider },
        ]);
        // Readers this stack created before and that are still in AWS are adopted back (retained on delete).
        const retained = await findRetainedIdentities(config.ownerStack, args.writerStack, [
            { consumer: config.consumer.name, accountId: config.consumer.accountId, readers: owner.readers, provider },
        ]);
        const consumer = new SecretConsumer(
            config.consumer.name,
            { ...args, plan, retained: retained.get(config.consumer.name), formerNames: config.formerNames },
            { provider },
        );
        const watch = consumerWatch(config.consumer.name, config.consumer, owner.readers, config.watch, config.stack);
        const single =
            owner.readers.length === 1 && owner.readers[0].secrets.length === 1 ? owner.readers[0] : undefined;
        return {
            readerArns: Object.fromEntries(Object.entries(consumer.readers).map(([n, r]) => [n, r.arn])),
            ...(watch && { watch }),
            readerSecrets: Object.fromEntries(
                owner.readers.map((r) => [r.name, Object.fromEntries(r.secrets.map((s) => [s, owner.secretArns[s]]))]),
            ),
            ...(single && {
                [`${single.kind}Arn`]: consumer.readers[single.name].arn,
                [`${single.kind}Name`]: single.name,
                secretArn: owner.secretArns[single.secrets[0]],
            }),
        };
    }

    // Packed keys keep the secrets they had (policies/keyPacking.ts): read where the last run put them.
    const packed = !config.owner.key.perSecret && !config.owner.key.existing && config.owner.secrets.length > 0;
    const layout = layoutOrExplain(config, packed ? await previousKeyIds() : undefined);
    const ownerProvider = accountProvider("owner", config.owner.account);
    // An existing key or secret named in config: read its live policy and decide what to write
    // into it (foreign statements kept) before registering anything. See docs/existing.md.
    const existing = await readExisting(config.stack, "share", config.owner, layout, ownerProvider);
    // In "all" mode the consumer side is written here too: check existing readers' quotas first.
    const consumers = config.mode === "all" ? await consumerSides(config, layout) : [];
    const owner = new SecretOwner(
        "share",
        { config: config.owner, layout, passwords: configPasswords(), existing },
        { provider: ownerProvider },
    );

    const outputs: Record<string, unknown> = {
        ownerAccountId: config.owner.account.accountId,
        region: config.owner.account.region,
        secretArns: owner.secretArns,
        keyArns: owner.keyArns,
        keyAliases: owner.keyAliases,
        keyIds: layout.keyOf,
        grants: owner.grants,
    };
    if (config.owner.secrets.length === 1) {
        const only = config.owner.secrets[0].name;
        outputs.secretName = only;
        outputs.secretArn = owner.secretArnOf[only];
    }
    // Automatic rotation of the secrets whose config turns it on. See docs/rotation.md.
    const rotation = ownerRotations(
        config,
        layout,
        { secretArnOf: owner.secretArnOf, keyArnOf: owner.keyArnOf, values: owner.values },
        { provider: ownerProvider },
    );
    if (rotation) outputs.rotation = rotation;
    // The watch on the share (secretshare:watch, on by default): alerts when a shared secret, its
    // key or their policies change. See docs/watch.md.
    const watch = ownerWatch(
        config,
        layout,
        { secretArnOf: owner.secretArnOf, keyArnOf: owner.keyArnOf },
        { provider: ownerProvider },
    );
    if (watch) outputs.watch = watch;
    if (layout.keys.length === 1) {
        outputs.keyArn = owner.keyArnOf[layout.keys[0].id];
        // An existing key named by ARN or ID has no alias known to the program.
        const alias = owner.keyAliases[layout.keys[0].id] as string | undefined;
        if (alias) outputs.keyAlias = alias;
    }

    if (config.mode === "all") {
        const readerArns: Record<string, pulumi.Output<string>> = {};
        const consumerWatches: Record<string, unknown> = {};
        for (const { name, account, args, plan, provider, retained, formerNames } of consumers) {
            const consumer = new SecretConsumer(
                name,
                { ...args, secretArns: owner.secretArns, keyArns: owner.keyArns, plan, retained, formerNames },
                { provider },
            );
            for (const [n, r] of Object.entries(consumer.readers)) readerArns[`${name}/${n}`] = r.arn;
            const consumerSide = consumerWatch(name, account, layout.grants[name].readers, config.watch, config.stack);
            if (consumerSide) consumerWatches[name] = consumerSide;
        }
        outputs.readerArns = readerArns;
        // As a consumer stack does: the reader's ARN and name when one reader reads one secret.
        const readers = Object.values(layout.grants).flatMap((g) => g.readers);
        if (readers.length === 1 && readers[0].secrets.length === 1) {
            outputs[`${readers[0].kind}Arn`] = Object.values(readerArns)[0];
            outputs[`${readers[0].kind}Name`] = readers[0].name;
        }
        if (Object.keys(consumerWatches).length) outputs.consumerWatch = consumerWatches;
    }
    return outputs;
};

/** Size limits are config mistakes too: report them as such, before any resource exists. */
function layoutOrExplain(config: OwnerStackConfig, previous: Record<string, string> | undefined) {
    try {
        return ownerLayout(config.owner, previous);
    } catch (e) {
        if (e instanceof LimitError) throw new ConfigError(config.stack, e.problems);
        throw e;
    }
}

/**
 * The consumer side of an "all" stack, decided before anything is registered: per consumer
 * account its provider and the policies of its readers, with existing readers' quotas checked.
 */
async function consumerSides(config: OwnerStackConfig, layout: OwnerLayout) {
    const writerStack = currentStackRef();
    const sides = Object.entries(config.owner.consumers).map(([name, c]) => {
        const args = {
            readers: layout.grants[name].readers,
            keyOf: layout.keyOf,
            secretsRegion: config.owner.account.region,
            ownerAccountId: config.owner.account.accountId,
            writerStack,
        };
        const provider = accountProvider(`consumer-${name}`, c.account, renamedFrom(c.formerNames));
        return {
            name,
            account: c.account,
            args,
            plan: consumerPolicyPlan(name, args),
            provider,
            formerNames: c.formerNames,
        };
    });
    await checkExistingIdentities(
        config.stack,
        writerStack,
        sides.map((s) => ({ consumer: s.name, accountId: s.account.accountId, plans: s.plan, provider: s.provider })),
    );
    const retained = await findRetainedIdentities(
        config.stack,
        writerStack,
        sides.map((s) => ({
            consumer: s.name,
            accountId: s.account.accountId,
            readers: s.args.readers,
            provider: s.provider,
        })),
    );
    return sides.map((s) => ({ ...s, retained: retained.get(s.name) }));
}

/** A renamed consumer account's provider keeps its place in the state: aliased to its former names. */
function renamedFrom(formerNames: readonly string[] | undefined): pulumi.CustomResourceOptions | undefined {
    return formerNames && { aliases: formerNames.map((n) => ({ name: `consumer-${n}` })) };
}

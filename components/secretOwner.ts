import * as kms from "@pulumi/aws/kms";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { OwnerConfig } from "../config/types";
import { DESCRIPTION } from "../existing/keyLayout";
import type { ExistingResources, ResolvedKey } from "../existing/resolve";
import type { Grants } from "../contract/ownerExports";
import type { OwnerLayout } from "../policies/layout";

/**
 * Inputs of an adopted key or secret that this program does not decide: copied from the live
 * resource at import (so the import has no diff and nothing is replaced) and ignored afterwards.
 * https://www.pulumi.com/docs/iac/concepts/options/ignorechanges/
 */
const ADOPTED_KEY_IGNORED = [
    "description",
    "policy",
    "enableKeyRotation",
    "rotationPeriodInDays",
    "deletionWindowInDays",
    "isEnabled",
    "keyUsage",
    "customerMasterKeySpec",
    "multiRegion",
    "customKeyStoreId",
    "xksKeyId",
    "bypassPolicyLockoutSafetyCheck",
    "tags",
];
const ADOPTED_SECRET_IGNORED = [
    "description",
    "policy",
    "recoveryWindowInDays",
    "forceOverwriteReplicaSecret",
    "replicas",
    "tags",
];

/**
 * An adopted key or secret, and the policy written into an existing one, are retained on delete:
 * when they leave the stack (adoption turned off, the key or secret no longer named in config,
 * the stack destroyed) Pulumi only forgets them, and they stay in AWS as they were. They are not
 * `protect`ed: retention already keeps them from being deleted, and the `import` option keeps an
 * adopted one from being replaced (the engine refuses to replace a resource that still names an
 * import ID), while protection would make each of those changes fail: Pulumi refuses to remove a
 * protected resource from the stack at all.
 * https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
 * https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step_generator.go
 */
const ADOPTED: pulumi.CustomResourceOptions = { retainOnDelete: true };

export interface SecretOwnerArgs {
    /** The validated owner settings: account, key settings, secrets, protection. */
    readonly config: OwnerConfig;
    /** The documents and packing decided by `ownerLayout(config)`. */
    readonly layout: OwnerLayout;
    /**
     * Passwords by secret name, from secure config. A secret not named here gets a generated
     * password (`random.RandomPassword`, length from config, default 32).
     */
    readonly passwords?: pulumi.Input<Record<string, string>>;
    /**
     * The existing key and secrets named in config, read and resolved by `readExisting`
     * (existing/read.ts): for these, only the merged policy documents are written (or the
     * resource is adopted). Never a Key or Secret resource for a policy-only one, so nothing
     * this program did not create can be deleted or replaced by it.
     */
    readonly existing?: ExistingResources;
}

/**
 * The owner side of a share, in the account that holds the secrets: a customer managed KMS
 * key (or one per secret) with its alias and key policy, and each secret with its value and
 * resource policy. Deploy it with the owner account's provider.
 */
export class SecretOwner extends pulumi.ComponentResource {
    /** Secret ARN by secret name. */
    public readonly secretArns: pulumi.Output<Record<string, string>>;
    /** ARN of the key that encrypts each secret, by secret name. */
    public readonly keyArns: pulumi.Output<Record<string, string>>;
    /** Alias of each key, by key id ("shared", or the secret name with one key per secret). */
    public readonly keyAliases: Record<string, string>;
    /** Keys in the stack (created or adopted), by key id; a policy-only key has none. */
    public readonly keys: Record<string, kms.Key>;
    /** Secrets in the stack (created or adopted), by name; a policy-only secret has none. */
    public readonly secrets: Record<string, secretsmanager.Secret>;
    /** The first value of each created secret, by name (rotation waits for it). */
    public readonly values: Record<string, secretsmanager.SecretVersion>;
    /** ARN of every key, created or existing, by key id. */
    public readonly keyArnOf: Record<string, pulumi.Output<string>>;
    /** ARN of every secret, created or existing, by name. */
    public readonly secretArnOf: Record<string, pulumi.Output<string>>;
    /** What each consumer account's readers may read: the consumer stacks' input. */
    public readonly grants: Grants;

    constructor(name: string, args: SecretOwnerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secretshare:index:SecretOwner", name, {}, opts);
        const { config, layout } = args;
        // protect refuses `pulumi destroy` and any change that would delete the resource;
        // retainOnDelete keeps it in AWS once it does leave the stack.
        // https://www.pulumi.com/docs/iac/concepts/options/protect/
        const keep: pulumi.CustomResourceOptions = {
            parent: this,
            protect: config.protection.protect,
            retainOnDelete: config.protection.retainOnDelete,
        };

        this.keys = {};
        this.keyAliases = {};
        this.keyArnOf = {};
        for (const k of layout.keys) {
            const prefix = k.id === "shared" ? name : `${name}-${k.id}`;
            const found = args.existing?.keys[k.id];
            if (found) {
                this.keyArnOf[k.id] = this.existingKey(prefix, found);
                if (found.alias) this.keyAliases[k.id] = found.alias;
                continue;
            }
            const key = new kms.Key(
                `${prefix}-key`,
                {
                    description: `${DESCRIPTION}${k.secrets.join(", ")}`.slice(0, 8192),
                    enableKeyRotation: true,
                    deletionWindowInDays: config.key.deletionWindowInDays,
                    policy: JSON.stringify(k.policy),
                },
                keep,
            );
            new kms.Alias(`${prefix}-alias`, { name: `alias/${k.alias}`, targetKeyId: key.keyId }, { parent: this });
            this.keys[k.id] = key;
            this.keyAliases[k.id] = `alias/${k.alias}`;
            this.keyArnOf[k.id] = key.arn;
        }

        const passwords = args.passwords ? pulumi.secret(args.passwords) : undefined;
        this.secrets = {};
        this.secretArnOf = {};
        this.values = {};
        for (const spec of config.secrets) {
            const prefix = `${name}-${spec.name}`;
            const found = args.existing?.secrets[spec.name];
            if (found) {
                let secretArn: pulumi.Input<string> = found.arn;
                if (found.origin === "adopted") {
                    // Imported and retained (ADOPTED): never deleted. Its value is never written
                    // (no SecretVersion).
                    const adopted = new secretsmanager.Secret(
                        prefix,
                        {
                            name: spec.name,
                            kmsKeyId: found.reencrypt ? this.keyArnOf[layout.keyOf[spec.name]] : found.kmsKeyId,
                        },
                        { ...ADOPTED, parent: this, import: found.arn, ignoreChanges: ADOPTED_SECRET_IGNORED },
                    );
                    this.secrets[spec.name] = adopted;
                    secretArn = adopted.arn;
                }
                // DeleteResourcePolicy would drop the foreign statements too: never delete it
                // (retained, like an adopted resource, and so not protected either).
                new secretsmanager.SecretPolicy(
                    `${prefix}-policy`,
                    { secretArn, policy: JSON.stringify(found.policy), blockPublicPolicy: true },
                    { ...ADOPTED, parent: this },
                );
                this.secretArnOf[spec.name] = pulumi.output(secretArn);
                continue;
            }
            const secret = new secretsmanager.Secret(
                prefix,
                {
                    name: spec.name,
                    description: spec.description,
                    kmsKeyId: this.keyArnOf[layout.keyOf[spec.name]],
                    recoveryWindowInDays: spec.recoveryWindowInDays,
                },
                keep,
            );
            const password = spec.passwordFromConfig
                ? (passwords as pulumi.Output<Record<string, string>>).apply((p) => p[spec.name])
                : new random.RandomPassword(
                      `${prefix}-password`,
                      // Changing `regenerate` in config replaces the password; the old value
                      // stays readable as AWSPREVIOUS, which readers are denied. The keeper keeps
                      // its earlier name, `rotation`: renaming it would replace every password.
                      { length: spec.passwordLength, keepers: { rotation: spec.regenerate } },
                      { parent: this },
                  ).result;
            this.values[spec.name] = new secretsmanager.SecretVersion(
                `${prefix}-value`,
                {
                    secretId: secret.id,
                    // The value is a Pulumi secret: encrypted in state, masked in outputs and logs.
                    secretString: pulumi.secret(pulumi.jsonStringify({ username: spec.username, password })),
                },
                { parent: this },
            );
            new secretsmanager.SecretPolicy(
                `${prefix}-policy`,
                {
                    secretArn: secret.arn,
                    policy: JSON.stringify(layout.secretPolicies[spec.name]),
                    // AWS does not block public policies unless asked to.
                    // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html
                    blockPublicPolicy: true,
                },
                { parent: this },
            );
            this.secrets[spec.name] = secret;
            this.secretArnOf[spec.name] = secret.arn;
        }

        this.secretArns = pulumi.output(this.secretArnOf);
        this.keyArns = pulumi.output(
            Object.fromEntries(config.secrets.map((s) => [s.name, this.keyArnOf[layout.keyOf[s.name]]])),
        );
        this.grants = layout.grants;
        this.registerOutputs({ secretArns: this.secretArns, keyArns: this.keyArns, grants: this.grants });
    }

    /**
     * An existing key: only its key policy (foreign statements kept) is written, with an
     * `kms.KeyPolicy`, which is retained on delete because deleting it would put back AWS's
     * default key policy and drop every statement somebody else wrote.
     * https://www.pulumi.com/registry/packages/aws/api-docs/kms/keypolicy/
     * Adopted: the key is also imported into the stack, and retained (ADOPTED).
     */
    private existingKey(prefix: string, found: ResolvedKey): pulumi.Output<string> {
        let keyId: pulumi.Input<string> = found.keyId;
        if (found.origin === "adopted") {
            const adopted = new kms.Key(
                `${prefix}-key`,
                { description: found.description },
                { ...ADOPTED, parent: this, import: found.keyId, ignoreChanges: ADOPTED_KEY_IGNORED },
            );
            this.keys[found.id] = adopted;
            keyId = adopted.keyId;
        }
        new kms.KeyPolicy(
            `${prefix}-key-policy`,
            { keyId, policy: JSON.stringify(found.policy) },
            { ...ADOPTED, parent: this },
        );
        return pulumi.output(found.arn);
    }
}

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { OwnerConfig } from "../config/types";
import type { Grants, OwnerLayout } from "../policies/layout";

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
    public readonly keys: Record<string, aws.kms.Key>;
    public readonly secrets: Record<string, aws.secretsmanager.Secret>;
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
        for (const k of layout.keys) {
            const prefix = k.id === "shared" ? name : `${name}-${k.id}`;
            const key = new aws.kms.Key(
                `${prefix}-key`,
                {
                    description: `secretshare: encrypts ${k.secrets.join(", ")}`.slice(0, 8192),
                    enableKeyRotation: true,
                    deletionWindowInDays: config.key.deletionWindowInDays,
                    policy: JSON.stringify(k.policy),
                },
                keep,
            );
            new aws.kms.Alias(
                `${prefix}-alias`,
                { name: `alias/${k.alias}`, targetKeyId: key.keyId },
                { parent: this },
            );
            this.keys[k.id] = key;
            this.keyAliases[k.id] = `alias/${k.alias}`;
        }

        const passwords = args.passwords ? pulumi.secret(args.passwords) : undefined;
        this.secrets = {};
        for (const spec of config.secrets) {
            const prefix = `${name}-${spec.name}`;
            const secret = new aws.secretsmanager.Secret(
                prefix,
                {
                    name: spec.name,
                    description: spec.description,
                    kmsKeyId: this.keys[layout.keyOf[spec.name]].arn,
                    recoveryWindowInDays: spec.recoveryWindowInDays,
                },
                keep,
            );
            const password = spec.passwordFromConfig
                ? (passwords as pulumi.Output<Record<string, string>>).apply((p) => p[spec.name])
                : new random.RandomPassword(
                      `${prefix}-password`,
                      // Changing `rotation` in config replaces the password; the old value
                      // stays readable as AWSPREVIOUS, which readers are denied.
                      { length: spec.passwordLength, keepers: { rotation: spec.rotation } },
                      { parent: this },
                  ).result;
            new aws.secretsmanager.SecretVersion(
                `${prefix}-value`,
                {
                    secretId: secret.id,
                    // The value is a Pulumi secret: encrypted in state, masked in outputs and logs.
                    secretString: pulumi.secret(pulumi.jsonStringify({ username: spec.username, password })),
                },
                { parent: this },
            );
            new aws.secretsmanager.SecretPolicy(
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
        }

        this.secretArns = pulumi.output(Object.fromEntries(Object.entries(this.secrets).map(([n, s]) => [n, s.arn])));
        this.keyArns = pulumi.output(
            Object.fromEntries(config.secrets.map((s) => [s.name, this.keys[layout.keyOf[s.name]].arn])),
        );
        this.grants = layout.grants;
        this.registerOutputs({ secretArns: this.secretArns, keyArns: this.keyArns, grants: this.grants });
    }
}

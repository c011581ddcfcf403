import * as path from "path";
import * as cloudwatch from "@pulumi/aws/cloudwatch";
import * as iam from "@pulumi/aws/iam";
import * as lambda from "@pulumi/aws/lambda";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import type { OwnerStackConfig, RotationSpec } from "../config/types";
import { currentStackRef } from "../contract/ownerReference";
import {
    logGroupArn,
    ROTATION_LOG_RETENTION_DAYS,
    ROTATION_RUNTIME,
    rotationNames,
    rotationRolePolicy,
    rotationRules,
    rotationTrustPolicy,
    type RotationNames,
} from "../policies/rotation";
import type { OwnerLayout } from "../policies/layout";
import type { PolicyDocument } from "../policies/documents";

/**
 * The rotation function's folder, shipped as it is in the repository: one file, index.js (no
 * build, no download; the AWS SDK is the runtime's).
 */
export const ROTATION_FUNCTION_DIR = path.join(__dirname, "..", "rotation", "function");

export interface SecretRotationArgs {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
    /** The secret's ARN (the Secret resource's `arn`). */
    readonly secretArn: pulumi.Input<string>;
    /** The ARN of the key that encrypts it. */
    readonly keyArn: pulumi.Input<string>;
    /** The schedule, window and (for another function) the function's ARN, from config. */
    readonly rotation: RotationSpec;
    /** The length of the generated password; used by the program's own function only. */
    readonly passwordLength: number;
    /** The physical names of the function, role and log group (`rotationNames`). */
    readonly names: RotationNames;
    /** Resources that must exist before rotation is turned on (the secret's first value). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * Automatic rotation of one secret. With the program's own function (no `rotation.function`):
 * the function (the folder rotation/function, one file, on the Node.js runtime), its role with the policy of
 * `rotationRolePolicy` (this secret and its key only) and its log group with a retention, the
 * permission that lets Secrets Manager invoke it for this secret only, and the schedule. With a
 * function named in config: the permission and the schedule; the policy its role needs is
 * exported (`rolePolicyToGrant`), for the team that owns the function to attach
 * (docs/rotation.md). Deploy it with the owner account's provider.
 */
export class SecretRotation extends pulumi.ComponentResource {
    /** The ARN of the function that rotates the secret. */
    public readonly functionArn: pulumi.Output<string>;
    /** The ARN of the role this component creates for its function; absent for a function named in config. */
    public readonly roleArn?: pulumi.Output<string>;
    /** For a function named in config: the identity policy its role needs, to attach on the team's side. */
    public readonly rolePolicyToGrant?: pulumi.Output<PolicyDocument>;

    constructor(name: string, args: SecretRotationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secretshare:index:SecretRotation", name, {}, opts);
        const { partition, region, accountId, names } = args;
        let functionArn: pulumi.Output<string>;
        let invokeDependsOn: pulumi.Resource[] = [];
        if (args.rotation.function) {
            functionArn = pulumi.output(args.rotation.function);
            this.rolePolicyToGrant = pulumi
                .all([args.secretArn, args.keyArn])
                .apply(([secretArn, keyArn]) => rotationRolePolicy({ region, secretArn, keyArn }));
        } else {
            const logGroup = new cloudwatch.LogGroup(
                `${name}-logs`,
                { name: names.logGroup, retentionInDays: ROTATION_LOG_RETENTION_DAYS },
                { parent: this },
            );
            const role = new iam.Role(
                `${name}-role`,
                {
                    name: names.role,
                    description: "secretshare: rotates one shared secret",
                    assumeRolePolicy: JSON.stringify(rotationTrustPolicy()),
                },
                { parent: this },
            );
            const rolePolicy = new iam.RolePolicy(
                `${name}-role-policy`,
                {
                    role: role.name,
                    name: "secretshare-rotation",
                    policy: pulumi.all([args.secretArn, args.keyArn]).apply(([secretArn, keyArn]) =>
                        JSON.stringify(
                            rotationRolePolicy({
                                region,
                                secretArn,
                                keyArn,
                                logGroupArn: logGroupArn(partition, region, accountId, names.logGroup),
                            }),
                        ),
                    ),
                },
                { parent: this },
            );
            const fn = new lambda.Function(
                `${name}-function`,
                {
                    name: names.function,
                    description: "secretshare: rotates one shared secret (generated password)",
                    role: role.arn,
                    runtime: ROTATION_RUNTIME,
                    handler: "index.handler",
                    code: new pulumi.asset.FileArchive(ROTATION_FUNCTION_DIR),
                    timeout: 30,
                    memorySize: 128,
                    environment: {
                        variables: { SECRET_ARN: args.secretArn, PASSWORD_LENGTH: String(args.passwordLength) },
                    },
                    loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
                },
                // The role's policy and the log group first, so the first invocation has both.
                { parent: this, dependsOn: [logGroup, rolePolicy] },
            );
            functionArn = fn.arn;
            invokeDependsOn = [rolePolicy];
            this.roleArn = role.arn;
        }
        // Only Secrets Manager, only for this secret of this account, may invoke the function.
        // https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html
        const permission = new lambda.Permission(
            `${name}-invoke`,
            {
                action: "lambda:InvokeFunction",
                function: functionArn,
                principal: "secretsmanager.amazonaws.com",
                sourceAccount: accountId,
                sourceArn: args.secretArn,
            },
            { parent: this },
        );
        // Not at once on create: the secret's first value is fresh, and IAM may not yet have
        // spread the new role's policy. Rotation starts on the schedule (or with RotateSecret).
        new secretsmanager.SecretRotation(
            `${name}-schedule`,
            {
                secretId: args.secretArn,
                rotationLambdaArn: functionArn,
                rotationRules: rotationRules(args.rotation),
                rotateImmediately: false,
            },
            { parent: this, dependsOn: [permission, ...invokeDependsOn, ...(args.dependsOn ?? [])] },
        );
        this.functionArn = functionArn;
        this.registerOutputs({ functionArn, roleArn: this.roleArn, rolePolicyToGrant: this.rolePolicyToGrant });
    }
}

/** What the owner stack exports for each rotated secret. */
export interface RotationOutputs {
    readonly function: pulumi.Output<string>;
    readonly schedule: ReturnType<typeof rotationRules>;
    readonly role?: pulumi.Output<string>;
    readonly rolePolicyToGrant?: pulumi.Output<PolicyDocument>;
}

/**
 * Rotation of every created secret whose config turns it on, each its own component (and, for
 * the program's function, its own function and role). Undefined when none rotates.
 */
export function ownerRotations(
    config: OwnerStackConfig,
    layout: OwnerLayout,
    arns: {
        readonly secretArnOf: Readonly<Record<string, pulumi.Input<string>>>;
        readonly keyArnOf: Readonly<Record<string, pulumi.Input<string>>>;
        readonly values?: Readonly<Record<string, pulumi.Resource>>;
    },
    opts: pulumi.ComponentResourceOptions,
): Record<string, RotationOutputs> | undefined {
    const { partition, region, accountId } = config.owner.account;
    const out: Record<string, RotationOutputs> = {};
    for (const spec of config.owner.secrets) {
        if (!spec.rotation || spec.existing) continue;
        const value = arns.values?.[spec.name];
        const r = new SecretRotation(
            `rotation-${spec.name}`,
            {
                partition,
                region,
                accountId,
                secretArn: arns.secretArnOf[spec.name],
                keyArn: arns.keyArnOf[layout.keyOf[spec.name]],
                rotation: spec.rotation,
                passwordLength: spec.passwordLength,
                names: rotationNames(currentStackRef(), spec.name),
                ...(value && { dependsOn: [value] }),
            },
            opts,
        );
        out[spec.name] = {
            function: r.functionArn,
            schedule: rotationRules(spec.rotation),
            ...(r.roleArn && { role: r.roleArn }),
            ...(r.rolePolicyToGrant && { rolePolicyToGrant: r.rolePolicyToGrant }),
        };
    }
    return Object.keys(out).length ? out : undefined;
}

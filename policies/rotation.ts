import { createHash } from "crypto";
import { secretsManagerService } from "../aws/arn";
import type { RotationSpec } from "../config/types";
import type { PolicyDocument, Statement } from "./documents";

/**
 * The documents, names and schedule of automatic rotation, from plain values: the component
 * (components/secretRotation.ts), the tests and the offline plan all call these. One rotation
 * function and one role per rotated secret, so that each role reaches exactly one secret: a
 * fault in one rotation cannot read or write another secret.
 */

/**
 * What a rotation function calls on its secret, and nothing else: the four steps read the
 * secret's metadata and values, write the pending version and move the AWSCURRENT label.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotating-secrets-required-permissions-function.html
 */
export const ROTATION_ACTIONS = [
    "secretsmanager:DescribeSecret",
    "secretsmanager:GetSecretValue",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecretVersionStage",
] as const;

/** What Secrets Manager asks of the key for the function: decrypt to read, a data key to write. */
export const ROTATION_KEY_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"] as const;

/** The Lambda runtime of the program's rotation function: its SDK v3 is the runtime's own. */
export const ROTATION_RUNTIME = "nodejs24.x";

/** Days the rotation function's logs are kept (a value CloudWatch Logs accepts). */
export const ROTATION_LOG_RETENTION_DAYS = 90;

export interface RotationPolicyArgs {
    readonly region: string;
    readonly secretArn: string;
    readonly keyArn: string;
    /** The function's log group ARN (without ":*"); absent for a function this program does not create. */
    readonly logGroupArn?: string;
}

/**
 * The identity policy of a rotation function's role: the four calls on exactly its secret, and
 * kms:Decrypt / kms:GenerateDataKey on the secret's key only through Secrets Manager and only
 * for that secret (the encryption context Secrets Manager sends carries its ARN), the same way
 * readers are bound; and writing to its own log group. The key policy lets the owner account's
 * IAM policies grant the key (its first statement), so this policy is enough for a role of the
 * owner account; the plan's matrix proves it with the key policy as written.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-encryption-context
 */
export function rotationRolePolicy(args: RotationPolicyArgs): PolicyDocument {
    const statements: Statement[] = [
        { Sid: "RotateItsSecret", Effect: "Allow", Action: [...ROTATION_ACTIONS], Resource: args.secretArn },
        {
            Sid: "KeyViaSecretsManagerForItsSecret",
            Effect: "Allow",
            Action: [...ROTATION_KEY_ACTIONS],
            Resource: args.keyArn,
            Condition: {
                StringEquals: {
                    "kms:ViaService": secretsManagerService(args.region),
                    "kms:EncryptionContext:SecretARN": args.secretArn,
                },
            },
        },
    ];
    if (args.logGroupArn) {
        // The group exists (the component creates it, with a retention): no logs:CreateLogGroup.
        statements.push({
            Sid: "WriteItsLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: `${args.logGroupArn}:log-stream:*`,
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/**
 * The trust policy of the rotation function's role: the Lambda service only. No
 * `aws:SourceAccount` condition: Lambda's documentation of the execution role names no such key
 * on the AssumeRole it makes, and a condition on a key that is not sent would keep the function
 * from ever running. The confused-deputy path is closed another way: a function can only be
 * given this role by a principal of this account allowed `iam:PassRole` on it, and a role
 * cannot be passed to another account's function.
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
 */
export function rotationTrustPolicy(): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "LambdaAssumesRotationRole",
                Effect: "Allow",
                Principal: { Service: "lambda.amazonaws.com" },
                Action: "sts:AssumeRole",
            },
        ],
    };
}

/** The physical names of a secret's rotation function, its role and its log group. */
export interface RotationNames {
    readonly function: string;
    readonly role: string;
    readonly logGroup: string;
}

const NAME_PREFIX = "secretshare-rotate-";
/** Lambda function names: 64 characters of [A-Za-z0-9_-]; IAM role names: 64 of a wider set. */
const MAX_NAME = 64;

/**
 * Names that fit Lambda's and IAM's 64 characters whatever the secret's name (up to 512
 * characters, with `/+=.@` that Lambda refuses): the prefix, the name's allowed characters cut
 * to fit, and 8 hex characters of the stack and secret, so that two stacks (or two names that
 * read the same once cut) never share a function or role.
 * https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
 */
export function rotationNames(stackRef: string, secretName: string): RotationNames {
    const tag = createHash("sha256").update(`${stackRef}\n${secretName}`).digest("hex").slice(0, 8);
    const room = MAX_NAME - NAME_PREFIX.length - 1 - tag.length;
    const readable = secretName.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, room);
    const name = `${NAME_PREFIX}${readable}-${tag}`;
    return { function: name, role: name, logGroup: `/aws/lambda/${name}` };
}

/** The ARN of a log group, as CloudWatch Logs builds it (without the ":*" of DescribeLogGroups). */
export function logGroupArn(partition: string, region: string, accountId: string, name: string): string {
    return `arn:${partition}:logs:${region}:${accountId}:log-group:${name}`;
}

/** The ARN of a Lambda function of this account and Region. */
export function functionArn(partition: string, region: string, accountId: string, name: string): string {
    return `arn:${partition}:lambda:${region}:${accountId}:function:${name}`;
}

/** Secrets Manager's RotationRules for a rotation spec, in the provider's input names. */
export function rotationRules(spec: RotationSpec): {
    automaticallyAfterDays?: number;
    scheduleExpression?: string;
    duration?: string;
} {
    if (spec.everyDays !== undefined) return { automaticallyAfterDays: spec.everyDays };
    return { scheduleExpression: spec.schedule, ...(spec.window && { duration: spec.window }) };
}

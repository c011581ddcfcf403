/**
 * The one place that builds and reads ARNs, over plain strings. Pure: shared by the components,
 * the tests, the plan and verify.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */

/** The five fields of an ARN; `resource` is everything after the account (it may hold ':'). */
export interface Arn {
    readonly partition: string;
    readonly service: string;
    readonly region: string;
    readonly accountId: string;
    readonly resource: string;
}

/** Reads any ARN of one of the three partitions; undefined for anything else. */
export function parseArn(text: string): Arn | undefined {
    const m = /^arn:(aws|aws-cn|aws-us-gov):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:(.+)$/.exec(text);
    if (!m) return undefined;
    return { partition: m[1], service: m[2], region: m[3], accountId: m[4] ?? "", resource: m[5] };
}

/** The ARN partition a region belongs to. */
export function partitionOf(region: string): string {
    if (region.startsWith("cn-")) return "aws-cn";
    if (region.startsWith("us-gov-")) return "aws-us-gov";
    return "aws";
}

export function accountRootArn(partition: string, accountId: string): string {
    return `arn:${partition}:iam::${accountId}:root`;
}

/** `arn:aws:iam::<account>:user/<path><name>`; the default path "/" adds nothing. */
export function identityArn(
    partition: string,
    accountId: string,
    kind: "user" | "role",
    path: string,
    name: string,
): string {
    return `arn:${partition}:iam::${accountId}:${kind}${path}${name}`;
}

/** The account ID in an ARN (its fifth field). */
export function accountOfArn(arn: string): string {
    return arn.split(":")[4] ?? "";
}

/**
 * Every ARN Secrets Manager gives a secret named `name`: it appends "-" and six random
 * characters. The pattern lets a key policy name secrets before they exist, and
 * secret names that end in "-" plus six characters are refused by config for this reason.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
 */
export function secretArnPattern(partition: string, region: string, accountId: string, name: string): string {
    return `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${name}-??????`;
}

/** A stand-in with the exact length of a real secret ARN, for size checks before deploy. */
export function placeholderSecretArn(partition: string, region: string, accountId: string, name: string): string {
    return `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${name}-AbCdEf`;
}

/** A stand-in with the exact length of a real key ARN (key IDs are UUIDs). */
export function placeholderKeyArn(partition: string, region: string, accountId: string, index = 0): string {
    const id = `00000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`;
    return `arn:${partition}:kms:${region}:${accountId}:key/${id}`;
}

/** The service name Secrets Manager uses when it calls KMS for a caller (`kms:ViaService`). */
export function secretsManagerService(region: string): string {
    return `secretsmanager.${region}.amazonaws.com`;
}

// Secret ARNs end with the name, "-" and six random characters.
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_iam-permissions.html#iam-resources
const SECRET_ARN =
    /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})-[A-Za-z0-9]{6}$/;

export interface SecretArn {
    readonly arn: string;
    readonly region: string;
    readonly accountId: string;
    readonly name: string;
}

export const SECRET_ARN_FORM =
    "expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as the console shows it)";

export function parseSecretArn(value: string): SecretArn | { error: string } {
    const m = SECRET_ARN.exec(value);
    if (m) return { arn: value, region: m[2], accountId: m[3], name: m[4] };
    if (/^arn:[^:]*:secretsmanager:[^:]*:\d{12}:secret:[^:]+$/.test(value)) {
        return {
            error: `${SECRET_ARN_FORM}; this looks like a partial ARN (no -XXXXXX suffix): give the full ARN, or the name with existing: true`,
        };
    }
    return { error: SECRET_ARN_FORM };
}

/** An IAM user or role ARN, read: `arn:<partition>:iam::<account>:<kind><path><name>`. */
export interface IdentityArn {
    readonly partition: string;
    readonly accountId: string;
    readonly kind: "user" | "role";
    /** "/" or "/a/b/". */
    readonly path: string;
    readonly name: string;
}

/** Reads an IAM user or role ARN (the form `identityArn` builds); undefined for anything else. */
export function parseIdentityArn(text: string): IdentityArn | undefined {
    const arn = parseArn(text);
    if (arn?.service !== "iam" || arn.region !== "" || !/^\d{12}$/.test(arn.accountId)) return undefined;
    const m = /^(user|role)(\/(?:[^/]+\/)*)([^/]+)$/.exec(arn.resource);
    if (!m) return undefined;
    const [, kind, path, name] = m;
    return { partition: arn.partition, accountId: arn.accountId, kind: kind as "user" | "role", path, name };
}

/** ARN builders over plain strings. Pure: shared by the components, the tests and the plan. */

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

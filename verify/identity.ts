import { parseArn } from "../aws/arn";

/**
 * The IAM identity behind a caller ARN: an assumed-role session is its role. A user or role is
 * named by the last part of its resource (the part after its path).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
export function identityOf(callerArn: string): { kind: "user" | "role" | "other"; account: string; name: string } {
    const arn = parseArn(callerArn);
    if (!arn) return { kind: "other", account: "", name: callerArn };
    const { accountId: account, resource } = arn;
    if (resource.startsWith("assumed-role/")) return { kind: "role", account, name: resource.split("/")[1] ?? "" };
    if (resource.startsWith("user/")) return { kind: "user", account, name: resource.split("/").pop() ?? "" };
    if (resource.startsWith("role/")) return { kind: "role", account, name: resource.split("/").pop() ?? "" };
    return { kind: "other", account, name: resource };
}

/** Whether two ARNs name the same user or role (a session of a role counts as the role). */
export function sameIdentity(callerArn: string, readerArn: string): boolean {
    const a = identityOf(callerArn);
    const b = identityOf(readerArn);
    return a.kind === b.kind && a.account === b.account && a.name === b.name;
}

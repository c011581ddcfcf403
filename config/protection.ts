import { z } from "zod";
import { NAMESPACE } from "./problems";
import type { Reader, SecretSpec } from "./types";

/**
 * `secretshare:protection` (what guards the key and secrets against deletion) and
 * `secretshare:secretPolicy` (how the policies the program writes name each reader).
 */

export const secretPolicy = z.strictObject({
    /**
     * "account-root": Principal is the reader's account root, restricted with
     * ArnEquals aws:PrincipalArn (default; survives a user being recreated).
     * "principal-arn": the per-principal form of the walk-through's example, the reader's ARN as Principal.
     */
    principalForm: z.enum(["account-root", "principal-arn"]).default("account-root"),
    /** Also accept GetSecretValue calls that name neither a version stage nor a version ID. */
    acceptDefaultStage: z.boolean().default(false),
});

export const protection = z.strictObject({
    /** pulumi `protect`: refuse to delete the key and secrets. */
    protect: z.boolean().default(true),
    /** pulumi `retainOnDelete`: when they do leave the stack, keep them in AWS. */
    retainOnDelete: z.boolean().default(true),
});

/**
 * The per-principal form only suits readers that already exist. AWS refuses to save a resource
 * or key policy that names a principal that does not exist (MalformedPolicyDocumentException),
 * and the owner's policies are written before any consumer stack creates its readers.
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html
 */
export function principalFormProblems(settings: z.output<typeof secretPolicy>, readers: Iterable<Reader>): string[] {
    if (settings.principalForm !== "principal-arn") return [];
    const created = [...readers].filter((r) => !r.existing).map((r) => r.id);
    if (!created.length) return [];
    return [
        `${NAMESPACE}:secretPolicy.principalForm = "principal-arn": this form names each reader's ARN as Principal, ` +
            `and AWS refuses to save a policy that names a principal that does not exist yet; ` +
            `${created.join(", ")} ${created.length === 1 ? "is" : "are"} created by this program after the owner's policies. ` +
            `Use principalForm: account-root (the default); principal-arn suits readers that exist outside this program (existing: true).`,
    ];
}

/**
 * `recoveryWindowInDays: 0` deletes a secret at once, without a recovery window: nothing can
 * bring it back. Without it, a deleted secret's name stays taken for its recovery window (7 to
 * 30 days), so a stack torn down and rebuilt (a sandbox) cannot create it again until then.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
 * Accepted only where deletion is meant to happen: with protection off (protect and
 * retainOnDelete both false).
 */
export function recoveryWindowProblems(
    settings: z.output<typeof protection>,
    secrets: readonly SecretSpec[],
): string[] {
    if (!settings.protect && !settings.retainOnDelete) return [];
    const on = [settings.protect && "protect", settings.retainOnDelete && "retainOnDelete"]
        .filter(Boolean)
        .join(" and ");
    return secrets
        .filter((s) => !s.existing && s.recoveryWindowInDays === 0)
        .map(
            (s) =>
                `${NAMESPACE}:secrets (${s.name}).recoveryWindowInDays = 0: deletes the secret at once, with no way to restore it, ` +
                `and ${NAMESPACE}:protection has ${on} on; a window of 0 is for stacks that are torn down on purpose (a sandbox): ` +
                `set protection.protect and protection.retainOnDelete to false, or give a window of 7 to 30 days.`,
        );
}

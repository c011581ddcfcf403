import { z } from "zod";
import { NAMESPACE } from "./problems";
import type { Reader } from "./types";

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

import type { PolicyDocument } from "../policies/documents";

/**
 * AWS size limits of the documents this program writes.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const LIMITS = {
    secretPolicy: { size: 20480, unit: "characters", what: "secret resource policy" },
    keyPolicy: { size: 32768, unit: "bytes", what: "KMS key policy" },
    userInline: { size: 2048, unit: "characters", what: "user inline policy" },
    roleInline: { size: 10240, unit: "characters", what: "role inline policy" },
    managedPolicy: { size: 6144, unit: "characters", what: "customer managed policy" },
} as const;

export type LimitName = keyof typeof LIMITS;

/** Managed policies attached to one user or role (the default IAM quota). */
export const MAX_ATTACHED_POLICIES = 10;

/**
 * A document's size as AWS counts it: IAM ignores whitespace, so the compact JSON is what
 * counts; KMS counts bytes of the document.
 */
export function sizeOf(doc: PolicyDocument, limit: LimitName): number {
    const text = JSON.stringify(doc);
    return LIMITS[limit].unit === "bytes" ? Buffer.byteLength(text, "utf8") : text.length;
}

export interface SizeReport {
    readonly document: string;
    readonly limit: LimitName;
    readonly size: number;
    readonly max: number;
}

export function measure(document: string, doc: PolicyDocument, limit: LimitName): SizeReport {
    return { document, limit, size: sizeOf(doc, limit), max: LIMITS[limit].size };
}

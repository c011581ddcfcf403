import type { PolicyDocument } from "../policies/documents";

/**
 * The catalogue of AWS limits this program's resources must fit: the size of each document it
 * writes (here) and the quotas on how many of a thing an account holds (`QUOTAS`); the rules
 * for physical names are in aws/names.ts. Each entry has the documented value, the public page
 * that documents it, and the resource types or documents it applies to. The layout (packing)
 * and config (a created role's trust policy) check sizes before any resource is registered;
 * the offline plan (plan/preflight.ts) checks every registered resource of every planned stack
 * against all of it. docs/limits.md is the catalogue as a table, compared with this file by
 * test/aws/limits.test.ts.
 */

const SM_QUOTAS = "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_limits.html";
const KMS_QUOTAS = "https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html";
const IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html";
const EB_QUOTAS = "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html";
const SNS_POLICY =
    "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html";

export interface SizeLimit {
    readonly size: number;
    readonly unit: "characters" | "bytes";
    /** What the document is, for messages: "... over the 2,048 AWS allows for a <what>". */
    readonly what: string;
    /** IAM does not count whitespace; the others count the text as sent. */
    readonly whitespace: "not counted" | "counted";
    /** A default that a Service Quotas request can raise (the plan checks the default unless a setting states more). */
    readonly adjustable: boolean;
    /** The config setting that states a raised quota, if there is one, and the most AWS raises it to. */
    readonly setting?: string;
    readonly raisedMax?: number;
    /** The resource types (and their input) that carry the document. */
    readonly appliesTo: readonly string[];
    readonly source: string;
}

/** AWS size limits of the documents this program writes. */
export const LIMITS = {
    secretPolicy: {
        size: 20480,
        unit: "characters",
        what: "secret resource policy",
        whitespace: "counted",
        adjustable: false,
        appliesTo: ["aws:secretsmanager/secretPolicy:SecretPolicy policy"],
        source: SM_QUOTAS,
    },
    keyPolicy: {
        size: 32768,
        unit: "bytes",
        what: "KMS key policy",
        whitespace: "counted",
        adjustable: false,
        appliesTo: ["aws:kms/key:Key policy", "aws:kms/keyPolicy:KeyPolicy policy"],
        source: KMS_QUOTAS,
    },
    userInline: {
        size: 2048,
        unit: "characters",
        what: "user inline policy",
        whitespace: "not counted",
        adjustable: false,
        appliesTo: ["aws:iam/userPolicy:UserPolicy policy (all inline policies of one user together)"],
        source: IAM_QUOTAS,
    },
    roleInline: {
        size: 10240,
        unit: "characters",
        what: "role inline policy",
        whitespace: "not counted",
        adjustable: false,
        appliesTo: ["aws:iam/rolePolicy:RolePolicy policy (all inline policies of one role together)"],
        source: IAM_QUOTAS,
    },
    managedPolicy: {
        size: 6144,
        unit: "characters",
        what: "customer managed policy",
        whitespace: "not counted",
        adjustable: false,
        appliesTo: ["aws:iam/policy:Policy policy"],
        source: IAM_QUOTAS,
    },
    trustPolicy: {
        size: 2048,
        unit: "characters",
        what: "role trust policy",
        whitespace: "not counted",
        adjustable: true,
        // The config check (config/readers.ts) and the plan's both read it, per consumer account.
        setting: "secretshare:consumers.<account>.roleTrustPolicyLength",
        raisedMax: 4096,
        appliesTo: ["aws:iam/role:Role assumeRolePolicy"],
        source: IAM_QUOTAS,
    },
    eventPattern: {
        size: 2048,
        unit: "characters",
        what: "EventBridge event pattern",
        whitespace: "counted",
        adjustable: true,
        appliesTo: ["aws:cloudwatch/eventRule:EventRule eventPattern"],
        source: EB_QUOTAS,
    },
    inputTemplate: {
        size: 8192,
        unit: "characters",
        what: "EventBridge input template",
        whitespace: "counted",
        adjustable: false,
        appliesTo: ["aws:cloudwatch/eventTarget:EventTarget inputTransformer.inputTemplate"],
        source: "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html",
    },
    topicPolicy: {
        size: 30720,
        unit: "bytes",
        what: "SNS topic policy",
        whitespace: "counted",
        adjustable: false,
        appliesTo: ["aws:sns/topicPolicy:TopicPolicy policy", "aws:sns/topic:Topic policy"],
        source: SNS_POLICY,
    },
} as const satisfies Record<string, SizeLimit>;

export type LimitName = keyof typeof LIMITS;

export interface Quota {
    readonly value: number;
    readonly what: string;
    /** What is counted, and over what scope. */
    readonly per: string;
    readonly adjustable: boolean;
    /** The config setting that states a raised quota, if there is one. */
    readonly setting?: string;
    readonly appliesTo: readonly string[];
    readonly source: string;
}

/** How many of a thing one account (and Region, or bus, or identity) may hold. */
export const QUOTAS = {
    rulesPerBus: {
        value: 300,
        what: "EventBridge rules per event bus",
        per: "rules on one event bus of one account and Region (the default bus here)",
        adjustable: true,
        setting: "secretshare:watch.rulesPerBus",
        appliesTo: ["aws:cloudwatch/eventRule:EventRule"],
        source: EB_QUOTAS,
    },
    wildcardRulesPerBus: {
        value: 30,
        what: "EventBridge rules with wildcard filters per event bus",
        per: "rules whose pattern uses the wildcard operator, on one event bus",
        adjustable: false,
        appliesTo: ["aws:cloudwatch/eventRule:EventRule"],
        source: EB_QUOTAS,
    },
    attachedPolicies: {
        value: 10,
        what: "managed policies attached to one IAM user or role",
        per: "attachments to one user or role",
        adjustable: true,
        appliesTo: [
            "aws:iam/userPolicyAttachment:UserPolicyAttachment",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        ],
        source: IAM_QUOTAS,
    },
} as const satisfies Record<string, Quota>;

export type QuotaName = keyof typeof QUOTAS;

/** Managed policies attached to one user or role (the default IAM quota). */
export const MAX_ATTACHED_POLICIES = QUOTAS.attachedPolicies.value;

/**
 * A document's size as AWS counts it: IAM ignores whitespace, so the compact JSON is what
 * counts; KMS and SNS count bytes of the document.
 */
export function sizeOf(doc: PolicyDocument, limit: LimitName): number {
    // JSON.stringify of a value is already compact: what textSize would get back by parsing it again.
    return lengthIn(JSON.stringify(doc), LIMITS[limit]);
}

/**
 * The size of a document as the program sends it (a policy or pattern in JSON, a template).
 * Where whitespace is not counted, JSON is measured in its compact form.
 */
export function textSize(text: string, limit: LimitName): number {
    const l: SizeLimit = LIMITS[limit];
    let counted = text;
    if (l.whitespace === "not counted") {
        try {
            counted = JSON.stringify(JSON.parse(text));
        } catch {
            counted = text.replace(/\s+/g, "");
        }
    }
    return lengthIn(counted, l);
}

/** The length of `counted` in the limit's unit. */
function lengthIn(counted: string, l: SizeLimit): number {
    return l.unit === "bytes" ? Buffer.byteLength(counted, "utf8") : counted.length;
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

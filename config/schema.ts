import { z } from "zod";
import { SECRET_ARN_FORM, parseSecretArn } from "../aws/arn";
import { KEY_REF_FORMS, parseKeyRef } from "../existing/resolve";

/**
 * The zod schemas behind every `secretshare:*` config key. Messages name the
 * expected form; `config/index.ts` adds the key and the value that was given.
 */

const QUOTE_HINT =
    'a 12-digit account ID as a quoted string, e.g. "012345678901" (YAML reads an unquoted number and drops leading zeros)';

export const accountId = z.unknown().transform((value, ctx) => {
    if (typeof value === "number") {
        ctx.addIssue({
            code: "custom",
            message: `YAML read this account ID as the number ${value}; expected ${QUOTE_HINT}`,
        });
        return z.NEVER;
    }
    if (typeof value !== "string" || !/^\d{12}$/.test(value)) {
        ctx.addIssue({ code: "custom", message: `expected ${QUOTE_HINT}` });
        return z.NEVER;
    }
    return value;
});

// Commercial, GovCloud and China partitions' region shape, e.g. eu-west-1, us-gov-west-1, ap-southeast-4.
// Only the partitions whose ARNs the program builds (aws/arn.ts partitionOf) and whose
// roles config accepts: an ISO region would get arn:aws: ARNs in its policies.
const REGION_FORM = "expected an AWS region name such as eu-west-1 (partitions aws, aws-cn and aws-us-gov)";
export const region = z
    .string({ error: REGION_FORM })
    .regex(
        /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(north|south|east|west|central|northeast|southeast|northwest|southwest)-\d{1,2}$/,
        REGION_FORM,
    );

export const roleArn = z
    .string({ error: "expected an IAM role ARN such as arn:aws:iam::123456789012:role/deployer" })
    .regex(
        /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
        "expected an IAM role ARN such as arn:aws:iam::123456789012:role/deployer",
    );

const accountShape = {
    accountId,
    region: region.optional(),
    profile: z.string().min(1, "expected a non-empty AWS profile name").optional(),
    assumeRole: z
        .strictObject({
            roleArn,
            externalId: z
                .string()
                .regex(/^[\w+=,.@:/-]{2,1224}$/, "expected 2 to 1224 characters of [A-Za-z0-9+=,.@:/_-]")
                .optional(),
            sessionName: z
                .string()
                .regex(/^[\w+=,.@-]{2,64}$/, "expected 2 to 64 characters of [A-Za-z0-9+=,.@_-]")
                .optional(),
        })
        .optional(),
};

function checkCredentials(
    a: { accountId?: string; profile?: string; assumeRole?: { roleArn: string } },
    ctx: z.RefinementCtx,
): void {
    if (a.profile && a.assumeRole) {
        ctx.addIssue({ code: "custom", path: ["assumeRole"], message: "set either profile or assumeRole, not both" });
    }
    // Only a well-formed role ARN has an account to compare; a malformed one has its own message.
    const roleAccount = /^arn:[\w-]+:iam::(\d{12}):role\//.exec(a.assumeRole?.roleArn ?? "")?.[1];
    if (roleAccount && a.accountId && roleAccount !== a.accountId) {
        ctx.addIssue({
            code: "custom",
            path: ["assumeRole", "roleArn"],
            message: `the role is in account ${roleAccount} but accountId is ${a.accountId}; use a role in the account it deploys to`,
        });
    }
}

/** How the program authenticates against one account. Neither profile nor assumeRole: the ambient credentials. */
export const accountSettings = z.strictObject(accountShape).superRefine(checkCredentials);

// IAM user and role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
const iamName = z.string().superRefine((s, ctx) => {
    if (s.includes("*") || s.includes("?")) {
        ctx.addIssue({ code: "custom", message: "wildcards are not allowed: name one exact user or role" });
    } else if (!IAM_NAME.test(s)) {
        ctx.addIssue({ code: "custom", message: "expected 1 to 64 characters of [A-Za-z0-9+=,.@_-]" });
    }
});
const iamPath = z
    .string()
    .regex(/^\/([\x21-\x7e]+\/)?$/, "expected an IAM path that starts and ends with /, e.g. /apps/")
    .refine((p) => !p.includes("*"), "wildcards are not allowed in a path");

export const reader = z
    .strictObject({
        user: iamName.optional(),
        role: iamName.optional(),
        path: iamPath.default("/"),
        existing: z.boolean().default(false),
        /**
         * Who may assume a role this program creates: service principals (e.g. ecs-tasks.amazonaws.com)
         * and exact IAM role or user ARNs. Default: the role's own account (its IAM policies decide).
         */
        assumedBy: z
            .array(
                z
                    .string()
                    .regex(
                        /^([a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com|arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]+)$/,
                        "expected a service principal such as ecs-tasks.amazonaws.com, or an exact IAM role or user ARN (no wildcards)",
                    ),
            )
            .min(1, "expected at least one principal, or leave assumedBy out")
            .optional(),
    })
    .superRefine((r, ctx) => {
        if ((r.user === undefined) === (r.role === undefined)) {
            ctx.addIssue({ code: "custom", message: "expected exactly one of user: <name> or role: <name>" });
        }
        if (r.assumedBy && (r.user !== undefined || r.existing)) {
            ctx.addIssue({
                code: "custom",
                path: ["assumedBy"],
                message:
                    "assumedBy sets the trust policy of a role this program creates; a user or an existing role has none here",
            });
        }
    });

/** A consumer account in the owner's config: where it is and which of its identities read. */
export const consumerAccount = z
    .strictObject({ ...accountShape, readers: z.array(reader).min(1, "expected at least one reader") })
    .superRefine(checkCredentials);

// Secrets Manager names: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
export const secretName = z.string().superRefine((s, ctx) => {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s)) {
        ctx.addIssue({ code: "custom", message: "expected 1 to 512 characters of [A-Za-z0-9/_+=.@-]" });
    } else if (/-[A-Za-z0-9]{6}$/.test(s)) {
        // AWS appends "-" and six random characters to form the ARN; a name that already
        // ends that way makes partial-ARN lookups ambiguous.
        // https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
        ctx.addIssue({
            code: "custom",
            message: "a secret name must not end with a hyphen and six characters (AWS adds such a suffix to the ARN)",
        });
    }
});

// An existing key: its reference forms are parsed in existing/resolve.ts (the plan shares it).
const existingKeyRef = z.string({ error: `expected ${KEY_REF_FORMS}` }).transform((v, ctx) => {
    const ref = parseKeyRef(v);
    if ("error" in ref) {
        ctx.addIssue({ code: "custom", message: ref.error });
        return z.NEVER;
    }
    return ref;
});

const PRINCIPAL_FORM =
    "expected an IAM principal ARN: arn:aws:iam::<account>:root, arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name>";
const principalArn = z
    .string({ error: PRINCIPAL_FORM })
    .regex(
        /^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:(root|(user|role)\/([\x21-\x7e]+\/)*[\w+=,.@-]{1,64})$/,
        PRINCIPAL_FORM,
    );

const existingSecretArn = z.string({ error: SECRET_ARN_FORM }).transform((v, ctx) => {
    const arn = parseSecretArn(v);
    if ("error" in arn) {
        ctx.addIssue({ code: "custom", message: arn.error });
        return z.NEVER;
    }
    return arn;
});

// An existing secret may be named anything Secrets Manager accepted; only a name that looks like
// a partial ARN is refused, because DescribeSecret could then match another secret.
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
const existingSecretName = z.string().superRefine((s, ctx) => {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s)) {
        ctx.addIssue({ code: "custom", message: "expected 1 to 512 characters of [A-Za-z0-9/_+=.@-]" });
    } else if (/-[A-Za-z0-9]{6}$/.test(s)) {
        ctx.addIssue({
            code: "custom",
            message:
                "this name ends with a hyphen and six characters, so Secrets Manager may read it as a partial ARN: name the secret by its complete ARN with arn: instead",
        });
    }
});

const CREATED_ONLY = ["username", "passwordLength", "recoveryWindowInDays", "rotation", "description"] as const;

/** A secret that already exists: named by `name` with `existing: true`, or by `arn`. */
export const existingSecret = z
    .looseObject({
        name: existingSecretName.optional(),
        existing: z.boolean().optional(),
        arn: existingSecretArn.optional(),
        // An empty list is allowed here: it is how sharing an existing secret is revoked (its
        // policy is retained on delete, so leaving config would keep our statements). Required,
        // so that forgetting it never revokes anything.
        readers: z.array(
            z
                .string()
                .regex(
                    /^[\w.-]+\/[\w+=,.@-]+$/,
                    "expected <consumer account name>/<user or role name>, e.g. secondary/Stuart",
                ),
            {
                error: "expected the list of readers, e.g. [secondary/Stuart]; an empty list [] revokes the share of an existing secret",
            },
        ),
        /** Import the secret into the stack (protected, retained on delete) instead of policy-only. */
        adopt: z.boolean().default(false),
        /** Re-encrypt it under the stack's key; implies adopt. Never done unless asked. */
        reencrypt: z.boolean().default(false),
    })
    .superRefine((s, ctx) => {
        for (const k of Object.keys(s)) {
            if ((CREATED_ONLY as readonly string[]).includes(k)) {
                ctx.addIssue({
                    code: "custom",
                    path: [k],
                    message: `${k} applies only to a secret this program creates: an existing secret's value and settings are never written here (remove ${k}, or remove existing/arn to create a new secret)`,
                });
            } else if (!["name", "existing", "arn", "readers", "adopt", "reencrypt"].includes(k)) {
                ctx.addIssue({ code: "unrecognized_keys", keys: [k], path: [], message: `unknown setting ${k}` });
            }
        }
        if (s.existing === false) {
            ctx.addIssue({
                code: "custom",
                path: ["existing"],
                message:
                    "arn: names an existing secret; remove existing: false (or remove arn: to create a new secret)",
            });
        }
        if (!s.arn && !s.name) {
            ctx.addIssue({
                code: "custom",
                path: ["name"],
                message: "expected the name of the existing secret (with existing: true), or its complete ARN in arn:",
            });
        }
        if (s.arn && s.name && s.arn.name !== s.name) {
            ctx.addIssue({
                code: "custom",
                path: ["name"],
                message: `the ARN names secret ${s.arn.name}; give the same name, or leave name out`,
            });
        }
    });

/**
 * One entry of `secretshare:secrets`: a secret the program creates (name, username, readers),
 * or an existing one (`existing: true` with its name, or `arn:`), each with its own messages.
 */
export const secretEntry = z.unknown().transform((value, ctx) => {
    const o = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    const existing = o.existing === true || o.arn !== undefined;
    const result = existing ? existingSecret.safeParse(value) : secret.safeParse(value);
    if (!result.success) {
        for (const issue of result.error.issues) ctx.addIssue({ ...issue });
        return z.NEVER;
    }
    return existing
        ? { kind: "existing" as const, ...(result.data as z.output<typeof existingSecret>) }
        : { kind: "created" as const, ...(result.data as z.output<typeof secret>) };
});

export const secret = z.strictObject({
    name: secretName,
    /** `existing: false` is the default: the program creates the secret. */
    existing: z.literal(false, { error: "expected true (the secret exists) or false" }).optional(),
    description: z.string().max(2048).optional(),
    username: z.string({ error: "expected the username stored in the secret" }).min(1, "expected a non-empty username"),
    passwordLength: z
        .number({ error: "expected a whole number of characters from 16 to 4096" })
        .int("expected a whole number of characters from 16 to 4096")
        .min(16, "expected a whole number of characters from 16 to 4096")
        .max(4096, "expected a whole number of characters from 16 to 4096")
        .default(32),
    recoveryWindowInDays: z
        .number({ error: "expected a whole number of days from 7 to 30" })
        .int("expected a whole number of days from 7 to 30")
        .min(7, "expected a whole number of days from 7 to 30")
        .max(30, "expected a whole number of days from 7 to 30")
        .default(30),
    readers: z
        .array(
            z
                .string()
                .regex(
                    /^[\w.-]+\/[\w+=,.@-]+$/,
                    "expected <consumer account name>/<user or role name>, e.g. secondary/Stuart",
                ),
        )
        .min(1, "expected at least one reader: a secret nobody reads needs no sharing"),
    /** Change this value to generate a new password (the old one becomes AWSPREVIOUS). */
    rotation: z.string().default("1"),
});

export const key = z
    .strictObject({
        alias: z
            .string()
            .regex(/^(alias\/)?[\w/-]{1,250}$/, "expected an alias name such as MyKey or alias/MyKey")
            .refine((a) => !a.replace(/^alias\//, "").startsWith("aws/"), {
                message:
                    "alias/aws/* belongs to AWS managed keys, which cannot be shared across accounts; choose another alias",
            })
            .default("secretshare"),
        deletionWindowInDays: z
            .number({ error: "expected a whole number of days from 7 to 30" })
            .int("expected a whole number of days from 7 to 30")
            .min(7, "expected a whole number of days from 7 to 30")
            .max(30, "expected a whole number of days from 7 to 30")
            .default(30),
        /** One key for every secret of the stack (default), or one key per secret. */
        perSecret: z.boolean().default(false),
        /** Let readers call kms:DescribeKey, as the seed's key policy does. */
        grantDescribeKey: z.boolean().default(true),
        /**
         * Only "customer-managed" is accepted; naming the AWS managed key is refused with a reason,
         * because a secret encrypted with aws/secretsmanager cannot be read from another account.
         */
        type: z
            .string()
            .refine((t) => t === "customer-managed", {
                message:
                    "secrets encrypted with the AWS managed key aws/secretsmanager cannot be read from another account; use customer-managed",
            })
            .default("customer-managed"),
        /**
         * An existing customer managed key to share the secrets under, instead of creating one:
         * key ARN, key ID, alias name (alias/MyKey) or alias ARN. Only its key policy is written,
         * with every statement somebody else put there kept. See docs/existing.md.
         */
        existing: existingKeyRef.optional(),
        /** Import the existing key into the stack (protected, retained on delete). */
        adopt: z.boolean().default(false),
        /** Principals that must keep kms:PutKeyPolicy (lock-out guard); default: the owner account root. */
        admins: z.array(principalArn).min(1, "expected at least one principal ARN, or leave admins out").optional(),
    })
    .superRefine((k, ctx) => {
        if (k.adopt && !k.existing) {
            ctx.addIssue({
                code: "custom",
                path: ["adopt"],
                message: "adopt imports an existing key: set existing to its key ARN, key ID or alias too",
            });
        }
        if (k.existing && k.perSecret) {
            ctx.addIssue({
                code: "custom",
                path: ["perSecret"],
                message: "one key per secret cannot be one existing key: set perSecret: false, or leave existing out",
            });
        }
    });

export const secretPolicy = z.strictObject({
    /**
     * "account-root": Principal is the reader's account root, restricted with
     * ArnEquals aws:PrincipalArn (default; survives a user being recreated).
     * "principal-arn": the seed's literal form, the reader's ARN as Principal.
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

export const stackRef = z
    .string({ error: "expected a fully qualified stack name <org>/<project>/<stack>" })
    .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, "expected a fully qualified stack name <org>/<project>/<stack>");

export const accountName = z
    .string({ error: "expected a consumer account name of 1 to 64 characters of [A-Za-z0-9_.-]" })
    .regex(/^[\w.-]{1,64}$/, "expected a consumer account name of 1 to 64 characters of [A-Za-z0-9_.-]");

/** A consumer stack's own account: its name in the owner's `secretshare:consumers`, and credentials. */
export const consumerSelf = z
    .strictObject({ name: accountName, ...accountShape, region })
    .superRefine(checkCredentials);

export const mode = z.enum(["owner", "consumer", "all"], {
    error: 'expected "owner" (the secrets\' account), "consumer" (a reader account) or "all" (both in one stack)',
});

// secretshare:watch. Subscriber addresses may carry tokens (an HTTPS endpoint) and are personal
// data (an email address): messages name the expected form and never the value given.
const EMAIL_FORM = "expected an email address such as team@example.com (value not shown)";
const HTTPS_FORM = "expected an https:// URL such as https://hooks.example.com/alerts (value not shown)";
const isEmail = (s: string) =>
    /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(
        s,
    );
const isHttps = (s: string) => {
    try {
        const u = new URL(s);
        return u.protocol === "https:" && u.hostname.length > 0 && !/\s/.test(s);
    } catch {
        return false;
    }
};

export const watchSubscriber = z
    .strictObject({
        email: z.string({ error: EMAIL_FORM }).refine(isEmail, EMAIL_FORM).optional(),
        https: z.string({ error: HTTPS_FORM }).refine(isHttps, HTTPS_FORM).optional(),
    })
    .superRefine((s, ctx) => {
        if ((s.email === undefined) === (s.https === undefined)) {
            ctx.addIssue({ code: "custom", message: "expected exactly one of email: <address> or https: <URL>" });
        }
    });

export const watch = z.strictObject({
    /** On by default: set false to deploy no watch resources. */
    enabled: z.boolean({ error: "expected true or false" }).default(true),
    subscribers: z
        .array(watchSubscriber, {
            error: "expected a list of subscribers, each { email: <address> } or { https: <URL> }",
        })
        .default([]),
    /** Also watch the consumer side (IAM events, delivered in us-east-1 only). */
    consumerSide: z.boolean({ error: "expected true or false" }).default(false),
});

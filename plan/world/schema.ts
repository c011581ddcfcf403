import * as fs from "fs";
import { z } from "zod";
import { WorldError } from "../../common/errors";

/**
 * A world snapshot: what exists in AWS for the resources a project's config names, as
 * `npm run verify -- --snapshot FILE` records it with read-only calls (verify/snapshot.ts), and as
 * `npm start -- --world FILE` plans against it (./world.ts). Versioned JSON, one schema (zod);
 * written with a stable order (the schema's fields, lists sorted by ARN) so that a snapshot
 * committed next to the stacks diffs line by line. Policy documents are kept as AWS returns them
 * (their own key order), because the plan prints the merged documents. No secret value is ever
 * recorded: a secret's entry is its metadata (DescribeSecret) and its resource policy.
 * Described in docs/existing.md.
 */

export const WORLD_FORMAT = "secretshare-world";
export const WORLD_VERSION = 1;

/** A policy document as AWS returns it (parsed JSON): an object with `Statement`, its key order kept. */
const policyDocument = z.record(z.string(), z.unknown()).superRefine((doc, ctx) => {
    const s = doc.Statement;
    if (!(Array.isArray(s) || (s !== null && typeof s === "object"))) {
        ctx.addIssue({ code: "custom", message: "expected a policy document: an object with a Statement list" });
    }
});

const account = z.string().regex(/^\d{12}$/, "expected a 12-digit account ID");
const arnOf = (service: string, resource: string, example: string) =>
    z
        .string()
        .regex(
            new RegExp(`^arn:aws[\\w-]*:${service}:[^:]*:\\d{12}:${resource}`),
            `expected an ARN such as ${example}`,
        );
const keyArn = arnOf("kms", "key/[\\w-]+$", "arn:aws:kms:us-east-1:111111111111:key/<key id>");
const secretArn = arnOf(
    "secretsmanager",
    "secret:.+-[A-Za-z0-9]{6}$",
    "arn:aws:secretsmanager:us-east-1:111111111111:secret:<name>-<6 characters>",
);
const identityArn = arnOf("iam", "(user|role)/.+$", "arn:aws:iam::222222222222:user/<path><name>");
const tags = z.record(z.string(), z.string());

/** A KMS key: DescribeKey, ListAliases, GetKeyPolicy. */
const key = z.strictObject({
    arn: keyArn,
    /** "alias/<name>" entries that point at the key. */
    aliases: z.array(z.string().regex(/^alias\/.+/, "expected alias/<name>")).default([]),
    keyManager: z.enum(["CUSTOMER", "AWS"], { error: 'expected "CUSTOMER" or "AWS" (DescribeKey\'s KeyManager)' }),
    keyState: z.string(),
    keyUsage: z.string(),
    keySpec: z.string(),
    description: z.string().default(""),
    /** When a key pending deletion goes (ISO 8601). */
    deletionDate: z.string().optional(),
    /** The key policy (GetKeyPolicy "default"); absent for a key whose policy is not read (not Enabled, or AWS managed). */
    policy: policyDocument.optional(),
});

/** A secret: DescribeSecret (never GetSecretValue) and GetResourcePolicy. */
const secret = z.strictObject({
    arn: secretArn,
    /** KmsKeyId as DescribeSecret gives it; absent: the AWS managed key aws/secretsmanager. */
    kmsKeyId: z.string().optional(),
    description: z.string().default(""),
    tags: tags.default({}),
    /** The resource policy; absent: the secret has none. */
    policy: policyDocument.optional(),
});

/** An IAM user or role: GetUser/GetRole, List*Policies + Get*Policy, ListAttached*Policies. */
const identity = z.strictObject({
    arn: identityArn,
    tags: tags.default({}),
    /** Inline policies by name. */
    inline: z.record(z.string(), policyDocument).default({}),
    /** ARNs of the attached managed policies (their documents: `managedPolicies`). */
    attached: z.array(z.string()).default([]),
    /** A role's trust policy (GetRole AssumeRolePolicyDocument). */
    trustPolicy: policyDocument.optional(),
});

/** A managed policy attached to a recorded identity: GetPolicy + GetPolicyVersion (its default version). */
const managedPolicy = z.strictObject({
    arn: z.string().regex(/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/.+/, "expected a managed policy ARN"),
    versionId: z.string(),
    document: policyDocument,
});

/** IAM's per-account quotas, as GetAccountSummary gives them: what the preflight counts against. */
const iamQuotas = z.strictObject({
    attachedPoliciesPerUserQuota: z.number().int().positive(),
    attachedPoliciesPerRoleQuota: z.number().int().positive(),
    userPolicySizeQuota: z.number().int().positive().optional(),
    rolePolicySizeQuota: z.number().int().positive().optional(),
    policySizeQuota: z.number().int().positive().optional(),
});

export const worldSnapshot = z.strictObject({
    format: z.literal(WORLD_FORMAT, { error: `expected "${WORLD_FORMAT}"` }),
    version: z.literal(WORLD_VERSION, {
        error: `expected ${WORLD_VERSION}: this plan reads version ${WORLD_VERSION} snapshots; record the snapshot again`,
    }),
    /** Who recorded it, when, from which stacks (informative: the plan does not use it). */
    recorded: z
        .strictObject({
            at: z.string(),
            stacks: z.array(z.string()).default([]),
            callers: z.array(z.string()).default([]),
        })
        .optional(),
    keys: z.array(key).default([]),
    secrets: z.array(secret).default([]),
    identities: z.array(identity).default([]),
    managedPolicies: z.array(managedPolicy).default([]),
    /** By account ID. */
    accounts: z.record(account, z.strictObject({ iam: iamQuotas.optional() })).default({}),
    /**
     * What the config names and AWS answered does not exist, in ARN form: a key alias or key
     * (`arn:aws:kms:<region>:<account>:alias/<name>`, `...:key/<id>`), a secret by name
     * (`arn:aws:secretsmanager:<region>:<account>:secret:<name>`, no suffix) or ARN, an identity
     * (`arn:aws:iam::<account>:user/<name>`). The plan answers "not found" for them, as AWS would.
     */
    absent: z.array(z.string().regex(/^arn:aws[\w-]*:(kms|secretsmanager|iam):/, "expected an ARN")).default([]),
});

export type WorldSnapshot = z.output<typeof worldSnapshot>;
export type WorldKey = WorldSnapshot["keys"][number];
export type WorldSecret = WorldSnapshot["secrets"][number];
export type WorldIdentity = WorldSnapshot["identities"][number];
export type IamQuotas = z.output<typeof iamQuotas>;

/** The issue's path as JSON reads it: `keys[0].policy`. */
const pathText = (path: readonly PropertyKey[]) =>
    path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i ? "." : ""}${String(p)}`)).join("") || "(top level)";

/** Parses a snapshot's text; a WorldError names the file, each bad field's path and what was expected. */
export function parseWorld(text: string, file: string): WorldSnapshot {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new WorldError(`world snapshot ${file}: not valid JSON (${(e as Error).message})`);
    }
    const parsed = worldSnapshot.safeParse(raw);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) =>
            issue.code === "unrecognized_keys"
                ? `${pathText(issue.path)}: unknown field ${issue.keys.map((k) => `"${k}"`).join(", ")}`
                : `${pathText(issue.path)}: ${issue.message}`,
        );
        throw new WorldError(
            `world snapshot ${file} does not fit the snapshot format (${WORLD_FORMAT} version ${WORLD_VERSION}, docs/existing.md):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
    }
    return parsed.data;
}

export function readWorld(file: string): WorldSnapshot {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new WorldError(
            `world snapshot ${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        );
    }
    return parseWorld(text, file);
}

const byArn = <T extends { arn: string }>(list: readonly T[]) => [...list].sort((a, b) => a.arn.localeCompare(b.arn));

/**
 * The file's text: the schema's field order, every list sorted (by ARN), the accounts by ID,
 * policy documents as recorded; two-space indentation and a final newline.
 */
export function serializeWorld(snapshot: WorldSnapshot): string {
    const data = worldSnapshot.parse(snapshot);
    const sorted: WorldSnapshot = {
        ...data,
        keys: byArn(data.keys).map((k) => ({ ...k, aliases: [...k.aliases].sort() })),
        secrets: byArn(data.secrets),
        identities: byArn(data.identities).map((i) => ({ ...i, attached: [...i.attached].sort() })),
        managedPolicies: byArn(data.managedPolicies),
        accounts: Object.fromEntries(Object.entries(data.accounts).sort(([a], [b]) => a.localeCompare(b))),
        absent: [...new Set(data.absent)].sort(),
    };
    // Parsed again so that every object's fields come in the schema's order.
    return JSON.stringify(worldSnapshot.parse(sorted), null, 4) + "\n";
}

import { z } from "zod";

/**
 * The contract between an owner stack and its consumer stacks: what the owner exports, as one
 * schema. The owner's program produces it (index.ts), a consumer stack reads it through a
 * StackReference (contract/ownerReference.ts), the offline plan proves it (plan/), and the live
 * `verify` reads it from `pulumi stack output --json` (verify/). Change it here and all four
 * follow; a deployed owner stack whose exports no longer parse is reported, not guessed at.
 */

/** What the owner grants one reader of a consumer account. */
export const readerGrantSchema = z.object({
    kind: z.enum(["user", "role"]),
    name: z.string(),
    /** IAM path, "/" by default. */
    path: z.string(),
    /** true: the identity exists already; the consumer stack only writes its policy. */
    existing: z.boolean(),
    /** A created role's trusted principals; absent: its own account. */
    assumedBy: z.array(z.string()).readonly().optional(),
    arn: z.string(),
    /** Names of the secrets it reads, sorted. */
    secrets: z.array(z.string()).readonly(),
});
export type ReaderGrant = z.infer<typeof readerGrantSchema>;

export const accountGrantsSchema = z.object({
    accountId: z.string(),
    readers: z.array(readerGrantSchema).readonly(),
});
export type AccountGrants = z.infer<typeof accountGrantsSchema>;

/** By consumer account name. The owner stack exports this as `grants`. */
export const grantsSchema = z.record(z.string(), accountGrantsSchema);
export type Grants = z.infer<typeof grantsSchema>;

/** The watch's exports (owner side): never a subscriber address, only counts. */
export const watchExportsSchema = z.object({
    topicArn: z.string().optional(),
    region: z.string().optional(),
    events: z.array(z.string()).optional(),
    rules: z.record(z.string(), z.string()),
    subscribers: z.object({ total: z.number(), email: z.number(), https: z.number() }).optional(),
});
export type WatchExports = z.infer<typeof watchExportsSchema>;

/** Everything an owner stack exports. The single-secret and single-key shortcuts are optional. */
export const ownerExportsSchema = z.object({
    ownerAccountId: z.string(),
    region: z.string(),
    /** Secret ARN by secret name. */
    secretArns: z.record(z.string(), z.string()),
    /** The ARN of the key that encrypts each secret, by secret name. */
    keyArns: z.record(z.string(), z.string()),
    keyAliases: z.record(z.string(), z.string()).optional(),
    /**
     * The id of the key that encrypts each secret ("shared", "shared-2"... or the secret's name),
     * by secret name: read back by the stack itself at its next run, so that packed keys keep
     * their secrets (policies/keyPacking.ts).
     */
    keyIds: z.record(z.string(), z.string()).optional(),
    grants: grantsSchema,
    secretName: z.string().optional(),
    secretArn: z.string().optional(),
    keyArn: z.string().optional(),
    keyAlias: z.string().optional(),
    watch: watchExportsSchema.optional(),
});
export type OwnerExports = z.infer<typeof ownerExportsSchema>;

/** The exports a consumer stack needs: every one must be present before it registers anything. */
export const CONSUMER_READS = ["ownerAccountId", "region", "secretArns", "keyArns", "grants"] as const;

/** The consumer's part of the contract: what it reads, narrowed to one consumer account. */
export const consumerViewSchema = ownerExportsSchema.pick({
    ownerAccountId: true,
    region: true,
    secretArns: true,
    keyArns: true,
    grants: true,
});

/** Parses owner exports; on failure, the paths of the values of the wrong form. */
export function parseOwnerExports(
    raw: unknown,
): { ok: true; exports: OwnerExports } | { ok: false; problems: readonly string[] } {
    const parsed = ownerExportsSchema.safeParse(raw);
    if (parsed.success) return { ok: true, exports: parsed.data };
    return { ok: false, problems: parsed.error.issues.map((i) => i.path.join(".") || "(the outputs)") };
}

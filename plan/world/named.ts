import type { ExistingKeySpec, StackConfig } from "../../config/types";

/**
 * What a project's config names that may already exist in AWS: the existing key
 * (`secretshare:key.existing`), the existing secrets (`existing: true` or `arn:`), and every
 * reader identity (those marked `existing: true`, whose policies count against IAM's quotas, and
 * those the program creates, which it looks up first to adopt back one it created before).
 * The snapshot (verify/snapshot.ts) records exactly these; the plan requires a snapshot to
 * record the first three (./world.ts), or plans them as unknown without one (./standIn.ts).
 */

interface Where {
    /** The stack whose config names it, and the setting. */
    readonly stack: string;
    readonly setting: string;
    readonly accountId: string;
    readonly partition: string;
}

export interface NamedKey extends Where {
    readonly kind: "key";
    readonly region: string;
    readonly ref: string;
    readonly form: ExistingKeySpec["form"];
}

export interface NamedSecret extends Where {
    readonly kind: "secret";
    readonly region: string;
    /** The secret's name, and how config names it: by name or by complete ARN. */
    readonly name: string;
    readonly ref: string;
    readonly by: "name" | "arn";
    readonly reencrypt: boolean;
    /** The stack's existing key, if it names one (else the stack creates its keys). */
    readonly key?: NamedKey;
}

export interface NamedIdentity extends Where {
    readonly kind: "identity";
    readonly identity: "user" | "role";
    readonly name: string;
    readonly path: string;
    readonly arn: string;
    /** `existing: true`: only its policy is written, and what it holds counts. */
    readonly existing: boolean;
}

export type Named = NamedKey | NamedSecret | NamedIdentity;

/** In words, for messages: `key alias/TeamKey (secretshare:key.existing of stack "primary", account ..., us-east-1)`. */
export function describeNamed(n: Named): string {
    const where = `${n.setting} of stack "${n.stack}", account ${n.accountId}`;
    if (n.kind === "key") return `key ${n.ref} (${where}, ${n.region})`;
    if (n.kind === "secret") return `secret ${n.ref} (${where}, ${n.region})`;
    return `${n.identity} ${n.path === "/" ? "" : n.path}${n.name} (${where})`;
}

/** Everything the configs name, once each (an identity two owner stacks name is listed once). */
export function namedExisting(stacks: readonly { readonly name: string; readonly config?: StackConfig }[]): Named[] {
    const out: Named[] = [];
    const seen = new Set<string>();
    const add = (id: string, n: Named) => {
        if (seen.has(id)) return;
        seen.add(id);
        out.push(n);
    };
    for (const { name: stack, config } of stacks) {
        if (!config || config.mode === "consumer") continue;
        const { account, key, secrets, consumers } = config.owner;
        const base = { stack, accountId: account.accountId, partition: account.partition, region: account.region };
        let namedKey: NamedKey | undefined;
        if (key.existing) {
            namedKey = {
                ...base,
                kind: "key",
                setting: "secretshare:key.existing",
                ref: key.existing.ref,
                form: key.existing.form,
            };
            add(`key ${account.accountId} ${account.region} ${key.existing.ref}`, namedKey);
        }
        secrets.forEach((s, i) => {
            if (!s.existing) return;
            add(`secret ${account.accountId} ${account.region} ${s.existing.ref}`, {
                ...base,
                kind: "secret",
                setting: `secretshare:secrets[${i}]`,
                name: s.name,
                ref: s.existing.ref,
                by: s.existing.by,
                reencrypt: s.existing.reencrypt,
                ...(namedKey && { key: namedKey }),
            });
        });
        for (const [consumer, c] of Object.entries(consumers)) {
            for (const r of c.readers) {
                add(`identity ${r.accountId} ${r.kind} ${r.name.toLowerCase()}`, {
                    kind: "identity",
                    stack,
                    setting: `secretshare:consumers.${consumer}.readers (${r.kind} ${r.name})`,
                    accountId: r.accountId,
                    partition: c.account.partition,
                    identity: r.kind,
                    name: r.name,
                    path: r.path,
                    arn: r.arn,
                    existing: r.existing,
                });
            }
        }
    }
    return out;
}

/** The named resources whose current documents the plan needs: the key, the secrets, the existing readers. */
export const needsDocuments = (n: Named) => n.kind !== "identity" || n.existing;

import { createHash } from "crypto";
import { WorldError } from "../../common/errors";
import type { ExistingKeyFixture, ExistingSecretFixture, ExistingWorld } from "../existingWorld";
import { describeNamed, needsDocuments, type Named, type NamedKey } from "./named";

/**
 * Without a snapshot the plan does not know what an existing key, secret or reader holds now.
 * It still runs the program, in a world of stand-ins, so that everything the program decides
 * is shown; and it reports every check that depends on a stand-in as not proven
 * (./unproven.ts), never as proven. The stand-ins:
 * - an existing key: Enabled, customer managed, with AWS's default key policy (the account root
 *   may do everything: what a key created without a policy gets), so that the program's lock-out
 *   guard passes as it would for most keys; its ARN from config, or a stand-in key ID
 *   (`00000000-0000-4000-8000-…`) for an alias;
 * - an existing secret: no resource policy, encrypted with the stack's existing key (an
 *   assumption: the program refuses any other key) or, with `reencrypt: true`, with the AWS
 *   managed key; its ARN from config, or the stand-in suffix `-000000` for a name;
 * - an existing reader: holds no other policy.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 */

/** A resource the plan planned with a stand-in: what the report says about it. */
export interface UnknownResource {
    /** "key", "secret", "user" or "role". */
    readonly kind: string;
    /** In words, with the setting and stack that name it. */
    readonly what: string;
    /** The ARN the plan used for it (a stand-in where config does not give it). */
    readonly arn: string;
    /** What is unknown about it, and what stands in for it. */
    readonly unknown: readonly string[];
}

const hex = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);

/** The default key policy AWS gives a key created without one. */
const defaultKeyPolicy = (partition: string, accountId: string) => ({
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [
        {
            Sid: "Enable IAM User Permissions",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
            Action: "kms:*",
            Resource: "*",
        },
    ],
});

function standInKey(n: NamedKey): ExistingKeyFixture {
    const prefix = `arn:${n.partition}:kms:${n.region}:${n.accountId}`;
    const arn =
        n.form === "key-arn"
            ? n.ref
            : n.form === "key-id"
              ? `${prefix}:key/${n.ref}`
              : `${prefix}:key/00000000-0000-4000-8000-${hex(`${prefix}:${n.ref}`, 12)}`;
    const alias = n.ref.includes("alias/") ? n.ref.slice(n.ref.indexOf("alias/")) : undefined;
    return {
        arn,
        ...(alias && { aliases: [alias] }),
        description: "",
        policy: defaultKeyPolicy(n.partition, n.accountId),
    };
}

/** The stand-in world of what the configs name, and what the report must say is unknown. */
export function standInWorld(named: readonly Named[]): { world: ExistingWorld; unknown: UnknownResource[] } {
    const keys: ExistingKeyFixture[] = [];
    const secrets: ExistingSecretFixture[] = [];
    const unknown: UnknownResource[] = [];
    const keyOf = new Map<NamedKey, ExistingKeyFixture>();
    for (const n of named) {
        if (!needsDocuments(n)) continue;
        if (n.kind === "key") {
            const key = standInKey(n);
            keys.push(key);
            keyOf.set(n, key);
            unknown.push({
                kind: "key",
                what: describeNamed(n),
                arn: key.arn,
                unknown: [
                    "its key policy (planned as AWS's default key policy: the account root only)",
                    "its state and key manager (planned as Enabled, customer managed)",
                    ...(n.form.startsWith("alias") ? [`its key ID (planned as ${key.arn})`] : []),
                ],
            });
        }
    }
    for (const n of named) {
        if (n.kind !== "secret") continue;
        if (!n.key && !n.reencrypt) {
            throw new WorldError(
                `${describeNamed(n)}: without a world snapshot the plan cannot tell which KMS key encrypts this existing ` +
                    `secret (the stack creates its key, so only a key an earlier deploy created would do). Plan against a ` +
                    `snapshot (npm start -- --world FILE; record one with npm run verify -- --snapshot FILE, docs/existing.md)`,
            );
        }
        const key = n.key ? keyOf.get(n.key) : undefined;
        const arn =
            n.by === "arn"
                ? n.ref
                : `arn:${n.partition}:secretsmanager:${n.region}:${n.accountId}:secret:${n.ref}-000000`;
        secrets.push({ arn, ...(key && { kmsKeyId: key.arn }), description: "" });
        unknown.push({
            kind: "secret",
            what: describeNamed(n),
            arn,
            unknown: [
                "its resource policy (planned as none)",
                key
                    ? `its KMS key (planned as ${n.key?.ref})`
                    : "its KMS key (planned as aws/secretsmanager, re-encrypted)",
                ...(n.by === "name" ? [`its ARN's suffix (planned as ${arn})`] : []),
            ],
        });
    }
    for (const n of named) {
        if (n.kind !== "identity" || !n.existing) continue;
        unknown.push({
            kind: n.identity,
            what: describeNamed(n),
            arn: n.arn,
            unknown: ["the policies it already holds (planned as none), which count against its IAM quotas"],
        });
    }
    return { world: { keys, secrets }, unknown };
}

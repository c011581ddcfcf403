import { z } from "zod";
import { KEY_REF_FORMS, parseKeyRef } from "../existing/resolve";
import { policyMetacharacters } from "../aws/names";
import { sameAccountAndRegion } from "./accounts";
import { show } from "./errors";
import { NAMESPACE } from "./problems";
import type { Account, KeySettings, SecretSpec } from "./types";

/** `secretshare:key`: the KMS key (or one key per secret) that encrypts the shared secrets. */

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
    )
    // The lock-out guard compares these with the key policy's principals, where AWS takes no
    // wildcard or policy variable: one that holds them could never be matched.
    .superRefine((arn, ctx) => {
        const meta = policyMetacharacters(arn);
        if (meta.length) {
            ctx.addIssue({
                code: "custom",
                message: `has ${meta.join(" and ")}, which a principal ARN cannot hold; ${PRINCIPAL_FORM} (one exact principal)`,
            });
        }
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
        /** Let readers call kms:DescribeKey, as the walk-through's example key policy does. */
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

type KeyConfig = z.output<typeof key>;

/** An existing key named by ARN must be the owner's (see `sameAccountAndRegion`). */
export function existingKeyProblems(k: KeyConfig, owner: Account): string[] {
    if (k.existing && (k.existing.form === "key-arn" || k.existing.form === "alias-arn")) {
        return sameAccountAndRegion(`${NAMESPACE}:key.existing`, k.existing.ref, k.existing, owner, "key");
    }
    return [];
}

/** With one key per secret, each created secret's key alias must be one KMS accepts. */
export function perSecretAliasProblems(k: KeyConfig, secrets: readonly SecretSpec[]): string[] {
    const out: string[] = [];
    if (k.perSecret && !k.existing) {
        // Each secret gets alias/<alias>/<secret name>, and KMS alias names allow fewer characters
        // than secret names do. https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
        const base = k.alias.replace(/^alias\//, "");
        secrets.forEach((sec, i) => {
            if (sec.existing) return;
            const alias = `alias/${base}/${sec.name}`;
            if (!/^alias\/[A-Za-z0-9/_-]+$/.test(alias) || alias.length > 256) {
                out.push(
                    `${NAMESPACE}:secrets[${i}].name = ${show(sec.name)}: with ${NAMESPACE}:key.perSecret its key's alias would be ` +
                        `${show(alias)}, and KMS aliases allow at most 256 characters of [A-Za-z0-9/_-]; ` +
                        `rename the secret, shorten key.alias, or use one shared key (perSecret: false)`,
                );
            }
        });
    }
    return out;
}

/** The KeySettings that `parseConfig` returns: the alias without its `alias/` prefix. */
export function keySettings(k: KeyConfig): KeySettings {
    return {
        alias: k.alias.replace(/^alias\//, ""),
        deletionWindowInDays: k.deletionWindowInDays,
        perSecret: k.perSecret,
        grantDescribeKey: k.grantDescribeKey,
        ...(k.existing && {
            existing: { ref: k.existing.ref, form: k.existing.form, adopt: k.adopt },
        }),
        ...(k.admins && { admins: k.admins }),
    };
}

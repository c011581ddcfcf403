import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { Account } from "../config/types";
import type { ReaderGrant } from "../policies/layout";

/** The owner stack's exports that a consumer stack reads. */
export const OWNER_OUTPUTS = ["ownerAccountId", "region", "secretArns", "keyArns", "grants"] as const;

const grantsSchema = z.record(
    z.string(),
    z.object({
        accountId: z.string(),
        readers: z.array(
            z.object({
                kind: z.enum(["user", "role"]),
                name: z.string(),
                path: z.string(),
                existing: z.boolean(),
                assumedBy: z.array(z.string()).optional(),
                arn: z.string(),
                secrets: z.array(z.string()),
            }),
        ),
    }),
);

export interface OwnerExports {
    readonly ownerAccountId: string;
    readonly region: string;
    readonly secretArns: Record<string, string>;
    readonly keyArns: Record<string, string>;
    /** This consumer account's readers. */
    readonly readers: readonly ReaderGrant[];
}

/**
 * Reads what the owner stack exported for this consumer account. The values are awaited, not
 * left as Outputs, because they decide which users, roles and policies this stack creates;
 * a missing stack or output stops the run here with what to do.
 * https://www.pulumi.com/docs/iac/concepts/stacks/#stackreferences
 */
export async function readOwnerStack(
    ref: pulumi.StackReference,
    ownerStack: string,
    consumer: Account,
): Promise<OwnerExports> {
    const values: Record<string, unknown> = {};
    for (const name of OWNER_OUTPUTS) {
        let details: pulumi.StackReferenceOutputDetails;
        try {
            details = await ref.getOutputDetails(name);
        } catch (e) {
            throw new pulumi.RunError(
                `cannot read stack ${ownerStack}: ${(e as Error).message}. Deploy the owner stack first (pulumi up -s ${ownerStack}), then this one.`,
            );
        }
        const value: unknown = details.value ?? details.secretValue;
        if (value === undefined) {
            throw new pulumi.RunError(
                `stack ${ownerStack} has no output "${name}": deploy the owner stack first (pulumi up -s ${ownerStack}), then this one.`,
            );
        }
        values[name] = value;
    }
    const parsed = z
        .object({
            ownerAccountId: z.string(),
            region: z.string(),
            secretArns: z.record(z.string(), z.string()),
            keyArns: z.record(z.string(), z.string()),
            grants: grantsSchema,
        })
        .safeParse(values);
    if (!parsed.success) {
        throw new pulumi.RunError(
            `stack ${ownerStack} exports outputs of an unexpected form (${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}): ` +
                "update and redeploy the owner stack with this version of secretshare.",
        );
    }
    const grants = parsed.data.grants[consumer.name];
    if (!grants) {
        throw new pulumi.RunError(
            `stack ${ownerStack} grants nothing to consumer "${consumer.name}" (it grants: ${Object.keys(parsed.data.grants).sort().join(", ") || "none"}). ` +
                `Add it under secretshare:consumers in the owner's config and deploy the owner stack, or fix secretshare:consumer.name here.`,
        );
    }
    if (grants.accountId !== consumer.accountId) {
        throw new pulumi.RunError(
            `consumer "${consumer.name}" is account ${grants.accountId} in the owner's config but ${consumer.accountId} in secretshare:consumer.accountId here; make them agree.`,
        );
    }
    // Every granted secret needs both ARNs now: found missing later, inside an apply, the error
    // would come after this stack had registered its users, and with a stack trace.
    for (const r of grants.readers) {
        for (const s of r.secrets) {
            const missing = [
                ...(/^arn:[\w-]+:secretsmanager:/.test(parsed.data.secretArns[s] ?? "") ? [] : ["secretArns"]),
                ...(/^arn:[\w-]+:kms:/.test(parsed.data.keyArns[s] ?? "") ? [] : ["keyArns"]),
            ];
            if (missing.length) {
                throw new pulumi.RunError(
                    `stack ${ownerStack} grants secret ${s} to ${r.name} but exports no ARN for it in ${missing.join(" and ")}: deploy the owner stack first (pulumi up -s ${ownerStack}), then this one.`,
                );
            }
        }
    }
    return {
        ownerAccountId: parsed.data.ownerAccountId,
        region: parsed.data.region,
        secretArns: parsed.data.secretArns,
        keyArns: parsed.data.keyArns,
        readers: grants.readers,
    };
}

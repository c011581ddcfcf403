import * as pulumi from "@pulumi/pulumi";
import type { Account } from "../config/types";
import { CONSUMER_READS, consumerViewSchema, type ReaderGrant } from "./ownerExports";

/** What a consumer stack builds from: the owner's exports, with the grants of this consumer only. */
export interface ConsumerView {
    readonly ownerAccountId: string;
    readonly region: string;
    readonly secretArns: Record<string, string>;
    readonly keyArns: Record<string, string>;
    /** This consumer account's readers. */
    readonly readers: readonly ReaderGrant[];
}

/**
 * The fully qualified name of the running stack, `<org>/<project>/<stack>`, as a
 * StackReference names it: the stack that writes the reader policies (their names carry its
 * id, policies/names.ts). In "all" mode it is the owner stack itself.
 * https://www.pulumi.com/docs/iac/concepts/stacks/#stackreferences
 */
export function currentStackRef(): string {
    return `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
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
): Promise<ConsumerView> {
    const values: Record<string, unknown> = {};
    for (const name of CONSUMER_READS) {
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
    const parsed = consumerViewSchema.safeParse(values);
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

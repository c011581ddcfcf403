import { z } from "zod";
import { accountOfArn, partitionOf } from "../aws/arn";
import { show } from "./errors";
import { NAMESPACE } from "./problems";
import type { Account } from "./types";

/**
 * Account settings: `secretshare:owner`, each account of `secretshare:consumers` and a consumer
 * stack's `secretshare:consumer`: account ID, region and credentials (profile or assumeRole).
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

/** The settings every account has; consumer accounts add their readers. */
export const accountShape = {
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

// A role ARN of any partition, enough to read its account; `roleArn` checks the complete form.
const ROLE_ARN_ACCOUNT = /^arn:[\w-]+:iam::\d{12}:role\//;

/** Cross-field checks of one account's credentials. */
export function checkCredentials(
    a: { accountId?: string; profile?: string; assumeRole?: { roleArn: string } },
    ctx: z.RefinementCtx,
): void {
    if (a.profile && a.assumeRole) {
        ctx.addIssue({ code: "custom", path: ["assumeRole"], message: "set either profile or assumeRole, not both" });
    }
    // Only a well-formed role ARN has an account to compare; a malformed one has its own message.
    const arn = a.assumeRole?.roleArn ?? "";
    const roleAccount = ROLE_ARN_ACCOUNT.test(arn) ? accountOfArn(arn) : undefined;
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

/** A consumer account's name: its key in `secretshare:consumers`, and `secretshare:consumer.name`. */
export const accountName = z
    .string({ error: "expected a consumer account name of 1 to 64 characters of [A-Za-z0-9_.-]" })
    .regex(/^[\w.-]{1,64}$/, "expected a consumer account name of 1 to 64 characters of [A-Za-z0-9_.-]");

/**
 * `formerNames` of a consumer account: the names it had in config before a rename. Its
 * consumer-side resources are named after it, and Pulumi aliases them to the former names, so
 * that a rename replaces nothing (docs/operations.md, Lifecycle).
 */
export const formerNames = z
    .array(accountName)
    .min(1, "expected at least one former name, or leave formerNames out")
    .optional();

/** A consumer stack's own account: its name in the owner's `secretshare:consumers`, and credentials. */
export const consumerSelf = z
    .strictObject({ name: accountName, ...accountShape, region, formerNames })
    .superRefine(checkCredentials)
    .superRefine((c, ctx) => {
        if (c.formerNames?.includes(c.name)) {
            ctx.addIssue({
                code: "custom",
                path: ["formerNames"],
                message: `${c.name} is the current name, not a former one`,
            });
        }
    });

/** The Account that `parseConfig` returns, from validated settings and the region that applies. */
export function account(
    name: string,
    a: {
        accountId: string;
        profile?: string;
        assumeRole?: { roleArn: string; externalId?: string; sessionName?: string };
    },
    region: string,
): Account {
    return {
        name,
        accountId: a.accountId,
        region,
        partition: partitionOf(region),
        ...(a.profile !== undefined && { profile: a.profile }),
        ...(a.assumeRole !== undefined && { assumeRole: a.assumeRole }),
    };
}

/**
 * An existing key or secret named by ARN must be in the owner account and region: the program
 * writes its policy with the owner's credentials, and Secrets Manager can only use a KMS key of
 * the secret's own region.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
export function sameAccountAndRegion(
    where: string,
    value: string,
    arn: { accountId?: string; region?: string },
    owner: Account,
    what: "key" | "secret",
): string[] {
    const out: string[] = [];
    if (arn.accountId && arn.accountId !== owner.accountId) {
        out.push(
            `${where} = ${show(value)}: this ${what} is in account ${arn.accountId}, but ${NAMESPACE}:owner.accountId is ${owner.accountId}; ` +
                `name a ${what} of the owner account (this stack writes its policy with the owner's credentials)`,
        );
    }
    if (arn.region && arn.region !== owner.region) {
        out.push(
            `${where} = ${show(value)}: this ${what} is in region ${arn.region}, but ${NAMESPACE}:owner.region is ${owner.region}; ` +
                (what === "key"
                    ? "Secrets Manager can only use a KMS key in the secret's own region"
                    : "set owner.region to the secret's region"),
        );
    }
    return out;
}

import { accountOfArn, identityArn, parseIdentityArn } from "../../aws/arn";
import type { ReaderGrant } from "../../contract/ownerExports";
import { serviceTrust } from "../../policies/documents";
import type { Check } from "./checks";
import type { Identity } from "./registry";
import { isServicePrincipal, type PolicyRef } from "./simulator";

/**
 * Who can assume each reader role the plan creates, proven from the role's registered trust
 * policy (`aws:iam/role:Role` `assumeRolePolicy`): whoever assumes the role reads its secrets, so
 * the trust policy is part of the grant.
 *
 * - each `assumedBy` principal: `sts:AssumeRole` Allowed, and `sts:TagSession` where the service
 *   tags its sessions (EKS Pod Identity); a service that sends `aws:SourceAccount` assumes it for
 *   the role's account, and is Denied for a resource of an unrelated account (confused deputy:
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html);
 * - with `assumedBy`, another principal of the role's account: Denied; without it, the role trusts
 *   its account, and a principal there whose own policies allow it: Allowed (shown, as it is so);
 * - a principal of an unrelated account: Denied.
 *
 * An IAM principal that assumes a role needs its own identity policy to allow it too (for a
 * principal of another account) or the trust policy to name it: each is given an identity policy
 * that allows sts:AssumeRole, so that the trust policy alone decides.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
 */

export interface TrustContext {
    /** The consumer account name the reader belongs to. */
    readonly account: string;
    readonly reader: ReaderGrant;
    /** What the plan registered for the reader: its ARN and trust policy. */
    readonly identity: Identity;
    /** An account no planned stack, grant or assumedBy principal uses. */
    readonly stranger: string;
    /** Principals the probes must not pick as "another principal" (readers, assumedBy). */
    readonly taken: ReadonlySet<string>;
    /** Accounts inside the share (owner and consumers): an assumedBy account outside it is external. */
    readonly inside: ReadonlySet<string>;
}

type TrustCheck = Omit<Check, "name" | "secret" | "role">;

/** The identity policy a principal that assumes `roleArn` is given: its own side, assumed to allow. */
function mayAssume(principal: string, roleArn: string): PolicyRef {
    return {
        name: `identity policy of ${principal} (assumed: it allows sts:AssumeRole on the role)`,
        policy: {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"], Resource: roleArn }],
        },
    };
}

/** Another principal of `accountId`, of the reader's kind of name, that is neither reader nor trusted. */
function anotherPrincipal(partition: string, accountId: string, name: string, taken: ReadonlySet<string>): string {
    for (let i = 1; ; i++) {
        const arn = identityArn(partition, accountId, "role", "/", `${name}-other${i > 1 ? i : ""}`);
        if (!taken.has(arn)) return arn;
    }
}

/** The trust checks of one created reader role, in a stable order. */
export function trustChecks(ctx: TrustContext): (TrustCheck & { probe: string })[] {
    const { reader, identity, stranger } = ctx;
    const roleArn = identity.arn ?? reader.arn;
    const id = parseIdentityArn(roleArn);
    if (!id) throw new Error(`not an IAM role ARN: ${roleArn}`);
    const roleAccount = id.accountId;
    const out: (TrustCheck & { probe: string })[] = [];
    const assume = (
        who: string,
        principal: string,
        action: string,
        context: Record<string, string>,
        expected: "Allowed" | "Denied",
    ) => {
        out.push({
            probe: action,
            who,
            principal,
            action,
            resource: roleArn,
            context,
            identityPolicies: isServicePrincipal(principal) ? [] : [mayAssume(principal, roleArn)],
            ...(identity.trust && { resourcePolicy: identity.trust }),
            expected,
        });
    };

    const assumedBy = [...(reader.assumedBy ?? [])].sort();
    for (const p of assumedBy) {
        if (isServicePrincipal(p)) {
            const needs = serviceTrust(p);
            const own: Record<string, string> = needs.sourceAccount ? { "aws:SourceAccount": roleAccount } : {};
            assume(p, p, "sts:AssumeRole", own, "Allowed");
            if (needs.tagSession) assume(p, p, "sts:TagSession", own, "Allowed");
            if (needs.sourceAccount) {
                assume(
                    `${p} for a resource of unrelated ${stranger}`,
                    p,
                    "sts:AssumeRole",
                    { "aws:SourceAccount": stranger },
                    "Denied",
                );
            }
        } else {
            const acct = accountOfArn(p);
            const who = ctx.inside.has(acct) ? p : `${p} (external account ${acct})`;
            assume(who, p, "sts:AssumeRole", {}, "Allowed");
        }
    }
    const other = anotherPrincipal(id.partition, roleAccount, reader.name, ctx.taken);
    if (assumedBy.length) {
        assume(`another principal of ${roleAccount}`, other, "sts:AssumeRole", {}, "Denied");
    } else {
        // No assumedBy: the role trusts its account, and that account's IAM policies decide.
        assume(`any principal of ${roleAccount} its own IAM policies allow`, other, "sts:AssumeRole", {}, "Allowed");
    }
    assume(
        `principal of unrelated ${stranger}`,
        identityArn(id.partition, stranger, "role", "/", reader.name),
        "sts:AssumeRole",
        {},
        "Denied",
    );
    return out;
}

/**
 * A warning line for each `assumedBy` principal outside the owner's and the consumer accounts:
 * config accepts one only when the reader names its account in `externalAccounts`.
 */
export function externalTrustWarnings(account: string, reader: ReaderGrant, inside: ReadonlySet<string>): string[] {
    return [...(reader.assumedBy ?? [])]
        .sort()
        .filter((p) => !isServicePrincipal(p) && !inside.has(accountOfArn(p)))
        .map(
            (p) =>
                `role ${account}/${reader.name} trusts ${p} of external account ${accountOfArn(p)} ` +
                `(named in its externalAccounts): principals there that may assume it read ${reader.secrets.join(", ")}`,
        );
}

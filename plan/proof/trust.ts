import { accountOfArn, identityArn, parseIdentityArn } from "../../aws/arn";
import type { ReaderGrant } from "../../contract/ownerExports";
import { PlanError } from "../../common/errors";
import type { PlannedStack } from "../plan";
import type { Check } from "./checks";
import type { Identity } from "./registry";
import { isServicePrincipal, type PolicyRef } from "./simulator";

/**
 * Who can assume each reader role the plan creates, proven from the role's registered trust
 * policy (`aws:iam/role:Role` `assumeRolePolicy`): whoever assumes the role reads its secrets, so
 * the trust policy is part of the grant.
 *
 * - each `assumedBy` principal: `sts:AssumeRole` Allowed; a service: each action its
 *   documentation requires (REQUIRED_TRUST_ACTIONS) Allowed, and where it sends
 *   `aws:SourceAccount`, Allowed for the role's account and Denied for a resource of an unrelated
 *   account (confused deputy: https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html);
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

/** What a service's documentation says its role's trust policy must allow. */
export interface RequiredTrust {
    readonly actions: readonly string[];
    /** It sends `aws:SourceAccount` when it assumes a role (the builder then requires it). */
    readonly sendsSourceAccount: boolean;
    readonly source: string;
}

/**
 * What each service principal needs, as the proof expects it: kept apart from the table the
 * trust policy builder uses (policies/documents.ts, SERVICE_TRUST) on purpose, so that a builder
 * that leaves out an action fails the plan instead of agreeing with itself. A service missing
 * here cannot be proven: the plan stops (exit 2) naming it.
 */
export const REQUIRED_TRUST_ACTIONS: Readonly<Record<string, RequiredTrust>> = {
    "ec2.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sendsSourceAccount: false,
        source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html",
    },
    "ecs-tasks.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sendsSourceAccount: true,
        source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
    },
    "lambda.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sendsSourceAccount: false,
        source: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    },
    "pods.eks.amazonaws.com": {
        actions: ["sts:AssumeRole", "sts:TagSession"],
        sendsSourceAccount: false,
        source: "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html",
    },
    "rolesanywhere.amazonaws.com": {
        actions: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        sendsSourceAccount: false,
        source: "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html",
    },
    "scheduler.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sendsSourceAccount: true,
        source: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role",
    },
    "states.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sendsSourceAccount: true,
        source: "https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html",
    },
};

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
            const needs = REQUIRED_TRUST_ACTIONS[p];
            if (!needs) {
                // Config refuses such a service; nothing here could say which actions it needs.
                throw new PlanError(
                    `role ${ctx.account}/${reader.name} trusts ${p}, a service principal whose trust needs the plan does not know ` +
                        `(it knows ${Object.keys(REQUIRED_TRUST_ACTIONS).sort().join(", ")}), so it cannot prove that the service can assume the role`,
                );
            }
            const own: Record<string, string> = needs.sendsSourceAccount ? { "aws:SourceAccount": roleAccount } : {};
            for (const action of needs.actions) assume(p, p, action, own, "Allowed");
            if (needs.sendsSourceAccount) {
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

/**
 * Warning lines for the `assumedBy` ARNs that are identities a planned stack creates, when nothing
 * makes that identity exist before the role's trust policy is written: IAM refuses a trust policy
 * that names a principal that does not exist yet (MalformedPolicyDocument, "Invalid principal in
 * policy"), so the role's create would fail. A stack deploys after the stack it reads
 * (`secretshare:ownerStack`, each of `ownerStacks`); stacks that do not read each other have no order, and within one
 * stack the role and the identity are created at once (nothing in the trust policy refers to the
 * identity's resource). https://repost.aws/knowledge-center/iam-trust-policy-error
 * Returns a function of one reader: `(account, reader) => lines`.
 */
export function trustOrderWarnings(
    stacks: readonly PlannedStack[],
): (account: string, reader: ReaderGrant) => string[] {
    const creator = new Map<string, string>();
    for (const s of stacks) {
        for (const r of s.resources) {
            if (r.type !== "aws:iam/user:User" && r.type !== "aws:iam/role:Role") continue;
            if (s.origins[`${r.type}::${r.name}`] !== "created" || typeof r.state.arn !== "string") continue;
            creator.set(r.state.arn, s.name);
        }
    }
    // Every stack a stack reads: a consumer of several owner stacks deploys after each of them.
    const reads = new Map(
        stacks.map((s) => [s.name, (s.references ?? (s.reference ? [s.reference] : [])).map((r) => r.stack)]),
    );
    /** `a` deploys after `b`: it reads b's exports, directly or through the stacks it reads. */
    const after = (a: string, b: string) => {
        const seen = new Set<string>();
        const next = [...(reads.get(a) ?? [])];
        for (let s = next.pop(); s !== undefined; s = next.pop()) {
            if (s === b) return true;
            if (seen.has(s)) continue;
            seen.add(s);
            next.push(...(reads.get(s) ?? []));
        }
        return false;
    };
    return (account, reader) => {
        const roleStack = reader.kind === "role" && !reader.existing ? creator.get(reader.arn) : undefined;
        if (roleStack === undefined) return [];
        const role = `role ${account}/${reader.name} (created by stack "${roleStack}")`;
        const refused = "IAM refuses a trust policy that names a principal that does not exist yet";
        const out: string[] = [];
        for (const p of [...(reader.assumedBy ?? [])].sort()) {
            const stack = creator.get(p);
            if (stack === undefined || (stack !== roleStack && after(roleStack, stack))) continue;
            if (stack === roleStack) {
                out.push(
                    `${role} trusts ${p}, which the same stack creates in the same deploy, with nothing that creates it first: ` +
                        `${refused}, so the role's create can fail. Deploy stack "${stack}" once without ${p} in the reader's assumedBy, then add it back and deploy again`,
                );
            } else if (after(stack, roleStack)) {
                out.push(
                    `${role} trusts ${p}, which stack "${stack}" creates, and "${stack}" reads "${roleStack}" and so deploys after it: ` +
                        `${refused}. Deploy "${roleStack}" without ${p} in the reader's assumedBy, then "${stack}", then add it back and deploy "${roleStack}" again`,
                );
            } else {
                out.push(
                    `${role} trusts ${p}, which stack "${stack}" creates, and nothing orders the two stacks: ` +
                        `${refused}, so deploy stack "${stack}" before stack "${roleStack}"`,
                );
            }
        }
        return out;
    };
}

import { awsError, text, type ExistingIdentityPolicies, type ExistingWorld } from "./existingWorld";

/**
 * The mock world's IAM identities and the policies they hold (plan/existingWorld.ts): what
 * ListUserPolicies, GetUserPolicy and ListAttachedUserPolicies (and their role forms) answer,
 * and the world after a planned stack wrote its identity policies.
 */

/** The policies `name` holds in `account`; NoSuchEntity, as IAM answers, when it does not exist. */
function holdingsOf(
    world: ExistingWorld,
    kind: "user" | "role",
    name: string,
    account: string,
): ExistingIdentityPolicies | undefined {
    if (world.missingIdentities?.includes(`${kind}/${name}`)) {
        throw awsError(`NoSuchEntity: The ${kind} with name ${name} cannot be found.`);
    }
    return (world.identityPolicies ?? []).find((h) => sameIdentity(h.identity, kind, name, account));
}

/** Whether an identity ARN names `kind` `name` in `account`, whatever its path: IAM names are case-insensitive. */
function sameIdentity(arn: string, kind: "user" | "role", name: string, account: string): boolean {
    const [, , , , acct, ...rest] = arn.split(":");
    const resource = rest.join(":");
    return (
        acct === account &&
        resource.startsWith(`${kind}/`) &&
        resource.slice(resource.lastIndexOf("/") + 1).toLowerCase() === name.toLowerCase()
    );
}

/** ListUserPolicies / ListRolePolicies: the names of the identity's inline policies. */
export function inlinePolicyNames(
    world: ExistingWorld,
    kind: "user" | "role",
    name: string,
    account: string,
): string[] {
    return Object.keys(holdingsOf(world, kind, name, account)?.inline ?? {}).sort();
}

/** GetUserPolicy / GetRolePolicy: an inline policy's document, as text. */
export function inlinePolicyText(
    world: ExistingWorld,
    kind: "user" | "role",
    name: string,
    policy: string,
    account: string,
): string {
    const doc = holdingsOf(world, kind, name, account)?.inline?.[policy];
    if (doc === undefined) {
        throw awsError(`NoSuchEntity: The ${kind} policy with name ${policy} cannot be found.`);
    }
    return text(doc);
}

/** ListAttachedUserPolicies / ListAttachedRolePolicies: the ARNs of the attached managed policies. */
export function attachedPolicyArns(
    world: ExistingWorld,
    kind: "user" | "role",
    name: string,
    account: string,
): string[] {
    return [...(holdingsOf(world, kind, name, account)?.attached ?? [])];
}

/** A resource the plan registered, as far as the world needs it (see `withPlannedPolicies`). */
export interface PlannedPolicy {
    readonly type: string;
    readonly inputs: Record<string, unknown>;
    readonly accountId?: string;
}

/**
 * The world after a planned stack's identity policies were written: the offline plan runs each
 * consumer stack in a world that holds what the stacks planned before it wrote, as AWS will when
 * they are deployed, so that several stacks writing on one existing identity are checked
 * against its quotas together.
 */
export function withPlannedPolicies(world: ExistingWorld, planned: readonly PlannedPolicy[]): ExistingWorld {
    const byIdentity = new Map<string, { inline: Record<string, unknown>; attached: string[] }>();
    for (const h of world.identityPolicies ?? []) {
        byIdentity.set(h.identity, { inline: { ...h.inline }, attached: [...(h.attached ?? [])] });
    }
    const entry = (account: string, kind: "user" | "role", name: string) => {
        const existing = [...byIdentity.keys()].find((arn) => sameIdentity(arn, kind, name, account));
        const key = existing ?? `arn:aws:iam::${account}:${kind}/${name}`;
        if (!byIdentity.has(key)) byIdentity.set(key, { inline: {}, attached: [] });
        return byIdentity.get(key) as { inline: Record<string, unknown>; attached: string[] };
    };
    for (const r of planned) {
        const account = r.accountId ?? "000000000000";
        const str = (k: string) => (typeof r.inputs[k] === "string" ? r.inputs[k] : undefined);
        if (r.type === "aws:iam/userPolicy:UserPolicy" || r.type === "aws:iam/rolePolicy:RolePolicy") {
            const kind = r.type === "aws:iam/userPolicy:UserPolicy" ? "user" : "role";
            const who = str(kind);
            const name = str("name");
            if (who && name) entry(account, kind, who).inline[name] = str("policy") ?? "";
        }
        if (
            r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" ||
            r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        ) {
            const kind = r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" ? "user" : "role";
            const who = str(kind);
            const arn = str("policyArn");
            if (who && arn) {
                const e = entry(account, kind, who);
                if (!e.attached.includes(arn)) e.attached.push(arn);
            }
        }
    }
    return {
        ...world,
        identityPolicies: [...byIdentity].map(([identity, h]) => ({
            identity,
            inline: h.inline,
            attached: h.attached,
        })),
    };
}

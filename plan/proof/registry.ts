import { accountOfArn, partitionOf } from "../../aws/arn";
import type { ReaderGrant } from "../../contract/ownerExports";
import type { RegisteredResource } from "../mocks";
import type { PlannedStack } from "../plan";
import type { PolicyRef } from "./simulator";
import type { WorldSnapshot } from "../world/schema";

/**
 * The documents the checks simulate, indexed from the resources the program registered in every
 * planned stack: the key policy (`aws:kms/key:Key` input `policy`, or a `KeyPolicy`), the secret's
 * resource policy (`SecretPolicy`), the consumer identities' policies (`UserPolicy`,
 * `RolePolicy`, `Policy` + attachments) and the trust policy of each role the plan creates.
 */

export interface SecretInfo {
    readonly name: string;
    readonly arn: string;
    readonly keyArn?: string;
    readonly stack: string;
}

export interface Identity {
    arn?: string;
    readonly policies: PolicyRef[];
    /** A role's trust policy (`aws:iam/role:Role` input `assumeRolePolicy`), when the plan creates it. */
    trust?: PolicyRef;
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const parse = (v: unknown): unknown => (typeof v === "string" ? (JSON.parse(v) as unknown) : v);
const label = (r: RegisteredResource) => `${r.type} ${r.name}`;
const identityKey = (account: string, kind: string, name: string) => `${account}:${kind}:${name}`;

export class Registry {
    /** By secret ARN. */
    readonly secrets = new Map<string, SecretInfo>();
    /** By secret ARN. */
    readonly secretPolicies = new Map<string, PolicyRef>();
    /** By key ARN. */
    readonly keyPolicies = new Map<string, PolicyRef>();
    readonly identities = new Map<string, Identity>();
    /** Automatic rotation, by secret ARN: the function that rotates it (`SecretRotation`). */
    readonly rotations = new Map<string, { readonly functionArn: string; readonly stack: string }>();
    /** Rotation functions the plan creates, by ARN: their role's ARN (`aws:lambda/function:Function`). */
    readonly functions = new Map<string, { readonly roleArn?: string }>();
    /** Lambda permissions, by function ARN (`aws:lambda/permission:Permission` inputs). */
    readonly invokePermissions = new Map<string, PolicyRef[]>();
    /** Accounts in which a planned stack registered anything. */
    readonly accounts = new Set<string>();

    /**
     * `world`: the snapshot planned against; the policies an existing identity already holds
     * (inline, and attached managed policies with their recorded documents) take part in its
     * simulations too, so that a Deny of its own team's is seen.
     */
    constructor(stacks: readonly PlannedStack[], world?: WorldSnapshot) {
        const managed = new Map<string, PolicyRef>();
        const keyArnOf = new Map<string, string>();
        const keyPolicyResources: { keyId: string; ref: PolicyRef }[] = [];
        const attachments: { account: string; kind: string; name: string; policyArn: string }[] = [];
        const identity = (account: string, kind: string, name: string) => {
            const k = identityKey(account, kind, name);
            const found = this.identities.get(k) ?? { policies: [] };
            this.identities.set(k, found);
            return found;
        };
        for (const stack of stacks) {
            for (const r of stack.resources) {
                const account = r.provider?.accountId;
                if (account) this.accounts.add(account);
                const arn = str(r.state.arn);
                switch (r.type) {
                    case "aws:secretsmanager/secret:Secret":
                        if (arn) {
                            const keyArn = str(r.inputs.kmsKeyId);
                            this.secrets.set(arn, {
                                name: str(r.state.name) ?? r.name,
                                arn,
                                ...(keyArn && { keyArn }),
                                stack: stack.name,
                            });
                        }
                        break;
                    case "aws:secretsmanager/secretPolicy:SecretPolicy": {
                        const secretArn = str(r.inputs.secretArn);
                        if (secretArn)
                            this.secretPolicies.set(secretArn, { name: label(r), policy: parse(r.inputs.policy) });
                        break;
                    }
                    case "aws:kms/key:Key":
                        if (arn) {
                            keyArnOf.set(str(r.state.keyId) ?? r.id, arn);
                            if (r.inputs.policy !== undefined) {
                                this.keyPolicies.set(arn, { name: label(r), policy: parse(r.inputs.policy) });
                            }
                        }
                        break;
                    case "aws:kms/keyPolicy:KeyPolicy": {
                        // The policy of a key this program does not create (or sets apart from it).
                        let keyId = str(r.inputs.keyId);
                        // A key ID of a key this stack does not hold: its ARN is built the way AWS
                        // builds it, in the account and region of the KeyPolicy's provider.
                        if (keyId && !keyId.startsWith("arn:") && r.provider?.accountId && r.provider.region) {
                            const region = r.provider.region;
                            const partition = partitionOf(region);
                            const built = `arn:${partition}:kms:${region}:${r.provider.accountId}:key/${keyId}`;
                            keyId = keyArnOf.has(keyId) ? keyId : built;
                        }
                        if (keyId)
                            keyPolicyResources.push({ keyId, ref: { name: label(r), policy: parse(r.inputs.policy) } });
                        break;
                    }
                    case "aws:iam/user:User":
                    case "aws:iam/role:Role": {
                        const kind = r.type === "aws:iam/user:User" ? "user" : "role";
                        const name = str(r.state.name) ?? str(r.inputs.name);
                        if (account && name) {
                            const found = identity(account, kind, name);
                            found.arn = arn;
                            if (kind === "role" && r.inputs.assumeRolePolicy !== undefined) {
                                found.trust = { name: label(r), policy: parse(r.inputs.assumeRolePolicy) };
                            }
                        }
                        break;
                    }
                    case "aws:iam/userPolicy:UserPolicy":
                    case "aws:iam/rolePolicy:RolePolicy": {
                        const kind = r.type === "aws:iam/userPolicy:UserPolicy" ? "user" : "role";
                        const name = str(r.inputs[kind]);
                        if (account && name) {
                            identity(account, kind, name).policies.push({
                                name: label(r),
                                policy: parse(r.inputs.policy),
                            });
                        }
                        break;
                    }
                    case "aws:secretsmanager/secretRotation:SecretRotation": {
                        const secretArn = str(r.inputs.secretId);
                        const functionArn = str(r.inputs.rotationLambdaArn);
                        if (secretArn && functionArn) this.rotations.set(secretArn, { functionArn, stack: stack.name });
                        break;
                    }
                    case "aws:lambda/function:Function":
                        if (arn) this.functions.set(arn, { roleArn: str(r.inputs.role) });
                        break;
                    case "aws:lambda/permission:Permission": {
                        const fn = str(r.inputs.function);
                        if (fn) {
                            const refs = this.invokePermissions.get(fn) ?? [];
                            refs.push({ name: label(r), policy: lambdaPermissionPolicy(fn, r.inputs) });
                            this.invokePermissions.set(fn, refs);
                        }
                        break;
                    }
                    case "aws:iam/policy:Policy":
                        if (arn) managed.set(arn, { name: label(r), policy: parse(r.inputs.policy) });
                        break;
                    case "aws:iam/userPolicyAttachment:UserPolicyAttachment":
                    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
                        const kind = r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" ? "user" : "role";
                        const name = str(r.inputs[kind]);
                        const policyArn = str(r.inputs.policyArn);
                        if (account && name && policyArn) attachments.push({ account, kind, name, policyArn });
                        break;
                    }
                }
            }
        }
        for (const k of keyPolicyResources) {
            const arn = k.keyId.startsWith("arn:") ? k.keyId : keyArnOf.get(k.keyId);
            if (arn) this.keyPolicies.set(arn, k.ref);
        }
        for (const held of world?.identities ?? []) {
            const [, , , , account, ...rest] = held.arn.split(":");
            const resource = rest.join(":");
            const kind = resource.split("/")[0];
            const name = resource.slice(resource.lastIndexOf("/") + 1);
            // Only an identity a planned stack writes on: the others are not simulated.
            const found = this.identities.get(identityKey(account, kind, name));
            if (!found) continue;
            for (const [policy, doc] of Object.entries(held.inline)) {
                found.policies.push({ name: `existing inline policy ${policy} of ${held.arn}`, policy: doc });
            }
            for (const arn of held.attached) {
                const doc = world?.managedPolicies.find((p) => p.arn === arn);
                if (doc) found.policies.push({ name: `existing managed policy ${arn}`, policy: doc.document });
            }
        }
        for (const a of attachments) {
            const doc = managed.get(a.policyArn);
            // An attachment of a policy this plan did not create (an AWS managed policy, say)
            // cannot be simulated; the reader's checks then show what the plan does prove.
            if (doc) identity(a.account, a.kind, a.name).policies.push(doc);
        }
    }

    /** The role with this ARN, as registered (its policies), when the plan creates it. */
    roleByArn(arn: string): Identity | undefined {
        const name = arn.split("/").pop() ?? "";
        return this.identities.get(identityKey(accountOfArn(arn), "role", name));
    }

    /** The reader's registered identity: its ARN, if the plan created it, and its policies. */
    identityOf(reader: Pick<ReaderGrant, "arn" | "kind" | "name">): Identity {
        return this.identities.get(identityKey(accountOfArn(reader.arn), reader.kind, reader.name)) ?? { policies: [] };
    }
}

/**
 * The statement Lambda adds to a function's resource policy for an AddPermission with a service
 * principal, a source account and a source ARN (as GetPolicy shows it), so that the matrix can
 * prove who may invoke the function.
 * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
 */
export function lambdaPermissionPolicy(functionArn: string, inputs: Record<string, unknown>): unknown {
    const condition: Record<string, Record<string, string>> = {};
    const account = str(inputs.sourceAccount);
    const source = str(inputs.sourceArn);
    if (account) condition.StringEquals = { "AWS:SourceAccount": account };
    if (source) condition.ArnLike = { "AWS:SourceArn": source };
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: str(inputs.statementId) ?? "permission",
                Effect: "Allow",
                Principal: { Service: str(inputs.principal) ?? "" },
                Action: str(inputs.action) ?? "lambda:InvokeFunction",
                Resource: functionArn,
                ...(Object.keys(condition).length && { Condition: condition }),
            },
        ],
    };
}

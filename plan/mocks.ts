import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { partitionOf } from "../aws/arn";
import {
    EXAMPLE_WORLD,
    describeAlias,
    describeIdentity,
    describeKey,
    listIdentities,
    describeSecret,
    keyPolicyText,
    type ExistingWorld,
} from "./existingWorld";
import { attachedPolicyArns, inlinePolicyNames, inlinePolicyText } from "./identityWorld";

/**
 * Mocks for Pulumi's mock runtime that answer like AWS would: realistic ARNs and IDs, with the
 * account and region of the provider each resource was registered with. Shared by the unit
 * tests and the offline plan. Deterministic: the same program gives the same ARNs.
 */

export interface ProviderInfo {
    readonly id: string;
    readonly name: string;
    readonly accountId?: string;
    readonly region?: string;
    readonly inputs: Record<string, unknown>;
}

export interface RegisteredResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly state: Record<string, unknown>;
    readonly id: string;
    /** The explicit provider, if the resource has one. */
    readonly provider?: ProviderInfo;
    readonly custom: boolean;
}

/** A stack name the plan or a test knows, and its exports. */
export type KnownStacks = Record<string, Record<string, unknown>>;

const hex = (s: string, n: number) => createHash("sha256").update(s).digest("hex").slice(0, n);
const uuid = (s: string) => {
    const h = hex(s, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const suffix6 = (s: string) =>
    [...createHash("sha256").update(s).digest()]
        .slice(0, 6)
        .map((b) => ALNUM[b % ALNUM.length])
        .join("");
const uniqueId = (prefix: string, s: string) => prefix + hex(s, 17).toUpperCase();

/**
 * Reads of what an existing identity holds (`X.get(name, id)`): the type, the state property
 * the read answers, and whether the id is "<identity>:<policy>".
 */
const IDENTITY_READS: Readonly<Record<string, { kind: "user" | "role"; answers: string; what: string }>> = {
    "aws:iam/userPoliciesExclusive:UserPoliciesExclusive": { kind: "user", answers: "policyNames", what: "names" },
    "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive": { kind: "role", answers: "policyNames", what: "names" },
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive": {
        kind: "user",
        answers: "policyArns",
        what: "attached",
    },
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": {
        kind: "role",
        answers: "policyArns",
        what: "attached",
    },
    "aws:iam/userPolicy:UserPolicy": { kind: "user", answers: "policy", what: "document" },
    "aws:iam/rolePolicy:RolePolicy": { kind: "role", answers: "policy", what: "document" },
};

export class AwsMocks implements pulumi.runtime.Mocks {
    public readonly resources: RegisteredResource[] = [];
    public readonly providers = new Map<string, ProviderInfo>();
    /** StackReference names that were read. */
    public readonly stackReads: string[] = [];
    /** Reads of the running stack's own last outputs. */
    public readonly selfReads: string[] = [];
    /** Existing resources the program read (`X.get(...)`), apart from what it registers. */
    public readonly reads: RegisteredResource[] = [];
    /**
     * The running stack, `<org>/<project>/<stack>` (runStack sets it): part of every generated
     * ID and ARN, so that two stacks registering the same logical names (two owner stacks of
     * one project) get distinct keys, secrets and unique IDs, as they would in AWS.
     */
    public stack = "";

    /**
     * `world`: the keys and secrets that exist before the program runs (see plan/existingWorld.ts);
     * by default the walk-through's MyKey and MySecret, with foreign statements in their policies.
     */
    constructor(
        private readonly stacks: KnownStacks = {},
        public readonly world: ExistingWorld = EXAMPLE_WORLD,
        /**
         * `preview`: answer as a first `pulumi preview` does (setMocks with preview = true). A
         * created resource or provider gets no ID and only its inputs back, so every computed
         * output (ARN, key ID...) is unknown; reads, imports and invokes still answer, because
         * the engine performs them in preview too. The engine gives a provider created in
         * preview the unknown ID (Registry.Create in
         * https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/providers/registry.go).
         */
        public readonly options: { readonly preview?: boolean } = {},
    ) {}

    /** The provider a resource was registered with; `provider` is "<urn>::<id>". */
    private providerOf(ref: string | undefined): ProviderInfo | undefined {
        if (!ref) return undefined;
        const parts = ref.split("::");
        const found = this.providers.get(parts.pop() as string);
        if (found || !this.options.preview) return found;
        // In preview the ID part is unknown: the provider is the one of the URN's name.
        const name = parts.pop();
        const named = [...this.providers.values()].filter((p) => p.name === name);
        if (named.length > 1) throw new Error(`two providers are named ${named[0].name}: ${ref} is ambiguous`);
        return named[0];
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const inputs = (args.inputs ?? {}) as Record<string, unknown>;
        if (args.type === "pulumi:providers:aws" || args.type.startsWith("pulumi:providers:")) {
            const id = `${args.name}-${hex(`${this.stack}/${args.name}/${this.providers.size}`, 12)}`;
            // Provider inputs reach the monitor JSON-encoded when they are not strings.
            const raw = inputs.allowedAccountIds;
            const allowed: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
            this.providers.set(id, {
                id,
                name: args.name,
                accountId: Array.isArray(allowed) && allowed.length === 1 ? String(allowed[0]) : undefined,
                region: typeof inputs.region === "string" ? inputs.region : undefined,
                inputs,
            });
            return { id: this.options.preview ? "" : id, state: inputs };
        }
        if (args.type === "pulumi:pulumi:StackReference") {
            const name = String(inputs.name);
            // The stack reading its own last outputs (contract/previousLayout.ts): nothing, as
            // at its first deploy, unless the caller gave them.
            if (name === this.stack) {
                this.selfReads.push(name);
                return { id: name, state: { name, outputs: this.stacks[name] ?? {}, secretOutputNames: [] } };
            }
            this.stackReads.push(name);
            const outputs = this.stacks[name];
            if (!outputs) throw new Error(`stack "${name}" does not exist`);
            return { id: name, state: { name, outputs, secretOutputNames: [] } };
        }
        const provider = this.providerOf(args.provider);
        const account = provider?.accountId ?? "000000000000";
        const region = provider?.region ?? "us-east-1";
        const partition = partitionOf(region);
        const basis = `${this.stack}/${account}/${region}/${args.type}/${args.name}`;
        const str = (k: string) => (typeof inputs[k] === "string" ? inputs[k] : undefined);
        let id = `${args.name}-${hex(basis, 8)}`;
        let state: Record<string, unknown> = { ...inputs };
        // A read (`Resource.get`): recorded with what it answered, keeping its id.
        const recordRead = (read: Record<string, unknown>, readId: string) => {
            this.reads.push({
                type: args.type,
                name: args.name,
                inputs,
                state: read,
                id: readId,
                provider,
                custom: true,
            });
            return { id: readId, state: read };
        };
        // A read of an existing key policy (aws.kms.KeyPolicy.get): an id and no inputs.
        if (args.type === "aws:kms/keyPolicy:KeyPolicy" && args.id && inputs.policy === undefined) {
            const policy = keyPolicyText(this.world, args.id);
            if (policy === undefined) throw new Error(`reading KMS Key Policy (${args.id}): NotFoundException`);
            return recordRead({ keyId: args.id, policy, bypassPolicyLockoutSafetyCheck: false }, args.id);
        }
        const identityRead = IDENTITY_READS[args.type];
        if (identityRead && args.id && inputs[identityRead.answers] === undefined) {
            return recordRead(this.readIdentity(identityRead, args.id, account), args.id);
        }
        switch (args.type) {
            case "aws:kms/key:Key": {
                // An imported (adopted) key keeps its ID; a created one gets a new UUID.
                id = args.id || uuid(basis);
                state = { ...inputs, keyId: id, arn: `arn:${partition}:kms:${region}:${account}:key/${id}` };
                break;
            }
            case "aws:kms/alias:Alias": {
                id = str("name") ?? `alias/${args.name}`;
                state = { ...inputs, arn: `arn:${partition}:kms:${region}:${account}:${id}`, targetKeyArn: undefined };
                break;
            }
            case "aws:secretsmanager/secret:Secret": {
                const name = str("name") ?? args.name;
                // An imported (adopted) secret keeps its ARN.
                id = args.id || `arn:${partition}:secretsmanager:${region}:${account}:secret:${name}-${suffix6(basis)}`;
                state = { ...inputs, arn: id, name };
                break;
            }
            case "aws:secretsmanager/secretVersion:SecretVersion": {
                const versionId = uuid(basis);
                id = `${String(inputs.secretId)}|${versionId}`;
                state = { ...inputs, versionId, versionStages: ["AWSCURRENT"], arn: inputs.secretId };
                break;
            }
            case "aws:secretsmanager/secretPolicy:SecretPolicy": {
                id = String(inputs.secretArn);
                break;
            }
            case "aws:iam/user:User":
            case "aws:iam/role:Role": {
                const kind = args.type === "aws:iam/user:User" ? "user" : "role";
                const name = str("name") ?? args.name;
                id = name;
                state = {
                    ...inputs,
                    name,
                    arn: `arn:${partition}:iam::${account}:${kind}${str("path") ?? "/"}${name}`,
                    uniqueId: uniqueId(kind === "user" ? "AIDA" : "AROA", basis),
                };
                break;
            }
            case "aws:iam/policy:Policy": {
                const name = str("name") ?? args.name;
                id = `arn:${partition}:iam::${account}:policy${str("path") ?? "/"}${name}`;
                state = { ...inputs, name, arn: id, policyId: uniqueId("ANPA", basis) };
                break;
            }
            case "aws:iam/userPolicy:UserPolicy":
                id = `${String(inputs.user)}:${str("name") ?? args.name}`;
                break;
            case "aws:iam/rolePolicy:RolePolicy":
                id = `${String(inputs.role)}:${str("name") ?? args.name}`;
                break;
            case "aws:sns/topic:Topic": {
                // Autonamed like the provider does: the logical name and a random suffix.
                const name = str("name") ?? `${args.name}-${hex(basis, 7)}`;
                id = `arn:${partition}:sns:${region}:${account}:${name}`;
                state = { ...inputs, name, arn: id, owner: account };
                break;
            }
            case "aws:sns/topicSubscription:TopicSubscription": {
                id = `${String(inputs.topic)}:${uuid(basis)}`;
                state = { ...inputs, arn: id, ownerId: account, pendingConfirmation: inputs.protocol === "email" };
                break;
            }
            case "aws:sns/topicPolicy:TopicPolicy":
                id = String(inputs.arn);
                state = { ...inputs, owner: account };
                break;
            case "aws:cloudwatch/eventRule:EventRule": {
                const name = str("name") ?? `${args.name}-${hex(basis, 7)}`;
                id = name;
                state = {
                    ...inputs,
                    name,
                    eventBusName: "default",
                    arn: `arn:${partition}:events:${region}:${account}:rule/${name}`,
                };
                break;
            }
            case "aws:cloudwatch/eventTarget:EventTarget": {
                // Not autonamed by Pulumi: the Terraform provider's unique ID (aws/names.ts).
                const targetId = str("targetId") ?? `terraform-${hex(basis, 26)}`;
                id = `default/${String(inputs.rule)}/${targetId}`;
                state = { ...inputs, targetId, eventBusName: "default" };
                break;
            }
            case "aws:lambda/function:Function": {
                const name = str("name") ?? `${args.name}-${hex(basis, 7)}`;
                const arn = `arn:${partition}:lambda:${region}:${account}:function:${name}`;
                id = name;
                state = {
                    ...inputs,
                    name,
                    arn,
                    qualifiedArn: `${arn}:$LATEST`,
                    invokeArn: `arn:${partition}:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
                    version: "$LATEST",
                };
                break;
            }
            case "aws:lambda/permission:Permission": {
                // Autonamed like the provider does: "terraform-" and a unique suffix.
                const statementId = str("statementId") ?? `terraform-${hex(basis, 26)}`;
                id = statementId;
                state = { ...inputs, statementId };
                break;
            }
            case "aws:cloudwatch/logGroup:LogGroup": {
                const name = str("name") ?? `${args.name}-${hex(basis, 7)}`;
                id = name;
                state = { ...inputs, name, arn: `arn:${partition}:logs:${region}:${account}:log-group:${name}` };
                break;
            }
            case "aws:secretsmanager/secretRotation:SecretRotation":
                id = String(inputs.secretId);
                state = { ...inputs, rotationEnabled: true };
                break;
            case "random:index/randomPassword:RandomPassword":
                // Stands in for a generated password; the program must keep it secret.
                id = "none";
                state = { ...inputs, result: `mock-${hex(basis, 24)}`, bcryptHash: "mock" };
                break;
            default:
                if (args.type.startsWith("aws:") && !state.arn) {
                    state.arn = `arn:${partition}:${args.type.split(":")[1].split("/")[0]}:${region}:${account}:${args.name}`;
                }
        }
        // Created in preview (an import has an ID and is read): no ID, computed outputs unknown.
        if (this.options.preview && !args.id) [id, state] = ["", { ...inputs }];
        this.resources.push({
            type: args.type,
            name: args.name,
            inputs,
            state,
            id,
            provider,
            custom: args.custom ?? true,
        });
        return { id, state };
    }

    /** Answers a read of an identity's policies from the world (NoSuchEntity when it is missing). */
    private readIdentity(
        read: { kind: "user" | "role"; what: string },
        id: string,
        account: string,
    ): Record<string, unknown> {
        const nameKey = read.kind === "user" ? "userName" : "roleName";
        if (read.what === "document") {
            const at = id.indexOf(":");
            const [who, policy] = [id.slice(0, at), id.slice(at + 1)];
            const policyText = inlinePolicyText(this.world, read.kind, who, policy, account);
            return { [read.kind]: who, name: policy, namePrefix: "", policy: policyText };
        }
        if (read.what === "names") {
            return { [nameKey]: id, policyNames: inlinePolicyNames(this.world, read.kind, id, account) };
        }
        return { [nameKey]: id, policyArns: attachedPolicyArns(this.world, read.kind, id, account) };
    }

    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        const provider = this.providerOf(args.provider);
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity": {
                const accountId = provider?.accountId ?? "000000000000";
                return { accountId, arn: `arn:aws:iam::${accountId}:user/deployer`, userId: "AIDAMOCK", id: accountId };
            }
            case "aws:index/getRegion:getRegion":
                return { name: provider?.region ?? "us-east-1", region: provider?.region ?? "us-east-1" };
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com" };
            case "aws:kms/getKey:getKey": {
                const region = provider?.region ?? "us-east-1";
                const partition = partitionOf(region);
                return describeKey(
                    this.world,
                    String((args.inputs as { keyId?: string }).keyId),
                    provider?.accountId ?? "000000000000",
                    region,
                    partition,
                );
            }
            case "aws:kms/getAlias:getAlias": {
                const region = provider?.region ?? "us-east-1";
                return describeAlias(
                    this.world,
                    String((args.inputs as { name?: string }).name),
                    provider?.accountId ?? "000000000000",
                    region,
                    partitionOf(region),
                );
            }
            case "aws:secretsmanager/getSecret:getSecret":
                return describeSecret(
                    this.world,
                    args.inputs as { arn?: string; name?: string },
                    provider?.accountId ?? "000000000000",
                    provider?.region ?? "us-east-1",
                );
            case "aws:iam/getUser:getUser":
            case "aws:iam/getRole:getRole": {
                const kind = args.token === "aws:iam/getUser:getUser" ? "user" : "role";
                const inputs = args.inputs as { userName?: string; name?: string };
                return describeIdentity(
                    this.world,
                    kind,
                    String(inputs.userName ?? inputs.name),
                    provider?.accountId ?? "000000000000",
                    partitionOf(provider?.region ?? "us-east-1"),
                );
            }
            case "aws:iam/getUsers:getUsers":
            case "aws:iam/getRoles:getRoles": {
                const kind = args.token === "aws:iam/getUsers:getUsers" ? "user" : "role";
                const inputs = args.inputs as { nameRegex?: string; pathPrefix?: string };
                const found = listIdentities(this.world, kind, inputs, provider?.accountId ?? "000000000000");
                return { ...inputs, ...found, id: provider?.region ?? "us-east-1" };
            }
            default:
                return args.inputs as Record<string, unknown>;
        }
    }
}

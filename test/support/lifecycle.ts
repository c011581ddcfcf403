import { createHash } from "crypto";
import type * as pulumi from "@pulumi/pulumi";
import { AwsMocks, type KnownStacks, type RegisteredResource } from "../../plan/mocks";
import type { ExistingIdentityPolicies, ExistingWorld } from "../../plan/existingWorld";
import { runStack } from "../../plan/runtime";

/**
 * A stateful mock world for lifecycles: what AWS holds and what the Pulumi backend holds, kept
 * across runs of the real program under the mock runtime, so that sequences of configurations
 * (`up A`, `up B`, `destroy`, `advance(days)`, `up A`) can be tested as a team lives them.
 *
 * The engine part models what the Pulumi engine does between the program's registrations and
 * AWS (pkg/resource/deploy/step_generator.go and step.go in https://github.com/pulumi/pulumi):
 * - each registration is matched with the state of the last run by its URN, else by an alias
 *   (explicit `aliases` of `{ name }`, and the ones a child inherits from an aliased parent when
 *   its name starts with the parent's: `inheritedChildAlias`);
 * - `import` imports when the state holds no resource of that ID (the resource must exist in
 *   AWS; an import whose inputs differ from the live ones is followed by an update, as the CLI
 *   does since 3.174), and is a no-op otherwise;
 * - a matched resource is replaced when its provider changed (not by an alias) or an input that
 *   forces replacement changed (FORCE_NEW), updated when another input changed (after
 *   `ignoreChanges`), else left alone. A replacement of a protected resource, or of one that
 *   still names an import ID, fails. The old one goes first with `deleteBeforeReplace`, else
 *   after the new one is created, with the deletes at the end;
 * - resources no longer registered are deleted at the end, in reverse order, only when the
 *   program finished: a protected one fails the update; `retainOnDelete` only drops it from the
 *   state. A failed step stops the update; the steps before it stay done.
 * - `destroy` deletes every resource of the state, in reverse order, with the same rules.
 *
 * The AWS part holds, per account and region: IAM users, roles and managed policies (names
 * case-insensitive: a create of a name that exists fails with EntityAlreadyExists), their inline
 * policies (their quota of 2,048 characters for a user, 10,240 for a role, counted together),
 * attachments and tags; KMS keys (a deleted key is pending deletion for its window,
 * 7 to 30 days, and cannot be used meanwhile) and aliases; secrets (a deleted secret keeps its
 * name taken for its recovery window, unless deleted with a window of 0). Other types (the
 * watch's topic and rules, passwords) are kept without conflicts. Reads and invokes of the
 * program are answered from it (plan/mocks.ts over the ExistingWorld this world gives).
 *
 * Simplifications: a program that fails changes nothing (the engine would carry out the steps of
 * what it registered before failing; this program refuses before it registers anything but its
 * providers); nothing runs concurrently; created resources get the IDs the mocks give, except a
 * key, which gets a new ID when its old one is still pending deletion.
 */

export type Op = "create" | "update" | "replace" | "delete" | "retain" | "import" | "same";

export interface Step {
    readonly op: Op;
    readonly type: string;
    readonly name: string;
    /** Inputs that differ (update, replace, an import followed by an update). */
    readonly diff?: readonly string[];
}

export interface UpResult {
    readonly ok: boolean;
    /** The first line of the error that stopped the update. */
    readonly error?: string;
    readonly steps: readonly Step[];
}

/** Inputs whose change replaces the resource (the provider's ForceNew), by type. */
const FORCE_NEW: Readonly<Record<string, readonly string[]>> = {
    "aws:iam/user:User": ["name"],
    "aws:iam/role:Role": ["name", "path"],
    "aws:iam/policy:Policy": ["name", "path"],
    "aws:iam/userPolicy:UserPolicy": ["user", "name"],
    "aws:iam/rolePolicy:RolePolicy": ["role", "name"],
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ["user", "policyArn"],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
    "aws:kms/key:Key": ["keyUsage", "customerMasterKeySpec", "multiRegion", "customKeyStoreId"],
    "aws:kms/alias:Alias": ["name"],
    "aws:kms/keyPolicy:KeyPolicy": ["keyId"],
    "aws:secretsmanager/secret:Secret": ["name"],
    "aws:secretsmanager/secretVersion:SecretVersion": ["secretId"],
    "aws:secretsmanager/secretPolicy:SecretPolicy": ["secretArn"],
    "aws:sns/topic:Topic": ["name"],
    "aws:cloudwatch/eventRule:EventRule": ["name"],
    "aws:cloudwatch/eventTarget:EventTarget": ["rule", "targetId"],
    "random:index/randomPassword:RandomPassword": ["length", "keepers"],
};

const KEY = "aws:kms/key:Key";

class AwsError extends Error {}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const str = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
const parseJson = (v: unknown): unknown => {
    if (typeof v !== "string") return v;
    try {
        return JSON.parse(v);
    } catch {
        return v;
    }
};
const DAY_ZERO = Date.UTC(2026, 11, 1);
const isoDay = (day: number) => new Date(DAY_ZERO + day * 86_400_000).toISOString();

// ---------------------------------------------------------------------------------------------
// AWS

export interface Identity {
    readonly kind: "user" | "role";
    readonly account: string;
    name: string;
    path: string;
    tags: Record<string, string>;
    trust?: string;
    inline: Map<string, string>;
    attached: Set<string>;
    /** Access keys, a console password: what DeleteUser refuses to delete without forceDestroy. */
    credentials: number;
}

export interface Key {
    readonly id: string;
    readonly arn: string;
    readonly account: string;
    readonly region: string;
    state: "Enabled" | "Disabled" | "PendingDeletion";
    /** The day a key pending deletion goes. */
    deleteOn?: number;
    description: string;
    policy: string;
    rotation: boolean;
    tags: Record<string, string>;
}

export interface Secret {
    readonly arn: string;
    readonly name: string;
    readonly account: string;
    readonly region: string;
    kmsKeyId?: string;
    description?: string;
    policy?: string;
    tags: Record<string, string>;
    /** Scheduled for deletion: the day its name is free again. */
    purgeOn?: number;
    versions: number;
}

const fields = (arn: string) => {
    const [, partition, , region, account] = arn.split(":");
    return { partition, region, account };
};

/** What AWS holds, across every stack's runs. */
export class Aws {
    day = 0;
    readonly identities: Identity[] = [];
    /** Managed policies: ARN to document. */
    readonly policies = new Map<string, string>();
    readonly keys: Key[] = [];
    /** `<account>/<region>/alias/<name>` to key ID. */
    readonly aliases = new Map<string, string>();
    readonly secrets: Secret[] = [];
    /** Everything else, by type and ID. */
    readonly other = new Map<string, Record<string, unknown>>();

    /** Seeds AWS with what a world of existing resources holds (e.g. the example's MyKey, MySecret and Stuart). */
    constructor(initial: ExistingWorld = {}) {
        for (const k of initial.keys ?? []) {
            const f = fields(k.arn);
            const id = k.arn.slice(k.arn.indexOf(":key/") + 5);
            this.keys.push({
                id,
                arn: k.arn,
                account: f.account,
                region: f.region,
                state: (k.keyState as Key["state"] | undefined) ?? "Enabled",
                description: k.description ?? "",
                policy: str(k.policy),
                rotation: false,
                tags: {},
            });
            for (const a of k.aliases ?? []) this.aliases.set(`${f.account}/${f.region}/${a}`, id);
        }
        for (const s of initial.secrets ?? []) {
            const f = fields(s.arn);
            const name = s.arn.split(":secret:")[1].replace(/-[A-Za-z0-9]{6}$/, "");
            this.secrets.push({
                arn: s.arn,
                name,
                account: f.account,
                region: f.region,
                kmsKeyId: s.kmsKeyId,
                description: s.description,
                policy: s.policy === undefined ? undefined : str(s.policy),
                tags: { ...s.tags },
                versions: 1,
            });
        }
        const arns = new Set([
            ...(initial.identities ?? []),
            ...(initial.identityPolicies ?? []).map((h) => h.identity),
        ]);
        for (const arn of arns) {
            const { account } = fields(arn);
            const resource = arn.split(":").slice(5).join(":");
            const kind = resource.startsWith("user/") ? "user" : "role";
            const name = resource.slice(resource.lastIndexOf("/") + 1);
            const path = resource.slice(kind.length, resource.length - name.length);
            const held = (initial.identityPolicies ?? []).find((h) => h.identity === arn);
            this.identities.push({
                kind,
                account,
                name,
                path,
                tags: {},
                inline: new Map(Object.entries(held?.inline ?? {}).map(([n, d]) => [n, str(d)])),
                attached: new Set(held?.attached ?? []),
                credentials: 0,
            });
        }
    }

    /** Lets days pass: secrets past their recovery window and keys past their deletion window go. */
    advance(days: number): void {
        this.day += days;
        for (let i = this.secrets.length - 1; i >= 0; i--) {
            const s = this.secrets[i];
            if (s.purgeOn !== undefined && s.purgeOn <= this.day) this.secrets.splice(i, 1);
        }
        for (let i = this.keys.length - 1; i >= 0; i--) {
            const k = this.keys[i];
            if (k.state === "PendingDeletion" && (k.deleteOn ?? 0) <= this.day) this.keys.splice(i, 1);
        }
    }

    identity(kind: "user" | "role", account: string, name: string): Identity | undefined {
        return this.identities.find(
            (i) => i.kind === kind && i.account === account && i.name.toLowerCase() === name.toLowerCase(),
        );
    }

    /** The active (not deleted) secret of that name. */
    secret(account: string, region: string, name: string): Secret | undefined {
        return this.secrets.find(
            (s) => s.account === account && s.region === region && s.name === name && s.purgeOn === undefined,
        );
    }

    key(idOrArn: string): Key | undefined {
        return this.keys.find((k) => k.id === idOrArn || k.arn === idOrArn);
    }

    /** What the program's reads see: plan/existingWorld.ts's form, every identity listed. */
    world(): ExistingWorld {
        const arnOf = (i: Identity) => `arn:aws:iam::${i.account}:${i.kind}${i.path}${i.name}`;
        const aliasesOf = (k: Key) =>
            [...this.aliases]
                .filter(([where, id]) => id === k.id && where.startsWith(`${k.account}/${k.region}/`))
                .map(([where]) => where.slice(`${k.account}/${k.region}/`.length));
        return {
            keys: this.keys.map((k) => ({
                arn: k.arn,
                aliases: aliasesOf(k),
                keyState: k.state,
                ...(k.deleteOn !== undefined && { deletionDate: isoDay(k.deleteOn) }),
                description: k.description,
                policy: k.policy,
            })),
            secrets: this.secrets
                .filter((s) => s.purgeOn === undefined)
                .map((s) => ({
                    arn: s.arn,
                    ...(s.kmsKeyId && { kmsKeyId: s.kmsKeyId }),
                    ...(s.description !== undefined && { description: s.description }),
                    ...(s.policy !== undefined && { policy: s.policy }),
                    tags: s.tags,
                })),
            identities: this.identities.map(arnOf),
            onlyListedIdentities: true,
            identityTags: Object.fromEntries(this.identities.map((i) => [arnOf(i), i.tags])),
            identityPolicies: this.identities.map((i): ExistingIdentityPolicies => ({
                identity: arnOf(i),
                inline: Object.fromEntries(i.inline),
                attached: [...i.attached],
            })),
        };
    }

    // --- the provider's create, update and delete, as AWS answers them

    create(r: Physical): string {
        const i = r.inputs;
        const s = (k: string) => (typeof i[k] === "string" ? i[k] : undefined);
        switch (r.type) {
            case "aws:iam/user:User":
            case "aws:iam/role:Role": {
                const kind = r.type === "aws:iam/user:User" ? "user" : "role";
                const name = s("name") ?? r.id;
                if (this.identity(kind, r.account, name)) {
                    throw new AwsError(
                        `EntityAlreadyExists: ${kind === "user" ? "User" : "Role"} with name ${name} already exists.`,
                    );
                }
                this.identities.push({
                    kind,
                    account: r.account,
                    name,
                    path: s("path") ?? "/",
                    tags: { ...r.defaultTags, ...(i.tags as Record<string, string> | undefined) },
                    ...(kind === "role" && { trust: s("assumeRolePolicy") }),
                    inline: new Map(),
                    attached: new Set(),
                    credentials: 0,
                });
                return name;
            }
            case "aws:iam/policy:Policy": {
                if ([...this.policies.keys()].some((arn) => arn.toLowerCase() === r.id.toLowerCase())) {
                    throw new AwsError(`EntityAlreadyExists: A policy called ${s("name")} already exists.`);
                }
                this.policies.set(r.id, str(i.policy));
                return r.id;
            }
            case "aws:iam/userPolicy:UserPolicy":
            case "aws:iam/rolePolicy:RolePolicy":
                this.putInline(r);
                return r.id;
            case "aws:iam/userPolicyAttachment:UserPolicyAttachment":
            case "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
                const kind = r.type.startsWith("aws:iam/user") ? "user" : "role";
                const who = this.mustIdentity(kind, r.account, String(i[kind]));
                if (!this.policies.has(String(i.policyArn))) {
                    throw new AwsError(`NoSuchEntity: Policy ${str(i.policyArn)} does not exist or is not attachable.`);
                }
                who.attached.add(String(i.policyArn));
                return r.id;
            }
            case KEY: {
                if (this.key(r.id)) throw new AwsError(`the mock gave key ${r.id} twice`);
                this.keys.push({
                    id: r.id,
                    arn: String(r.outputs.arn),
                    account: r.account,
                    region: r.region,
                    state: "Enabled",
                    description: s("description") ?? "",
                    policy: s("policy") ?? "",
                    rotation: i.enableKeyRotation === true,
                    tags: { ...r.defaultTags, ...(i.tags as Record<string, string> | undefined) },
                });
                return r.id;
            }
            case "aws:kms/alias:Alias": {
                const where = `${r.account}/${r.region}/${s("name")}`;
                if (this.aliases.has(where)) {
                    throw new AwsError(
                        `AlreadyExistsException: An alias with the name arn:aws:kms:${r.region}:${r.account}:${s("name")} already exists`,
                    );
                }
                this.aliases.set(where, this.usableKey(String(i.targetKeyId)).id);
                return r.id;
            }
            case "aws:kms/keyPolicy:KeyPolicy":
                this.usableKey(String(i.keyId)).policy = str(i.policy);
                return r.id;
            case "aws:secretsmanager/secret:Secret": {
                const name = s("name") ?? r.id;
                const taken = this.secrets.find(
                    (x) => x.account === r.account && x.region === r.region && x.name === name,
                );
                if (taken?.purgeOn !== undefined) {
                    throw new AwsError(
                        `InvalidRequestException: You can't create this secret because a secret with this name is already scheduled for deletion.`,
                    );
                }
                if (taken) {
                    throw new AwsError(
                        `ResourceExistsException: The operation failed because the secret ${name} already exists.`,
                    );
                }
                if (s("kmsKeyId")) this.usableKey(String(s("kmsKeyId")));
                this.secrets.push({
                    arn: r.id,
                    name,
                    account: r.account,
                    region: r.region,
                    kmsKeyId: s("kmsKeyId"),
                    description: s("description"),
                    tags: { ...r.defaultTags, ...(i.tags as Record<string, string> | undefined) },
                    versions: 0,
                });
                return r.id;
            }
            case "aws:secretsmanager/secretVersion:SecretVersion": {
                const secret = this.activeSecret(String(i.secretId));
                if (secret.kmsKeyId) this.usableKey(secret.kmsKeyId);
                secret.versions++;
                return r.id;
            }
            case "aws:secretsmanager/secretPolicy:SecretPolicy":
                this.activeSecret(String(i.secretArn)).policy = str(i.policy);
                return r.id;
            default:
                this.other.set(`${r.type}::${r.id}`, i);
                return r.id;
        }
    }

    update(r: Physical, old: Physical): void {
        const i = r.inputs;
        switch (r.type) {
            case "aws:iam/user:User":
            case "aws:iam/role:Role": {
                const who = this.mustIdentity(r.type === "aws:iam/user:User" ? "user" : "role", r.account, r.id);
                who.path = typeof i.path === "string" ? i.path : "/";
                who.tags = { ...r.defaultTags, ...(i.tags as Record<string, string> | undefined) };
                if (who.kind === "role") who.trust = str(i.assumeRolePolicy);
                return;
            }
            case "aws:iam/policy:Policy":
                this.policies.set(r.id, str(i.policy));
                return;
            case "aws:iam/userPolicy:UserPolicy":
            case "aws:iam/rolePolicy:RolePolicy":
                this.putInline(r);
                return;
            case KEY: {
                const key = this.usableKey(r.id);
                key.description = typeof i.description === "string" ? i.description : key.description;
                if (typeof i.policy === "string") key.policy = i.policy;
                if (typeof i.enableKeyRotation === "boolean") key.rotation = i.enableKeyRotation;
                key.tags = { ...r.defaultTags, ...(i.tags as Record<string, string> | undefined) };
                return;
            }
            case "aws:kms/alias:Alias":
                this.aliases.set(`${r.account}/${r.region}/${str(i.name)}`, this.usableKey(String(i.targetKeyId)).id);
                return;
            case "aws:secretsmanager/secret:Secret": {
                const secret = this.activeSecret(r.id);
                if (typeof i.kmsKeyId === "string" && i.kmsKeyId !== secret.kmsKeyId) {
                    this.usableKey(i.kmsKeyId);
                    secret.kmsKeyId = i.kmsKeyId;
                }
                if (typeof i.description === "string") secret.description = i.description;
                secret.tags = { ...r.defaultTags, ...(i.tags as Record<string, string> | undefined) };
                return;
            }
            default:
                if (old.id !== r.id) this.delete(old);
                this.create(r);
        }
    }

    delete(r: Physical): void {
        const i = r.inputs;
        switch (r.type) {
            case "aws:iam/user:User":
            case "aws:iam/role:Role": {
                const kind = r.type === "aws:iam/user:User" ? "user" : "role";
                const who = this.identity(kind, r.account, r.id);
                if (!who) return;
                const force = kind === "user" ? i.forceDestroy === true : i.forceDetachPolicies === true;
                if (!force && (who.inline.size || who.attached.size || who.credentials)) {
                    throw new AwsError(
                        `DeleteConflict: Cannot delete entity, must ${who.credentials ? "delete access keys" : "delete policies"} first.`,
                    );
                }
                this.identities.splice(this.identities.indexOf(who), 1);
                return;
            }
            case "aws:iam/policy:Policy": {
                if (this.identities.some((x) => x.attached.has(r.id))) {
                    throw new AwsError("DeleteConflict: Cannot delete a policy attached to entities.");
                }
                this.policies.delete(r.id);
                return;
            }
            case "aws:iam/userPolicy:UserPolicy":
            case "aws:iam/rolePolicy:RolePolicy": {
                const kind = r.type === "aws:iam/userPolicy:UserPolicy" ? "user" : "role";
                this.identity(kind, r.account, String(i[kind]))?.inline.delete(String(i.name));
                return;
            }
            case "aws:iam/userPolicyAttachment:UserPolicyAttachment":
            case "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
                const kind = r.type.startsWith("aws:iam/user") ? "user" : "role";
                this.identity(kind, r.account, String(i[kind]))?.attached.delete(String(i.policyArn));
                return;
            }
            case KEY: {
                const key = this.key(r.id);
                if (!key || key.state === "PendingDeletion") return;
                key.state = "PendingDeletion";
                key.deleteOn = this.day + (typeof i.deletionWindowInDays === "number" ? i.deletionWindowInDays : 30);
                return;
            }
            case "aws:kms/alias:Alias":
                this.aliases.delete(`${r.account}/${r.region}/${str(i.name)}`);
                return;
            case "aws:kms/keyPolicy:KeyPolicy": {
                // AWS gives the key its default policy back.
                const key = this.key(String(i.keyId));
                if (key) key.policy = "default";
                return;
            }
            case "aws:secretsmanager/secret:Secret": {
                const secret = this.secrets.find((s) => s.arn === r.id && s.purgeOn === undefined);
                if (!secret) return;
                const window = typeof i.recoveryWindowInDays === "number" ? i.recoveryWindowInDays : 30;
                if (window === 0) this.secrets.splice(this.secrets.indexOf(secret), 1);
                else secret.purgeOn = this.day + window;
                return;
            }
            case "aws:secretsmanager/secretPolicy:SecretPolicy": {
                const secret = this.secrets.find((s) => s.arn === String(i.secretArn));
                if (secret) delete secret.policy;
                return;
            }
            case "aws:secretsmanager/secretVersion:SecretVersion":
                return;
            default:
                this.other.delete(`${r.type}::${r.id}`);
        }
    }

    /** Whether a resource of this type and ID exists, for an import; with its live inputs. */
    live(type: string, id: string, account: string): Record<string, unknown> | undefined {
        switch (type) {
            case "aws:iam/user:User":
            case "aws:iam/role:Role": {
                const who = this.identity(type === "aws:iam/user:User" ? "user" : "role", account, id);
                if (!who) return undefined;
                return {
                    name: who.name,
                    path: who.path,
                    tags: who.tags,
                    ...(who.kind === "role" && { assumeRolePolicy: who.trust }),
                };
            }
            case KEY: {
                const key = this.key(id);
                // The provider's read treats a key pending deletion as gone.
                return key && key.state !== "PendingDeletion"
                    ? { description: key.description, enableKeyRotation: key.rotation, tags: key.tags }
                    : undefined;
            }
            case "aws:secretsmanager/secret:Secret": {
                const secret = this.secrets.find((s) => s.arn === id && s.purgeOn === undefined);
                return secret && { name: secret.name, kmsKeyId: secret.kmsKeyId, tags: secret.tags };
            }
            default:
                throw new Error(`the lifecycle harness does not model an import of ${type}`);
        }
    }

    private putInline(r: Physical): void {
        const kind = r.type === "aws:iam/userPolicy:UserPolicy" ? "user" : "role";
        // PutUserPolicy creates or replaces: no conflict on an existing name. All inline policies
        // of an identity share one size quota, whitespace not counted.
        const who = this.mustIdentity(kind, r.account, String(r.inputs[kind]));
        const inline = new Map(who.inline).set(String(r.inputs.name), str(r.inputs.policy));
        const size = [...inline.values()].reduce((n, d) => n + d.replace(/\s+/g, "").length, 0);
        const max = kind === "user" ? 2048 : 10240;
        if (size > max) {
            throw new AwsError(`LimitExceeded: Maximum policy size of ${max} bytes exceeded for ${kind} ${who.name}`);
        }
        who.inline = inline;
    }

    private mustIdentity(kind: "user" | "role", account: string, name: string): Identity {
        const who = this.identity(kind, account, name);
        if (!who) throw new AwsError(`NoSuchEntity: The ${kind} with name ${name} cannot be found.`);
        return who;
    }

    /** A key that can be used: KMS refuses every use of one pending deletion or disabled. */
    private usableKey(ref: string): Key {
        const key = this.keys.find((k) => k.id === ref || k.arn === ref || ref.endsWith(`:key/${k.id}`));
        if (!key) throw new AwsError(`NotFoundException: Key '${ref}' does not exist`);
        if (key.state !== "Enabled") {
            throw new AwsError(
                `KMSInvalidStateException: ${key.arn} is ${key.state.replace("PendingDeletion", "pending deletion")}.`,
            );
        }
        return key;
    }

    private activeSecret(arn: string): Secret {
        const secret = this.secrets.find((s) => s.arn === arn && s.purgeOn === undefined);
        if (!secret) throw new AwsError(`ResourceNotFoundException: Secrets Manager can't find the specified secret.`);
        return secret;
    }
}

/** A resource as the provider handles it: its type, ID, inputs, outputs and where it is. */
interface Physical {
    readonly type: string;
    readonly id: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
    readonly account: string;
    readonly region: string;
    /** The provider's defaultTags, merged into the tags of what it creates. */
    readonly defaultTags: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// The engine

/** One resource in a stack's state. */
interface StateResource extends Physical {
    readonly urn: string;
    readonly name: string;
    /** The logical name of its provider; undefined for a default provider. */
    readonly provider?: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly custom: boolean;
}

/** One registration of a run, with its options. */
interface Goal extends StateResource {
    readonly aliases: readonly string[];
    readonly importId?: string;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
}

/** The Pulumi backend: every stack's state and outputs. */
export class Cloud {
    readonly aws: Aws;
    readonly stacks = new Map<string, LifecycleStack>();

    /** `organization` may change between runs: a stack moved to another organization keeps its state. */
    constructor(
        initial: ExistingWorld = {},
        public organization = "organization",
        readonly project = "secretshare",
    ) {
        this.aws = new Aws(initial);
    }

    stack(name: string): LifecycleStack {
        const fqn = `${this.organization}/${this.project}/${name}`;
        if (!this.stacks.has(fqn)) this.stacks.set(fqn, new LifecycleStack(this, name));
        return this.stacks.get(fqn) as LifecycleStack;
    }

    advance(days: number): void {
        this.aws.advance(days);
    }

    /** The outputs of every stack that has some, for StackReferences. */
    outputs(): KnownStacks {
        const out: KnownStacks = {};
        for (const [fqn, s] of this.stacks) if (s.outputs) out[fqn] = s.outputs;
        return out;
    }
}

/** Mocks that answer from the harness's AWS, and give a re-created key a new ID. */
class LifecycleMocks extends AwsMocks {
    constructor(
        stacks: KnownStacks,
        world: ExistingWorld,
        private readonly priorKey: (name: string) => StateResource | undefined,
        private readonly keyTaken: (id: string) => boolean,
    ) {
        super(stacks, world);
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const result = super.newResource(args);
        if (args.type !== KEY || args.id) return result;
        const prior = this.priorKey(args.name);
        let id: string = prior?.id ?? result.id ?? "";
        for (let n = 1; !prior && this.keyTaken(id); n++) {
            const h = createHash("sha256").update(`${id}/${n}`).digest("hex");
            id = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
        }
        if (id === result.id) return result;
        const arn = String(result.state.arn).replace(String(result.id), id);
        const state = { ...result.state, keyId: id, arn };
        const last = this.resources[this.resources.length - 1];
        this.resources[this.resources.length - 1] = { ...last, id, state };
        return { id, state };
    }
}

/** One stack of the backend: its state, its last outputs, and the commands. */
export class LifecycleStack {
    state: StateResource[] = [];
    outputs?: Record<string, unknown>;

    constructor(
        private readonly cloud: Cloud,
        readonly name: string,
    ) {}

    /** The resource of that type and logical name in the state. */
    find(type: string, name: string): StateResource | undefined {
        return this.state.find((r) => r.type === type && r.name === name);
    }

    /** `pulumi state delete <urn>`: forgets a resource (and, with `dependents`, those whose inputs name it). */
    forget(type: string, name: string): void {
        this.state = this.state.filter((r) => !(r.type === type && r.name === name));
    }

    /** `pulumi up` with this config (values as in a stack file: objects are kept as JSON). */
    async up(config: Readonly<Record<string, unknown>>): Promise<UpResult> {
        const steps: Step[] = [];
        const cloud = this.cloud;
        const mocks = new LifecycleMocks(
            cloud.outputs(),
            cloud.aws.world(),
            (name) => this.find(KEY, name),
            (id) => cloud.aws.key(id) !== undefined,
        );
        let outputs: Record<string, unknown>;
        let options: ReadonlyMap<string, pulumi.ResourceOptions>;
        try {
            const run = await runStack({
                project: cloud.project,
                organization: cloud.organization,
                stack: this.name,
                config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k, str(v)])),
                mocks,
            });
            outputs = run.outputs;
            options = run.options;
        } catch (e) {
            return { ok: false, error: (e instanceof Error ? e.message : String(e)).split("\n").join(" "), steps };
        }
        const goals = this.goals(mocks, options);
        const matched = new Set<StateResource>();
        const laterDeletes: StateResource[] = [];
        const next: StateResource[] = [];
        const fail = (error: string): UpResult => {
            // The steps done stay done: the state keeps what was not touched, and what was.
            this.state = [...next, ...this.state.filter((r) => !matched.has(r))];
            return { ok: false, error, steps };
        };
        try {
            for (const goal of goals) {
                const old = [goal.urn, ...goal.aliases]
                    .map((urn) => this.state.find((r) => r.urn === urn && !matched.has(r)))
                    .find((r) => r !== undefined);
                if (old) matched.add(old);
                if (!goal.custom) {
                    next.push(goal);
                    continue;
                }
                if (goal.importId !== undefined && (!old || old.id !== goal.importId)) {
                    if (old)
                        throw new AwsError(`the lifecycle harness does not model an import that replaces ${goal.urn}`);
                    const live = cloud.aws.live(goal.type, goal.importId, goal.account);
                    if (!live) {
                        throw new AwsError(
                            `importing ${goal.importId}: resource '${goal.importId}' does not exist (${goal.type} ${goal.name})`,
                        );
                    }
                    // The engine takes the live value of an ignored input; the provider's Check then
                    // merges its defaultTags into the tags (the first up after an import updates them).
                    const wanted: Record<string, unknown> = { ...goal.inputs };
                    for (const k of goal.ignoreChanges) wanted[k] = live[k];
                    if ("tags" in live) {
                        wanted.tags = { ...goal.defaultTags, ...(wanted.tags as Record<string, string> | undefined) };
                    }
                    const diff = Object.keys(live).filter(
                        (k) => wanted[k] !== undefined && !same(parseJson(wanted[k]), parseJson(live[k])),
                    );
                    if (diff.length) cloud.aws.update({ ...goal, inputs: wanted }, goal);
                    steps.push({ op: "import", type: goal.type, name: goal.name, ...(diff.length && { diff }) });
                    next.push(goal);
                    continue;
                }
                if (!old) {
                    cloud.aws.create(goal);
                    steps.push({ op: "create", type: goal.type, name: goal.name });
                    next.push(goal);
                    continue;
                }
                const inputs = { ...goal.inputs };
                for (const k of goal.ignoreChanges) {
                    if (k in old.inputs) inputs[k] = old.inputs[k];
                    else delete inputs[k];
                }
                const current: Goal = { ...goal, inputs, id: old.id };
                const changed = [...new Set([...Object.keys(inputs), ...Object.keys(old.inputs)])]
                    .filter((k) => !same(inputs[k], old.inputs[k]))
                    .sort();
                const providerChanged = old.provider !== goal.provider && !this.providerAliased(old, goal, goals);
                const replaceKeys = [
                    ...(providerChanged ? ["provider"] : []),
                    ...changed.filter((k) => (FORCE_NEW[goal.type] ?? []).includes(k)),
                ];
                if (replaceKeys.length) {
                    if (old.protect) {
                        throw new AwsError(
                            `unable to replace resource "${old.urn}" as it is currently marked for protection (${replaceKeys.join(", ")} changed)`,
                        );
                    }
                    if (goal.importId !== undefined) {
                        throw new AwsError(
                            `previously-imported resources that still specify an ID may not be replaced; please remove the \`import\` declaration from your program (${goal.urn})`,
                        );
                    }
                    const fresh: Goal = { ...goal, inputs };
                    if (goal.deleteBeforeReplace) {
                        if (!old.retainOnDelete) cloud.aws.delete(old);
                        cloud.aws.create(fresh);
                    } else {
                        cloud.aws.create(fresh);
                        laterDeletes.push(old);
                    }
                    steps.push({ op: "replace", type: goal.type, name: goal.name, diff: replaceKeys });
                    next.push(fresh);
                    continue;
                }
                if (changed.length) {
                    cloud.aws.update(current, old);
                    steps.push({ op: "update", type: goal.type, name: goal.name, diff: changed });
                } else {
                    steps.push({ op: "same", type: goal.type, name: goal.name });
                }
                next.push(current);
            }
            const gone = this.state.filter((r) => !matched.has(r)).reverse();
            for (const r of [...laterDeletes, ...gone]) {
                if (r.protect && gone.includes(r)) {
                    throw new AwsError(
                        `unable to delete resource "${r.urn}" as it is currently marked for protection. To unprotect the resource, ` +
                            "remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`",
                    );
                }
                if (r.custom && !r.retainOnDelete) cloud.aws.delete(r);
                if (gone.includes(r)) {
                    steps.push({ op: r.custom && r.retainOnDelete ? "retain" : "delete", type: r.type, name: r.name });
                }
                matched.add(r);
            }
        } catch (e) {
            if (!(e instanceof AwsError)) throw e;
            return fail(e.message);
        }
        this.state = next;
        this.outputs = outputs;
        return { ok: true, steps };
    }

    /** `pulumi destroy`: every resource of the state, last first. */
    destroy(): UpResult {
        const steps: Step[] = [];
        for (const r of [...this.state].reverse()) {
            if (r.protect) {
                return {
                    ok: false,
                    error: `unable to delete resource "${r.urn}" as it is currently marked for protection`,
                    steps,
                };
            }
            try {
                if (r.custom && !r.retainOnDelete) this.cloud.aws.delete(r);
            } catch (e) {
                if (!(e instanceof AwsError)) throw e;
                return { ok: false, error: e.message, steps };
            }
            steps.push({ op: r.custom && r.retainOnDelete ? "retain" : "delete", type: r.type, name: r.name });
            this.state = this.state.filter((x) => x !== r);
        }
        this.outputs = undefined;
        return { ok: true, steps };
    }

    /** The registrations of a run, with URNs, options and the aliases the engine would derive. */
    private goals(mocks: AwsMocks, options: ReadonlyMap<string, pulumi.ResourceOptions>): Goal[] {
        const stack = this.name;
        const project = this.cloud.project;
        const byKey = new Map<string, Goal>();
        const goals: Goal[] = [];
        const registered: RegisteredResource[] = [
            ...[...mocks.providers.values()].map((p) => ({
                type: "pulumi:providers:aws",
                name: p.name,
                inputs: p.inputs,
                state: p.inputs,
                id: p.id,
                custom: true,
            })),
            ...mocks.resources,
        ];
        for (const r of registered) {
            if (r.type.startsWith("pulumi:pulumi:")) continue;
            const opts = (options.get(`${r.type}::${r.name}`) ?? {}) as pulumi.CustomResourceOptions & {
                id?: unknown;
            };
            if (opts.id !== undefined) continue; // a read (`X.get`), not a registration
            const parent = opts.parent as unknown as { __pulumiType?: string; __name?: string } | undefined;
            const parentGoal = parent?.__name ? byKey.get(`${parent.__pulumiType}::${parent.__name}`) : undefined;
            const qualified = (g: Goal | undefined, type: string) => (g ? `${g.urn.split("::")[2]}$${type}` : type);
            const urnOf = (type: string, name: string, p: Goal | undefined) =>
                `urn:pulumi:${stack}::${project}::${qualified(p, type)}::${name}`;
            const aliases: string[] = [];
            for (const a of (opts.aliases ?? []) as { name?: string }[]) {
                if (a.name) aliases.push(urnOf(r.type, a.name, parentGoal));
            }
            if (parentGoal) {
                // inheritedChildAlias: the parent's former name replaces its name at the start of the child's.
                for (const pa of parentGoal.aliases) {
                    const formerParent = pa.slice(pa.lastIndexOf("::") + 2);
                    const name = r.name.startsWith(parentGoal.name)
                        ? formerParent + r.name.slice(parentGoal.name.length)
                        : r.name;
                    aliases.push(`urn:pulumi:${stack}::${project}::${pa.split("::")[2]}$${r.type}::${name}`);
                }
            }
            const provider = r.type.startsWith("pulumi:providers:") ? undefined : r.provider;
            const defaultTags = (
                parseJson(provider?.inputs.defaultTags) as { tags?: Record<string, string> } | undefined
            )?.tags;
            const goal: Goal = {
                urn: urnOf(r.type, r.name, parentGoal),
                type: r.type,
                name: r.name,
                id: r.id,
                inputs: r.inputs,
                outputs: r.state,
                account: provider?.accountId ?? "000000000000",
                region: provider?.region ?? "us-east-1",
                defaultTags: { ...defaultTags },
                provider: provider?.name,
                protect: opts.protect ?? parentGoal?.protect ?? false,
                retainOnDelete: opts.retainOnDelete === true,
                custom: r.custom,
                aliases,
                ...(typeof opts.import === "string" && { importId: opts.import }),
                deleteBeforeReplace: opts.deleteBeforeReplace === true,
                ignoreChanges: opts.ignoreChanges ?? [],
            };
            byKey.set(`${r.type}::${r.name}`, goal);
            goals.push(goal);
        }
        return goals;
    }

    /** Whether the old resource's provider is the new one's under an alias (a renamed provider). */
    private providerAliased(old: StateResource, goal: Goal, goals: readonly Goal[]): boolean {
        const provider = goals.find((g) => g.type === "pulumi:providers:aws" && g.name === goal.provider);
        return (provider?.aliases ?? []).some((a) => a.endsWith(`::${old.provider}`));
    }
}

// ---------------------------------------------------------------------------------------------
// For tests

/** The steps that change something, as "<op> <Type> <name>" (e.g. "create User secondary-Stuart"). */
export function changes(result: UpResult): string[] {
    return result.steps
        .filter((s) => s.op !== "same")
        .map((s) => `${s.op} ${s.type.split(":").pop()} ${s.name}${s.diff ? ` [${s.diff.join(", ")}]` : ""}`);
}

/** The result of an update that must succeed; its error in the failure message otherwise. */
export function ok(result: UpResult): UpResult {
    if (!result.ok) throw new Error(`the update failed: ${result.error}\nsteps: ${changes(result).join("; ")}`);
    return result;
}

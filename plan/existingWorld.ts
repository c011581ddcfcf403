/**
 * What already exists in AWS, for the mocks: existing KMS keys and secrets with the policies
 * they had before this program ran, foreign statements included, and the policies existing
 * users and roles already hold. `AwsMocks` answers the read calls from it (DescribeKey via
 * aws:kms/getKey, DescribeSecret via aws:secretsmanager/getSecret, GetKeyPolicy via a
 * `KeyPolicy.get` read, ListUserPolicies / GetUserPolicy / ListAttachedUserPolicies and their
 * role forms via `*PoliciesExclusive.get`, `UserPolicy.get`, `*PolicyAttachmentsExclusive.get`
 * reads), as AWS would.
 */

import * as path from "path";
import { invokeFailure } from "../existing/invokeError";
import { readWorld } from "./world/schema";
import { worldOf } from "./world/world";

/** The snapshot file beside the stack files (also ./world's default). */
const WORLD_FILE = "world.json";

export interface ExistingKeyFixture {
    /** arn:<partition>:kms:<region>:<account>:key/<key id> */
    readonly arn: string;
    /** "alias/<name>" entries pointing at the key. */
    readonly aliases?: readonly string[];
    /** "CUSTOMER" (default) or "AWS". */
    readonly keyManager?: string;
    /** "Enabled" by default; "PendingDeletion" (with `deletionDate`), "Disabled", ... */
    readonly keyState?: string;
    /** When a key pending deletion goes (ISO 8601), as DescribeKey gives it. */
    readonly deletionDate?: string;
    readonly keyUsage?: string;
    readonly keySpec?: string;
    readonly description?: string;
    /** The stored key policy: an object (stored pretty-printed, as the console does) or text. */
    readonly policy: unknown;
}

export interface ExistingSecretFixture {
    /** arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters> */
    readonly arn: string;
    /** KmsKeyId as DescribeSecret gives it; absent: aws/secretsmanager. */
    readonly kmsKeyId?: string;
    readonly description?: string;
    /** The stored resource policy (object or text); absent: none. */
    readonly policy?: unknown;
    /** Its tags, as DescribeSecret gives them. */
    readonly tags?: Readonly<Record<string, string>>;
}

export interface ExistingWorld {
    readonly keys?: readonly ExistingKeyFixture[];
    readonly secrets?: readonly ExistingSecretFixture[];
    /**
     * Existing IAM users and roles, by ARN. A name not listed here exists at path "/" in the
     * caller's account, unless it is listed in `missingIdentities` ("user/Name", "role/Name").
     */
    readonly identities?: readonly string[];
    readonly missingIdentities?: readonly string[];
    /** True: only the identities listed in `identities` exist (a world that holds every one). */
    readonly onlyListedIdentities?: boolean;
    /** Tags of existing users and roles, by identity ARN (as iam:GetUser / iam:GetRole give them). */
    readonly identityTags?: Readonly<Record<string, Readonly<Record<string, string>>>>;
    /** What existing users and roles already hold; an identity not listed holds nothing. */
    readonly identityPolicies?: readonly ExistingIdentityPolicies[];
}

export interface ExistingIdentityPolicies {
    /** arn:<partition>:iam::<account>:user/<path><name> (or role/): matched on account, kind and name. */
    readonly identity: string;
    /** Inline policies by name: the document (object) or its text. */
    readonly inline?: Readonly<Record<string, unknown>>;
    /** ARNs of the attached managed policies. */
    readonly attached?: readonly string[];
}

/** What iam:GetUser / iam:GetRole answer for `name` in `account`, or an error when it is missing. */
export function describeIdentity(
    world: ExistingWorld,
    kind: "user" | "role",
    name: string,
    account: string,
    partition: string,
): Record<string, unknown> {
    // IAM finds a user or role by name without regard to case, and answers with its real name.
    const listed = world.identities?.find(
        (a) =>
            a.split(":")[4] === account &&
            a.toLowerCase().endsWith(`/${name.toLowerCase()}`) &&
            a.includes(`:${kind}/`),
    );
    if (world.missingIdentities?.includes(`${kind}/${name}`) || (world.onlyListedIdentities && !listed)) {
        // The provider's text, not AWS's: its find functions turn NoSuchEntity into a NotFoundError
        // (findUserByName and findRoleByName in internal/service/iam of terraform-provider-aws).
        const token = kind === "user" ? "aws:iam/getUser:getUser" : "aws:iam/getRole:getRole";
        throw awsError(
            invokeFailure(token, `reading IAM ${kind === "user" ? "User" : "Role"} (${name}): couldn't find resource`),
        );
    }
    const arn = listed ?? `arn:${partition}:iam::${account}:${kind}/${name}`;
    const path = arn.slice(arn.indexOf(`:${kind}/`) + kind.length + 1, arn.length - name.length);
    const tags = { ...world.identityTags?.[arn] };
    const real = arn.slice(arn.length - name.length);
    return kind === "user"
        ? { arn, userName: real, path, userId: "AIDAEXISTING", id: real, tags }
        : { arn, name: real, path, uniqueId: "AROAEXISTING", id: real, tags };
}

/**
 * What iam:ListUsers / iam:ListRoles answer through the provider's users and roles data sources:
 * the identities listed in `account` (only those: ListUsers lists what exists) whose path starts
 * with `pathPrefix` and whose name `nameRegex` matches (Go's regexp, not anchored; `(?i)` as a
 * leading flag).
 */
export function listIdentities(
    world: ExistingWorld,
    kind: "user" | "role",
    args: { nameRegex?: string; pathPrefix?: string },
    account: string,
): { arns: string[]; names: string[] } {
    const source = args.nameRegex ?? "";
    const insensitive = source.startsWith("(?i)");
    const regex = new RegExp(insensitive ? source.slice(4) : source, insensitive ? "i" : "");
    const found = (world.identities ?? []).filter((arn) => {
        const [, , , , acct, ...rest] = arn.split(":");
        const resource = rest.join(":");
        if (acct !== account || !resource.startsWith(`${kind}/`)) return false;
        const name = resource.slice(resource.lastIndexOf("/") + 1);
        const path = resource.slice(kind.length, resource.length - name.length);
        if (world.missingIdentities?.includes(`${kind}/${name}`)) return false;
        return path.startsWith(args.pathPrefix ?? "/") && regex.test(name);
    });
    return { arns: found, names: found.map((arn) => arn.slice(arn.lastIndexOf("/") + 1)) };
}

/**
 * An invoke failure as the engine reports it: the SDK rebuilds the error from the gRPC
 * `details` field (runtime/invoke.js), so a plain Error would arrive with no message.
 */
export const awsError = (message: string) => Object.assign(new Error(message), { details: message });

export const text = (p: unknown): string => (typeof p === "string" ? p : JSON.stringify(p, null, 2));
const fields = (arn: string) => {
    const [, partition, , region, account, resource] = arn.split(":");
    return { partition, region, account, resource: arn.split(":").slice(5).join(":") || resource };
};

/**
 * The walk-through's starting point, as a world snapshot: examples/existing/world.json, which
 * `npm start -- --dir examples/existing` plans against. MyKey and MySecret in the primary account
 * (111111111111, us-east-1), whose policies already hold statements of others (the console's
 * default key statements, another team's grant, an auditor), and Stuart in the secondary account
 * (222222222222), who holds an inline policy of his own team (managing his own access keys, 270
 * characters as IAM counts them) and the AWS managed IAMUserChangePassword.
 */
const EXAMPLE_SNAPSHOT = readWorld(path.join(__dirname, "..", "examples", "existing", WORLD_FILE));

/** A policy document of the example world, as recorded. */
export interface ExampleDocument {
    [key: string]: unknown;
    Version: string;
    Id?: string;
    Statement: (Record<string, unknown> & { Sid?: string })[];
}

export const EXAMPLE_KEY_ARN = EXAMPLE_SNAPSHOT.keys[0].arn;
export const EXAMPLE_KEY_ID = EXAMPLE_KEY_ARN.slice(EXAMPLE_KEY_ARN.indexOf(":key/") + 5);
export const EXAMPLE_SECRET_ARN = EXAMPLE_SNAPSHOT.secrets[0].arn;
/** MyKey's key policy before this program ran. None of its statements is this program's. */
export const EXAMPLE_KEY_POLICY = EXAMPLE_SNAPSHOT.keys[0].policy as unknown as ExampleDocument;
/** MySecret's resource policy before this program ran: an auditor and another team's read. */
export const EXAMPLE_SECRET_POLICY = EXAMPLE_SNAPSHOT.secrets[0].policy as unknown as ExampleDocument;

const exampleWorld = worldOf(EXAMPLE_SNAPSHOT);

/** What Stuart already holds: it counts against his quotas with ours. */
export const EXAMPLE_STUART_POLICIES: ExistingIdentityPolicies = (exampleWorld.identityPolicies ?? [])[0];

/**
 * The mocks' default world, for the tests: the example snapshot, open on identities (any user or
 * role it does not record exists, at path "/"), as the tests' readers need.
 */
export const EXAMPLE_WORLD: ExistingWorld = {
    keys: exampleWorld.keys,
    secrets: exampleWorld.secrets,
    identityPolicies: exampleWorld.identityPolicies,
};

/** Answers DescribeKey (aws:kms/getKey) in one account and region, as the provider's data source does. */
export function describeKey(
    world: ExistingWorld,
    keyId: string,
    account: string,
    region: string,
    partition: string,
): Record<string, unknown> {
    const here = (world.keys ?? []).filter((k) => {
        const f = fields(k.arn);
        return f.account === account && f.region === region;
    });
    const id = (k: ExistingKeyFixture) => k.arn.slice(k.arn.indexOf(":key/") + 5);
    const alias = keyId.includes("alias/") ? keyId.slice(keyId.indexOf("alias/")) : undefined;
    let key = here.find((k) => k.arn === keyId || id(k) === keyId || (alias && (k.aliases ?? []).includes(alias)));
    if (!key && alias === "alias/aws/secretsmanager") {
        // Every account has this AWS managed key in every region where Secrets Manager was used.
        key = {
            arn: `arn:${partition}:kms:${region}:${account}:key/aaaaaaaa-0000-4000-8000-${account}`,
            keyManager: "AWS",
            description: "Default key that protects my Secrets Manager data when no other key is defined",
            policy: {},
        };
    }
    if (!key) {
        throw awsError(
            alias
                ? `reading KMS Key (${keyId}): operation error KMS: DescribeKey, NotFoundException: Alias arn:${partition}:kms:${region}:${account}:${alias} is not found.`
                : `reading KMS Key (${keyId}): operation error KMS: DescribeKey, NotFoundException: Key '${keyId.includes(":key/") ? keyId : `arn:${partition}:kms:${region}:${account}:key/${keyId}`}' does not exist`,
        );
    }
    return {
        id: id(key),
        keyId,
        arn: key.arn,
        awsAccountId: account,
        description: key.description ?? "",
        enabled: (key.keyState ?? "Enabled") === "Enabled",
        keyManager: key.keyManager ?? "CUSTOMER",
        keyState: key.keyState ?? "Enabled",
        keyUsage: key.keyUsage ?? "ENCRYPT_DECRYPT",
        keySpec: key.keySpec ?? "SYMMETRIC_DEFAULT",
        customerMasterKeySpec: key.keySpec ?? "SYMMETRIC_DEFAULT",
        deletionDate: key.deletionDate ?? "",
        origin: "AWS_KMS",
        multiRegion: id(key).startsWith("mrk-"),
        region,
    };
}

/**
 * The stored key policy text of a key ID, or undefined when the provider's read finds no key: none
 * in the world, or one pending deletion, which the provider's key read treats as gone
 * (findKeyByID in https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/kms/key.go).
 */
export function keyPolicyText(world: ExistingWorld, keyId: string): string | undefined {
    const key = (world.keys ?? []).find((k) => k.arn.endsWith(`:key/${keyId}`) || k.arn === keyId);
    return key && key.keyState !== "PendingDeletion" ? text(key.policy) : undefined;
}

/** Answers aws:kms/getAlias (ListAliases, as the provider's data source does) in one account and region. */
export function describeAlias(
    world: ExistingWorld,
    name: string,
    account: string,
    region: string,
    partition: string,
): Record<string, unknown> {
    const key = (world.keys ?? []).find((k) => {
        const f = fields(k.arn);
        return f.account === account && f.region === region && (k.aliases ?? []).includes(name);
    });
    if (!key)
        throw awsError(
            invokeFailure("aws:kms/getAlias:getAlias", `reading KMS Alias (${name}): couldn't find resource`),
        );
    const arn = `arn:${partition}:kms:${region}:${account}:${name}`;
    return { arn, id: arn, name, targetKeyArn: key.arn, targetKeyId: key.arn.slice(key.arn.indexOf(":key/") + 5) };
}

/** Answers DescribeSecret + GetResourcePolicy (aws:secretsmanager/getSecret) in one account and region. */
export function describeSecret(
    world: ExistingWorld,
    by: { arn?: string; name?: string },
    account: string,
    region: string,
): Record<string, unknown> {
    const nameOf = (arn: string) =>
        fields(arn)
            .resource.replace(/^secret:/, "")
            .replace(/-[A-Za-z0-9]{6}$/, "");
    const secret = (world.secrets ?? []).find((s) => {
        const f = fields(s.arn);
        if (f.account !== account || f.region !== region) return false;
        return by.arn !== undefined ? s.arn === by.arn : nameOf(s.arn) === by.name;
    });
    if (!secret) {
        throw awsError(
            `reading Secrets Manager Secret (${by.arn ?? by.name}): operation error Secrets Manager: DescribeSecret, ResourceNotFoundException: Secrets Manager can't find the specified secret.`,
        );
    }
    return {
        arn: secret.arn,
        id: secret.arn,
        name: nameOf(secret.arn),
        description: secret.description ?? "",
        kmsKeyId: secret.kmsKeyId ?? "",
        policy: secret.policy === undefined ? "" : text(secret.policy),
        tags: { ...secret.tags },
        region,
    };
}

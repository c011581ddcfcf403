import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { readStackFile } from "../plan/stackFiles";
import {
    AwsMocks,
    runStack,
    type RegisteredResource,
    type StackRun,
    PRIMARY_ACCOUNT,
    PRIMARY_STACK_REF,
    ROOT,
    errorOf,
    SECONDARY_ACCOUNT,
    ofType,
    policyOf,
    resource,
    run,
    runSeed,
} from "./mocks";

/**
 * The real program (index.ts) under Pulumi's mock runtime: which resources each stack
 * registers, with which provider, and the exact documents they carry.
 */

const KEY = "aws:kms/key:Key";
const ALIAS = "aws:kms/alias:Alias";
const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy";
const SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const USER = "aws:iam/user:User";
const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

const OWNER_ROOT = `arn:aws:iam::${PRIMARY_ACCOUNT}:root`;
const CONSUMER_ROOT = `arn:aws:iam::${SECONDARY_ACCOUNT}:root`;
const STUART = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart`;
const VIA_SECRETS_MANAGER = { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" };
const MY_SECRET_PATTERN = `arn:aws:secretsmanager:us-east-1:${PRIMARY_ACCOUNT}:secret:MySecret-??????`;
// sha256 of the pattern above, first 8 hex digits: the Sid stays put while other groups come and go.
const DECRYPT_SID = "SecretShareDecrypt73534949";

/** The owner config of Pulumi.primary.yaml, to vary one part at a time. */
const PRIMARY_CONSUMERS = { secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart" }] } };
const PRIMARY_SECRETS = [{ name: "MySecret", username: "Alice", readers: ["secondary/Stuart"] }];

function sandbox(overrides: Record<string, unknown> = {}, mocks?: AwsMocks): Promise<StackRun> {
    const file = readStackFile(path.join(ROOT, "examples"), "sandbox");
    const config = { ...file.config };
    for (const [k, v] of Object.entries(overrides)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    return runStack({ stack: "sandbox", config, ...(mocks && { mocks }) });
}

/** The primary stack with `overrides`, then the secondary stack reading its real exports. */
async function pair(
    primaryOverrides: Record<string, unknown>,
    secondaryOverrides: Record<string, unknown> = {},
): Promise<{ primary: StackRun; secondary: StackRun }> {
    const primary = await run("primary", primaryOverrides);
    const secondary = await run("secondary", secondaryOverrides, { stacks: { [PRIMARY_STACK_REF]: primary.outputs } });
    return { primary, secondary };
}

function awsResources(r: StackRun): RegisteredResource[] {
    return r.resources.filter((x) => x.type.startsWith("aws:"));
}

/** The share's own AWS resources (other features, e.g. watch, add theirs under other names). */
function shareResources(r: StackRun): RegisteredResource[] {
    return awsResources(r).filter((x) => /^(share|secondary)(-|$)/.test(x.name));
}

/** Every AWS resource of the run, whatever feature made it, is on this provider and account. */
function expectAllOn(r: StackRun, provider: string, accountId: string): void {
    const all = awsResources(r);
    expect(all.length).to.be.greaterThan(0);
    for (const x of all) {
        expect([x.provider?.name, x.provider?.accountId, x.provider?.region], `${x.type} ${x.name}`).to.deep.equal([
            provider,
            accountId,
            "us-east-1",
        ]);
    }
}

/** Provider inputs reach the mock monitor JSON-encoded when they are not strings. */
function providerInput(r: StackRun, providerName: string, key: string): unknown {
    const found = [...r.mocks.providers.values()].filter((p) => p.name === providerName);
    expect(found, `provider ${providerName}`).to.have.length(1);
    const v = found[0].inputs[key];
    return typeof v === "string" && /^[[{]/.test(v) ? JSON.parse(v) : v;
}

function isSecretValue(v: unknown): v is { value: string } {
    return (
        typeof v === "object" &&
        v !== null &&
        (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
    );
}

async function errorFrom(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (e) {
        return e as Error;
    }
    throw new Error("expected the run to fail, but it succeeded");
}

describe("program: providers", () => {
    let seed: { primary: StackRun; secondary: StackRun };
    before(async () => {
        seed = await runSeed();
    });

    it("primary: every AWS resource has the owner's provider, account 111111111111, us-east-1", () => {
        expectAllOn(seed.primary, "owner", PRIMARY_ACCOUNT);
        const placed = shareResources(seed.primary).map((r) => [
            r.type,
            r.name,
            r.provider?.name,
            r.provider?.accountId,
            r.provider?.region,
        ]);
        expect(placed).to.have.deep.members([
            [KEY, "share-key", "owner", PRIMARY_ACCOUNT, "us-east-1"],
            [ALIAS, "share-alias", "owner", PRIMARY_ACCOUNT, "us-east-1"],
            [SECRET, "share-MySecret", "owner", PRIMARY_ACCOUNT, "us-east-1"],
            [SECRET_POLICY, "share-MySecret-policy", "owner", PRIMARY_ACCOUNT, "us-east-1"],
            [SECRET_VERSION, "share-MySecret-value", "owner", PRIMARY_ACCOUNT, "us-east-1"],
        ]);
        expect(placed).to.have.length(5);
    });

    it("secondary: every AWS resource has the consumer's provider, account 222222222222", () => {
        expectAllOn(seed.secondary, "consumer-secondary", SECONDARY_ACCOUNT);
        const placed = shareResources(seed.secondary).map((r) => [
            r.type,
            r.name,
            r.provider?.name,
            r.provider?.accountId,
            r.provider?.region,
        ]);
        expect(placed).to.have.deep.members([
            [USER, "secondary-Stuart", "consumer-secondary", SECONDARY_ACCOUNT, "us-east-1"],
            [USER_POLICY, "secondary-Stuart-read", "consumer-secondary", SECONDARY_ACCOUNT, "us-east-1"],
        ]);
        expect(placed).to.have.length(2);
    });

    it("each stack has exactly one aws provider, pinned to its own account, with the stack's profile", () => {
        const describe = (r: StackRun) =>
            [...r.mocks.providers.values()].map((p) => ({
                name: p.name,
                region: providerInput(r, p.name, "region"),
                allowedAccountIds: providerInput(r, p.name, "allowedAccountIds"),
                profile: providerInput(r, p.name, "profile"),
                assumeRoles: providerInput(r, p.name, "assumeRoles"),
            }));
        expect(describe(seed.primary)).to.deep.equal([
            {
                name: "owner",
                region: "us-east-1",
                allowedAccountIds: [PRIMARY_ACCOUNT],
                profile: "primary",
                assumeRoles: undefined,
            },
        ]);
        expect(describe(seed.secondary)).to.deep.equal([
            {
                name: "consumer-secondary",
                region: "us-east-1",
                allowedAccountIds: [SECONDARY_ACCOUNT],
                profile: "secondary",
                assumeRoles: undefined,
            },
        ]);
    });

    it("assumeRole: roleArn, externalId and sessionName reach the provider; no profile", async () => {
        const r = await sandbox();
        expect(providerInput(r, "owner", "assumeRoles")).to.deep.equal([
            {
                roleArn: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/secretshare-deployer`,
                externalId: "sandbox-pipeline",
                sessionName: "secretshare-sandbox",
            },
        ]);
        expect(providerInput(r, "owner", "profile")).to.equal(undefined);
        // Without externalId and sessionName: no external ID, and a recognisable session name in CloudTrail.
        expect(providerInput(r, "consumer-secondary", "assumeRoles")).to.deep.equal([
            { roleArn: `arn:aws:iam::${SECONDARY_ACCOUNT}:role/secretshare-deployer`, sessionName: "secretshare" },
        ]);
        expect(providerInput(r, "consumer-secondary", "allowedAccountIds")).to.deep.equal([SECONDARY_ACCOUNT]);
    });

    it("a consumer region of its own reaches its provider; the owner keeps its region", async () => {
        const r = await sandbox({
            "secretshare:consumers": {
                secondary: { ...PRIMARY_CONSUMERS.secondary, region: "eu-west-1", profile: "secondary" },
            },
        });
        expect(providerInput(r, "consumer-secondary", "region")).to.equal("eu-west-1");
        expect(providerInput(r, "consumer-secondary", "profile")).to.equal("secondary");
        expect(providerInput(r, "owner", "region")).to.equal("us-east-1");
        // Secrets Manager calls KMS in the secret's region, not the reader's.
        const doc = policyOf(resource(r, USER_POLICY, "secondary-Stuart-read"));
        expect(doc.Statement[1].Condition).to.deep.equal({ StringEquals: VIA_SECRETS_MANAGER });
    });
});

describe("program: KMS key", () => {
    let primary: StackRun;
    before(async () => {
        primary = await run("primary");
    });

    it("has rotation on, the default 30-day deletion window and alias/MyKey on its key ID", () => {
        const key = resource(primary, KEY, "share-key");
        expect(key.inputs.enableKeyRotation).to.equal(true);
        expect(key.inputs.deletionWindowInDays).to.equal(30);
        const alias = resource(primary, ALIAS, "share-alias");
        expect(alias.inputs).to.deep.equal({ name: "alias/MyKey", targetKeyId: key.state.keyId });
    });

    it("takes the deletion window from config, and defaults to 30 when the key setting leaves it out", async () => {
        const seven = await run("primary", { "secretshare:key": { alias: "MyKey", deletionWindowInDays: 7 } });
        expect(resource(seven, KEY, "share-key").inputs.deletionWindowInDays).to.equal(7);
        const unset = await run("primary", { "secretshare:key": { alias: "alias/MyKey" } });
        expect(resource(unset, KEY, "share-key").inputs.deletionWindowInDays).to.equal(30);
        // "alias/MyKey" and "MyKey" name the same alias.
        expect(resource(unset, ALIAS, "share-alias").inputs.name).to.equal("alias/MyKey");
    });

    it("key policy: owner administers, Stuart decrypts MySecret via Secrets Manager only, DescribeKey", () => {
        expect(policyOf(resource(primary, KEY, "share-key"))).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "SecretShareOwnerAdministers",
                    Effect: "Allow",
                    Principal: { AWS: OWNER_ROOT },
                    Action: "kms:*",
                    Resource: "*",
                },
                {
                    Sid: DECRYPT_SID,
                    Effect: "Allow",
                    Principal: { AWS: CONSUMER_ROOT },
                    Action: "kms:Decrypt",
                    Resource: "*",
                    Condition: {
                        ArnEquals: { "aws:PrincipalArn": STUART },
                        StringEquals: VIA_SECRETS_MANAGER,
                        StringLike: { "kms:EncryptionContext:SecretARN": MY_SECRET_PATTERN },
                    },
                },
                {
                    Sid: "SecretShareDescribeKey",
                    Effect: "Allow",
                    Principal: { AWS: CONSUMER_ROOT },
                    Action: "kms:DescribeKey",
                    Resource: "*",
                    Condition: { ArnEquals: { "aws:PrincipalArn": STUART } },
                },
            ],
        });
    });

    it("key policy in the seed's principal-arn form names Stuart's ARN and no ArnEquals", async () => {
        // The seed's form can only name readers that already exist (config refuses it otherwise).
        const r = await run("primary", {
            "secretshare:secretPolicy": { principalForm: "principal-arn" },
            "secretshare:consumers": {
                secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
            },
        });
        expect(policyOf(resource(r, KEY, "share-key")).Statement).to.deep.equal([
            {
                Sid: "SecretShareOwnerAdministers",
                Effect: "Allow",
                Principal: { AWS: OWNER_ROOT },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: DECRYPT_SID,
                Effect: "Allow",
                Principal: { AWS: STUART },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: {
                    StringEquals: VIA_SECRETS_MANAGER,
                    StringLike: { "kms:EncryptionContext:SecretARN": MY_SECRET_PATTERN },
                },
            },
            {
                Sid: "SecretShareDescribeKey",
                Effect: "Allow",
                Principal: { AWS: STUART },
                Action: "kms:DescribeKey",
                Resource: "*",
            },
        ]);
    });

    it("grantDescribeKey: false leaves out the DescribeKey statement", async () => {
        const r = await run("primary", { "secretshare:key": { alias: "MyKey", grantDescribeKey: false } });
        expect(policyOf(resource(r, KEY, "share-key")).Statement.map((s) => s.Sid)).to.deep.equal([
            "SecretShareOwnerAdministers",
            DECRYPT_SID,
        ]);
    });

    it("perSecret: one key and alias per secret, each secret encrypted with its own key", async () => {
        const r = await run("primary", {
            "secretshare:key": { alias: "MyKey", perSecret: true },
            "secretshare:secrets": [
                ...PRIMARY_SECRETS,
                { name: "Other", username: "Bob", readers: ["secondary/Stuart"] },
            ],
        });
        expect(ofType(r, ALIAS).map((a) => a.inputs.name)).to.have.members([
            "alias/MyKey/MySecret",
            "alias/MyKey/Other",
        ]);
        for (const name of ["MySecret", "Other"]) {
            const key = resource(r, KEY, `share-${name}-key`);
            expect(resource(r, SECRET, `share-${name}`).inputs.kmsKeyId).to.equal(key.state.arn);
            const decrypt = policyOf(key).Statement[1];
            expect(decrypt.Condition).to.have.deep.property("StringLike", {
                "kms:EncryptionContext:SecretARN": `arn:aws:secretsmanager:us-east-1:${PRIMARY_ACCOUNT}:secret:${name}-??????`,
            });
        }
    });
});

describe("program: secret and its resource policy", () => {
    let primary: StackRun;
    before(async () => {
        primary = await run("primary");
    });

    it("is encrypted with the key's ARN, named MySecret, recovery window 30 by default", () => {
        const key = resource(primary, KEY, "share-key");
        const secret = resource(primary, SECRET, "share-MySecret");
        expect(secret.inputs.kmsKeyId).to.equal(key.state.arn);
        expect(secret.inputs.kmsKeyId).to.match(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]{36}$/);
        expect(secret.inputs.name).to.equal("MySecret");
        expect(secret.inputs.recoveryWindowInDays).to.equal(30);
    });

    it("takes the recovery window from config", async () => {
        const r = await run("primary", {
            "secretshare:secrets": [{ ...PRIMARY_SECRETS[0], recoveryWindowInDays: 7 }],
        });
        expect(resource(r, SECRET, "share-MySecret").inputs.recoveryWindowInDays).to.equal(7);
    });

    it("resource policy: blockPublicPolicy, GetSecretValue only, Stuart via the account root, AWSCURRENT only", () => {
        const policy = resource(primary, SECRET_POLICY, "share-MySecret-policy");
        expect(policy.inputs.blockPublicPolicy).to.equal(true);
        expect(policy.inputs.secretArn).to.equal(resource(primary, SECRET, "share-MySecret").state.arn);
        expect(policyOf(policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "SecretShareReadCurrent",
                    Effect: "Allow",
                    Principal: { AWS: CONSUMER_ROOT },
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "*",
                    Condition: {
                        ArnEquals: { "aws:PrincipalArn": STUART },
                        StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" },
                    },
                },
            ],
        });
    });

    it("acceptDefaultStage adds a statement for calls that name neither stage nor version ID", async () => {
        const r = await run("primary", { "secretshare:secretPolicy": { acceptDefaultStage: true } });
        const statements = policyOf(resource(r, SECRET_POLICY, "share-MySecret-policy")).Statement;
        expect(statements).to.have.length(2);
        expect(statements[1]).to.deep.equal({
            Sid: "SecretShareReadDefault",
            Effect: "Allow",
            Principal: { AWS: CONSUMER_ROOT },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
            Condition: {
                ArnEquals: { "aws:PrincipalArn": STUART },
                Null: { "secretsmanager:VersionStage": "true", "secretsmanager:VersionId": "true" },
            },
        });
    });

    it("principal-arn form: Stuart's ARN is the Principal, only the stage condition", async () => {
        // The seed's form can only name readers that already exist (config refuses it otherwise).
        const r = await run("primary", {
            "secretshare:secretPolicy": { principalForm: "principal-arn" },
            "secretshare:consumers": {
                secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
            },
        });
        expect(policyOf(resource(r, SECRET_POLICY, "share-MySecret-policy")).Statement).to.deep.equal([
            {
                Sid: "SecretShareReadCurrent",
                Effect: "Allow",
                Principal: { AWS: STUART },
                Action: "secretsmanager:GetSecretValue",
                Resource: "*",
                Condition: { StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } },
            },
        ]);
    });

    it("exports what a consumer stack needs, with the real ARNs", () => {
        const secretArn = resource(primary, SECRET, "share-MySecret").state.arn as string;
        const keyArn = resource(primary, KEY, "share-key").state.arn as string;
        // Other features (watch) add exports of their own.
        expect(primary.outputs).to.deep.include({
            ownerAccountId: PRIMARY_ACCOUNT,
            region: "us-east-1",
            secretArns: { MySecret: secretArn },
            keyArns: { MySecret: keyArn },
            keyAliases: { shared: "alias/MyKey" },
            grants: {
                secondary: {
                    accountId: SECONDARY_ACCOUNT,
                    readers: [
                        {
                            kind: "user",
                            name: "Stuart",
                            path: "/",
                            existing: false,
                            arn: STUART,
                            secrets: ["MySecret"],
                        },
                    ],
                },
            },
            secretName: "MySecret",
            secretArn,
            keyArn,
            keyAlias: "alias/MyKey",
        });
    });
});

describe("program: the secret value", () => {
    it("is a Pulumi secret holding JSON {username, password} with the generated password", async () => {
        const r = await run("primary");
        const generated = resource(r, PASSWORD, "share-MySecret-password");
        expect(generated.inputs).to.deep.equal({ length: 32, keepers: { rotation: "1" } });
        const version = resource(r, SECRET_VERSION, "share-MySecret-value");
        expect(version.inputs.secretId).to.equal(resource(r, SECRET, "share-MySecret").state.arn);
        const value = version.inputs.secretString;
        expect(isSecretValue(value), "secretString must be a Pulumi secret").to.equal(true);
        expect(JSON.parse((value as { value: string }).value)).to.deep.equal({
            username: "Alice",
            password: generated.state.result,
        });
    });

    it("never appears in the stack outputs, resolved or raw", async () => {
        const r = await run("primary");
        const password = resource(r, PASSWORD, "share-MySecret-password").state.result as string;
        expect(password).to.have.length.greaterThan(8);
        expect(JSON.stringify(r.outputs)).not.to.include(password);
        expect(JSON.stringify(r.outputs)).not.to.include("password");
        // No export is an Output that carries the value, secret or not.
        const raw = await Promise.all(
            Object.values(r.rawOutputs).map(
                (v) =>
                    new Promise<unknown>((resolve) =>
                        pulumi.Output.isInstance(v) ? v.apply((x) => resolve(x)) : resolve(v),
                    ),
            ),
        );
        expect(JSON.stringify(raw)).not.to.include(password);
    });

    it("passwordLength and a new regenerate value reach RandomPassword (under its keeper's earlier name)", async () => {
        const r = await run("primary", {
            "secretshare:secrets": [{ ...PRIMARY_SECRETS[0], passwordLength: 64, regenerate: "2026-11" }],
        });
        expect(resource(r, PASSWORD, "share-MySecret-password").inputs).to.deep.equal({
            length: 64,
            keepers: { rotation: "2026-11" },
        });
    });

    it("a password from secure config replaces RandomPassword and stays secret", async () => {
        const given = "correct-horse-battery-staple";
        const r = await run(
            "primary",
            { "secretshare:passwords": { MySecret: given } },
            { secretKeys: ["secretshare:passwords"] },
        );
        expect(ofType(r, PASSWORD)).to.deep.equal([]);
        const value = resource(r, SECRET_VERSION, "share-MySecret-value").inputs.secretString;
        expect(isSecretValue(value)).to.equal(true);
        expect(JSON.parse((value as { value: string }).value)).to.deep.equal({ username: "Alice", password: given });
        expect(JSON.stringify(r.outputs)).not.to.include(given);
    });

    it("a password set without --secret is still stored as a secret", async () => {
        const given = "correct-horse-battery-staple";
        const r = await run("primary", { "secretshare:passwords": { MySecret: given } });
        const value = resource(r, SECRET_VERSION, "share-MySecret-value").inputs.secretString;
        expect(isSecretValue(value)).to.equal(true);
    });

    it("a password for one secret leaves the other secret's password generated", async () => {
        const r = await run(
            "primary",
            {
                "secretshare:secrets": [
                    ...PRIMARY_SECRETS,
                    { name: "Other", username: "Bob", readers: ["secondary/Stuart"] },
                ],
                "secretshare:passwords": { Other: "correct-horse-battery-staple" },
            },
            { secretKeys: ["secretshare:passwords"] },
        );
        expect(ofType(r, PASSWORD).map((p) => p.name)).to.deep.equal(["share-MySecret-password"]);
    });
});

describe("program: consumer side (secondary stack)", () => {
    let seed: { primary: StackRun; secondary: StackRun };
    before(async () => {
        seed = await runSeed();
    });

    it("creates the user Stuart at path /", () => {
        expect(resource(seed.secondary, USER, "secondary-Stuart").inputs).to.deep.equal({
            name: "Stuart",
            path: "/",
            tags: { "secretshare:createdBy": "organization/secretshare/secondary" },
        });
    });

    it("inline policy: GetSecretValue on exactly the secret ARN, Decrypt on exactly the key ARN via Secrets Manager", () => {
        const secretArn = resource(seed.primary, SECRET, "share-MySecret").state.arn;
        const keyArn = resource(seed.primary, KEY, "share-key").state.arn;
        const policy = resource(seed.secondary, USER_POLICY, "secondary-Stuart-read");
        expect(policy.inputs.user).to.equal("Stuart");
        // Named after the stack that writes it: sha256("organization/secretshare/secondary"), 8 hex.
        expect(policy.inputs.name).to.equal("secretshare-read-a2a6eefa");
        expect(policyOf(policy)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "ReadSharedSecrets",
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: secretArn,
                },
                {
                    Sid: "DecryptViaSecretsManager",
                    Effect: "Allow",
                    Action: "kms:Decrypt",
                    Resource: keyArn,
                    Condition: { StringEquals: VIA_SECRETS_MANAGER },
                },
            ],
        });
    });

    it("exports the user's ARN and name and the secret ARN to call", () => {
        const secretArn = resource(seed.primary, SECRET, "share-MySecret").state.arn;
        expect(seed.secondary.outputs).to.deep.equal({
            readerArns: { Stuart: STUART },
            readerSecrets: { Stuart: { MySecret: secretArn } },
            userArn: STUART,
            userName: "Stuart",
            secretArn,
        });
    });

    it("an existing user: no aws:iam/user:User, still its inline policy", async () => {
        const { secondary } = await pair({
            "secretshare:consumers": {
                secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart", existing: true }] },
            },
        });
        expect(ofType(secondary, USER)).to.deep.equal([]);
        const policy = resource(secondary, USER_POLICY, "secondary-Stuart-read");
        expect(policy.inputs.user).to.equal("Stuart");
        expect(policy.provider?.accountId).to.equal(SECONDARY_ACCOUNT);
        expect(secondary.outputs.userArn).to.equal(STUART);
    });

    it("a role reader: a role with its path, trusted by its own account, and a RolePolicy", async () => {
        const { primary, secondary } = await pair({
            "secretshare:consumers": {
                secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ role: "app-reader", path: "/apps/" }] },
            },
            "secretshare:secrets": [{ ...PRIMARY_SECRETS[0], readers: ["secondary/app-reader"] }],
        });
        const roleArn = `arn:aws:iam::${SECONDARY_ACCOUNT}:role/apps/app-reader`;
        const role = resource(secondary, ROLE, "secondary-app-reader");
        expect(role.inputs.name).to.equal("app-reader");
        expect(role.inputs.path).to.equal("/apps/");
        expect(JSON.parse(role.inputs.assumeRolePolicy as string)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AssumeReaderRole",
                    Effect: "Allow",
                    Principal: { AWS: CONSUMER_ROOT },
                    Action: "sts:AssumeRole",
                },
            ],
        });
        expect(role.state.arn).to.equal(roleArn);
        expect(ofType(secondary, USER_POLICY)).to.deep.equal([]);
        const policy = resource(secondary, ROLE_POLICY, "secondary-app-reader-read");
        expect(policy.inputs.role).to.equal("app-reader");
        expect(policyOf(policy).Statement[0].Resource).to.equal(resource(primary, SECRET, "share-MySecret").state.arn);
        // The owner grants the role's ARN, path included.
        const grant = policyOf(resource(primary, SECRET_POLICY, "share-MySecret-policy")).Statement[0];
        expect(grant.Condition).to.deep.equal({
            ArnEquals: { "aws:PrincipalArn": roleArn },
            StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" },
        });
        expect(secondary.outputs.roleArn).to.equal(roleArn);
        expect(secondary.outputs.roleName).to.equal("app-reader");
    });

    it("a role reader with assumedBy: exactly those services and ARNs may assume it, nobody else", async () => {
        const deployer = `arn:aws:iam::${SECONDARY_ACCOUNT}:role/deployer`;
        const { secondary } = await pair({
            "secretshare:consumers": {
                secondary: {
                    accountId: SECONDARY_ACCOUNT,
                    readers: [{ role: "app-reader", assumedBy: ["ecs-tasks.amazonaws.com", deployer] }],
                },
            },
            "secretshare:secrets": [{ ...PRIMARY_SECRETS[0], readers: ["secondary/app-reader"] }],
        });
        const role = resource(secondary, ROLE, "secondary-app-reader");
        expect(JSON.parse(role.inputs.assumeRolePolicy as string)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                { Sid: "AssumeReaderRole", Effect: "Allow", Principal: { AWS: deployer }, Action: "sts:AssumeRole" },
                {
                    Sid: "ServiceAssumesReaderRoleForItsAccount",
                    Effect: "Allow",
                    Principal: { Service: "ecs-tasks.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": SECONDARY_ACCOUNT } },
                },
            ],
        });
    });

    it("an existing reader whose real ARN differs from the granted one stops the consumer stack before its policy", async () => {
        const primary = await run("primary", {
            "secretshare:consumers": {
                secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart", existing: true }] },
            },
        });
        // In AWS, Stuart lives under the path /legacy/: the owner's grant names user/Stuart.
        const mocks = new AwsMocks(
            { [PRIMARY_STACK_REF]: primary.outputs },
            { identities: [`arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart`] },
        );
        const e = await errorOf(() => run("secondary", {}, { mocks }));
        expect(e).to.include(
            `existing user Stuart is arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart, but the owner grants ${STUART}: set its path`,
        );
        expect(mocks.resources.filter((r) => r.type === USER_POLICY)).to.deep.equal([]);
        // With the real path in the owner's config, it goes through.
        const fixed = await run("primary", {
            "secretshare:consumers": {
                secondary: {
                    accountId: SECONDARY_ACCOUNT,
                    readers: [{ user: "Stuart", path: "/legacy/", existing: true }],
                },
            },
        });
        const ok = await run(
            "secondary",
            {},
            {
                mocks: new AwsMocks(
                    { [PRIMARY_STACK_REF]: fixed.outputs },
                    { identities: [`arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart`] },
                ),
            },
        );
        expect(resource(ok, USER_POLICY, "secondary-Stuart-read").inputs.user).to.equal("Stuart");
    });

    it("assumedBy is refused on a user, on an existing role, and with a wildcard", async () => {
        const e = await errorOf(() =>
            run("primary", {
                "secretshare:consumers": {
                    secondary: {
                        accountId: SECONDARY_ACCOUNT,
                        readers: [
                            { user: "Stuart", assumedBy: ["ec2.amazonaws.com"] },
                            { role: "old", existing: true, assumedBy: ["ec2.amazonaws.com"] },
                            { role: "app", assumedBy: ["arn:aws:iam::222222222222:role/*"] },
                        ],
                    },
                },
                "secretshare:secrets": [
                    { ...PRIMARY_SECRETS[0], readers: ["secondary/Stuart", "secondary/old", "secondary/app"] },
                ],
            }),
        );
        expect(e).to.include(
            'secretshare:consumers.secondary.readers[0].assumedBy = ["ec2.amazonaws.com"]: assumedBy sets the trust policy of a role this program creates',
        );
        expect(e).to.include('secretshare:consumers.secondary.readers[1].assumedBy = ["ec2.amazonaws.com"]');
        expect(e).to.include(
            'secretshare:consumers.secondary.readers[2].assumedBy[0] = "arn:aws:iam::222222222222:role/*": expected a service principal',
        );
    });
});

describe("program: the secondary stack's StackReference", () => {
    /** Primary exports with ARNs the mocks would never make, so the test sees which ones are used. */
    const exported = {
        ownerAccountId: PRIMARY_ACCOUNT,
        region: "us-east-1",
        secretArns: { MySecret: `arn:aws:secretsmanager:us-east-1:${PRIMARY_ACCOUNT}:secret:MySecret-Zq9Xy1` },
        keyArns: { MySecret: `arn:aws:kms:us-east-1:${PRIMARY_ACCOUNT}:key/0f0e0d0c-0b0a-4909-8807-060504030201` },
        keyAliases: { shared: "alias/MyKey" },
        grants: {
            secondary: {
                accountId: SECONDARY_ACCOUNT,
                readers: [
                    { kind: "user", name: "Stuart", path: "/", existing: false, arn: STUART, secrets: ["MySecret"] },
                ],
            },
        },
    };

    it("reads organization/secretshare/primary and uses exactly the ARNs it exports", async () => {
        const r = await run("secondary", {}, { stacks: { [PRIMARY_STACK_REF]: exported } });
        expect(r.mocks.stackReads).to.deep.equal([PRIMARY_STACK_REF]);
        const doc = policyOf(resource(r, USER_POLICY, "secondary-Stuart-read"));
        expect(doc.Statement.map((s) => s.Resource)).to.deep.equal([
            exported.secretArns.MySecret,
            exported.keyArns.MySecret,
        ]);
        expect(r.outputs.secretArn).to.equal(exported.secretArns.MySecret);
    });

    it("reads the stack named by secretshare:ownerStack", async () => {
        const r = await run(
            "secondary",
            { "secretshare:ownerStack": "acme/secretshare/prod" },
            { stacks: { "acme/secretshare/prod": exported } },
        );
        expect(r.mocks.stackReads).to.deep.equal(["acme/secretshare/prod"]);
    });

    it("a missing primary stack: says to deploy the owner first, registers no AWS resource", async () => {
        const mocks = new AwsMocks({});
        const e = await errorFrom(run("secondary", {}, { mocks }));
        expect(pulumi.RunError.isInstance(e)).to.equal(true);
        expect(e.message).to.include(`cannot read stack ${PRIMARY_STACK_REF}`);
        expect(e.message).to.include(
            `Deploy the owner stack first (pulumi up -s ${PRIMARY_STACK_REF}), then this one.`,
        );
        expect(mocks.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
        expect(mocks.providers.size).to.equal(0);
    });

    for (const missing of ["ownerAccountId", "region", "secretArns", "keyArns", "grants"] as const) {
        it(`a primary stack without the output "${missing}": says to deploy the owner first`, async () => {
            const partial: Record<string, unknown> = { ...exported };
            delete partial[missing];
            const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: partial });
            const e = await errorFrom(run("secondary", {}, { mocks }));
            expect(pulumi.RunError.isInstance(e)).to.equal(true);
            expect(e.message).to.equal(
                `stack ${PRIMARY_STACK_REF} has no output "${missing}": deploy the owner stack first (pulumi up -s ${PRIMARY_STACK_REF}), then this one.`,
            );
            expect(mocks.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
            expect(mocks.providers.size).to.equal(0);
        });
    }

    it("an owner that grants nothing to this consumer: names the consumers it does grant", async () => {
        const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: exported });
        const e = await errorFrom(
            run(
                "secondary",
                {
                    "secretshare:consumer": {
                        name: "tertiary",
                        accountId: "333333333333",
                        region: "us-east-1",
                        profile: "tertiary",
                    },
                },
                { mocks },
            ),
        );
        expect(pulumi.RunError.isInstance(e)).to.equal(true);
        expect(e.message).to.include(
            `stack ${PRIMARY_STACK_REF} grants nothing to consumer "tertiary" (it grants: secondary)`,
        );
        expect(e.message).to.include("secretshare:consumers");
        expect(mocks.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
    });

    it("an account that differs from the owner's config for this consumer is refused", async () => {
        const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: exported });
        const e = await errorFrom(
            run(
                "secondary",
                {
                    "secretshare:consumer": {
                        name: "secondary",
                        accountId: "333333333333",
                        region: "us-east-1",
                        profile: "secondary",
                    },
                },
                { mocks },
            ),
        );
        expect(pulumi.RunError.isInstance(e)).to.equal(true);
        expect(e.message).to.include(
            `consumer "secondary" is account ${SECONDARY_ACCOUNT} in the owner's config but 333333333333 in secretshare:consumer.accountId here`,
        );
        expect(mocks.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
        expect(mocks.providers.size).to.equal(0);
    });

    for (const [label, change] of [
        ["no secret ARN", { secretArns: {} }],
        ["an empty secret ARN", { secretArns: { MySecret: "" } }],
        ["no key ARN", { keyArns: {} }],
    ] as const) {
        it(`${label} for a granted secret: says to deploy the owner first, before registering anything`, async () => {
            const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: { ...exported, ...change } });
            const e = await errorFrom(run("secondary", {}, { mocks }));
            expect(pulumi.RunError.isInstance(e)).to.equal(true);
            expect(e.message).to.equal(
                `stack ${PRIMARY_STACK_REF} grants secret MySecret to Stuart but exports no ARN for it in ${"keyArns" in change ? "keyArns" : "secretArns"}: deploy the owner stack first (pulumi up -s ${PRIMARY_STACK_REF}), then this one.`,
            );
            expect(mocks.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).to.deep.equal([]);
            expect(mocks.providers.size).to.equal(0);
        });
    }

    it("outputs of an unexpected form ask to redeploy the owner with this version", async () => {
        const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: { ...exported, secretArns: "not a map" } });
        const e = await errorFrom(run("secondary", {}, { mocks }));
        expect(e.message).to.include(`stack ${PRIMARY_STACK_REF} exports outputs of an unexpected form (secretArns)`);
        expect(mocks.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
    });
});

describe('program: single-stack mode ("all", examples/Pulumi.sandbox.yaml)', () => {
    let r: StackRun;
    before(async () => {
        r = await sandbox();
    });

    it("has both providers, each pinned to its account", () => {
        const providers = [...r.mocks.providers.values()].map((p) => [p.name, p.accountId, p.region]);
        expect(providers).to.have.deep.members([
            ["owner", PRIMARY_ACCOUNT, "us-east-1"],
            ["consumer-secondary", SECONDARY_ACCOUNT, "us-east-1"],
        ]);
        expect(providers).to.have.length(2);
    });

    it("registers owner and consumer resources in one run, each with its account's provider", () => {
        for (const x of awsResources(r)) {
            expect([PRIMARY_ACCOUNT, SECONDARY_ACCOUNT], `${x.type} ${x.name}`).to.include(x.provider?.accountId);
        }
        const placed = shareResources(r).map((x) => [x.type, x.name, x.provider?.accountId]);
        expect(placed).to.have.deep.members([
            [KEY, "share-key", PRIMARY_ACCOUNT],
            [ALIAS, "share-alias", PRIMARY_ACCOUNT],
            [SECRET, "share-MySecret", PRIMARY_ACCOUNT],
            [SECRET_POLICY, "share-MySecret-policy", PRIMARY_ACCOUNT],
            [SECRET_VERSION, "share-MySecret-value", PRIMARY_ACCOUNT],
            [USER, "secondary-Stuart", SECONDARY_ACCOUNT],
            [USER_POLICY, "secondary-Stuart-read", SECONDARY_ACCOUNT],
        ]);
        expect(placed).to.have.length(7);
        expect(resource(r, KEY, "share-key").inputs.deletionWindowInDays).to.equal(7);
        expect(resource(r, SECRET, "share-MySecret").inputs.recoveryWindowInDays).to.equal(0);
    });

    it("the consumer's policy uses the owner's ARNs directly, with no StackReference", () => {
        expect(r.mocks.stackReads).to.deep.equal([]);
        expect(r.resources.filter((x) => x.type === "pulumi:pulumi:StackReference")).to.deep.equal([]);
        const doc = policyOf(resource(r, USER_POLICY, "secondary-Stuart-read"));
        expect(doc.Statement.map((s) => s.Resource)).to.deep.equal([
            resource(r, SECRET, "share-MySecret").state.arn,
            resource(r, KEY, "share-key").state.arn,
        ]);
    });

    it("the same components serve both modes", () => {
        const components = r.resources.filter((x) => x.type.startsWith("secretshare:")).map((x) => [x.type, x.name]);
        expect(components).to.include.deep.members([
            ["secretshare:index:SecretOwner", "share"],
            ["secretshare:index:SecretConsumer", "secondary"],
        ]);
        expect(components.filter(([t]) => /SecretOwner|SecretConsumer/.test(t))).to.have.length(2);
    });

    it("exports the owner's outputs and each reader's ARN", () => {
        expect(r.outputs.readerArns).to.deep.equal({ "secondary/Stuart": STUART });
        // As the secondary stack exports them: the ARN and name of the one reader.
        expect(r.outputs.userArn).to.equal(STUART);
        expect(r.outputs.userName).to.equal("Stuart");
        expect(r.outputs.secretArn).to.equal(resource(r, SECRET, "share-MySecret").state.arn);
        expect(r.outputs.ownerAccountId).to.equal(PRIMARY_ACCOUNT);
    });
});

describe("program: protection of the key and the secret", () => {
    const opts = (r: StackRun, key: string) => {
        const o = r.options.get(key);
        expect(o, `options of ${key}`).not.to.equal(undefined);
        return { protect: o?.protect, retainOnDelete: o?.retainOnDelete };
    };

    it("by default both are protected and retained on delete", async () => {
        const r = await run("primary");
        expect(opts(r, `${KEY}::share-key`)).to.deep.equal({ protect: true, retainOnDelete: true });
        expect(opts(r, `${SECRET}::share-MySecret`)).to.deep.equal({ protect: true, retainOnDelete: true });
    });

    it("follow secretshare:protection, each switch on its own", async () => {
        const r = await run("primary", { "secretshare:protection": { protect: false } });
        expect(opts(r, `${KEY}::share-key`)).to.deep.equal({ protect: false, retainOnDelete: true });
        expect(opts(r, `${SECRET}::share-MySecret`)).to.deep.equal({ protect: false, retainOnDelete: true });
        const r2 = await run("primary", { "secretshare:protection": { retainOnDelete: false } });
        expect(opts(r2, `${KEY}::share-key`)).to.deep.equal({ protect: true, retainOnDelete: false });
        expect(opts(r2, `${SECRET}::share-MySecret`)).to.deep.equal({ protect: true, retainOnDelete: false });
    });

    it("a created reader is retained on delete, so dropping it from config never deletes the user", async () => {
        const { secondary } = await runSeed();
        const o = secondary.options.get("aws:iam/user:User::secondary-Stuart");
        expect(o?.retainOnDelete).to.equal(true);
        // Its policy is not retained: removing the reader removes its access.
        expect(secondary.options.get("aws:iam/userPolicy:UserPolicy::secondary-Stuart-read")?.retainOnDelete).to.equal(
            undefined,
        );
    });

    it("the sandbox example turns both off", async () => {
        const r = await sandbox();
        expect(opts(r, `${KEY}::share-key`)).to.deep.equal({ protect: false, retainOnDelete: false });
        expect(opts(r, `${SECRET}::share-MySecret`)).to.deep.equal({ protect: false, retainOnDelete: false });
    });
});

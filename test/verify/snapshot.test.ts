import * as fs from "fs";
import * as path from "path";
import {
    GetAccountSummaryCommand,
    GetPolicyCommand,
    GetPolicyVersionCommand,
    GetRoleCommand,
    GetUserCommand,
    GetUserPolicyCommand,
    IAMClient,
    ListAttachedUserPoliciesCommand,
    ListUserPoliciesCommand,
} from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import {
    DescribeSecretCommand,
    GetResourcePolicyCommand,
    GetSecretValueCommand,
    SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { expect } from "chai";
import { parseWorld } from "../../plan/world";
import type { Deps } from "../../verify/deps";
import { recordKey, type Recording } from "../../verify/snapshotRecord";
import { verify } from "../../verify/verify";
import { ROOT } from "../mocks";
import { plan, planJson } from "../plan/helpers";
import { TEAM_KEY_ARN, TEAM_SECRET_ARN, teamProject } from "../plan/world/helpers";

/**
 * `npm run verify -- --snapshot FILE` against mocked AWS clients (aws-sdk-client-mock): what it
 * records of a team's own existing key `alias/TeamKey`, secret `TeamDb` and user Stuart, that it
 * never asks for a secret value, that a read it cannot make writes nothing, and the round trip:
 * mocked SDK, file, then the offline plan against the file.
 */

const OWNER = "111111111111";
const CONSUMER = "222222222222";
const STUART = `arn:aws:iam::${CONSUMER}:user/Stuart`;
const TEAM_KEY_POLICY = {
    Version: "2012-10-17",
    Id: "team-key",
    Statement: [
        {
            Sid: "Enable IAM User Permissions",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${OWNER}:root` },
            Action: "kms:*",
            Resource: "*",
        },
        {
            Sid: "BillingDecrypt",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444444444444:role/billing" },
            Action: "kms:Decrypt",
            Resource: "*",
        },
    ],
};
const TEAM_SECRET_POLICY = {
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "BillingRead",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444444444444:role/billing" },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
        },
    ],
};
const TEAM_ACCESS = {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::team-bucket/*" }],
};
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const READ_ONLY_DOC = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }] };
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

let kms: AwsClientStub<KMSClient>;
let sm: AwsClientStub<SecretsManagerClient>;
let iam: AwsClientStub<IAMClient>;
let sts: AwsClientStub<STSClient>;

function harness(): { deps: Deps; lines: string[] } {
    const lines: string[] = [];
    return {
        lines,
        deps: {
            out: (line) => lines.push(...line.split("\n")),
            sleep: () => Promise.resolve(),
            random: () => 1,
            // Fake keys by profile; the STS mock tells the accounts apart by them.
            credentials: (s) => () =>
                Promise.resolve({ accessKeyId: `AKIA${(s.profile ?? "none").toUpperCase()}`, secretAccessKey: "x" }),
            root: ROOT,
        },
    };
}

describe("npm run verify -- --snapshot (mocked AWS)", () => {
    before(() => {
        kms = mockClient(KMSClient);
        sm = mockClient(SecretsManagerClient);
        iam = mockClient(IAMClient);
        sts = mockClient(STSClient);
    });
    after(() => [kms, sm, iam, sts].forEach((m) => m.restore()));

    beforeEach(() => {
        [kms, sm, iam, sts].forEach((m) => m.reset());
        sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
            const key = (await (getClient().config.credentials as () => Promise<{ accessKeyId: string }>)())
                .accessKeyId;
            return key === "AKIAPRIMARY"
                ? { Account: OWNER, Arn: `arn:aws:sts::${OWNER}:assumed-role/reader/snap` }
                : { Account: CONSUMER, Arn: `arn:aws:sts::${CONSUMER}:assumed-role/reader/snap` };
        });
        const metadata = {
            Arn: TEAM_KEY_ARN,
            KeyId: TEAM_KEY_ARN.split("/")[1],
            KeyManager: "CUSTOMER" as const,
            KeyState: "Enabled" as const,
            KeyUsage: "ENCRYPT_DECRYPT" as const,
            KeySpec: "SYMMETRIC_DEFAULT" as const,
            Description: "the team's key",
        };
        kms.on(DescribeKeyCommand, { KeyId: "alias/TeamKey" }).resolves({ KeyMetadata: metadata });
        kms.on(DescribeKeyCommand, { KeyId: TEAM_KEY_ARN }).resolves({ KeyMetadata: metadata });
        kms.on(ListAliasesCommand).resolves({ Aliases: [{ AliasName: "alias/TeamKey" }] });
        kms.on(GetKeyPolicyCommand).resolves({ Policy: JSON.stringify(TEAM_KEY_POLICY) });
        sm.on(DescribeSecretCommand, { SecretId: "TeamDb" }).resolves({
            ARN: TEAM_SECRET_ARN,
            Name: "TeamDb",
            KmsKeyId: TEAM_KEY_ARN,
            Tags: [{ Key: "team", Value: "billing" }],
        });
        sm.on(GetResourcePolicyCommand).resolves({ ResourcePolicy: JSON.stringify(TEAM_SECRET_POLICY) });
        sm.on(GetSecretValueCommand).rejects(new Error("a snapshot must never read a secret value"));
        iam.on(GetUserCommand, { UserName: "Stuart" }).resolves({
            User: {
                Arn: STUART,
                UserName: "Stuart",
                Path: "/",
                UserId: "AIDAEXAMPLE",
                CreateDate: new Date(0),
                Tags: [{ Key: "team", Value: "apps" }],
            },
        });
        iam.on(ListUserPoliciesCommand).resolves({ PolicyNames: ["TeamAccess"] });
        iam.on(GetUserPolicyCommand).resolves({
            UserName: "Stuart",
            PolicyName: "TeamAccess",
            PolicyDocument: encodeURIComponent(JSON.stringify(TEAM_ACCESS)),
        });
        iam.on(ListAttachedUserPoliciesCommand).resolves({
            AttachedPolicies: [{ PolicyArn: READ_ONLY, PolicyName: "ReadOnlyAccess" }],
        });
        iam.on(GetPolicyCommand).resolves({ Policy: { Arn: READ_ONLY, DefaultVersionId: "v3" } });
        iam.on(GetPolicyVersionCommand).resolves({
            PolicyVersion: { VersionId: "v3", Document: encodeURIComponent(JSON.stringify(READ_ONLY_DOC)) },
        });
        iam.on(GetAccountSummaryCommand).resolves({
            SummaryMap: {
                AttachedPoliciesPerUserQuota: 20,
                AttachedPoliciesPerRoleQuota: 20,
                UserPolicySizeQuota: 2048,
            },
        });
    });

    const args = (dir: string, file: string) => [
        "--snapshot",
        file,
        "--dir",
        dir,
        "--owner-profile",
        "primary",
        "--consumer-profile",
        "secondary",
    ];

    it("records the key, the secret and the reader with read-only calls, never a secret value", async () => {
        const dir = teamProject();
        const file = path.join(dir, "recorded.json");
        const h = harness();
        expect(await verify(args(dir, file), h.deps), h.lines.join("\n")).to.equal(0);
        expect(sm.commandCalls(GetSecretValueCommand)).to.have.length(0);
        const world = parseWorld(fs.readFileSync(file, "utf8"), file);
        expect(world.keys).to.deep.equal([
            {
                arn: TEAM_KEY_ARN,
                aliases: ["alias/TeamKey"],
                keyManager: "CUSTOMER",
                keyState: "Enabled",
                keyUsage: "ENCRYPT_DECRYPT",
                keySpec: "SYMMETRIC_DEFAULT",
                description: "the team's key",
                policy: TEAM_KEY_POLICY,
            },
        ]);
        expect(world.secrets).to.deep.equal([
            {
                arn: TEAM_SECRET_ARN,
                kmsKeyId: TEAM_KEY_ARN,
                description: "",
                tags: { team: "billing" },
                policy: TEAM_SECRET_POLICY,
            },
        ]);
        expect(world.identities).to.deep.equal([
            { arn: STUART, tags: { team: "apps" }, inline: { TeamAccess: TEAM_ACCESS }, attached: [READ_ONLY] },
        ]);
        expect(world.managedPolicies).to.deep.equal([{ arn: READ_ONLY, versionId: "v3", document: READ_ONLY_DOC }]);
        expect(world.accounts).to.deep.equal({
            [CONSUMER]: {
                iam: { attachedPoliciesPerUserQuota: 20, attachedPoliciesPerRoleQuota: 20, userPolicySizeQuota: 2048 },
            },
        });
        expect(world.absent).to.deep.equal([]);
        expect(h.lines.at(-1)).to.equal(
            `verify --snapshot: wrote ${file}: 1 key(s), 1 secret(s), 1 identity, 0 absent`,
        );
        // Recorded again, the same file: a stable order.
        const again = fs.readFileSync(file, "utf8").replace(/"at": "[^"]*"/, "");
        expect(await verify(args(dir, file), harness().deps)).to.equal(0);
        expect(fs.readFileSync(file, "utf8").replace(/"at": "[^"]*"/, "")).to.equal(again);
    });

    it("reads every page of the list calls, and retries a throttled page", async () => {
        const dir = teamProject();
        const file = path.join(dir, "recorded.json");
        let throttled = false;
        iam.on(ListUserPoliciesCommand).callsFake((input: { Marker?: string }) => {
            if (input.Marker === undefined) return { PolicyNames: ["TeamAccess"], IsTruncated: true, Marker: "m1" };
            if (!throttled) {
                throttled = true;
                throw awsError("Throttling", "Rate exceeded");
            }
            return { PolicyNames: ["Other"], IsTruncated: false };
        });
        kms.on(ListAliasesCommand).callsFake((input: { Marker?: string }) =>
            input.Marker === undefined
                ? { Aliases: [{ AliasName: "alias/TeamKey" }], Truncated: true, NextMarker: "k1" }
                : { Aliases: [{ AliasName: "alias/Second" }], Truncated: false },
        );
        const h = harness();
        expect(await verify(args(dir, file), h.deps), h.lines.join("\n")).to.equal(0);
        const world = parseWorld(fs.readFileSync(file, "utf8"), file);
        expect(Object.keys(world.identities[0].inline)).to.deep.equal(["Other", "TeamAccess"]);
        expect(world.keys[0].aliases).to.deep.equal(["alias/Second", "alias/TeamKey"]);
        expect(h.lines.join("\n")).to.match(/ListUserPolicies Stuart: throttled \(Throttling\), retry 1 of 4/);
    });

    it("a key first read as a secret's key (no policy) gets its policy when a stack names it", async () => {
        const into: Recording = {
            keys: [],
            secrets: [],
            identities: [],
            managedPolicies: [],
            absent: [],
            accounts: {},
        };
        const side = {
            label: "owner" as const,
            credentials: harness().deps.credentials({ label: "owner", profile: "primary" }),
        };
        await recordKey(harness().deps, side, { ref: TEAM_KEY_ARN, region: "us-east-1" }, into, false);
        expect(into.keys[0].policy).to.equal(undefined);
        await recordKey(harness().deps, side, { ref: "alias/TeamKey", region: "us-east-1" }, into);
        expect(into.keys).to.have.length(1);
        expect(into.keys[0].policy).to.deep.equal(TEAM_KEY_POLICY);
    });

    it("round trip: the plan against the recorded file proves the share, with exit 0", async () => {
        const dir = teamProject();
        const file = path.join(dir, "recorded.json");
        expect(await verify(args(dir, file), harness().deps)).to.equal(0);
        const { code, report, stderr } = await planJson(["--world", file], dir);
        expect(code, stderr).to.equal(0);
        const stuart = report.access.filter((c) => c.who === "secondary/Stuart" && c.expected === "Allowed");
        expect(stuart.map((c) => [c.action, c.resource, c.decision])).to.deep.equal([
            ["secretsmanager:GetSecretValue", TEAM_SECRET_ARN, "Allowed"],
            ["kms:Decrypt", TEAM_KEY_ARN, "Allowed"],
        ]);
        // The statements recorded are kept and shown.
        const kept = report.access.filter((c) => c.expected === ("Kept" as never)).map((c) => c.who);
        expect(kept).to.include("arn:aws:iam::444444444444:role/billing");
    });

    it("records what does not exist as absent, and the plan then says AWS's not found", async () => {
        const dir = teamProject();
        const file = path.join(dir, "recorded.json");
        kms.on(DescribeKeyCommand, { KeyId: "alias/TeamKey" }).rejects(
            awsError("NotFoundException", "Alias arn:aws:kms:us-east-1:111111111111:alias/TeamKey is not found."),
        );
        kms.on(ListAliasesCommand).resolves({ Aliases: [] });
        expect(await verify(args(dir, file), harness().deps)).to.equal(0);
        const world = parseWorld(fs.readFileSync(file, "utf8"), file);
        expect(world.absent).to.deep.equal(["arn:aws:kms:us-east-1:111111111111:alias/TeamKey"]);
        const { code, stderr } = await plan(["--world", file], dir);
        expect(code).to.equal(2);
        expect(stderr, stderr).to.include(
            'secretshare:key.existing = "alias/TeamKey": no such key in account 111111111111',
        );
    });

    it("writes nothing when a read fails, and names the read", async () => {
        const dir = teamProject();
        const file = path.join(dir, "recorded.json");
        iam.on(GetUserCommand).rejects(awsError("AccessDenied", "not authorized to perform: iam:GetUser"));
        iam.on(GetRoleCommand).rejects(awsError("AccessDenied", "not authorized to perform: iam:GetRole"));
        const h = harness();
        expect(await verify(args(dir, file), h.deps)).to.equal(1);
        expect(fs.existsSync(file)).to.equal(false);
        expect(h.lines).to.include(
            `FAIL  user Stuart (account ${CONSUMER}): AccessDenied: not authorized to perform: iam:GetUser`,
        );
        expect(h.lines.at(-1)).to.equal(`verify --snapshot: 1 read(s) failed; ${file} not written`);
    });

    it("prints its help, with the permissions each side needs", async () => {
        const h = harness();
        expect(await verify(["--snapshot", "x.json", "--help"], h.deps)).to.equal(0);
        expect(h.lines.join("\n")).to.include("Never reads a secret's value.");
        expect(h.lines.join("\n")).to.include("kms:GetKeyPolicy, secretsmanager:DescribeSecret, GetResourcePolicy");
    });

    it("refuses to run without the owner's credentials, and names an account it has none for", async () => {
        const dir = teamProject();
        const file = path.join(dir, "recorded.json");
        let h = harness();
        expect(await verify(["--snapshot", file, "--dir", dir], h.deps)).to.equal(2);
        expect(h.lines[0]).to.equal(
            "verify --snapshot: --snapshot needs the owner's credentials: --owner-profile NAME or --owner-role-arn ARN",
        );
        h = harness();
        expect(await verify(["--snapshot", file, "--dir", dir, "--owner-profile", "primary"], h.deps)).to.equal(1);
        expect(h.lines).to.include(`FAIL  user Stuart (account ${CONSUMER}): no credentials for this account`);
        expect(fs.existsSync(file)).to.equal(false);
    });
});

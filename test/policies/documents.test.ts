import { createHash } from "crypto";
import { expect } from "chai";
import { parseConfig, type OwnerConfig } from "../../config";
import {
    accountOfArn,
    accountRootArn,
    identityArn,
    partitionOf,
    placeholderKeyArn,
    placeholderSecretArn,
    secretArnPattern,
    secretsManagerService,
} from "../../aws/arn";
import { SID_PREFIX, identityPolicy, keyPolicy, secretResourcePolicy } from "../../policies/documents";
import { ownerLayout } from "../../policies/layout";
import { PRIMARY_ACCOUNT, SECONDARY_ACCOUNT, stackConfig } from "../mocks";

/**
 * The three documents of the share, from the pure builders in policies/: exact statements for
 * the seed and for the variants config offers. The program tests check the same documents on
 * the registered resources.
 */

const STUART = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart`;
const BOB = `arn:aws:iam::333333333333:role/apps/bob`;
const ALICE = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Alice`;
const MY_SECRET = secretArnPattern("aws", "us-east-1", PRIMARY_ACCOUNT, "MySecret");
const OTHER_SECRET = secretArnPattern("aws", "us-east-1", PRIMARY_ACCOUNT, "Other");
const VIA = { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" };
const tag = (...patterns: string[]) =>
    createHash("sha256").update(patterns.sort().join("\n")).digest("hex").slice(0, 8);

function ownerOfPrimary(overrides: Record<string, unknown> = {}): OwnerConfig {
    const raw = Object.fromEntries(
        Object.entries(stackConfig("primary", overrides))
            .filter(([k]) => k.startsWith("secretshare:"))
            .map(([k, v]) => [k.slice("secretshare:".length), v]),
    );
    const config = parseConfig("primary", raw);
    if (config.mode === "consumer") throw new Error("primary is an owner stack");
    return config.owner;
}

describe("policies: ARNs", () => {
    it("partition by region: aws, aws-cn, aws-us-gov", () => {
        expect(
            ["us-east-1", "eu-west-1", "cn-north-1", "cn-northwest-1", "us-gov-west-1"].map(partitionOf),
        ).to.deep.equal(["aws", "aws", "aws-cn", "aws-cn", "aws-us-gov"]);
    });

    it("account root, user and role ARNs, with and without a path", () => {
        expect(accountRootArn("aws", SECONDARY_ACCOUNT)).to.equal("arn:aws:iam::222222222222:root");
        expect(identityArn("aws", SECONDARY_ACCOUNT, "user", "/", "Stuart")).to.equal(STUART);
        expect(identityArn("aws-cn", "333333333333", "role", "/apps/", "bob")).to.equal(
            "arn:aws-cn:iam::333333333333:role/apps/bob",
        );
        expect(accountOfArn(BOB)).to.equal("333333333333");
        expect(accountOfArn("not-an-arn")).to.equal("");
    });

    it("a secret's ARN pattern is its name, a hyphen and six single-character wildcards", () => {
        expect(MY_SECRET).to.equal("arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-??????");
    });

    it("placeholders have the exact length of real ARNs, for size checks before deploy", () => {
        const realSecret = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-EaCFGX";
        const realKey = "arn:aws:kms:us-east-1:111111111111:key/50535225-908a-4bf0-8522-dfd3682fc88a";
        expect(placeholderSecretArn("aws", "us-east-1", PRIMARY_ACCOUNT, "MySecret")).to.have.length(realSecret.length);
        expect(placeholderKeyArn("aws", "us-east-1", PRIMARY_ACCOUNT, 7)).to.have.length(realKey.length);
        expect(placeholderKeyArn("aws", "us-east-1", PRIMARY_ACCOUNT, 7)).to.equal(
            "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000007",
        );
    });

    it("Secrets Manager's kms:ViaService name carries the region", () => {
        expect(secretsManagerService("eu-central-1")).to.equal("secretsmanager.eu-central-1.amazonaws.com");
    });
});

describe("policies: the secret's resource policy", () => {
    it("seed, account-root form: the consumer root, narrowed to Stuart, AWSCURRENT only", () => {
        expect(
            secretResourcePolicy({
                partition: "aws",
                readerArns: [STUART],
                principalForm: "account-root",
                acceptDefaultStage: false,
            }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "SecretShareReadCurrent",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::222222222222:root" },
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

    it("readers of two accounts: both roots, sorted and without duplicates, and each reader's ARN", () => {
        const doc = secretResourcePolicy({
            partition: "aws",
            readerArns: [STUART, BOB, ALICE],
            principalForm: "account-root",
            acceptDefaultStage: false,
        });
        expect(doc.Statement).to.have.length(1);
        expect(doc.Statement[0].Principal).to.deep.equal({
            AWS: ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"],
        });
        expect(doc.Statement[0].Condition).to.deep.equal({
            ArnEquals: { "aws:PrincipalArn": [BOB, ALICE, STUART].sort() },
            StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" },
        });
    });

    it("principal-arn form: the readers' ARNs as Principal, only the stage condition", () => {
        const doc = secretResourcePolicy({
            partition: "aws",
            readerArns: [STUART],
            principalForm: "principal-arn",
            acceptDefaultStage: false,
        });
        expect(doc.Statement).to.deep.equal([
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

    it("acceptDefaultStage: a second statement for calls with neither stage nor version ID", () => {
        const doc = secretResourcePolicy({
            partition: "aws",
            readerArns: [STUART],
            principalForm: "principal-arn",
            acceptDefaultStage: true,
        });
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal(["SecretShareReadCurrent", "SecretShareReadDefault"]);
        expect(doc.Statement[1]).to.deep.equal({
            Sid: "SecretShareReadDefault",
            Effect: "Allow",
            Principal: { AWS: STUART },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
            Condition: { Null: { "secretsmanager:VersionStage": "true", "secretsmanager:VersionId": "true" } },
        });
    });

    it("no statement allows anything but GetSecretValue, and none names a wildcard principal", () => {
        const doc = secretResourcePolicy({
            partition: "aws",
            readerArns: [STUART, BOB],
            principalForm: "account-root",
            acceptDefaultStage: true,
        });
        for (const s of doc.Statement) {
            expect(s.Action).to.equal("secretsmanager:GetSecretValue");
            expect(s.Effect).to.equal("Allow");
            expect(JSON.stringify(s.Principal)).not.to.include('"*"');
            expect(s.Sid?.startsWith(SID_PREFIX)).to.equal(true);
        }
    });
});

describe("policies: the key policy", () => {
    const seedGrants = [{ readerArn: STUART, secretArns: [MY_SECRET] }];

    it("seed, account-root form: owner administers, Stuart decrypts MySecret via Secrets Manager, DescribeKey", () => {
        expect(
            keyPolicy({
                partition: "aws",
                region: "us-east-1",
                ownerAccountId: PRIMARY_ACCOUNT,
                grants: seedGrants,
                principalForm: "account-root",
                grantDescribeKey: true,
            }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "SecretShareOwnerAdministers",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::111111111111:root" },
                    Action: "kms:*",
                    Resource: "*",
                },
                {
                    Sid: `SecretShareDecrypt${tag(MY_SECRET)}`,
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::222222222222:root" },
                    Action: "kms:Decrypt",
                    Resource: "*",
                    Condition: {
                        ArnEquals: { "aws:PrincipalArn": STUART },
                        StringEquals: VIA,
                        StringLike: { "kms:EncryptionContext:SecretARN": MY_SECRET },
                    },
                },
                {
                    Sid: "SecretShareDescribeKey",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::222222222222:root" },
                    Action: "kms:DescribeKey",
                    Resource: "*",
                    Condition: { ArnEquals: { "aws:PrincipalArn": STUART } },
                },
            ],
        });
        expect(tag(MY_SECRET)).to.equal("73534949");
    });

    it("principal-arn form: Stuart's ARN as Principal, no ArnEquals anywhere", () => {
        const doc = keyPolicy({
            partition: "aws",
            region: "us-east-1",
            ownerAccountId: PRIMARY_ACCOUNT,
            grants: seedGrants,
            principalForm: "principal-arn",
            grantDescribeKey: true,
        });
        expect(doc.Statement.slice(1)).to.deep.equal([
            {
                Sid: `SecretShareDecrypt${tag(MY_SECRET)}`,
                Effect: "Allow",
                Principal: { AWS: STUART },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: { StringEquals: VIA, StringLike: { "kms:EncryptionContext:SecretARN": MY_SECRET } },
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

    it("no grants: only the owner's administration, so the key is never locked out", () => {
        const doc = keyPolicy({
            partition: "aws",
            region: "us-east-1",
            ownerAccountId: PRIMARY_ACCOUNT,
            grants: [],
            principalForm: "account-root",
            grantDescribeKey: true,
        });
        expect(doc.Statement).to.deep.equal([
            {
                Sid: "SecretShareOwnerAdministers",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::111111111111:root" },
                Action: "kms:*",
                Resource: "*",
            },
        ]);
    });

    it("two readers of different secrets: each Decrypt statement binds one reader to its own secret", () => {
        const doc = keyPolicy({
            partition: "aws",
            region: "us-east-1",
            ownerAccountId: PRIMARY_ACCOUNT,
            grants: [
                { readerArn: STUART, secretArns: [MY_SECRET] },
                { readerArn: BOB, secretArns: [OTHER_SECRET] },
            ],
            principalForm: "account-root",
            grantDescribeKey: false,
        });
        const decrypts = doc.Statement.filter((s) => s.Action === "kms:Decrypt");
        expect(decrypts.map((s) => [s.Sid, s.Condition?.ArnEquals, s.Condition?.StringLike])).to.deep.equal([
            [
                `SecretShareDecrypt${tag(MY_SECRET)}`,
                { "aws:PrincipalArn": STUART },
                { "kms:EncryptionContext:SecretARN": MY_SECRET },
            ],
            [
                `SecretShareDecrypt${tag(OTHER_SECRET)}`,
                { "aws:PrincipalArn": BOB },
                { "kms:EncryptionContext:SecretARN": OTHER_SECRET },
            ],
        ]);
        expect(doc.Statement.map((s) => s.Action)).not.to.include("kms:DescribeKey");
        for (const s of decrypts) expect(s.Condition?.StringEquals).to.deep.equal(VIA);
    });

    it("the region of the key sets kms:ViaService", () => {
        const doc = keyPolicy({
            partition: "aws",
            region: "eu-west-1",
            ownerAccountId: PRIMARY_ACCOUNT,
            grants: seedGrants,
            principalForm: "account-root",
            grantDescribeKey: false,
        });
        expect(doc.Statement[1].Condition?.StringEquals).to.deep.equal({
            "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        });
    });
});

describe("policies: the reader's identity policy", () => {
    const secretArn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-EaCFGX";
    const otherArn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:Other-Qw3rTy";
    const keyArn = "arn:aws:kms:us-east-1:111111111111:key/50535225-908a-4bf0-8522-dfd3682fc88a";

    it("seed: GetSecretValue on exactly the secret, Decrypt on exactly the key via Secrets Manager", () => {
        expect(identityPolicy({ region: "us-east-1", grants: [{ secretArn, keyArn }] })).to.deep.equal({
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
                    Condition: { StringEquals: VIA },
                },
            ],
        });
    });

    it("two secrets under one key: both secrets listed, the key once", () => {
        const doc = identityPolicy({
            region: "us-east-1",
            grants: [
                { secretArn: otherArn, keyArn },
                { secretArn, keyArn },
            ],
        });
        expect(doc.Statement[0].Resource).to.deep.equal([secretArn, otherArn].sort());
        expect(doc.Statement[1].Resource).to.equal(keyArn);
        expect(JSON.stringify(doc)).not.to.include("*");
    });
});

describe("policies: ownerLayout of Pulumi.primary.yaml", () => {
    it("one shared key with the seed's key policy and alias, one secret policy, Stuart's grant", () => {
        const owner = ownerOfPrimary();
        const layout = ownerLayout(owner);
        expect(layout.keys.map((k) => [k.id, k.alias, k.secrets])).to.deep.equal([["shared", "MyKey", ["MySecret"]]]);
        expect(layout.keys[0].policy).to.deep.equal(
            keyPolicy({
                partition: "aws",
                region: "us-east-1",
                ownerAccountId: PRIMARY_ACCOUNT,
                grants: [{ readerArn: STUART, secretArns: [MY_SECRET] }],
                principalForm: "account-root",
                grantDescribeKey: true,
            }),
        );
        expect(layout.keyOf).to.deep.equal({ MySecret: "shared" });
        expect(layout.secretPolicies.MySecret).to.deep.equal(
            secretResourcePolicy({
                partition: "aws",
                readerArns: [STUART],
                principalForm: "account-root",
                acceptDefaultStage: false,
            }),
        );
        expect(layout.grants).to.deep.equal({
            secondary: {
                accountId: SECONDARY_ACCOUNT,
                readers: [
                    { kind: "user", name: "Stuart", path: "/", existing: false, arn: STUART, secrets: ["MySecret"] },
                ],
            },
        });
    });

    it("secretPolicy settings reach both owner documents", () => {
        const layout = ownerLayout(
            ownerOfPrimary({
                "secretshare:secretPolicy": { principalForm: "principal-arn", acceptDefaultStage: true },
                "secretshare:consumers": {
                    secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
                },
            }),
        );
        expect(layout.secretPolicies.MySecret.Statement.map((s) => [s.Sid, s.Principal])).to.deep.equal([
            ["SecretShareReadCurrent", { AWS: STUART }],
            ["SecretShareReadDefault", { AWS: STUART }],
        ]);
        expect(layout.keys[0].policy.Statement[1].Principal).to.deep.equal({ AWS: STUART });
    });
});

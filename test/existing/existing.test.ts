import type { ResourceOptions } from "@pulumi/pulumi";
import { expect } from "chai";
import { parseConfig } from "../../config";
import {
    EXAMPLE_KEY_ARN,
    EXAMPLE_KEY_ID,
    EXAMPLE_KEY_POLICY,
    EXAMPLE_SECRET_ARN,
    EXAMPLE_SECRET_POLICY,
    EXAMPLE_WORLD,
    type ExistingWorld,
} from "../../plan/existingWorld";
import { simulate } from "../../plan/proof/simulator";
import { parseSecretArn } from "../../aws/arn";
import { parseKeyRef, secretKeyVerdict } from "../../existing/resolve";
import { SID_PREFIX, type PolicyDocument } from "../../policies/documents";
import {
    lockoutMessage,
    lockedOutAdmins,
    mergeOwnStatements,
    parsePolicy,
    type LiveDocument,
} from "../../existing/merge";
import {
    AwsMocks,
    PRIMARY_ACCOUNT,
    PRIMARY_STACK_REF,
    errorOf,
    ofType,
    policyOf,
    resource,
    run,
    type StackRun,
} from "../mocks";

/**
 * Sharing what already exists: the seed's own starting point is an existing key,
 * secret and user. The mocks answer DescribeKey, GetKeyPolicy and DescribeSecret from a world
 * of existing resources whose policies already hold statements of others (plan/existingWorld.ts).
 */

const ROOT = `arn:aws:iam::${PRIMARY_ACCOUNT}:root`;
const STUART = "arn:aws:iam::222222222222:user/Stuart";
const SM = "secretsmanager.us-east-1.amazonaws.com";
const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";
const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy";

/** The seed's starting point: key, secret and user all exist. The watch is off to list resources exactly. */
const SEED_EXISTING = {
    "secretshare:key": { existing: "alias/MyKey" },
    "secretshare:consumers": {
        secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
    },
    "secretshare:secrets": [{ name: "MySecret", existing: true, readers: ["secondary/Stuart"] }],
    "secretshare:watch": { enabled: false },
};

const primary = (overrides: Record<string, unknown> = {}, world: ExistingWorld = EXAMPLE_WORLD) =>
    run("primary", { ...SEED_EXISTING, ...overrides }, { mocks: new AwsMocks({}, world) });

const doc = (r: StackRun, type: string, name: string) => policyOf(resource(r, type, name));
/** The options a resource was registered with (`import` is a custom resource option). */
const optionsOf = (r: StackRun, type: string, name: string): (ResourceOptions & { import?: string }) | undefined =>
    r.options.get(`${type}::${name}`);
const sids = (d: { Statement: Record<string, unknown>[] }) => d.Statement.map((s) => s.Sid);
const ours = (d: { Statement: Record<string, unknown>[] }) =>
    d.Statement.filter((s) => typeof s.Sid === "string" && s.Sid.startsWith(SID_PREFIX));

/** AWS after the update: each existing key and secret now stores the document the run wrote. */
function worldAfter(r: StackRun, before: ExistingWorld): ExistingWorld {
    const keyPolicies = ofType(r, KEY_POLICY);
    const secretPolicies = ofType(r, SECRET_POLICY);
    return {
        keys: (before.keys ?? []).map((k) => {
            const w = keyPolicies.find((p) => k.arn.endsWith(`:key/${String(p.inputs.keyId)}`));
            return w ? { ...k, policy: String(w.inputs.policy) } : k;
        }),
        secrets: (before.secrets ?? []).map((s) => {
            const w = secretPolicies.find((p) => p.inputs.secretArn === s.arn);
            return w ? { ...s, policy: String(w.inputs.policy) } : s;
        }),
    };
}

// A key's document with this program's statements, as an earlier run left them.
const ourKeyStatements: PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
        {
            Sid: `${SID_PREFIX}DecryptAbc`,
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::222222222222:root" },
            Action: "kms:Decrypt",
            Resource: "*",
        },
    ],
};

describe("existing resources: merging our statements into documents we do not own (pure)", () => {
    const foreignA = { Sid: "Admins", Effect: "Allow", Principal: { AWS: ROOT }, Action: "kms:*", Resource: "*" };
    const foreignB = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::333333333333:root" }, Action: "kms:Decrypt" };
    const stale = { Sid: `${SID_PREFIX}DecryptOld`, Effect: "Allow", Principal: { AWS: "x" }, Action: "kms:Decrypt" };

    it("keeps every foreign statement verbatim and in place, and replaces ours where they were", () => {
        const current: LiveDocument = {
            Version: "2012-10-17",
            Id: "key-consolepolicy-3",
            Statement: [foreignA, stale, foreignB],
        };
        const merged = mergeOwnStatements(current, ourKeyStatements);
        expect(merged).to.deep.equal({
            Version: "2012-10-17",
            Id: "key-consolepolicy-3",
            Statement: [foreignA, ourKeyStatements.Statement[0], foreignB],
        });
        expect(merged.Statement[0]).to.equal(foreignA); // the very object: not rebuilt
    });

    it("appends ours after the foreign ones when none of ours is there yet, and is idempotent", () => {
        const current: LiveDocument = { Version: "2012-10-17", Statement: [foreignA, foreignB] };
        const once = mergeOwnStatements(current, ourKeyStatements);
        expect(sids(once as never)).to.deep.equal(["Admins", undefined, `${SID_PREFIX}DecryptAbc`]);
        const twice = mergeOwnStatements(JSON.parse(JSON.stringify(once)) as LiveDocument, ourKeyStatements);
        expect(JSON.stringify(twice)).to.equal(JSON.stringify(once));
    });

    it("removes ours entirely when we have fewer statements, and writes ours alone where nothing was", () => {
        const current: LiveDocument = { Statement: [stale, foreignA, { ...stale, Sid: `${SID_PREFIX}Other` }] };
        expect(mergeOwnStatements(current, { Version: "2012-10-17", Statement: [] }).Statement).to.deep.equal([
            foreignA,
        ]);
        expect(mergeOwnStatements(undefined, ourKeyStatements)).to.deep.equal({
            Version: "2012-10-17",
            Statement: ourKeyStatements.Statement,
        });
    });

    it("refuses to merge a statement of ours without the Sid prefix (it would be foreign next run)", () => {
        expect(() =>
            mergeOwnStatements(undefined, {
                Version: "2012-10-17",
                Statement: [{ Sid: "Mine", Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }],
            }),
        ).to.throw('statements to merge must have a Sid starting with SecretShare: "Mine"');
    });

    it("reads stored documents: none, a single statement object, and broken JSON with a clear message", () => {
        expect(parsePolicy("", "x")).to.equal(undefined);
        expect(parsePolicy("{}", "x")).to.equal(undefined);
        expect(parsePolicy(JSON.stringify({ Version: "2012-10-17", Statement: foreignA }), "x")).to.deep.equal({
            Version: "2012-10-17",
            Statement: [foreignA],
        });
        expect(() => parsePolicy("{nope", "the resource policy of secret S")).to.throw(
            /^the resource policy of secret S is not valid JSON \(.*\); fix it in AWS first$/,
        );
    });
});

describe("existing resources: the lock-out guard (pure)", () => {
    const allow = (principal: unknown, action: unknown, extra: Record<string, unknown> = {}) => ({
        Effect: "Allow",
        Principal: principal,
        Action: action,
        Resource: "*",
        ...extra,
    });
    const d = (...Statement: Record<string, unknown>[]): LiveDocument => ({ Version: "2012-10-17", Statement });
    const KEY_ADMIN = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/KeyAdmin`;

    it("passes the seed's key policy for the root and for the key administrators role", () => {
        expect(lockedOutAdmins(EXAMPLE_KEY_POLICY, [ROOT, KEY_ADMIN])).to.deep.equal([]);
    });

    it("finds the root locked out when nothing but a key user statement is left", () => {
        const policy = d(allow({ AWS: KEY_ADMIN.replace("KeyAdmin", "App") }, ["kms:Decrypt", "kms:DescribeKey"]));
        expect(lockedOutAdmins(policy, [ROOT])).to.deep.equal([ROOT]);
        expect(lockoutMessage("alias/MyKey", lockedOutAdmins(policy, [ROOT]))).to.contain(
            `refusing to write the key policy of alias/MyKey: it would no longer allow kms:PutKeyPolicy to ${ROOT}, so nobody could change the key policy again.`,
        );
    });

    it("reads wildcards, NotAction, bare account IDs and root delegation like IAM", () => {
        expect(lockedOutAdmins(d(allow({ AWS: KEY_ADMIN }, "kms:put*")), [KEY_ADMIN])).to.deep.equal([]);
        expect(lockedOutAdmins(d(allow({ AWS: PRIMARY_ACCOUNT }, "*")), [ROOT])).to.deep.equal([]);
        expect(
            lockedOutAdmins(d({ ...allow({ AWS: ROOT }, undefined), NotAction: "kms:Decrypt" }), [ROOT]),
        ).to.deep.equal([]);
        expect(lockedOutAdmins(d({ ...allow({ AWS: ROOT }, undefined), NotAction: "kms:Put*" }), [ROOT])).to.deep.equal(
            [ROOT],
        );
        // Root delegation: the account's IAM policies decide, so the role can be granted back.
        expect(lockedOutAdmins(d(allow({ AWS: ROOT }, "kms:*")), [KEY_ADMIN])).to.deep.equal([]);
        expect(
            lockedOutAdmins(d(allow({ AWS: "arn:aws:iam::999999999999:root" }, "kms:*")), [KEY_ADMIN]),
        ).to.deep.equal([KEY_ADMIN]);
    });

    it("does not count a conditional Allow, counts an unconditional Deny, ignores a conditional Deny", () => {
        const conditionalAllow = allow({ AWS: ROOT }, "kms:*", {
            Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } },
        });
        expect(lockedOutAdmins(d(conditionalAllow), [ROOT])).to.deep.equal([ROOT]);
        const deny = { Effect: "Deny", Principal: "*", Action: "kms:PutKeyPolicy", Resource: "*" };
        expect(lockedOutAdmins(d(allow({ AWS: ROOT }, "kms:*"), deny), [ROOT])).to.deep.equal([ROOT]);
        const orgGuard = { ...deny, Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc" } } };
        expect(lockedOutAdmins(d(allow({ AWS: ROOT }, "kms:*"), orgGuard), [ROOT])).to.deep.equal([]);
        const notPrincipal = { Effect: "Deny", NotPrincipal: { AWS: KEY_ADMIN }, Action: "kms:*", Resource: "*" };
        expect(lockedOutAdmins(d(allow({ AWS: ROOT }, "kms:*"), notPrincipal), [ROOT, KEY_ADMIN])).to.deep.equal([
            ROOT,
        ]);
    });
});

describe("existing resources: reference forms and live facts (pure)", () => {
    it("accepts each form of key reference and says which", () => {
        expect(parseKeyRef(EXAMPLE_KEY_ARN)).to.deep.include({
            form: "key-arn",
            accountId: PRIMARY_ACCOUNT,
            region: "us-east-1",
        });
        expect(parseKeyRef(EXAMPLE_KEY_ID)).to.deep.equal({ form: "key-id", ref: EXAMPLE_KEY_ID });
        expect(parseKeyRef("mrk-1234567890abcdef1234567890abcdef")).to.deep.include({ form: "key-id" });
        expect(parseKeyRef("alias/MyKey")).to.deep.equal({
            form: "alias-name",
            ref: "alias/MyKey",
            alias: "alias/MyKey",
        });
        expect(parseKeyRef("arn:aws:kms:us-east-1:111111111111:alias/MyKey")).to.deep.include({
            form: "alias-arn",
            alias: "alias/MyKey",
        });
    });

    it("accepts a complete secret ARN and takes the name from it", () => {
        expect(parseSecretArn(EXAMPLE_SECRET_ARN)).to.deep.equal({
            arn: EXAMPLE_SECRET_ARN,
            region: "us-east-1",
            accountId: PRIMARY_ACCOUNT,
            name: "MySecret",
        });
        expect(parseSecretArn("arn:aws:secretsmanager:us-east-1:111111111111:secret:db-prod01-AbCdEf")).to.deep.include(
            {
                name: "db-prod01",
            },
        );
    });

    it("refuses a secret under the AWS managed key, and says it cannot be shared and what to do", () => {
        for (const kmsKeyId of [undefined, "", "alias/aws/secretsmanager"]) {
            const v = secretKeyVerdict({ secret: "Legacy", kmsKeyId, reencrypt: false });
            expect(v.ok).to.equal(false);
            expect((v as { message: string }).message).to.match(
                /^secret Legacy is encrypted with the AWS managed key aws\/secretsmanager \(.*\), which cannot be shared: another account can never decrypt it\. To share it, set reencrypt: true on the secret in secretshare:secrets to re-encrypt it under this stack's key .*, or create a new secret with this program\.$/,
            );
        }
        const byArn = secretKeyVerdict({
            secret: "Legacy",
            kmsKeyId: "arn:aws:kms:us-east-1:111111111111:key/aaaa",
            key: { arn: "arn:aws:kms:us-east-1:111111111111:key/aaaa", keyManager: "AWS" },
            targetKeyArn: EXAMPLE_KEY_ARN,
            reencrypt: false,
        });
        expect(byArn.ok).to.equal(false);
        expect(secretKeyVerdict({ secret: "Legacy", reencrypt: true })).to.deep.equal({ ok: true, reencrypt: true });
    });
});

describe("existing resources: bad references get clear errors (config)", () => {
    const base = {
        mode: "owner",
        owner: JSON.stringify({ accountId: PRIMARY_ACCOUNT, region: "us-east-1" }),
        consumers: JSON.stringify({
            secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
        }),
        secrets: JSON.stringify([{ name: "MySecret", existing: true, readers: ["secondary/Stuart"] }]),
    };
    const problems = (extra: Record<string, unknown>): readonly string[] => {
        const raw: Record<string, string> = { ...base };
        for (const [k, v] of Object.entries(extra)) raw[k] = JSON.stringify(v);
        try {
            parseConfig("primary", raw);
        } catch (e) {
            return (e as { problems: readonly string[] }).problems;
        }
        return [];
    };
    const FORMS =
        "expected a key ARN (arn:aws:kms:<region>:<account>:key/<key id>), a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-...), an alias name (alias/MyKey) or an alias ARN (arn:aws:kms:<region>:<account>:alias/MyKey)";

    it("names every bad key reference with the forms it accepts", () => {
        expect(problems({ key: { existing: "MyKey" } })).to.deep.equal([
            `secretshare:key.existing = "MyKey": ${FORMS}; an alias name starts with alias/ (alias/MyKey?)`,
        ]);
        expect(problems({ key: { existing: "1234ABCD-12AB-34CD-56EF-1234567890AB" } })).to.deep.equal([
            'secretshare:key.existing = "1234ABCD-12AB-34CD-56EF-1234567890AB": a key ID is lower case: 1234abcd-12ab-34cd-56ef-1234567890ab',
        ]);
        expect(problems({ key: { existing: "arn:aws:kms:us-east-1:111111111111:1234" } })).to.deep.equal([
            `secretshare:key.existing = "arn:aws:kms:us-east-1:111111111111:1234": ${FORMS}; a KMS ARN names key/<key id> or alias/<name>`,
        ]);
        expect(problems({ key: { existing: "alias/aws/secretsmanager" } })).to.deep.equal([
            'secretshare:key.existing = "alias/aws/secretsmanager": alias/aws/* names an AWS managed key: its key policy cannot be changed, and a secret encrypted with it cannot be read from another account; name a customer managed key',
        ]);
    });

    it("refuses a key of another account or region, adopt without existing, and one existing key per secret", () => {
        expect(problems({ key: { existing: EXAMPLE_KEY_ARN.replace("111111111111", "999999999999") } })).to.deep.equal([
            `secretshare:key.existing = "${EXAMPLE_KEY_ARN.replace("111111111111", "999999999999")}": this key is in account 999999999999, but secretshare:owner.accountId is 111111111111; name a key of the owner account (this stack writes its policy with the owner's credentials)`,
        ]);
        expect(problems({ key: { existing: EXAMPLE_KEY_ARN.replace("us-east-1", "eu-west-1") } })).to.deep.equal([
            `secretshare:key.existing = "${EXAMPLE_KEY_ARN.replace("us-east-1", "eu-west-1")}": this key is in region eu-west-1, but secretshare:owner.region is us-east-1; Secrets Manager can only use a KMS key in the secret's own region`,
        ]);
        expect(problems({ key: { adopt: true } })).to.deep.equal([
            "secretshare:key.adopt = true: adopt imports an existing key: set existing to its key ARN, key ID or alias too",
        ]);
        expect(problems({ key: { existing: "alias/MyKey", perSecret: true } })).to.deep.equal([
            "secretshare:key.perSecret = true: one key per secret cannot be one existing key: set perSecret: false, or leave existing out",
        ]);
        expect(problems({ key: { existing: "alias/MyKey", admins: ["KeyAdmin"] } })).to.deep.equal([
            'secretshare:key.admins[0] = "KeyAdmin": expected an IAM principal ARN: arn:aws:iam::<account>:root, arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name>',
        ]);
    });

    it("names every bad secret reference, and the settings that only a created secret has", () => {
        const partial = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret";
        const other = EXAMPLE_SECRET_ARN.replace("111111111111", "999999999999");
        expect(
            problems({
                secrets: [
                    { arn: partial, readers: ["secondary/Stuart"] },
                    { arn: "MySecret", readers: ["secondary/Stuart"] },
                    { name: "MySecret", existing: true, username: "Alice", readers: ["secondary/Stuart"] },
                    { existing: true, readers: ["secondary/Stuart"] },
                    { name: "db-prod01", existing: true, readers: ["secondary/Stuart"] },
                    { name: "Other", arn: EXAMPLE_SECRET_ARN, readers: ["secondary/Stuart"] },
                    { name: "New", readers: ["secondary/Stuart"] },
                ],
            }),
        ).to.deep.equal([
            `secretshare:secrets[0].arn = "${partial}": expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as the console shows it); this looks like a partial ARN (no -XXXXXX suffix): give the full ARN, or the name with existing: true`,
            'secretshare:secrets[1].arn = "MySecret": expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as the console shows it)',
            `secretshare:secrets[2].username = "Alice": username applies only to a secret this program creates: an existing secret's value and settings are never written here (remove username, or remove existing/arn to create a new secret)`,
            "secretshare:secrets[3].name = (not set): expected the name of the existing secret (with existing: true), or its complete ARN in arn:",
            'secretshare:secrets[4].name = "db-prod01": this name ends with a hyphen and six characters, so Secrets Manager may read it as a partial ARN: name the secret by its complete ARN with arn: instead',
            'secretshare:secrets[5].name = "Other": the ARN names secret MySecret; give the same name, or leave name out',
            "secretshare:secrets[6].username = (not set): expected the username stored in the secret",
        ]);
        expect(problems({ secrets: [{ name: "MySecret", existing: true }] })).to.deep.equal([
            "secretshare:secrets[0].readers = (not set): expected the list of readers, e.g. [secondary/Stuart]; an empty list [] revokes the share of an existing secret",
        ]);
        expect(problems({ secrets: [{ arn: other, readers: ["secondary/Stuart"] }] })).to.deep.equal([
            `secretshare:secrets[0].arn = "${other}": this secret is in account 999999999999, but secretshare:owner.accountId is 111111111111; name a secret of the owner account (this stack writes its policy with the owner's credentials)`,
        ]);
    });

    it("refuses a password for an existing secret without showing it, and a bad existing reader name", () => {
        const raw = { ...base, passwords: JSON.stringify({ MySecret: "hunter2hunter2" }) };
        const message = (() => {
            try {
                parseConfig("primary", raw);
            } catch (e) {
                return (e as Error).message;
            }
            return "";
        })();
        expect(message).to.include(
            "secretshare:passwords.MySecret: MySecret is an existing secret, whose value this program never writes; remove the password (value not shown)",
        );
        expect(message).not.to.include("hunter2");
        expect(
            problems({
                consumers: { secondary: { accountId: "222222222222", readers: [{ user: "Stu*rt", existing: true }] } },
            }),
        ).to.include(
            'secretshare:consumers.secondary.readers[0].user = "Stu*rt": wildcards are not allowed: name one exact user or role',
        );
    });

    it("parses the seed's starting point: key by alias, secret by name, user existing", () => {
        const c = parseConfig("primary", { ...base, key: JSON.stringify({ existing: "alias/MyKey" }) });
        if (c.mode === "consumer") throw new Error("owner expected");
        expect(c.owner.key.existing).to.deep.equal({ ref: "alias/MyKey", form: "alias-name", adopt: false });
        expect(c.owner.secrets[0].existing).to.deep.equal({
            ref: "MySecret",
            by: "name",
            adopt: false,
            reencrypt: false,
        });
        expect(c.owner.consumers.secondary.readers[0].existing).to.equal(true);
    });
});

describe("existing resources: the seed's starting point under the mock runtime", () => {
    let owner: StackRun;
    let consumer: StackRun;
    before(async () => {
        owner = await primary();
        consumer = await run("secondary", {}, { stacks: { [PRIMARY_STACK_REF]: owner.outputs } });
    });

    it("registers no key, secret, value or user: only the three policies the seed adds", () => {
        expect(owner.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`)).to.deep.equal([
            `${KEY_POLICY} share-key-policy`,
            `${SECRET_POLICY} share-MySecret-policy`,
        ]);
        expect(consumer.resources.filter((r) => r.custom).map((r) => `${r.type} ${r.name}`)).to.deep.equal([
            "aws:iam/userPolicy:UserPolicy secondary-Stuart-read",
        ]);
        expect(owner.mocks.reads.map((r) => `${r.type} ${r.id}`)).to.deep.equal([`${KEY_POLICY} ${EXAMPLE_KEY_ID}`]);
        expect(owner.outputs).to.deep.include({
            secretArn: EXAMPLE_SECRET_ARN,
            keyArn: EXAMPLE_KEY_ARN,
            keyAlias: "alias/MyKey",
            secretArns: { MySecret: EXAMPLE_SECRET_ARN },
            keyArns: { MySecret: EXAMPLE_KEY_ARN },
        });
    });

    it("keeps every statement the key and the secret had, and adds exactly the seed's grants for Stuart", () => {
        const key = doc(owner, KEY_POLICY, "share-key-policy");
        expect(resource(owner, KEY_POLICY, "share-key-policy").inputs.keyId).to.equal(EXAMPLE_KEY_ID);
        expect((key as { Id?: string }).Id).to.equal("key-consolepolicy-3");
        expect(key.Statement.slice(0, 4)).to.deep.equal(EXAMPLE_KEY_POLICY.Statement);
        const added = key.Statement.slice(4);
        expect(added.map((s) => [s.Sid, s.Action, s.Principal])).to.deep.equal([
            [`${SID_PREFIX}Decrypt73534949`, "kms:Decrypt", { AWS: "arn:aws:iam::222222222222:root" }],
            [`${SID_PREFIX}DescribeKey`, "kms:DescribeKey", { AWS: "arn:aws:iam::222222222222:root" }],
        ]);
        expect(added[0].Condition).to.deep.equal({
            ArnEquals: { "aws:PrincipalArn": STUART },
            StringEquals: { "kms:ViaService": SM },
            StringLike: {
                "kms:EncryptionContext:SecretARN":
                    "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-??????",
            },
        });
        const secret = doc(owner, SECRET_POLICY, "share-MySecret-policy");
        expect(resource(owner, SECRET_POLICY, "share-MySecret-policy").inputs).to.deep.include({
            secretArn: EXAMPLE_SECRET_ARN,
            blockPublicPolicy: true,
        });
        expect(secret.Statement.slice(0, 2)).to.deep.equal(EXAMPLE_SECRET_POLICY.Statement);
        expect(secret.Statement.slice(2)).to.deep.equal([
            {
                Sid: `${SID_PREFIX}ReadCurrent`,
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::222222222222:root" },
                Action: "secretsmanager:GetSecretValue",
                Resource: "*",
                Condition: {
                    ArnEquals: { "aws:PrincipalArn": STUART },
                    StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" },
                },
            },
        ]);
        const identity = doc(consumer, "aws:iam/userPolicy:UserPolicy", "secondary-Stuart-read");
        expect(identity.Statement.map((s) => [s.Action, s.Resource])).to.deep.equal([
            ["secretsmanager:GetSecretValue", EXAMPLE_SECRET_ARN],
            ["kms:Decrypt", EXAMPLE_KEY_ARN],
        ]);
        expect(resource(consumer, "aws:iam/userPolicy:UserPolicy", "secondary-Stuart-read").inputs.user).to.equal(
            "Stuart",
        );
    });

    it("never deletes what it did not create: both policies are retained on delete", () => {
        for (const [type, name] of [
            [KEY_POLICY, "share-key-policy"],
            [SECRET_POLICY, "share-MySecret-policy"],
        ]) {
            expect(optionsOf(owner, type, name), name).to.deep.include({ retainOnDelete: true });
            expect(optionsOf(owner, type, name)?.import, name).to.equal(undefined);
        }
    });

    it("proves Stuart reads AWSCURRENT, the other team keeps its access, and AWSPREVIOUS stays denied", async () => {
        const key = { name: "key policy", policy: doc(owner, KEY_POLICY, "share-key-policy") };
        const secret = { name: "secret policy", policy: doc(owner, SECRET_POLICY, "share-MySecret-policy") };
        const stuart = [
            { name: "Stuart", policy: doc(consumer, "aws:iam/userPolicy:UserPolicy", "secondary-Stuart-read") },
        ];
        const payments = [
            {
                name: "payments",
                policy: {
                    Version: "2012-10-17",
                    Statement: [
                        { Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "kms:Decrypt"], Resource: "*" },
                    ],
                },
            },
        ];
        const read = (principal: string, identityPolicies: typeof stuart, stage: string) =>
            simulate({
                principal,
                action: "secretsmanager:GetSecretValue",
                resource: EXAMPLE_SECRET_ARN,
                context: { "secretsmanager:VersionStage": stage },
                identityPolicies,
                resourcePolicy: secret,
            });
        const decrypt = (principal: string, identityPolicies: typeof stuart) =>
            simulate({
                principal,
                action: "kms:Decrypt",
                resource: EXAMPLE_KEY_ARN,
                context: { "kms:ViaService": SM, "kms:EncryptionContext:SecretARN": EXAMPLE_SECRET_ARN },
                identityPolicies,
                resourcePolicy: key,
            });
        const results = await Promise.all([
            read(STUART, stuart, "AWSCURRENT"),
            decrypt(STUART, stuart),
            read("arn:aws:iam::333333333333:role/payments", payments, "AWSCURRENT"),
            decrypt("arn:aws:iam::333333333333:role/payments", payments),
            read(STUART, stuart, "AWSPREVIOUS"),
        ]);
        expect(results.map((r) => [r.decision, r.ignoredContextKeys, r.error])).to.deep.equal([
            ["Allowed", [], undefined],
            ["Allowed", [], undefined],
            ["Allowed", [], undefined],
            ["Allowed", [], undefined],
            ["ImplicitlyDenied", [], undefined],
        ]);
    });
});

describe("existing resources: re-running and changing the config", () => {
    it("a second run over what the first one wrote gives identical documents (no diff)", async () => {
        const first = await primary();
        const second = await primary({}, worldAfter(first, EXAMPLE_WORLD));
        for (const [type, name] of [
            [KEY_POLICY, "share-key-policy"],
            [SECRET_POLICY, "share-MySecret-policy"],
        ]) {
            expect(resource(second, type, name).inputs.policy, name).to.equal(
                resource(first, type, name).inputs.policy,
            );
        }
    });

    it("replaces statements of ours an earlier run left, and keeps a statement someone appended after them", async () => {
        const first = await primary();
        const after = worldAfter(first, EXAMPLE_WORLD);
        const stored = JSON.parse(String(after.keys?.[0].policy)) as { Statement: Record<string, unknown>[] };
        // An earlier version granted Bob; then another team appended its own statement.
        stored.Statement.splice(4, 0, {
            ...stored.Statement[4],
            Sid: `${SID_PREFIX}DecryptBob`,
            Condition: { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Bob" } },
        });
        const appended = {
            Sid: "LateComer",
            Effect: "Allow",
            Principal: { AWS: ROOT },
            Action: "kms:Encrypt",
            Resource: "*",
        };
        stored.Statement.push(appended);
        const world = { ...after, keys: [{ ...EXAMPLE_WORLD.keys![0], policy: stored }] };
        const next = doc(await primary({}, world), KEY_POLICY, "share-key-policy");
        expect(sids(next)).to.deep.equal([
            ...EXAMPLE_KEY_POLICY.Statement.map((s) => s.Sid),
            `${SID_PREFIX}Decrypt73534949`,
            `${SID_PREFIX}DescribeKey`,
            "LateComer",
        ]);
        expect(JSON.stringify(next)).not.to.include("user/Bob");
    });

    it("a consumer removed from config loses only its statements", async () => {
        const two = {
            "secretshare:consumers": {
                secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
                third: { accountId: "444444444444", readers: [{ role: "Reader", existing: true }] },
            },
            "secretshare:secrets": [
                { name: "MySecret", existing: true, readers: ["secondary/Stuart", "third/Reader"] },
            ],
        };
        const withThird = await primary(two);
        expect(JSON.stringify(doc(withThird, KEY_POLICY, "share-key-policy"))).to.include("444444444444:role/Reader");
        const without = await primary({}, worldAfter(withThird, EXAMPLE_WORLD));
        const fresh = await primary();
        for (const [type, name] of [
            [KEY_POLICY, "share-key-policy"],
            [SECRET_POLICY, "share-MySecret-policy"],
        ]) {
            const d = doc(without, type, name);
            expect(JSON.stringify(d), name).not.to.include("444444444444");
            expect(resource(without, type, name).inputs.policy, name).to.equal(
                resource(fresh, type, name).inputs.policy,
            );
        }
        expect(ours(doc(without, KEY_POLICY, "share-key-policy"))).to.have.length(2);
    });
});

describe("existing resources: revoking the share of an existing secret", () => {
    it("readers: [] removes all of our statements from the key and the secret, keeping every foreign one", async () => {
        const first = await primary();
        const revoked = await primary(
            {
                "secretshare:secrets": [
                    { name: "MySecret", existing: true, readers: [] },
                    { name: "Other", username: "bob", readers: ["secondary/Stuart"] },
                ],
            },
            worldAfter(first, EXAMPLE_WORLD),
        );
        expect(doc(revoked, SECRET_POLICY, "share-MySecret-policy").Statement).to.deep.equal(
            EXAMPLE_SECRET_POLICY.Statement,
        );
        const key = doc(revoked, KEY_POLICY, "share-key-policy");
        expect(key.Statement.slice(0, 4)).to.deep.equal(EXAMPLE_KEY_POLICY.Statement);
        expect(JSON.stringify(ours(key))).not.to.include("secret:MySecret-");
        expect(JSON.stringify(ours(key))).to.include("secret:Other-");
        expect(revoked.outputs.grants).to.deep.equal({
            secondary: {
                accountId: "222222222222",
                readers: [{ kind: "user", name: "Stuart", path: "/", existing: true, arn: STUART, secrets: ["Other"] }],
            },
        });
    });

    it("refuses to leave a secret with an empty resource policy, and says how to remove it", async () => {
        // The secret's policy holds nothing but what an earlier run of this program wrote.
        const written = doc(await primary(), SECRET_POLICY, "share-MySecret-policy");
        const onlyOurs: ExistingWorld = {
            ...EXAMPLE_WORLD,
            secrets: [{ ...EXAMPLE_WORLD.secrets![0], policy: { Version: "2012-10-17", Statement: ours(written) } }],
        };
        const message = await errorOf(() =>
            primary(
                {
                    "secretshare:secrets": [
                        { name: "MySecret", existing: true, readers: [] },
                        { name: "Other", username: "bob", readers: ["secondary/Stuart"] },
                    ],
                },
                onlyOurs,
            ),
        );
        expect(message).to.include(
            `secretshare:secrets[0] (MySecret): its resource policy would be left with no statement (AWS refuses an empty policy). Delete it (aws secretsmanager delete-resource-policy --secret-id ${EXAMPLE_SECRET_ARN}), then remove the secret from secretshare:secrets.`,
        );
    });
});

describe("existing resources: refusals at run time", () => {
    const lockedWorld: ExistingWorld = {
        ...EXAMPLE_WORLD,
        keys: [
            {
                ...EXAMPLE_WORLD.keys![0],
                // The only admin statement is one this program wrote when it still created the key.
                policy: {
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Sid: `${SID_PREFIX}OwnerAdministers`,
                            Effect: "Allow",
                            Principal: { AWS: ROOT },
                            Action: "kms:*",
                            Resource: "*",
                        },
                        {
                            Sid: "AppUse",
                            Effect: "Allow",
                            Principal: { AWS: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/AppServer` },
                            Action: "kms:Decrypt",
                            Resource: "*",
                        },
                    ],
                },
            },
        ],
    };

    it("refuses a key policy that would lock the owner out, before registering anything", async () => {
        const mocks = new AwsMocks({}, lockedWorld);
        const message = await errorOf(() => run("primary", SEED_EXISTING, { mocks }));
        expect(message).to.include(
            `cannot share the existing resources named in the config of stack "primary":\n  - refusing to write the key policy of alias/MyKey: it would no longer allow kms:PutKeyPolicy to ${ROOT}, so nobody could change the key policy again.`,
        );
        expect(mocks.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
    });

    it("checks configured admins: named in the key policy, or delegated through their account root", async () => {
        const admin = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/KeyAdmin`;
        await primary({ "secretshare:key": { existing: "alias/MyKey", admins: [admin] } });
        // Where the root is not granted, an admin must be named: AppServer may only use the key.
        const app = `arn:aws:iam::${PRIMARY_ACCOUNT}:role/AppServer`;
        expect(
            await errorOf(() =>
                primary({ "secretshare:key": { existing: "alias/MyKey", admins: [app] } }, lockedWorld),
            ),
        ).to.include(`it would no longer allow kms:PutKeyPolicy to ${app}, so nobody could change`);
        const elsewhere = "arn:aws:iam::999999999999:role/KeyAdmin";
        expect(
            await errorOf(() =>
                primary({ "secretshare:key": { existing: "alias/MyKey", admins: [admin, elsewhere] } }),
            ),
        ).to.include(`it would no longer allow kms:PutKeyPolicy to ${elsewhere}, so nobody could change`);
    });

    it("refuses a secret encrypted with aws/secretsmanager, and an AWS managed or disabled key", async () => {
        const legacy = "arn:aws:secretsmanager:us-east-1:111111111111:secret:Legacy-Qw12Er";
        const world: ExistingWorld = { ...EXAMPLE_WORLD, secrets: [...EXAMPLE_WORLD.secrets!, { arn: legacy }] };
        const secrets = [{ name: "Legacy", existing: true, readers: ["secondary/Stuart"] }];
        expect(await errorOf(() => primary({ "secretshare:secrets": secrets }, world))).to.include(
            `  - secretshare:secrets[0] (Legacy): secret Legacy is encrypted with the AWS managed key aws/secretsmanager (no KmsKeyId set), which cannot be shared: another account can never decrypt it. To share it, set reencrypt: true on the secret in secretshare:secrets to re-encrypt it under ${EXAMPLE_KEY_ARN} (Secrets Manager re-encrypts its AWSCURRENT, AWSPENDING and AWSPREVIOUS versions), or create a new secret with this program.`,
        );
        const awsKey: ExistingWorld = {
            ...EXAMPLE_WORLD,
            keys: [
                {
                    arn: "arn:aws:kms:us-east-1:111111111111:key/aaaaaaaa-0000-4000-8000-111111111111",
                    keyManager: "AWS",
                    policy: {},
                },
            ],
        };
        expect(
            await errorOf(() =>
                primary({ "secretshare:key": { existing: "aaaaaaaa-0000-4000-8000-111111111111" } }, awsKey),
            ),
        ).to.include(
            'secretshare:key.existing = "aaaaaaaa-0000-4000-8000-111111111111": aaaaaaaa-0000-4000-8000-111111111111 (arn:aws:kms:us-east-1:111111111111:key/aaaaaaaa-0000-4000-8000-111111111111) is an AWS managed key',
        );
        const disabled: ExistingWorld = {
            ...EXAMPLE_WORLD,
            keys: [{ ...EXAMPLE_WORLD.keys![0], keyState: "Disabled" }],
        };
        expect(await errorOf(() => primary({}, disabled))).to.include(
            `is disabled: Secrets Manager could not encrypt with it and readers could not decrypt. Enable it (aws kms enable-key --key-id ${EXAMPLE_WORLD.keys![0].arn}), then run again`,
        );
    });

    it("says what was not found, in which account and region", async () => {
        expect(await errorOf(() => primary({ "secretshare:key": { existing: "alias/Nope" } }))).to.include(
            'secretshare:key.existing = "alias/Nope": no such key in account 111111111111, us-east-1 (reading KMS Key (alias/Nope): operation error KMS: DescribeKey, NotFoundException: Alias arn:aws:kms:us-east-1:111111111111:alias/Nope is not found.)',
        );
        expect(
            await errorOf(() =>
                primary({ "secretshare:secrets": [{ name: "Nope", existing: true, readers: ["secondary/Stuart"] }] }),
            ),
        ).to.include('secretshare:secrets[0] = "Nope": no such secret in account 111111111111, us-east-1');
    });

    it("refuses a merged document over its size limit, naming it and its size", async () => {
        const filler = Array.from({ length: 90 }, (_, i) => ({
            Sid: `Team${i}`,
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::333333333333:role/team-${i}-${"x".repeat(100)}` },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
        }));
        const world: ExistingWorld = {
            ...EXAMPLE_WORLD,
            secrets: [{ ...EXAMPLE_WORLD.secrets![0], policy: { Version: "2012-10-17", Statement: filler } }],
        };
        expect(await errorOf(() => primary({}, world))).to.match(
            /resource policy of secret MySecret would be 2\d{4} of 20480 characters with this program's statements added to the 90 already there/,
        );
    });
});

describe("existing resources: mixing existing and created, and adopting", () => {
    it("an existing key with an existing and a created secret: only the new secret is created, under that key", async () => {
        const r = await primary({
            "secretshare:secrets": [
                { name: "MySecret", existing: true, readers: ["secondary/Stuart"] },
                { name: "NewSecret", username: "bob", readers: ["secondary/Stuart"] },
            ],
        });
        expect(ofType(r, "aws:kms/key:Key")).to.deep.equal([]);
        expect(ofType(r, "aws:secretsmanager/secret:Secret").map((s) => [s.name, s.inputs.kmsKeyId])).to.deep.equal([
            ["share-NewSecret", EXAMPLE_KEY_ARN],
        ]);
        expect(ofType(r, "aws:secretsmanager/secretVersion:SecretVersion").map((s) => s.name)).to.deep.equal([
            "share-NewSecret-value",
        ]);
        expect(ofType(r, SECRET_POLICY).map((s) => s.name)).to.deep.equal([
            "share-MySecret-policy",
            "share-NewSecret-policy",
        ]);
        expect(doc(r, SECRET_POLICY, "share-NewSecret-policy").Statement.map((s) => s.Sid)).to.deep.equal([
            `${SID_PREFIX}ReadCurrent`,
        ]);
        const key = JSON.stringify(doc(r, KEY_POLICY, "share-key-policy"));
        expect(key).to.include("secret:MySecret-??????").and.to.include("secret:NewSecret-??????");
        expect(r.outputs.secretArns).to.have.property("MySecret", EXAMPLE_SECRET_ARN);
    });

    it("a created key with an existing secret under another key: refused, unless reencrypt adopts it under the new key", async () => {
        const created = { "secretshare:key": { alias: "MyKey" } };
        expect(await errorOf(() => primary(created))).to.include(
            `secretshare:secrets[0] (MySecret): secret MySecret is encrypted with KMS key ${EXAMPLE_KEY_ARN}, which this stack does not manage (it creates its own key). Name ${EXAMPLE_KEY_ARN} in secretshare:key.existing to share the secret under its own key, or set reencrypt: true`,
        );
        const r = await primary({
            ...created,
            "secretshare:secrets": [
                { name: "MySecret", existing: true, reencrypt: true, readers: ["secondary/Stuart"] },
            ],
        });
        const key = resource(r, "aws:kms/key:Key", "share-key");
        const secret = resource(r, "aws:secretsmanager/secret:Secret", "share-MySecret");
        expect(secret.inputs).to.deep.equal({ name: "MySecret", kmsKeyId: key.state.arn });
        expect(secret.id).to.equal(EXAMPLE_SECRET_ARN);
        expect(optionsOf(r, "aws:secretsmanager/secret:Secret", "share-MySecret")).to.deep.include({
            import: EXAMPLE_SECRET_ARN,
            retainOnDelete: true,
        });
        expect(ofType(r, "aws:secretsmanager/secretVersion:SecretVersion")).to.deep.equal([]);
        // A created key's policy is ours alone; the existing secret's keeps its foreign statements.
        expect(sids(policyOf(key))[0]).to.equal(`${SID_PREFIX}OwnerAdministers`);
        expect(doc(r, SECRET_POLICY, "share-MySecret-policy").Statement.slice(0, 2)).to.deep.equal(
            EXAMPLE_SECRET_POLICY.Statement,
        );
    });

    it("adopts the existing key and secret: imported, retained, with the live inputs and no replacement", async () => {
        const r = await primary({
            "secretshare:key": { existing: EXAMPLE_KEY_ARN, adopt: true },
            "secretshare:secrets": [{ arn: EXAMPLE_SECRET_ARN, adopt: true, readers: ["secondary/Stuart"] }],
        });
        const key = resource(r, "aws:kms/key:Key", "share-key");
        expect(key.inputs).to.deep.equal({ description: "MyKey" });
        expect(key.id).to.equal(EXAMPLE_KEY_ID);
        const keyOptions = optionsOf(r, "aws:kms/key:Key", "share-key");
        expect(keyOptions).to.deep.include({ import: EXAMPLE_KEY_ID, retainOnDelete: true });
        expect(keyOptions?.ignoreChanges).to.include.members([
            "policy",
            "enableKeyRotation",
            "deletionWindowInDays",
            "description",
        ]);
        expect(ofType(r, "aws:kms/alias:Alias")).to.deep.equal([]);
        expect(resource(r, KEY_POLICY, "share-key-policy").inputs.keyId).to.equal(EXAMPLE_KEY_ID);
        const secret = resource(r, "aws:secretsmanager/secret:Secret", "share-MySecret");
        expect(secret.inputs).to.deep.equal({ name: "MySecret", kmsKeyId: EXAMPLE_KEY_ARN });
        expect(optionsOf(r, "aws:secretsmanager/secret:Secret", "share-MySecret")).to.deep.include({
            import: EXAMPLE_SECRET_ARN,
            retainOnDelete: true,
        });
        expect(r.outputs).to.deep.include({ keyArn: EXAMPLE_KEY_ARN, secretArn: EXAMPLE_SECRET_ARN });
        expect(doc(r, KEY_POLICY, "share-key-policy").Statement.slice(0, 4)).to.deep.equal(
            EXAMPLE_KEY_POLICY.Statement,
        );
    });

    it("the committed stack files (everything created) are unchanged by this feature", async () => {
        const r = await run("primary", { "secretshare:watch": { enabled: false } });
        expect(r.mocks.reads).to.deep.equal([]);
        expect(ofType(r, KEY_POLICY)).to.deep.equal([]);
        expect(ofType(r, "aws:kms/key:Key")).to.have.length(1);
        expect(optionsOf(r, "aws:kms/key:Key", "share-key")?.import).to.equal(undefined);
    });
});

import { spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import type { ResourceValidationArgs } from "@pulumi/policy";
import * as analyzerGrpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { expect } from "chai";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import {
    POLICIES,
    TYPES,
    checkBlockPublicPolicy,
    checkIdentityPolicyArns,
    checkKeyPolicyPrincipals,
    checkKeyRotation,
    checkProviderAccounts,
    checkSecretInlinePolicyPrincipals,
    checkSecretKey,
    checkSecretPolicyPrincipals,
} from "../../guardrails/rules";
import { identityPolicy, keyPolicy, secretResourcePolicy } from "../../policies/documents";
import { PRIMARY_STACK_REF, ROOT, run, runSeed, type StackRun } from "../mocks";

/**
 * The policy pack in guardrails/: each rule with a resource that passes and one that fails with its
 * message; the pack's own entry point (validateResource) with a fake args object; every resource
 * the real program registers passes; and the pack as Pulumi's runner serves it, over gRPC.
 */

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf";
const KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000";
const STUART = "arn:aws:iam::222222222222:user/Stuart";

const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: "2012-10-17", Statement });
const read = (extra: Record<string, unknown>) => ({
    Effect: "Allow",
    Action: "secretsmanager:GetSecretValue",
    Resource: "*",
    ...extra,
});

class NotApplicable extends Error {}

interface Analysis {
    violations: { policy: string; message: string }[];
    notApplicable: string[];
}

/** Runs every policy of the pack on one resource, as the policy server would (without unknowns). */
async function analyze(type: string, name: string, props: Record<string, unknown>): Promise<Analysis> {
    const result: Analysis = { violations: [], notApplicable: [] };
    for (const p of POLICIES) {
        const args: ResourceValidationArgs = {
            type,
            name,
            props,
            urn: `urn:pulumi:test::secretshare::${type}::${name}`,
            opts: {
                protect: false,
                ignoreChanges: [],
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: [],
            },
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig: <T extends object>() => ({}) as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason);
            },
        };
        const validations = ([] as unknown[]).concat(p.validateResource ?? []) as ((
            a: ResourceValidationArgs,
            report: (m: string) => void,
        ) => Promise<void> | void)[];
        try {
            for (const v of validations) {
                await v(args, (message) => result.violations.push({ policy: p.name, message }));
            }
        } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
            result.notApplicable.push(p.name);
        }
    }
    return result;
}

describe("policy pack: the rules", () => {
    describe("secret-customer-managed-key", () => {
        it("passes a secret with a customer managed key", () => {
            expect(checkSecretKey({ name: "MySecret", kmsKeyId: KEY_ARN }, "share-MySecret")).to.deep.equal([]);
        });
        it("fails a secret without kmsKeyId", () => {
            expect(checkSecretKey({ name: "MySecret" }, "share-MySecret")).to.deep.equal([
                "secret MySecret has no kmsKeyId, so Secrets Manager encrypts it with the AWS managed key aws/secretsmanager, " +
                    "which no other account can use: set kmsKeyId to the ARN of a customer managed key",
            ]);
        });
        it("fails a secret on the AWS managed key, by alias name or alias ARN", () => {
            expect(checkSecretKey({ kmsKeyId: "alias/aws/secretsmanager" }, "share-MySecret")).to.deep.equal([
                "secret share-MySecret is encrypted with the AWS managed key alias/aws/secretsmanager, which no other account can use: " +
                    "set kmsKeyId to the ARN of a customer managed key",
            ]);
            const arn = "arn:aws:kms:us-east-1:111111111111:alias/aws/secretsmanager";
            expect(checkSecretKey({ name: "MySecret", kmsKeyId: arn }, "x")[0]).to.contain(`AWS managed key ${arn},`);
            expect(checkSecretKey({ kmsKeyId: "arn:aws:kms:us-east-1:111111111111:alias/MyKey" }, "x")).to.deep.equal(
                [],
            );
        });
    });

    describe("secret-policy-block-public", () => {
        it("passes blockPublicPolicy: true", () => {
            expect(checkBlockPublicPolicy({ blockPublicPolicy: true }, "share-MySecret-policy")).to.deep.equal([]);
        });
        it("fails false or unset", () => {
            expect(checkBlockPublicPolicy({ blockPublicPolicy: false }, "share-MySecret-policy")).to.deep.equal([
                "secret policy share-MySecret-policy sets blockPublicPolicy to false: set blockPublicPolicy: true, so Secrets Manager " +
                    "refuses a policy that would make the secret public (AWS does not block them unless asked)",
            ]);
            expect(checkBlockPublicPolicy({}, "p")[0]).to.contain("sets blockPublicPolicy to nothing:");
        });
    });

    describe("no-public-principal", () => {
        const publicMessage = (where: string, principal: string, action = "secretsmanager:GetSecretValue") =>
            `${where}: Principal ${principal} allows ${action} to any AWS account without a condition that restricts the caller ` +
            "(aws:PrincipalArn, aws:PrincipalAccount or aws:PrincipalOrgID with exact values); name the readers instead";

        it("passes the program's own secret and key policies, in both principal forms", () => {
            for (const principalForm of ["account-root", "principal-arn"] as const) {
                const secretPolicy = secretResourcePolicy({
                    partition: "aws",
                    readerArns: [STUART],
                    principalForm,
                    acceptDefaultStage: true,
                });
                expect(checkSecretPolicyPrincipals({ policy: JSON.stringify(secretPolicy) }, "p")).to.deep.equal([]);
                const key = keyPolicy({
                    partition: "aws",
                    region: "us-east-1",
                    ownerAccountId: "111111111111",
                    grants: [{ readerArn: STUART, secretArns: [SECRET_ARN] }],
                    principalForm,
                    grantDescribeKey: true,
                });
                expect(checkKeyPolicyPrincipals({ policy: JSON.stringify(key) }, "k")).to.deep.equal([]);
            }
        });

        it('passes Principal "*" narrowed to exact accounts, principals or an organization', () => {
            for (const condition of [
                { StringEquals: { "aws:PrincipalOrgID": "o-abc123def4" } },
                { StringEquals: { "aws:PrincipalAccount": ["222222222222"] } },
                { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/app-*" } },
                { "ForAnyValue:StringLike": { "aws:PrincipalOrgPaths": "o-abc123def4/r-ab12/ou-ab12-11111111/*" } },
            ]) {
                const policy = doc(read({ Principal: "*", Condition: condition }));
                expect(checkSecretPolicyPrincipals({ policy }, "p"), JSON.stringify(condition)).to.deep.equal([]);
            }
            expect(
                checkSecretPolicyPrincipals({ policy: doc({ ...read({ Principal: "*" }), Effect: "Deny" }) }, "p"),
            ).to.deep.equal([]);
        });

        it('fails Principal "*" with no condition, naming the statement', () => {
            const policy = doc(read({ Sid: "Everyone", Principal: "*" }));
            expect(checkSecretPolicyPrincipals({ policy }, "share-MySecret-policy")).to.deep.equal([
                publicMessage('secret policy share-MySecret-policy, statement "Everyone"', '"*"'),
            ]);
        });

        it("fails a wildcard account, and conditions that do not restrict the caller", () => {
            const wildcardAccount = { AWS: ["arn:aws:iam::*:root"] };
            for (const condition of [
                undefined,
                { StringNotEquals: { "aws:PrincipalAccount": "333333333333" } },
                { "ForAllValues:StringEquals": { "aws:PrincipalArn": STUART } },
                { StringEqualsIfExists: { "aws:PrincipalAccount": "222222222222" } },
                { StringLike: { "aws:PrincipalArn": "arn:aws:iam::*:user/Stuart" } },
                { StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } },
            ]) {
                const policy = doc(read({ Principal: wildcardAccount, Condition: condition }));
                expect(checkSecretPolicyPrincipals({ policy }, "p"), JSON.stringify(condition)).to.deep.equal([
                    publicMessage("secret policy p, statement 1", '"arn:aws:iam::*:root"'),
                ]);
            }
        });

        it("fails Allow with NotPrincipal, and a policy that is not JSON", () => {
            const policy = doc(read({ NotPrincipal: { AWS: STUART } }));
            expect(checkSecretPolicyPrincipals({ policy }, "p")).to.deep.equal([
                "secret policy p, statement 1: Allow with NotPrincipal grants everyone but the principals it lists; name the principals in Principal",
            ]);
            expect(checkSecretPolicyPrincipals({ policy: "{" }, "p")).to.deep.equal([
                "secret policy p: the policy is not valid JSON",
            ]);
        });

        it("checks key policies and a secret's own policy too", () => {
            const policy = doc({
                Sid: "Open",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: "kms:Decrypt",
                Resource: "*",
            });
            expect(checkKeyPolicyPrincipals({ policy }, "share-key")).to.deep.equal([
                publicMessage('key policy of share-key, statement "Open"', '"*"', "kms:Decrypt"),
            ]);
            expect(checkKeyPolicyPrincipals({}, "share-key")).to.deep.equal([]);
            expect(
                checkSecretInlinePolicyPrincipals({ policy: doc(read({ Principal: "*" })) }, "share-MySecret"),
            ).to.deep.equal([publicMessage("secret share-MySecret, statement 1", '"*"')]);
            expect(checkSecretInlinePolicyPrincipals({ name: "MySecret" }, "share-MySecret")).to.deep.equal([]);
        });
    });

    describe("kms-key-rotation", () => {
        it("passes enableKeyRotation: true", () => {
            expect(checkKeyRotation({ enableKeyRotation: true }, "share-key")).to.deep.equal([]);
        });
        it("fails false or unset", () => {
            expect(checkKeyRotation({ enableKeyRotation: false }, "share-key")).to.deep.equal([
                "KMS key share-key sets enableKeyRotation to false: set enableKeyRotation: true " +
                    "(KMS then rotates the key material yearly; secrets stay readable)",
            ]);
            expect(checkKeyRotation({}, "share-key")[0]).to.contain("sets enableKeyRotation to nothing:");
        });
    });

    describe("identity-policy-exact-arns", () => {
        it("passes the program's identity policy", () => {
            const policy = identityPolicy({
                region: "us-east-1",
                grants: [{ secretArn: SECRET_ARN, keyArn: KEY_ARN }],
            });
            expect(checkIdentityPolicyArns({ policy: JSON.stringify(policy) }, "secondary-Stuart-read")).to.deep.equal(
                [],
            );
            // Statements about other actions are not this rule's business.
            expect(
                checkIdentityPolicyArns(
                    { policy: doc({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }) },
                    "x",
                ),
            ).to.deep.equal([]);
        });

        it('fails Resource "*" for GetSecretValue and Decrypt, also through service wildcards', () => {
            const policy = doc(
                { Sid: "Read", Effect: "Allow", Action: "secretsmanager:*", Resource: "*" },
                { Sid: "Decrypt", Effect: "Allow", Action: ["kms:Decrypt"], Resource: ["*"] },
            );
            expect(checkIdentityPolicyArns({ policy }, "secondary-Stuart-read")).to.deep.equal([
                'identity policy secondary-Stuart-read, statement "Read" allows secretsmanager:GetSecretValue on "*": name the exact ARN ' +
                    "of each secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), no wildcard",
                'identity policy secondary-Stuart-read, statement "Decrypt" allows kms:Decrypt on "*": name the exact ARN of each key ' +
                    "(arn:aws:kms:<region>:<account>:key/<key id>), no wildcard",
            ]);
        });

        it("fails ARN patterns, alias ARNs, NotResource and NotAction", () => {
            const pattern = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-??????";
            const alias = "arn:aws:kms:us-east-1:111111111111:alias/MyKey";
            const policy = doc(
                { Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET_ARN, pattern] },
                { Effect: "Allow", Action: "kms:Decrypt", Resource: alias },
                { Effect: "Allow", Action: "kms:Decrypt", NotResource: KEY_ARN },
                { Effect: "Allow", NotAction: "iam:*", Resource: SECRET_ARN },
            );
            expect(checkIdentityPolicyArns({ policy }, "p")).to.deep.equal([
                `identity policy p, statement 1 allows secretsmanager:GetSecretValue on "${pattern}": name the exact ARN of each secret ` +
                    "(arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>), no wildcard",
                `identity policy p, statement 2 allows kms:Decrypt on "${alias}": name the exact ARN of each key ` +
                    "(arn:aws:kms:<region>:<account>:key/<key id>), no wildcard",
                "identity policy p, statement 3 allows kms:Decrypt through NotResource: list the exact ARN of each key " +
                    "(arn:aws:kms:<region>:<account>:key/<key id>) in Resource",
                `identity policy p, statement 4 allows kms:Decrypt on "${SECRET_ARN}": name the exact ARN of each key ` +
                    "(arn:aws:kms:<region>:<account>:key/<key id>), no wildcard",
            ]);
        });
    });

    describe("provider-allowed-account-ids", () => {
        it("passes a provider pinned to an account, JSON-encoded as the SDK sends it or as a list", () => {
            expect(checkProviderAccounts({ allowedAccountIds: '["111111111111"]' }, "owner")).to.deep.equal([]);
            expect(checkProviderAccounts({ allowedAccountIds: ["222222222222"] }, "consumer-secondary")).to.deep.equal(
                [],
            );
        });
        it("fails a provider without allowedAccountIds, with a hint for the default provider", () => {
            expect(checkProviderAccounts({ region: "us-east-1" }, "owner")).to.deep.equal([
                "AWS provider owner does not pin allowedAccountIds: with credentials for another account it would deploy there. " +
                    "Set allowedAccountIds to the account it deploys to.",
            ]);
            expect(checkProviderAccounts({ allowedAccountIds: "[]" }, "default_7_48_0")[0]).to.match(
                /deploys to\. This is the default provider: set pulumi:disable-default-providers: \[aws\] in the stack file/,
            );
            expect(checkProviderAccounts({ allowedAccountIds: '["1111"]' }, "owner")).to.deep.equal([
                'AWS provider owner has allowedAccountIds "1111": expected 12-digit account IDs',
            ]);
        });
    });
});

describe("policy pack: validateResource", () => {
    it("reports each violation under its policy and is not applicable to other types", async () => {
        const result = await analyze(TYPES.secretPolicy, "share-MySecret-policy", {
            secretArn: SECRET_ARN,
            blockPublicPolicy: false,
            policy: doc(read({ Principal: "*" })),
        });
        expect(result.violations.map((v) => v.policy)).to.deep.equal([
            "secret-policy-block-public",
            "no-public-principal",
        ]);
        expect(result.violations[1].message).to.match(
            /^secret policy share-MySecret-policy, statement 1: Principal "\*"/,
        );
        expect(result.notApplicable).to.deep.equal([
            "secret-customer-managed-key",
            "kms-key-rotation",
            "kms-key-rotation-adopted",
            "identity-policy-exact-arns",
            "secret-rotation-schedule",
            "provider-allowed-account-ids",
        ]);
    });

    it("has eight policies with unique names, all mandatory but the adopted keys' rotation warning", () => {
        expect(POLICIES.map((p) => p.name)).to.deep.equal([
            "secret-customer-managed-key",
            "secret-policy-block-public",
            "no-public-principal",
            "kms-key-rotation",
            "kms-key-rotation-adopted",
            "identity-policy-exact-arns",
            "secret-rotation-schedule",
            "provider-allowed-account-ids",
        ]);
        expect(POLICIES.filter((p) => p.enforcementLevel !== "mandatory").map((p) => p.name)).to.deep.equal([
            "kms-key-rotation-adopted",
        ]);
    });
});

describe("policy pack: the program's own resources", () => {
    /** Every resource and explicit provider of a run, through every policy. */
    async function analyzeRun(r: StackRun) {
        const applied = new Map<string, number>();
        const violations: string[] = [];
        const all = [
            ...r.resources.filter((x) => x.custom).map((x) => ({ type: x.type, name: x.name, props: x.inputs })),
            ...[...r.mocks.providers.values()].map((p) => ({ type: TYPES.awsProvider, name: p.name, props: p.inputs })),
        ];
        for (const x of all) {
            const result = await analyze(x.type, x.name, x.props);
            for (const p of POLICIES.map((q) => q.name).filter((n) => !result.notApplicable.includes(n))) {
                applied.set(p, (applied.get(p) ?? 0) + 1);
            }
            violations.push(
                ...result.violations.map((v) => `${r.stack} ${x.type} ${x.name}: [${v.policy}] ${v.message}`),
            );
        }
        return { applied, violations };
    }

    it("the committed seed stacks (primary, secondary) pass every policy", async () => {
        const { primary, secondary } = await runSeed();
        const owner = await analyzeRun(primary);
        const consumer = await analyzeRun(secondary);
        expect([...owner.violations, ...consumer.violations]).to.deep.equal([]);
        for (const name of [
            "secret-customer-managed-key",
            "secret-policy-block-public",
            "no-public-principal",
            "kms-key-rotation",
            "provider-allowed-account-ids",
        ]) {
            expect(owner.applied.get(name) ?? 0, `${name} ran on primary`).to.be.greaterThan(0);
        }
        expect(consumer.applied.get("identity-policy-exact-arns") ?? 0).to.be.greaterThan(0);
        expect(consumer.applied.get("provider-allowed-account-ids") ?? 0).to.be.greaterThan(0);
    });

    it("so do the principal-arn form, one key per secret and a role reader", async () => {
        const primary = await run("primary", {
            "secretshare:consumers": {
                // principal-arn names readers as Principal, so they must already exist.
                secondary: {
                    accountId: "222222222222",
                    readers: [
                        { user: "Stuart", existing: true },
                        { role: "app", existing: true },
                    ],
                },
            },
            "secretshare:secrets": [
                { name: "MySecret", username: "Alice", readers: ["secondary/Stuart", "secondary/app"] },
                { name: "Other", username: "Bob", readers: ["secondary/app"] },
            ],
            "secretshare:key": { alias: "MyKey", perSecret: true },
            "secretshare:secretPolicy": { principalForm: "principal-arn" },
        });
        const secondary = await run("secondary", {}, { stacks: { [PRIMARY_STACK_REF]: primary.outputs } });
        const owner = await analyzeRun(primary);
        const consumer = await analyzeRun(secondary);
        expect([...owner.violations, ...consumer.violations]).to.deep.equal([]);
        expect(owner.applied.get("kms-key-rotation")).to.be.greaterThanOrEqual(2);
        expect(consumer.applied.get("identity-policy-exact-arns")).to.be.greaterThanOrEqual(2);
    });
});

describe("policy pack: as Pulumi runs it", function () {
    // Pulumi's runner type-checks the pack with ts-node before it serves: several seconds.
    this.timeout(120000);

    it("run-policy-pack serves it from policy/ and Analyze reports violations; unknowns are advisory", async () => {
        // As the CLI does: @pulumi/pulumi/cmd/run-policy-pack with the pack directory as working
        // directory, so every import resolves from the repository's node_modules.
        const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", {
            paths: [path.join(ROOT, "guardrails")],
        });
        const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: path.join(ROOT, "guardrails") });
        try {
            const port = await new Promise<string>((resolve, reject) => {
                let out = "";
                let err = "";
                child.stdout.on("data", (d: Buffer) => {
                    out += d.toString();
                    const m = /^(\d+)\s*$/m.exec(out);
                    if (m) resolve(m[1]);
                });
                child.stderr.on("data", (d: Buffer) => (err += d.toString()));
                child.on("exit", (code) => reject(new Error(`the pack exited (${code}) before serving: ${err}`)));
            });
            const Client = grpc.makeGenericClientConstructor(analyzerGrpc.AnalyzerService, "Analyzer");
            const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            const call = (type: string, name: string, props: Record<string, unknown>, ignoreChanges: string[] = []) => {
                const req = new analyzerPb.AnalyzeRequest();
                req.setType(type);
                req.setName(name);
                req.setUrn(`urn:pulumi:primary::secretshare::${type}::${name}`);
                req.setProperties(Struct.fromJavaScript(props as Record<string, never>));
                const options = new analyzerPb.AnalyzerResourceOptions();
                options.setIgnorechangesList(ignoreChanges);
                req.setOptions(options);
                return new Promise<analyzerPb.AnalyzeResponse.AsObject>((resolve, reject) =>
                    (
                        client as unknown as {
                            analyze: (
                                r: analyzerPb.AnalyzeRequest,
                                cb: (e: Error | null, res: analyzerPb.AnalyzeResponse) => void,
                            ) => void;
                        }
                    ).analyze(req, (e, res) => (e ? reject(e) : resolve(res.toObject()))),
                );
            };

            const bad = await call(TYPES.secretPolicy, "share-MySecret-policy", {
                secretArn: SECRET_ARN,
                blockPublicPolicy: false,
                policy: doc(read({ Principal: "*" })),
            });
            expect(bad.diagnosticsList.map((d) => [d.policyname, d.policypackname, d.enforcementlevel])).to.deep.equal([
                ["secret-policy-block-public", "secretshare", analyzerPb.EnforcementLevel.MANDATORY],
                ["no-public-principal", "secretshare", analyzerPb.EnforcementLevel.MANDATORY],
            ]);

            // During preview the key of a new secret is not known yet: Pulumi sends the unknown sentinel.
            const unknown = await call(TYPES.secret, "share-MySecret", {
                name: "MySecret",
                kmsKeyId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
            });
            expect(unknown.diagnosticsList.map((d) => [d.policyname, d.enforcementlevel])).to.deep.equal([
                ["secret-customer-managed-key", analyzerPb.EnforcementLevel.ADVISORY],
            ]);
            expect(unknown.diagnosticsList[0].message).to.contain("can't run policy 'secret-customer-managed-key'");

            // An adopted key: its rotation ignored, so the engine sends the live value. A warning only.
            const adopted = await call(TYPES.key, "share-key", { description: "MyKey", enableKeyRotation: false }, [
                "enableKeyRotation",
                "tags",
            ]);
            expect(adopted.diagnosticsList.map((d) => [d.policyname, d.enforcementlevel])).to.deep.equal([
                ["kms-key-rotation-adopted", analyzerPb.EnforcementLevel.ADVISORY],
            ]);
            const created = await call(TYPES.key, "share-key", { description: "x", enableKeyRotation: false });
            expect(created.diagnosticsList.map((d) => [d.policyname, d.enforcementlevel])).to.deep.equal([
                ["kms-key-rotation", analyzerPb.EnforcementLevel.MANDATORY],
            ]);
            client.close();
        } finally {
            child.kill();
        }
    });
});

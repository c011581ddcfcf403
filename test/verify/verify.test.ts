import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    AccessAnalyzerClient,
    CheckNoPublicAccessCommand,
    ValidatePolicyCommand,
} from "@aws-sdk/client-accessanalyzer";
import {
    DescribeSecretCommand,
    GetResourcePolicyCommand,
    GetSecretValueCommand,
    SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DescribeRuleCommand, EventBridgeClient, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { expect } from "chai";
import { HELP } from "../../verify/args";
import { awsCredentials } from "../../verify/credentials";
import type { Deps } from "../../verify/deps";
import { verify } from "../../verify/verify";
import { matchesPattern, type EventPattern } from "../support/eventPattern";
import { ROOT, SECONDARY_ACCOUNT, ofType, resource, run, type StackRun } from "../mocks";

/**
 * `npm run verify` against mocked AWS clients (aws-sdk-client-mock): the success path, AccessDenied
 * on each of the three documents, AWSPREVIOUS, throttling with backoff, missing outputs, a bad
 * profile, the owner's Access Analyzer checks, and that the secret value never reaches the output.
 */

const STUART = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart`;
const OWNER_ADMIN = "arn:aws:iam::111111111111:role/admin";
// The secret value the mocks return. Neither part may ever be printed.
const USERNAME = "Alice-7f3a9c";
const PASSWORD = "pw-4d1e8b2a6c0f9e73";
const VALUE = JSON.stringify({ username: USERNAME, password: PASSWORD });

// Mocked only while these tests run (before/after below), so no other spec file sees them.
let sm: AwsClientStub<SecretsManagerClient>;
let sts: AwsClientStub<STSClient>;
let aa: AwsClientStub<AccessAnalyzerClient>;
let eb: AwsClientStub<EventBridgeClient>;
/** The deployed watch rules' patterns, by rule name (the last part of the rule ARN). */
let deployedPatterns: Map<string, string>;

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });
const denied = (message: string) => awsError("AccessDeniedException", message);

interface Harness {
    deps: Deps;
    lines: string[];
    sleeps: number[];
}

function harness(credentials?: Deps["credentials"]): Harness {
    const lines: string[] = [];
    const sleeps: number[] = [];
    const deps: Deps = {
        out: (line) => lines.push(...line.split("\n")),
        sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
        },
        random: () => 1,
        // Fake keys by side; the STS mock tells the sides apart by them.
        credentials:
            credentials ??
            ((s) => () =>
                Promise.resolve({
                    accessKeyId: s.label === "consumer" ? "AKIACONSUMER" : "AKIAOWNER",
                    secretAccessKey: "x",
                })),
        root: ROOT,
    };
    return { deps, lines, sleeps };
}

/** Lines that start with PASS, FAIL or SKIP. */
const checks = (lines: string[]) => lines.filter((l) => /^(PASS|FAIL|SKIP) {2}/.test(l));

describe("npm run verify", function () {
    this.timeout(60000);
    let primary: StackRun;
    let outputsFile: string;
    let secretArn: string;
    let keyArn: string;
    let deployedSecretPolicy: string;
    let dir: string;

    before(async () => {
        sm = mockClient(SecretsManagerClient);
        sts = mockClient(STSClient);
        aa = mockClient(AccessAnalyzerClient);
        eb = mockClient(EventBridgeClient);
        primary = await run("primary");
        deployedPatterns = new Map(
            ofType(primary, "aws:cloudwatch/eventRule:EventRule").map((r) => [
                (r.state.arn as string).split("/").pop() as string,
                r.inputs.eventPattern as string,
            ]),
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-verify-"));
        outputsFile = path.join(dir, "outputs.json");
        // What `pulumi stack output --json -s primary` prints: the program's real exports.
        fs.writeFileSync(outputsFile, JSON.stringify(primary.outputs, null, 2));
        secretArn = (primary.outputs.secretArns as Record<string, string>).MySecret;
        keyArn = (primary.outputs.keyArns as Record<string, string>).MySecret;
        deployedSecretPolicy = resource(
            primary,
            "aws:secretsmanager/secretPolicy:SecretPolicy",
            "share-MySecret-policy",
        ).inputs.policy as string;
    });
    after(() => {
        sm.restore();
        sts.restore();
        aa.restore();
        eb.restore();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    beforeEach(() => {
        sm.reset();
        sts.reset();
        aa.reset();
        eb.reset();
        // EventBridge as deployed: the program's rules, and AWS's matcher stood in for by ours
        // (watch/eventPattern.ts, tested against AWS's documented examples in watch.test.ts).
        eb.on(DescribeRuleCommand).callsFake((input: { Name?: string }) => ({
            Name: input.Name,
            EventPattern: deployedPatterns.get(input.Name ?? ""),
        }));
        eb.on(TestEventPatternCommand).callsFake((input: { EventPattern?: string; Event?: string }) => ({
            Result: matchesPattern(
                JSON.parse(input.EventPattern ?? "{}") as EventPattern,
                JSON.parse(input.Event ?? "{}"),
            ),
        }));
        sts.on(GetCallerIdentityCommand).callsFake(async (_input, getClient) => {
            const creds = (await (getClient().config.credentials as () => Promise<{ accessKeyId: string }>)())
                .accessKeyId;
            return creds === "AKIACONSUMER"
                ? { Account: SECONDARY_ACCOUNT, Arn: STUART, UserId: "AIDAEXAMPLE" }
                : { Account: "111111111111", Arn: OWNER_ADMIN, UserId: "AROAEXAMPLE:admin" };
        });
        sm.on(GetSecretValueCommand, { VersionStage: "AWSCURRENT" }).resolves({
            ARN: secretArn,
            Name: "MySecret",
            VersionId: "3f1c2b9e-current",
            SecretString: VALUE,
            VersionStages: ["AWSCURRENT"],
        });
        sm.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).rejects(
            denied(
                `User: ${STUART} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${secretArn} ` +
                    "because no resource-based policy allows the secretsmanager:GetSecretValue action",
            ),
        );
        sm.on(DescribeSecretCommand).resolves({
            ARN: secretArn,
            VersionIdsToStages: { "3f1c2b9e-current": ["AWSCURRENT"], "9a8b7c6d-previous": ["AWSPREVIOUS"] },
        });
        sm.on(GetResourcePolicyCommand).resolves({ ARN: secretArn, ResourcePolicy: deployedSecretPolicy });
        aa.on(ValidatePolicyCommand).resolves({ findings: [] });
        aa.on(CheckNoPublicAccessCommand).resolves({
            result: "PASS",
            message: "The policy does not grant public access.",
        });
    });

    /** The watch's 11 calls, each alerting on ours and silent on another secret or key. */
    const watchLines = () => {
        const rule = (id: string) => {
            // One rule per kind of scoping: Secrets Manager calls, KMS calls.
            const kind = keyCalls.includes(id) ? "keys" : "secrets";
            const name = [...deployedPatterns.keys()].find((n) => n.includes(`-${kind}-0-`));
            expect(name, `deployed rule for ${id}`).not.to.equal(undefined);
            return name as string;
        };
        const key = `key ${keyArn.split("/").pop() as string}`;
        const secretCalls = [
            "CancelRotateSecret",
            "DeleteResourcePolicy",
            "DeleteSecret",
            "PutResourcePolicy",
            "RemoveRegionsFromReplication",
            "RestoreSecret",
            "UpdateSecret",
        ];
        const keyCalls = ["CreateGrant", "DisableKey", "PutKeyPolicy", "ScheduleKeyDeletion"];
        return [...secretCalls, ...keyCalls]
            .sort()
            .flatMap((call) =>
                secretCalls.includes(call)
                    ? [
                          `PASS  watch: ${call} on MySecret alerts (rule ${rule(call)})`,
                          `PASS  watch: ${call} on another secret does not alert`,
                      ]
                    : [
                          `PASS  watch: ${call} on ${key} alerts (rule ${rule(call)})`,
                          `PASS  watch: ${call} on another key does not alert`,
                      ],
            );
    };

    const consumerOnly = () => ["--outputs", outputsFile, "--consumer-profile", "stuart"];
    const withOwner = () => [...consumerOnly(), "--owner-profile", "primary"];

    it("--help documents the command, exit 0", async () => {
        const h = harness();
        expect(await verify(["--help"], h.deps)).to.equal(0);
        expect(h.lines.join("\n")).to.equal(HELP);
        for (const flag of [
            "--outputs FILE",
            "--secret NAME",
            "--secret-arn ARN",
            "--consumer-profile NAME",
            "--consumer-role-arn ARN",
            "--owner-profile NAME",
            "--owner-role-arn ARN",
            "--owner-stack NAME",
        ]) {
            expect(HELP).to.contain(flag);
        }
        expect(HELP).to.contain("Exit status: 0 all passed, 1 a check failed,\n2 a usage error");
    });

    it("success: every check passes, one line each, exit 0", async () => {
        const h = harness();
        expect(await verify(withOwner(), h.deps)).to.equal(0);
        expect(checks(h.lines)).to.deep.equal([
            `PASS  consumer credentials (profile stuart): ${STUART}`,
            `PASS  owner credentials (profile primary): ${OWNER_ADMIN}`,
            "PASS  consumer reads MySecret (VersionStage AWSCURRENT): version 3f1c2b9e-current, JSON keys: password, username",
            "PASS  consumer is denied MySecret AWSPREVIOUS (AccessDeniedException)",
            "PASS  secret policy of MySecret is the one stack primary writes",
            ...watchLines(),
            "PASS  Access Analyzer ValidatePolicy, secret policy of MySecret (deployed): 0 error(s) or security warning(s), 0 other finding(s)",
            "PASS  Access Analyzer CheckNoPublicAccess, secret policy of MySecret (deployed): PASS (The policy does not grant public access.)",
            "PASS  Access Analyzer ValidatePolicy, key policy of MySecret (as stack primary writes it): 0 error(s) or security warning(s), 0 other finding(s)",
            "PASS  Access Analyzer CheckNoPublicAccess, key policy of MySecret (as stack primary writes it): PASS (The policy does not grant public access.)",
            `PASS  Access Analyzer ValidatePolicy, identity policy of ${STUART} (as the consumer stack writes it): 0 error(s) or security warning(s), 0 other finding(s)`,
        ]);
        expect(h.lines.at(-1)).to.equal("verify: 32 passed, 0 failed, 0 skipped");
        // The calls the walk-through's last step makes, and nothing looser.
        expect(sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).to.deep.equal([
            { SecretId: secretArn, VersionStage: "AWSCURRENT" },
            { SecretId: secretArn, VersionStage: "AWSPREVIOUS" },
        ]);
        const identity = aa.commandCalls(ValidatePolicyCommand).map((c) => c.args[0].input)[2];
        expect(identity.policyType).to.equal("IDENTITY_POLICY");
        expect(JSON.parse(identity.policyDocument as string)).to.deep.include({ Version: "2012-10-17" });
        expect(identity.policyDocument).to.contain(secretArn).and.to.contain(keyArn);
        expect(aa.commandCalls(CheckNoPublicAccessCommand).map((c) => c.args[0].input.resourceType)).to.deep.equal([
            "AWS::SecretsManager::Secret",
            "AWS::KMS::Key",
        ]);
    });

    it("never prints the secret value, whatever the path", async () => {
        // A consumer that can read AWSPREVIOUS (a FAIL path that holds a value too).
        sm.on(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" }).resolves({
            VersionId: "9a8b7c6d-previous",
            SecretString: VALUE,
        });
        const h = harness();
        expect(await verify(withOwner(), h.deps)).to.equal(1);
        const all = h.lines.join("\n");
        expect(all).to.contain("JSON keys: password, username");
        expect(all).to.contain("consumer can read MySecret AWSPREVIOUS (version 9a8b7c6d-previous): it must be denied");
        for (const part of [USERNAME, PASSWORD, VALUE]) expect(all).not.to.contain(part);
    });

    describe("AccessDenied, with the likely document and how to check it", () => {
        const deniedCurrent = (message: string) =>
            sm.on(GetSecretValueCommand, { VersionStage: "AWSCURRENT" }).rejects(denied(message));
        const prefix = `User: ${STUART} is not authorized to perform: secretsmanager:GetSecretValue on resource: `;

        it("the identity policy (document 1)", async () => {
            deniedCurrent(
                `${prefix}${secretArn} because no identity-based policy allows the secretsmanager:GetSecretValue action`,
            );
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            const i = h.lines.indexOf("FAIL  consumer reads MySecret (VersionStage AWSCURRENT): access denied");
            expect(i).to.be.greaterThan(-1);
            expect(h.lines[i + 2]).to.equal(
                "      likely cause: the identity policy (document 1, consumer account) does not allow secretsmanager:GetSecretValue on this secret",
            );
            expect(h.lines[i + 3]).to.contain(
                "check: aws iam list-user-policies --user-name Stuart (and list-attached-user-policies), in account 222222222222",
            );
            expect(h.lines[i + 3]).to.contain(`expect GetSecretValue on ${secretArn} and kms:Decrypt on ${keyArn}`);
        });

        it("the secret's resource policy (document 2)", async () => {
            deniedCurrent(
                `${prefix}${secretArn} because no resource-based policy allows the secretsmanager:GetSecretValue action`,
            );
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            const all = h.lines.join("\n");
            expect(all).to.contain(
                "likely cause: the secret's resource policy (document 2, owner account) does not allow this caller",
            );
            expect(all).to.contain(
                `check: aws secretsmanager get-resource-policy --secret-id ${secretArn} --region us-east-1`,
            );
            expect(all).to.contain("A Principal shown as AIDA.../AROA... means the reader was deleted and recreated");
        });

        it("the key policy (document 3): Access to KMS is not allowed", async () => {
            deniedCurrent("Access to KMS is not allowed");
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            const all = h.lines.join("\n");
            expect(all).to.contain("AWS says: Access to KMS is not allowed");
            expect(all).to.contain("likely cause: the key policy (document 3, owner account)");
            expect(all).to.contain(
                `check: aws kms get-key-policy --key-id ${keyArn} --policy-name default --region us-east-1`,
            );
            expect(all).to.contain(
                `expect kms:Decrypt for ${STUART} with kms:ViaService secretsmanager.us-east-1.amazonaws.com and kms:EncryptionContext:SecretARN matching ${secretArn}`,
            );
        });

        it("an unspecific denial lists all three documents, in order", async () => {
            deniedCurrent(`${prefix}${secretArn}`);
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            const i = h.lines.indexOf("      likely cause: one of the three documents; check each, in this order:");
            expect(i).to.be.greaterThan(-1);
            expect(h.lines[i + 1]).to.match(/^ {6}1\. aws iam list-user-policies --user-name Stuart/);
            expect(h.lines[i + 2]).to.match(/^ {6}2\. aws secretsmanager get-resource-policy --secret-id /);
            expect(h.lines[i + 3]).to.match(/^ {6}3\. aws kms get-key-policy --key-id /);
        });

        it("not found: the region and ARN are named", async () => {
            sm.on(GetSecretValueCommand, { VersionStage: "AWSCURRENT" }).rejects(
                awsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret."),
            );
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            expect(checks(h.lines)).to.include(
                "FAIL  consumer reads MySecret (VersionStage AWSCURRENT): not found in us-east-1",
            );
        });
    });

    describe("AWSPREVIOUS", () => {
        it("is skipped when the owner sees no previous version, and then not requested", async () => {
            sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { "3f1c2b9e-current": ["AWSCURRENT"] } });
            const h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(0);
            expect(checks(h.lines)).to.include(
                "SKIP  AWSPREVIOUS of MySecret: the secret has no previous version yet (change its regenerate value in config, or rotate it, to make one)",
            );
            expect(sm.commandCalls(GetSecretValueCommand, { VersionStage: "AWSPREVIOUS" })).to.have.length(0);
        });
    });

    describe("throttling", () => {
        it("retries with exponential backoff, then passes", async () => {
            sm.on(GetSecretValueCommand, { VersionStage: "AWSCURRENT" })
                .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
                .rejectsOnce(awsError("ThrottlingException", "Rate exceeded"))
                .resolves({ VersionId: "3f1c2b9e-current", SecretString: VALUE });
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(0);
            expect(h.sleeps).to.deep.equal([200, 400]);
            expect(h.lines).to.include(
                "      GetSecretValue MySecret: throttled (ThrottlingException), retry 1 of 4 in 200 ms",
            );
            expect(checks(h.lines)).to.include(
                "PASS  consumer reads MySecret (VersionStage AWSCURRENT): version 3f1c2b9e-current, JSON keys: password, username",
            );
        });

        it("gives up after 5 attempts and fails with the throttling error", async () => {
            sm.on(GetSecretValueCommand, { VersionStage: "AWSCURRENT" }).rejects(
                awsError("ThrottlingException", "Rate exceeded"),
            );
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            expect(h.sleeps).to.deep.equal([200, 400, 800, 1600]);
            expect(checks(h.lines)).to.include(
                "FAIL  consumer reads MySecret (VersionStage AWSCURRENT): ThrottlingException: Rate exceeded",
            );
        });
    });

    describe("missing outputs and usage errors (exit 2)", () => {
        const usage = async (argv: string[]) => {
            const h = harness();
            const code = await verify(argv, h.deps);
            return { code, text: h.lines.join("\n") };
        };

        it("an outputs file that does not exist", async () => {
            const missing = path.join(dir, "nope.json");
            expect(await usage(["--outputs", missing, "--consumer-profile", "stuart"])).to.deep.equal({
                code: 2,
                text:
                    `verify: cannot read --outputs ${missing} (ENOENT): write it with pulumi stack output --json -s primary > ${missing}\n` +
                    "run npm run verify -- --help for usage",
            });
        });

        it("outputs of a stack that was never deployed", async () => {
            const empty = path.join(dir, "empty.json");
            fs.writeFileSync(empty, "{}");
            const r = await usage(["--outputs", empty, "--consumer-profile", "stuart"]);
            expect(r.code).to.equal(2);
            expect(r.text).to.contain(`--outputs ${empty} has no secretArns, secretArn or readerSecrets output`);
        });

        it("no outputs, no consumer, an unknown secret, a partial ARN", async () => {
            expect((await usage(["--consumer-profile", "stuart"])).text).to.match(
                /^verify: no secret to check: pass --outputs FILE/,
            );
            expect((await usage(["--outputs", outputsFile])).text).to.match(
                /^verify: no consumer: pass --consumer-profile NAME/,
            );
            expect((await usage([...consumerOnly(), "--secret", "Nope"])).text).to.match(
                /^verify: --secret Nope: no such secret in .*outputs\.json; it has MySecret/,
            );
            const r = await usage(["--secret-arn", "MySecret", "--consumer-profile", "stuart"]);
            expect([r.code, r.text.split("\n")[0]]).to.deep.equal([
                2,
                "verify: --secret-arn MySecret: expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (the region in it is where the secret is read)",
            ]);
            expect(sm.commandCalls(GetSecretValueCommand)).to.have.length(0);
        });
    });

    describe("credentials", () => {
        let saved: Record<string, string | undefined>;
        beforeEach(() => {
            saved = { config: process.env.AWS_CONFIG_FILE, creds: process.env.AWS_SHARED_CREDENTIALS_FILE };
            fs.writeFileSync(path.join(dir, "config"), "[profile stuart]\nregion = us-east-1\n");
            fs.writeFileSync(
                path.join(dir, "credentials"),
                "[stuart]\naws_access_key_id = AKIACONSUMER\naws_secret_access_key = not-a-real-key\n",
            );
            process.env.AWS_CONFIG_FILE = path.join(dir, "config");
            process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, "credentials");
        });
        afterEach(() => {
            const restore = (k: string, v: string | undefined) =>
                v === undefined ? delete process.env[k] : (process.env[k] = v);
            restore("AWS_CONFIG_FILE", saved.config);
            restore("AWS_SHARED_CREDENTIALS_FILE", saved.creds);
        });

        it("a bad profile fails its check, says how to look, and nothing is read", async () => {
            const h = harness(awsCredentials);
            expect(await verify(["--outputs", outputsFile, "--consumer-profile", "nosuch"], h.deps)).to.equal(1);
            const fail = checks(h.lines)[0];
            expect(fail).to.match(/^FAIL {2}consumer credentials \(profile nosuch\): .*nosuch/);
            expect(h.lines).to.include(
                "      check the profile: aws configure list-profiles; aws sts get-caller-identity --profile nosuch (an SSO profile needs aws sso login first)",
            );
            expect(checks(h.lines).slice(1)).to.deep.equal([
                "SKIP  consumer reads MySecret: no usable consumer credentials",
                "SKIP  AWSPREVIOUS of MySecret: no usable consumer credentials",
                "SKIP  owner checks (Access Analyzer): pass --owner-profile or --owner-role-arn to run them",
            ]);
            expect(sm.commandCalls(GetSecretValueCommand)).to.have.length(0);
        });

        it("a good profile resolves from the shared files (offline) and is used", async () => {
            const h = harness(awsCredentials);
            expect(await verify(consumerOnly(), h.deps)).to.equal(0);
            expect(checks(h.lines)[0]).to.equal(`PASS  consumer credentials (profile stuart): ${STUART}`);
        });

        it("credentials STS refuses (expired, revoked)", async () => {
            sts.on(GetCallerIdentityCommand).rejects(
                awsError("ExpiredToken", "The security token included in the request is expired"),
            );
            const h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            expect(checks(h.lines)[0]).to.equal(
                "FAIL  consumer credentials (profile stuart) are not accepted by STS: ExpiredToken: The security token included in the request is expired",
            );
        });

        it("a consumer in the owner's account, or one the owner does not grant, fails", async () => {
            sts.on(GetCallerIdentityCommand).resolves({ Account: "111111111111", Arn: OWNER_ADMIN });
            let h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            expect(checks(h.lines)).to.include(
                `FAIL  the consumer ${OWNER_ADMIN} is in the owner's account 111111111111`,
            );

            const mallory = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Mallory`;
            sts.on(GetCallerIdentityCommand).resolves({ Account: SECONDARY_ACCOUNT, Arn: mallory });
            h = harness();
            expect(await verify(consumerOnly(), h.deps)).to.equal(1);
            expect(checks(h.lines)).to.include(
                `FAIL  the consumer ${mallory} is not a reader in the owner's outputs (grants)`,
            );
        });
    });

    describe("owner checks", () => {
        it("the watch: a deployed rule that no longer names the secret fails, and says what to check", async () => {
            // Someone pointed the DeleteSecret rule at another secret outside Pulumi.
            const name = [...deployedPatterns.keys()].find((n) => n.includes("-secrets-0-")) as string;
            const tampered = (deployedPatterns.get(name) as string).split(secretArn).join(`${secretArn}x`);
            eb.on(DescribeRuleCommand, { Name: name }).resolves({ Name: name, EventPattern: tampered });
            const h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(1);
            const i = h.lines.indexOf("FAIL  watch: DeleteSecret on MySecret matches no deployed rule");
            expect(i).to.be.greaterThan(-1);
            expect(h.lines[i + 1]).to.contain("pulumi preview --refresh");
            // The other calls still pass.
            expect(h.lines).to.include("PASS  watch: DeleteResourcePolicy on another secret does not alert");
        });

        it("the watch: a rule that also matches another secret fails", async () => {
            const name = [...deployedPatterns.keys()].find((n) => n.includes("-secrets-0-")) as string;
            // A prefix match on the name: what the watch must never deploy (it catches siblings).
            const loose = JSON.stringify({
                source: ["aws.secretsmanager"],
                "detail-type": ["AWS API Call via CloudTrail"],
                detail: { eventName: ["RestoreSecret"], requestParameters: { secretId: [{ prefix: "arn:aws:" }] } },
            });
            eb.on(DescribeRuleCommand, { Name: name }).resolves({ Name: name, EventPattern: loose });
            const h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(1);
            expect(h.lines.find((l) => l.startsWith("FAIL  watch: RestoreSecret on another secret"))).to.match(
                /alerts too \(rule watch-primary-[0-9a-f]{8}-secrets-0-/,
            );
        });

        it("a ValidatePolicy error or security warning fails, with the finding", async () => {
            aa.on(ValidatePolicyCommand, { policyType: "IDENTITY_POLICY" }).resolves({
                findings: [
                    {
                        findingType: "ERROR",
                        issueCode: "INVALID_ARN_RESOURCE",
                        findingDetails: "The resource ARN is not valid for the specified action.",
                        learnMoreLink:
                            "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
                        locations: [],
                    },
                    {
                        findingType: "SUGGESTION",
                        issueCode: "EMPTY_ARRAY_ACTION",
                        findingDetails: "x",
                        learnMoreLink: "",
                        locations: [],
                    },
                ],
            });
            const h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(1);
            const i = h.lines.findIndex((l) => l.startsWith("FAIL  Access Analyzer ValidatePolicy, identity policy"));
            expect(h.lines[i]).to.contain(": 1 error(s) or security warning(s), 1 other finding(s)");
            expect(h.lines[i + 1]).to.match(/^ {6}ERROR INVALID_ARN_RESOURCE: The resource ARN is not valid/);
        });

        it("public access found by CheckNoPublicAccess fails, with the reasons", async () => {
            aa.on(CheckNoPublicAccessCommand, { resourceType: "AWS::KMS::Key" }).resolves({
                result: "FAIL",
                message: "The resource policy grants public access for the access type.",
                reasons: [
                    {
                        statementId: "Open",
                        statementIndex: 3,
                        description: "Public access granted in the following statement",
                    },
                ],
            });
            const h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(1);
            const i = h.lines.findIndex((l) => l.startsWith("FAIL  Access Analyzer CheckNoPublicAccess, key policy"));
            expect(h.lines[i + 1]).to.equal("      Open: Public access granted in the following statement");
        });

        it("a deployed secret policy that drifted, or names a deleted reader by unique ID, fails", async () => {
            const drifted = JSON.parse(deployedSecretPolicy) as { Statement: Record<string, unknown>[] };
            drifted.Statement[0].Condition = {};
            sm.on(GetResourcePolicyCommand).resolves({ ResourcePolicy: JSON.stringify(drifted) });
            let h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(1);
            expect(checks(h.lines)).to.include(
                "FAIL  secret policy of MySecret differs from what stack primary writes",
            );

            // The principal-arn form (the reader's ARN as Principal) after Stuart was deleted: AWS shows his unique ID.
            const orphaned = JSON.parse(deployedSecretPolicy) as { Statement: Record<string, unknown>[] };
            orphaned.Statement[0].Principal = { AWS: "AIDAJQABLZS4A3QDU576Q" };
            delete orphaned.Statement[0].Condition;
            sm.on(GetResourcePolicyCommand).resolves({ ResourcePolicy: JSON.stringify(orphaned) });
            h = harness();
            expect(await verify(withOwner(), h.deps)).to.equal(1);
            expect(checks(h.lines)).to.include(
                'FAIL  secret policy of MySecret names a deleted principal by unique ID "AIDAJQABLZS4A3QDU576Q"',
            );
        });
    });
});

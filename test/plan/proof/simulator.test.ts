import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { identityPolicy, keyPolicy, secretResourcePolicy } from "../../../policies/documents";
import { ANONYMOUS, principalContext, simulate, type SimulationRequest } from "../../../plan/proof/simulator";
import type { Check } from "../../../plan/proof/checks";
import { judge } from "../../../plan/proof/judge";
import { ROOT } from "../../mocks";
import { committed, planJson, tempProject } from "../helpers";

/**
 * The simulator adapter (plan/proof/simulator.ts) and the judge (plan/proof/judge.ts): the
 * principal keys are derived, ignored context keys fail a check, one action per simulation; and
 * the matrix of generated projects. Documents are built with the program's own pure builders (policies/documents.ts).
 */

const OWNER = "111111111111";
const CONSUMER = "222222222222";
const SECRET = `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:MySecret-AbCdEf`;
const OTHER_SECRET = `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:Other-GhIjKl`;
const KEY = `arn:aws:kms:us-east-1:${OWNER}:key/00000000-0000-4000-8000-000000000000`;
const STUART = `arn:aws:iam::${CONSUMER}:user/Stuart`;
const ROLE = `arn:aws:iam::${CONSUMER}:role/apps/Reader`;
const VIA = "secretsmanager.us-east-1.amazonaws.com";

const identity = {
    name: "identity",
    policy: identityPolicy({ region: "us-east-1", grants: [{ secretArn: SECRET, keyArn: KEY }] }),
};
const secretPolicy = (readerArns: string[]) => ({
    name: "secret policy",
    policy: secretResourcePolicy({
        partition: "aws",
        readerArns,
        principalForm: "account-root",
        acceptDefaultStage: false,
    }),
});
const key = (readerArns: string[]) => ({
    name: "key policy",
    policy: keyPolicy({
        partition: "aws",
        region: "us-east-1",
        ownerAccountId: OWNER,
        grants: readerArns.map((readerArn) => ({
            readerArn,
            secretArns: [`arn:aws:secretsmanager:us-east-1:${OWNER}:secret:MySecret-??????`],
        })),
        principalForm: "account-root",
        grantDescribeKey: false,
    }),
});

const read = (
    principal: string,
    context: Record<string, string> = { "secretsmanager:VersionStage": "AWSCURRENT" },
): SimulationRequest => ({
    principal,
    action: "secretsmanager:GetSecretValue",
    resource: SECRET,
    context,
    identityPolicies: [identity],
    resourcePolicy: secretPolicy([STUART, ROLE]),
});
const decrypt = (principal: string, context: Record<string, string>): SimulationRequest => ({
    principal,
    action: "kms:Decrypt",
    resource: KEY,
    context,
    identityPolicies: [identity],
    resourcePolicy: key([STUART]),
});
const check = (request: SimulationRequest, expected: "Allowed" | "Denied"): Check => ({
    ...request,
    name: "test check",
    secret: "MySecret",
    who: "test",
    expected,
});

describe("simulate: the principal keys", () => {
    it("derives aws:PrincipalArn and aws:PrincipalAccount from a user's ARN", () => {
        expect(principalContext(STUART)).to.deep.equal({
            caller: STUART,
            context: { "aws:PrincipalArn": STUART, "aws:PrincipalAccount": CONSUMER },
        });
    });

    it("calls as a session of a role, whose aws:PrincipalArn is the role's ARN, path included", () => {
        expect(principalContext(ROLE)).to.deep.equal({
            caller: `arn:aws:sts::${CONSUMER}:assumed-role/Reader/secretshare-plan`,
            context: { "aws:PrincipalArn": ROLE, "aws:PrincipalAccount": CONSUMER },
        });
    });

    it("gives an anonymous request no principal keys, and refuses what is not a user or role", () => {
        expect(principalContext(ANONYMOUS)).to.deep.equal({ caller: ANONYMOUS, context: {} });
        expect(() => principalContext(`arn:aws:iam::${CONSUMER}:root`)).to.throw("not an IAM user or role ARN");
    });

    it("refuses a hand-written principal key", async () => {
        for (const k of ["aws:PrincipalArn", "aws:principalaccount"]) {
            let message = "";
            await simulate({ ...read(STUART), context: { [k]: STUART } }).catch((e: Error) => (message = e.message));
            expect(message).to.equal(`${k} is derived from the principal; do not pass it (${STUART})`);
        }
    });

    it("sends the derived keys: a cross-account read allowed by identity and resource policy", async () => {
        const outcome = await simulate(read(STUART));
        expect(outcome).to.deep.equal({
            decision: "Allowed",
            context: {
                "aws:PrincipalArn": STUART,
                "aws:PrincipalAccount": CONSUMER,
                "secretsmanager:VersionStage": "AWSCURRENT",
            },
            ignoredContextKeys: [],
            deniedBy: [],
        });
    });

    it("lets a role's session read through a policy that names the role", async () => {
        expect((await simulate(read(ROLE))).decision).to.equal("Allowed");
        expect((await simulate({ ...read(ROLE), resourcePolicy: secretPolicy([STUART]) })).decision).to.equal(
            "ImplicitlyDenied",
        );
    });

    it("refuses a request whose identity or key policy has an invalid statement, even one for someone or something else", async () => {
        const valid = decrypt(STUART, { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": SECRET });
        expect((await simulate(valid)).decision).to.equal("Allowed");
        const keyDoc = valid.resourcePolicy!.policy as { Statement: object[] };
        const invalid = { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Conditions: {} };
        const other = { ...invalid, Principal: { AWS: `arn:aws:iam::333333333333:root` } };
        const badKey = {
            ...valid,
            resourcePolicy: { name: "key policy", policy: { ...keyDoc, Statement: [...keyDoc.Statement, other] } },
        };
        const identityDoc = identity.policy as unknown as { Statement: object[] };
        const encrypt = { ...invalid, Action: "kms:Encrypt" };
        const badIdentity = {
            ...valid,
            identityPolicies: [
                { name: "identity", policy: { ...identityDoc, Statement: [...identityDoc.Statement, encrypt] } },
            ],
        };
        for (const request of [badKey, badIdentity]) {
            const outcome = await simulate(request);
            expect([outcome.decision, outcome.error]).to.deep.equal([undefined, "policy.errors"]);
        }
    });

    it("denies when the resource policy names someone else, and says which policy denied", async () => {
        const outcome = await simulate({ ...read(STUART), resourcePolicy: secretPolicy([ROLE]) });
        expect(outcome.decision).to.equal("ImplicitlyDenied");
        expect(outcome.deniedBy).to.deep.equal(["resource policy"]);
        const withoutResourcePolicy: SimulationRequest = { ...read(STUART), resourcePolicy: undefined };
        const without = await simulate(withoutResourcePolicy);
        expect([without.decision, without.deniedBy]).to.deep.equal(["ImplicitlyDenied", ["no resource policy"]]);
    });
});

describe("simulate: a condition the simulator cannot see fails the check", () => {
    it("reports an unknown context key as ignored, and judge fails the check whatever the decision", async () => {
        const outcome = await simulate(
            read(STUART, { "secretsmanager:VersionStage": "AWSCURRENT", "secretsmanager:NoSuchKey": "x" }),
        );
        expect(outcome.ignoredContextKeys).to.have.length(1);
        expect(outcome.ignoredContextKeys[0].toLowerCase()).to.equal("secretsmanager:nosuchkey");
        const result = judge(check(read(STUART), "Allowed"), outcome);
        expect(result.ok).to.equal(false);
        expect(result.reason).to.equal(
            `the simulator ignored context key(s) ${outcome.ignoredContextKeys[0]}: conditions on them were not evaluated`,
        );
    });

    // Needs the iam-simulate patch (patches/, applied by npm ci): 0.1.173 itself ignores
    // kms:EncryptionContext:<key>, and every Decrypt check of the plan then fails.
    it("evaluates kms:EncryptionContext:SecretARN: the reader's secret decrypts, another secret on the key does not", async () => {
        const right = await simulate(
            decrypt(STUART, { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": SECRET }),
        );
        expect([right.decision, right.ignoredContextKeys]).to.deep.equal(["Allowed", []]);
        const wrong = await simulate(
            decrypt(STUART, { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": OTHER_SECRET }),
        );
        expect([wrong.decision, wrong.ignoredContextKeys]).to.deep.equal(["ImplicitlyDenied", []]);
        const notVia = await simulate(decrypt(STUART, { "kms:EncryptionContext:SecretARN": SECRET }));
        expect([notVia.decision, notVia.ignoredContextKeys]).to.deep.equal(["ImplicitlyDenied", []]);
    });

    it("denies an anonymous request, which carries no identity policy", async () => {
        const outcome = await simulate({ ...read(ANONYMOUS), identityPolicies: [] });
        expect(outcome.decision).to.equal("ImplicitlyDenied");
        expect(outcome.context).to.deep.equal({ "secretsmanager:VersionStage": "AWSCURRENT" });
    });

    it("judges: a denial of either kind meets Denied; a refused request fails with the simulator's message", () => {
        const base = { context: {}, ignoredContextKeys: [], deniedBy: [] };
        expect(judge(check(read(STUART), "Denied"), { ...base, decision: "ExplicitlyDenied" }).ok).to.equal(true);
        expect(judge(check(read(STUART), "Denied"), { ...base, decision: "ImplicitlyDenied" }).ok).to.equal(true);
        const allowed = judge(check(read(STUART), "Denied"), { ...base, decision: "Allowed" });
        expect([allowed.ok, allowed.reason]).to.deep.equal([false, "expected Denied, got Allowed"]);
        const refused = judge(check(read(STUART), "Allowed"), { ...base, error: "bad policy" });
        expect([refused.ok, refused.decision, refused.reason]).to.deep.equal([
            false,
            "Error",
            "the simulator refused the request: bad policy",
        ]);
    });
});

describe("the access matrix of generated projects", () => {
    it("two secrets on one key, a user and a role with a path: each reader only its own secrets", async () => {
        const owner = committed("primary").config;
        const dir = tempProject({
            primary: {
                ...owner,
                "secretshare:consumers": {
                    secondary: { accountId: CONSUMER, readers: [{ user: "Stuart" }, { role: "App", path: "/apps/" }] },
                },
                "secretshare:secrets": [
                    { name: "Alpha", username: "a", readers: ["secondary/App", "secondary/Stuart"] },
                    { name: "Beta", username: "b", readers: ["secondary/App"] },
                ],
            },
            secondary: committed("secondary").config,
        });
        const { code, report } = await planJson([], dir);
        expect(report.access.filter((a) => !a.ok)).to.deep.equal([]);
        expect(code).to.equal(0);
        const checks = report.access.map((a) => a.check);
        // Stuart reads Alpha only: the key is shared, the encryption context keeps him from Beta.
        expect(checks).to.include("Alpha: secondary/Stuart kms:Decrypt for Beta (same key, not granted)");
        const probe = report.access.find(
            (a) => a.check === "Alpha: secondary/Stuart kms:Decrypt for Beta (same key, not granted)",
        );
        expect(probe?.context["kms:EncryptionContext:SecretARN"]).to.equal(
            report.stacks[0].outputs.secretArns && (report.stacks[0].outputs.secretArns as Record<string, string>).Beta,
        );
        expect(probe?.decision).to.equal("ImplicitlyDenied");
        // App reads both: no such probe for it; Beta has no Stuart checks.
        expect(checks.filter((c) => c.includes("secondary/App kms:Decrypt for"))).to.deep.equal([]);
        expect(checks.filter((c) => c.startsWith("Beta: secondary/Stuart"))).to.deep.equal([]);
        const appRead = report.access.find((a) => a.check === "Beta: secondary/App GetSecretValue AWSCURRENT");
        expect(appRead?.principal).to.equal(`arn:aws:iam::${CONSUMER}:role/apps/App`);
        expect(appRead?.context["aws:PrincipalArn"]).to.equal(`arn:aws:iam::${CONSUMER}:role/apps/App`);
        expect(appRead?.decision).to.equal("Allowed");
        // 14 per reader and secret less the two anonymous per secret, +1 probe, + 2 anonymous per secret,
        // + 2 for who may assume the role App.
        expect(report.summary).to.deep.equal({ checks: 3 * 12 + 1 + 2 * 2 + 2, asExpected: 43, failed: 0 });
    });

    it("one stack of mode all (the sandbox example): both sides, one plan", async () => {
        const sandbox = fs.readFileSync(path.join(ROOT, "examples", "Pulumi.sandbox.yaml"), "utf8");
        const dir = tempProject({});
        fs.writeFileSync(path.join(dir, "Pulumi.sandbox.yaml"), sandbox);
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect(report.stacks.map((s) => [s.name, s.mode])).to.deep.equal([["sandbox", "all"]]);
        expect(report.summary).to.deep.equal({ checks: 14, asExpected: 14, failed: 0 });
    });
});

// patches/@cloud-copilot+iam-policy and +iam-utils: one Intl.Collator instead of a localeCompare
// with options per call (ECMA-402 defines that call as `new Intl.Collator(locales, options).compare`,
// so the answers are the same; building a collator on every call is what the patches avoid).
describe("simulate: the collator patches answer as localeCompare does", () => {
    const pairs: [string, string][] = [
        ["IfExists", "ifexists"],
        ["IfExists", "IfExist"],
        ["ForAnyValue", "FORANYVALUE"],
        ["a", "á"],
        ["A", "a"],
        ["", ""],
        ["", "x"],
        ["ß", "ss"],
        ["ı", "I"],
        ["If\u200bExists", "IfExists"],
        [":", "/"],
        ["*", "?"],
    ];
    // Their packages export no subpaths: the files, as installed (and patched) in node_modules.
    const installed = path.join(ROOT, "node_modules", "@cloud-copilot");
    const IAM_POLICY_UTILS = path.join(installed, "iam-policy", "dist", "cjs", "utils.js");
    const IAM_UTILS_RESOURCE_TYPES = path.join(installed, "iam-utils", "dist", "cjs", "resourceTypes.js");
    const expected = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: "accent" }) === 0;

    it("iam-policy caseInsensitiveEquals and caseInsensitiveEndsWith", () => {
        // A transitive dependency of iam-simulate, read here only to test the patch.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const utils = require(IAM_POLICY_UTILS) as {
            caseInsensitiveEquals: (a: string, b: string) => boolean;
            caseInsensitiveEndsWith: (a: string, b: string) => boolean;
        };
        for (const [a, b] of pairs) expect(utils.caseInsensitiveEquals(a, b), `${a} ~ ${b}`).to.equal(expected(a, b));
        expect(utils.caseInsensitiveEndsWith("StringLikeIfExists", "ifexists")).to.equal(true);
        expect(utils.caseInsensitiveEndsWith("StringLike", "IfExists")).to.equal(false);
        const source = fs.readFileSync(IAM_POLICY_UTILS, "utf8");
        expect(source).to.include("caseInsensitiveCollator.compare(first, second) === 0");
    });

    it("iam-utils resource type matching, which compares character by character", () => {
        const source = fs.readFileSync(IAM_UTILS_RESOURCE_TYPES, "utf8");
        expect(source).to.include("accentCollator.compare(first.char, second.char) === 0");
        expect(source).not.to.include(".localeCompare(");
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const utils = require("@cloud-copilot/iam-utils") as {
            resourceStringMatchesResourceTypePattern: (resource: string, pattern: string) => boolean;
        };
        const pattern = "arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}";
        expect(utils.resourceStringMatchesResourceTypePattern(SECRET, pattern)).to.equal(true);
        expect(utils.resourceStringMatchesResourceTypePattern(KEY, pattern)).to.equal(false);
    });
});

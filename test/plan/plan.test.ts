import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { PlanError } from "../../common/errors";
import { dependencyOrder } from "../../plan/plan";
import { parseArgs } from "../../plan/cli";
import { MARKDOWN_ROWS, toMarkdown } from "../../plan/report";
import type { CheckResult } from "../../plan/proof";
import { SECURE_PLACEHOLDER } from "../../plan/stackFiles";
import { ROOT } from "../mocks";
import { committed, plan, planJson, tempProject, type JsonReport, type Outcome } from "./helpers";

/**
 * `npm start`: the offline plan of the committed stacks and of generated projects, its
 * output forms and exit codes. Most runs call `main` in-process; two run the real command.
 */

const STUART = "arn:aws:iam::222222222222:user/Stuart";
const VIA = "secretsmanager.us-east-1.amazonaws.com";

/** The whole access matrix of the seed: who, action, the request's own context, expected, decision. */
const SEED_MATRIX = (secretArn: string) => [
    [
        "secondary/Stuart",
        "secretsmanager:GetSecretValue",
        { "secretsmanager:VersionStage": "AWSCURRENT" },
        "Allowed",
        "Allowed",
    ],
    [
        "secondary/Stuart",
        "kms:Decrypt",
        { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": secretArn },
        "Allowed",
        "Allowed",
    ],
    [
        "secondary/Stuart",
        "secretsmanager:GetSecretValue",
        { "secretsmanager:VersionStage": "AWSPREVIOUS" },
        "Denied",
        "ImplicitlyDenied",
    ],
    ["secondary/Stuart", "kms:Decrypt", { "kms:EncryptionContext:SecretARN": secretArn }, "Denied", "ImplicitlyDenied"],
    ["secondary/Stuart", "secretsmanager:PutResourcePolicy", {}, "Denied", "ImplicitlyDenied"],
    ["secondary/Stuart", "secretsmanager:DeleteSecret", {}, "Denied", "ImplicitlyDenied"],
    ["secondary/Stuart", "secretsmanager:UpdateSecret", {}, "Denied", "ImplicitlyDenied"],
    ["secondary/Stuart", "secretsmanager:PutSecretValue", {}, "Denied", "ImplicitlyDenied"],
    [
        "other user in 222222222222, Stuart's policy",
        "secretsmanager:GetSecretValue",
        { "secretsmanager:VersionStage": "AWSCURRENT" },
        "Denied",
        "ImplicitlyDenied",
    ],
    [
        "other user in 222222222222, Stuart's policy",
        "kms:Decrypt",
        { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": secretArn },
        "Denied",
        "ImplicitlyDenied",
    ],
    [
        "user in unrelated 999999999999, Stuart's policy",
        "secretsmanager:GetSecretValue",
        { "secretsmanager:VersionStage": "AWSCURRENT" },
        "Denied",
        "ImplicitlyDenied",
    ],
    [
        "user in unrelated 999999999999, Stuart's policy",
        "kms:Decrypt",
        { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": secretArn },
        "Denied",
        "ImplicitlyDenied",
    ],
    [
        "anonymous",
        "secretsmanager:GetSecretValue",
        { "secretsmanager:VersionStage": "AWSCURRENT" },
        "Denied",
        "ImplicitlyDenied",
    ],
    [
        "anonymous",
        "kms:Decrypt",
        { "kms:ViaService": VIA, "kms:EncryptionContext:SecretARN": secretArn },
        "Denied",
        "ImplicitlyDenied",
    ],
];

const withoutPrincipalKeys = (context: Record<string, string>) =>
    Object.fromEntries(Object.entries(context).filter(([k]) => !k.startsWith("aws:Principal")));

describe("npm start: the plan of the committed stacks", () => {
    // One plan per output form, shared: each is a whole run of both stacks.
    let seed: Awaited<ReturnType<typeof planJson>>;
    let json: Outcome;
    let text: Outcome;
    let markdown: Outcome;
    before(async function () {
        this.timeout(120000);
        json = await plan(["--json"]);
        seed = { code: json.code, report: JSON.parse(json.stdout) as JsonReport, stderr: json.stderr };
        text = await plan(["--verbose"]);
        markdown = await plan(["--markdown"]);
    });

    it("proves the seed's whole access matrix and exits 0", () => {
        const { code, report } = seed;
        expect(code).to.equal(0);
        expect(report.ok).to.equal(true);
        const secretArn = report.stacks[0].outputs.secretArn as string;
        expect(secretArn).to.match(/^arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-[A-Za-z0-9]{6}$/);
        expect(
            report.access.map((a) => [a.who, a.action, withoutPrincipalKeys(a.context), a.expected, a.decision]),
        ).to.deep.equal(SEED_MATRIX(secretArn));
        expect(report.access.every((a) => a.ok)).to.equal(true);
        expect(report.summary).to.deep.equal({ checks: 14, asExpected: 14, failed: 0 });
        expect(report.notProven).to.deep.equal([]);
    });

    it("simulates each request on the right resource, with the principal keys derived from the principal", () => {
        const { report } = seed;
        const secretArn = report.stacks[0].outputs.secretArn as string;
        const keyArn = report.stacks[0].outputs.keyArn as string;
        const [get, decrypt] = report.access;
        expect(get).to.include({
            principal: STUART,
            resource: secretArn,
            check: "MySecret: secondary/Stuart GetSecretValue AWSCURRENT",
        });
        expect(get.context).to.include({ "aws:PrincipalArn": STUART, "aws:PrincipalAccount": "222222222222" });
        expect(decrypt).to.include({
            principal: STUART,
            resource: keyArn,
            check: "MySecret: secondary/Stuart kms:Decrypt via Secrets Manager",
        });
        const anonymous = report.access.filter((a) => a.principal === "anonymous");
        expect(anonymous).to.have.length(2);
        for (const a of anonymous) expect(Object.keys(a.context).filter((k) => k.startsWith("aws:"))).to.deep.equal([]);
    });

    it("runs primary before secondary, whose StackReference yields primary's planned exports", () => {
        const { report } = seed;
        expect(report.stacks.map((s) => [s.name, s.file, s.mode, s.reads])).to.deep.equal([
            ["primary", "Pulumi.primary.yaml", "owner", null],
            [
                "secondary",
                "Pulumi.secondary.yaml",
                "consumer",
                { reference: "organization/secretshare/primary", stack: "primary" },
            ],
        ]);
        const [primary, secondary] = report.stacks;
        const userPolicy = secondary.resources.find((r) => r.type === "aws:iam/userPolicy:UserPolicy");
        const doc = JSON.parse(userPolicy?.inputs.policy as string) as { Statement: { Resource: string }[] };
        expect(doc.Statement.map((s) => s.Resource)).to.deep.equal([primary.outputs.secretArn, primary.outputs.keyArn]);
        expect(secondary.outputs.secretArn).to.equal(primary.outputs.secretArn);
    });

    it("lists resources with the account and region of their provider, and exports", () => {
        const { report } = seed;
        const row = (stack: number, type: string) => {
            const r = report.stacks[stack].resources.find((x) => x.type === type);
            return r && [r.name, r.account, r.region];
        };
        expect(row(0, "aws:kms/key:Key")).to.deep.equal(["share-key", "111111111111", "us-east-1"]);
        expect(row(0, "aws:secretsmanager/secret:Secret")).to.deep.equal([
            "share-MySecret",
            "111111111111",
            "us-east-1",
        ]);
        expect(row(1, "aws:iam/user:User")).to.deep.equal(["secondary-Stuart", "222222222222", "us-east-1"]);
        expect(row(0, "secretshare:index:SecretOwner")).to.deep.equal(["share", null, null]);
        expect(report.stacks[1].outputs.userArn).to.equal(STUART);
    });

    it("never prints a secret's value: the SecretVersion's secretString is [secret]", () => {
        const { report } = seed;
        const version = report.stacks[0].resources.find(
            (r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion",
        );
        expect(version?.inputs).to.deep.equal({
            secretId: report.stacks[0].outputs.secretArn,
            secretString: "[secret]",
        });
        // The mocks' generated password is "mock-<hex>"; the username is Alice. Neither may appear.
        for (const form of [json.stdout, text.stdout, markdown.stdout]) {
            expect(form).not.to.match(/mock-[0-9a-f]{24}/);
            expect(form).not.to.include("Alice");
            expect(form).not.to.include("1b47061264138c4ac30d75fd1eb44270"); // Pulumi's secret signature
        }
    });

    it("prints text: resource table, exports, the three documents, the matrix and the summary line", () => {
        const { code, stdout } = text;
        expect(code).to.equal(0);
        expect(stdout).to.match(/^TYPE +NAME +ACCOUNT +REGION +ORIGIN$/m);
        expect(stdout).to.match(/^aws:iam\/user:User +secondary-Stuart +222222222222 +us-east-1 +created$/m);
        expect(stdout).to.match(/^aws:kms\/key:Key +share-key +111111111111 +us-east-1 +created$/m);
        expect(stdout).to.include("key policy of share-key:");
        expect(stdout).to.match(/secret resource policy share-MySecret-policy \(arn:aws:secretsmanager:/);
        expect(stdout).to.include("identity policy secondary-Stuart-read (inline, user Stuart):");
        expect(stdout).to.include(
            '"kms:EncryptionContext:SecretARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-??????"',
        );
        expect(stdout).to.match(
            /^ok +MySecret +secondary\/Stuart +secretsmanager:GetSecretValue +VersionStage=AWSCURRENT +Allowed +Allowed$/m,
        );
        expect(stdout).to.match(
            /^ok +MySecret +anonymous +kms:Decrypt +ViaService=secretsmanager\.us-east-1\.amazonaws\.com EncryptionContext:SecretARN=MySecret-\w{6} +Denied +ImplicitlyDenied$/m,
        );
        expect(stdout.trimEnd().split("\n").pop()).to.equal("access: 14 checks, 14 as expected");
        // Columns line up: every matrix row starts its EXPECTED column at the same offset.
        const rows = stdout.split("\n").filter((l) => /^(ok|FAIL) /.test(l));
        expect(
            new Set(rows.map((l) => l.search(/(Allowed|Denied) +(Allowed|ImplicitlyDenied|ExplicitlyDenied)$/))),
        ).to.have.property("size", 1);
    });

    it("prints Markdown for a PR comment", () => {
        const { code, stdout } = markdown;
        expect(code).to.equal(0);
        expect(stdout.split("\n")[0]).to.equal("## secretshare plan: ✅ access: 14 checks, 14 as expected");
        expect(stdout).to.include(
            "| ✅ | MySecret | secondary/Stuart | `secretsmanager:GetSecretValue` | `VersionStage=AWSCURRENT` | Allowed | Allowed |",
        );
        expect(stdout).to.include("### Stack `secondary` (consumer, reads primary (organization/secretshare/primary))");
        expect(stdout).to.include("<details><summary>key policy of share-key</summary>");
    });
});

describe("npm start --stack", () => {
    it("plans the owner alone, and says which grants it cannot prove", async () => {
        const { code, report } = await planJson(["--stack", "primary"]);
        expect(code).to.equal(0);
        expect(report.stacks.map((s) => s.name)).to.deep.equal(["primary"]);
        expect(report.notProven).to.deep.equal([
            {
                secret: "MySecret",
                reader: "secondary/Stuart",
                reason: "its identity policy is written by stack secondary, which is not in this plan",
            },
        ]);
        expect(report.access.map((a) => a.who)).to.deep.equal(["anonymous", "anonymous"]);
        const text = await plan(["--stack=primary"]);
        expect(text.stdout).to.include(
            "not proven: MySecret for secondary/Stuart: its identity policy is written by stack secondary",
        );
        expect(text.stdout).to.include("access: 2 checks, 2 as expected; 1 grant(s) not proven (stacks not planned)");
    });

    it("refuses a consumer stack without its owner stack: exit 2, include the owner", async () => {
        const out = await plan(["--stack", "secondary"]);
        expect(out.code).to.equal(2);
        expect(out.stdout).to.equal("");
        expect(out.stderr).to.equal(
            `error: stack "secondary" reads organization/secretshare/primary (secretshare:ownerStack in ${path.join(ROOT, "Pulumi.secondary.yaml")}), ` +
                "which is not in this plan: include the owner stack (--stack primary --stack secondary), so that the reference yields the exports the plan computes for it\n",
        );
    });

    it("plans both when both are named, in dependency order whatever the order given", async () => {
        const { code, report } = await planJson(["--stack", "secondary", "--stack", "primary"]);
        expect(code).to.equal(0);
        expect(report.stacks.map((s) => s.name)).to.deep.equal(["primary", "secondary"]);
        expect(report.summary.checks).to.equal(14);
    });

    it("refuses an unknown stack: exit 2, naming the stacks there are", async () => {
        const out = await plan(["--stack", "tertiary"]);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.equal(
            `error: unknown stack "tertiary": the stacks of project secretshare in ${ROOT} are primary, secondary\n`,
        );
    });
});

describe("npm start: dependency order and StackReference wiring", () => {
    const owner = committed("primary").config;
    const consumer = committed("secondary").config;

    it("runs an owner stack before the stack that reads it, whatever their names; any organization", async () => {
        const dir = tempProject({
            "a-consumer": { ...consumer, "secretshare:ownerStack": "acme/secretshare/z-owner" },
            "z-owner": owner,
        });
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect(report.stacks.map((s) => [s.name, s.reads?.reference ?? null])).to.deep.equal([
            ["z-owner", null],
            ["a-consumer", "acme/secretshare/z-owner"],
        ]);
        const [z, a] = report.stacks;
        expect(a.outputs.secretArn).to.equal(z.outputs.secretArn);
        expect(report.summary).to.deep.equal({ checks: 14, asExpected: 14, failed: 0 });
    });

    it("gives each consumer the exports of the owner it names: two owners, two consumers", async () => {
        const ownerB = {
            ...owner,
            "secretshare:owner": { accountId: "333333333333", region: "eu-west-1" },
            "secretshare:key": { alias: "OtherKey" },
            // c1 creates Stuart; a second CreateUser of the same name would fail at deploy (preflight).
            "secretshare:consumers": {
                secondary: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] },
            },
        };
        const dir = tempProject({
            c1: { ...consumer, "secretshare:ownerStack": "organization/secretshare/o1" },
            c2: { ...consumer, "secretshare:ownerStack": "organization/secretshare/o2" },
            o1: owner,
            o2: ownerB,
        });
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect(report.stacks.map((s) => s.name)).to.deep.equal(["o1", "c1", "o2", "c2"]);
        const outputs = Object.fromEntries(report.stacks.map((s) => [s.name, s.outputs]));
        expect(outputs.c1.secretArn).to.equal(outputs.o1.secretArn);
        expect(outputs.c2.secretArn).to.equal(outputs.o2.secretArn);
        expect(outputs.o2.secretArn).to.match(/^arn:aws:secretsmanager:eu-west-1:333333333333:secret:MySecret-/);
    });

    it("orders by reads, then by name, and refuses a cycle", () => {
        const reads = new Map([
            ["b", { stack: "c" }],
            ["c", { stack: "d" }],
        ]);
        expect(dependencyOrder(["a", "b", "c", "d"], reads)).to.deep.equal(["a", "d", "c", "b"]);
        const cycle = new Map([
            ["a", { stack: "b" }],
            ["b", { stack: "a" }],
        ]);
        expect(() => dependencyOrder(["a", "b"], cycle))
            .to.throw(PlanError)
            .with.property("message", "stacks read each other in a cycle: a -> b -> a");
    });

    it("refuses a reference to another project or to a stack file that does not exist: exit 2", async () => {
        const other = tempProject({
            o: owner,
            c: { ...consumer, "secretshare:ownerStack": "organization/elsewhere/o" },
        });
        const a = await plan([], other);
        expect(a.code).to.equal(2);
        expect(a.stderr).to.include(
            `a stack of project "elsewhere": the plan resolves references to stacks of this project (secretshare) only`,
        );
        const missing = tempProject({ c: { ...consumer, "secretshare:ownerStack": "organization/secretshare/nope" } });
        const b = await plan([], missing);
        expect(b.code).to.equal(2);
        expect(b.stderr).to.equal(
            `error: stack "c" reads organization/secretshare/nope (secretshare:ownerStack in ${path.join(missing, "Pulumi.c.yaml")}), but there is no Pulumi.nope.yaml in ${missing}\n`,
        );
    });
});

describe("npm start: secure config", () => {
    it("plans a secure password with a placeholder, says so, and never shows it", async () => {
        const dir = tempProject({
            primary: {
                ...committed("primary").config,
                "secretshare:passwords": { MySecret: { secure: "v1:AAAABBBBCCCC" } },
            },
            secondary: committed("secondary").config,
        });
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect(report.stacks[0].placeholders).to.deep.equal(["secretshare:passwords.MySecret"]);
        expect(report.stacks[0].resources.map((r) => r.type)).not.to.include(
            "random:index/randomPassword:RandomPassword",
        );
        const version = report.stacks[0].resources.find(
            (r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion",
        );
        expect(version?.inputs.secretString).to.equal("[secret]");
        const text = await plan([], dir);
        expect(text.stdout).to.include(
            `note: secure config secretshare:passwords.MySecret cannot be decrypted offline: planned with the placeholder "${SECURE_PLACEHOLDER}"`,
        );
        expect(text.stdout).not.to.include("v1:AAAABBBBCCCC");
        const md = await plan(["--markdown"], dir);
        expect(md.stdout).to.include(
            "> **Note:** secure config secretshare:passwords.MySecret cannot be decrypted offline",
        );
    });
});

describe("npm start: secure watch subscribers", () => {
    it("accepts secure subscriber addresses it cannot see, says so, and never shows them", async () => {
        const dir = tempProject({
            primary: {
                ...committed("primary").config,
                "secretshare:watch": {
                    subscribers: [
                        { email: { secure: "v1:EMAILCIPHERTEXT" } },
                        { email: { secure: "v1:OTHERCIPHERTEXT" } },
                        { https: { secure: "v1:HOOKCIPHERTEXT" } },
                    ],
                },
            },
            secondary: committed("secondary").config,
        });
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect(report.stacks[0].placeholders).to.deep.equal([
            "secretshare:watch.subscribers[0].email",
            "secretshare:watch.subscribers[1].email",
            "secretshare:watch.subscribers[2].https",
        ]);
        const endpoints = report.stacks[0].resources
            .filter((r) => r.type === "aws:sns/topicSubscription:TopicSubscription")
            .map((r) => [r.inputs.protocol, r.inputs.endpoint]);
        expect(endpoints).to.deep.equal([
            ["email", "[secret]"],
            ["email", "[secret]"],
            ["https", "[secret]"],
        ]);
        for (const argv of [[], ["--json"], ["--markdown"], ["--verbose"], ["--preview"], ["--preview", "--json"]]) {
            const out = await plan(argv, dir);
            expect(out.code, argv.join(" ")).to.equal(0);
            expect(out.stdout + out.stderr, argv.join(" ")).not.to.match(
                /CIPHERTEXT|not-decrypted-offline|secure-value-/,
            );
        }
        expect((await plan([], dir)).stdout).to.include(
            "note: secure config secretshare:watch.subscribers[0].email, secretshare:watch.subscribers[1].email, " +
                "secretshare:watch.subscribers[2].https cannot be decrypted offline: accepted, and planned with a stand-in " +
                "address of the expected form (not shown); its own form is checked when Pulumi decrypts it (pulumi preview)",
        );
    });
});

describe("npm start: usage and configuration errors (exit 2, no stack trace)", () => {
    const noTrace = (stderr: string) => expect(stderr).not.to.match(/^\s+at /m);

    it("refuses bad flags", async () => {
        for (const [argv, message] of [
            [["--loud"], 'error: unknown argument "--loud"'],
            [["--stack"], "error: --stack needs a value"],
            [["--stack", "--json"], "error: --stack needs a value"],
            [["--json", "--markdown"], "error: --json and --markdown cannot be combined"],
            [["--json=yes"], "error: --json takes no value"],
        ] as const) {
            const out = await plan(argv);
            expect(out.code, argv.join(" ")).to.equal(2);
            expect(out.stderr.split("\n")[0]).to.equal(message);
            expect(out.stderr).to.include("usage: npm start --");
            expect(out.stdout).to.equal("");
        }
    });

    it("parses repeated --stack, --stack=NAME and -s", () => {
        expect(parseArgs(["--stack", "a", "--stack=b", "-s", "c", "--markdown"])).to.deep.equal({
            help: false,
            format: "markdown",
            stacks: ["a", "b", "c"],
        });
    });

    it("prints help and exits 0", async () => {
        const out = await plan(["--help"]);
        expect(out.code).to.equal(0);
        expect(out.stdout).to.include("--stack NAME");
        expect(out.stdout).to.include(
            "Exit codes: 0 every check as expected, 1 a check failed, 2 usage or configuration error,\n" +
                "4 the diff matched --fail-on, 5 nothing failed but not proven: existing resources unknown\n" +
                "without a world snapshot.",
        );
    });

    it("reports a config error of any stack with the program's message", async () => {
        const dir = tempProject({
            primary: { ...committed("primary").config, "secretshare:mode": "bogus" },
            secondary: committed("secondary").config,
        });
        const out = await plan([], dir);
        expect(out.code).to.equal(2);
        expect(out.stdout).to.equal("");
        expect(out.stderr).to.match(
            /^error: invalid secretshare configuration for stack "primary":\n {2}- secretshare:mode = "bogus": expected "owner"/,
        );
        noTrace(out.stderr);
    });

    it("reports an owner stack that grants nothing to the consumer", async () => {
        const dir = tempProject({
            primary: committed("primary").config,
            secondary: {
                ...committed("secondary").config,
                "secretshare:consumer": { name: "tertiary", accountId: "222222222222", region: "us-east-1" },
            },
        });
        const out = await plan([], dir);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.include('grants nothing to consumer "tertiary" (it grants: secondary)');
        noTrace(out.stderr);
    });

    it("reports a directory without Pulumi.yaml, or without stack files", async () => {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-empty-"));
        const a = await plan(["--dir", empty]);
        expect([a.code, a.stderr]).to.deep.equal([2, `error: no Pulumi.yaml in ${empty}\n`]);
        fs.writeFileSync(path.join(empty, "Pulumi.yaml"), "name: secretshare\n");
        const b = await plan(["--dir", empty]);
        expect([b.code, b.stderr]).to.deep.equal([2, `error: no stack files (Pulumi.<stack>.yaml) in ${empty}\n`]);
    });
});

describe("npm start as a process", function () {
    this.timeout(120000);
    const npmStart = (args: string[]) =>
        spawnSync("npm", ["start", "--silent", "--", ...args], { cwd: ROOT, encoding: "utf8" });

    it("plans the committed stacks and exits 0", () => {
        const out = npmStart(["--json"]);
        expect(out.status, out.stderr).to.equal(0);
        const report = JSON.parse(out.stdout) as { ok: boolean; summary: unknown };
        expect(report.ok).to.equal(true);
        expect(report.summary).to.deep.equal({ checks: 14, asExpected: 14, failed: 0 });
    });

    it("exits 2 on an unknown stack, with the message alone", () => {
        const out = npmStart(["--stack", "nope"]);
        expect(out.status).to.equal(2);
        expect(out.stderr).to.match(/^error: unknown stack "nope"/m);
        expect(out.stderr).not.to.match(/^\s+at /m);
    });
});

describe("npm start --markdown with many checks", () => {
    it("lists only the failing checks and a count per secret past MARKDOWN_ROWS", () => {
        const check = (i: number, ok: boolean): CheckResult => ({
            name: `S${i % 3}: r${i} GetSecretValue AWSCURRENT`,
            secret: `S${i % 3}`,
            who: `acct/r${i}`,
            principal: `arn:aws:iam::222222222222:user/r${i}`,
            action: "secretsmanager:GetSecretValue",
            resource: "arn:aws:secretsmanager:us-east-1:111111111111:secret:S-AbCdEf",
            context: { "secretsmanager:VersionStage": "AWSCURRENT" },
            identityPolicies: [],
            expected: "Allowed",
            decision: ok ? "Allowed" : "ImplicitlyDenied",
            outcome: {
                decision: ok ? "Allowed" : "ImplicitlyDenied",
                context: {},
                ignoredContextKeys: [],
                deniedBy: [],
            },
            ok,
            ...(!ok && { reason: "expected Allowed, got ImplicitlyDenied" }),
        });
        const checks = Array.from({ length: MARKDOWN_ROWS + 1 }, (_, i) => check(i, i !== 7));
        const md = toMarkdown({
            plan: { project: "p", dir: "/", stacks: [], unplanned: [] },
            access: { checks, notProven: [] },
        });
        expect(md).to.include(`${MARKDOWN_ROWS + 1} checks: the failing ones below, and a count per secret`);
        expect(md).to.include("| S0 | 101 | 101 |\n| S1 | 100 | 99 |\n| S2 | 100 | 100 |");
        expect(md.split("\n").filter((l) => l.startsWith("| ❌ |"))).to.deep.equal([
            "| ❌ | S1 | acct/r7 | `secretsmanager:GetSecretValue` | `VersionStage=AWSCURRENT` | Allowed | ImplicitlyDenied |",
        ]);
        expect(md.split("\n").filter((l) => l.startsWith("| ✅ |"))).to.deep.equal([]);
        expect(md).to.include("- failed: S1: r7 GetSecretValue AWSCURRENT: expected Allowed, got ImplicitlyDenied");
    });
});

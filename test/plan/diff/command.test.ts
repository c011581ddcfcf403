import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "../../../plan/cli";
import { tempProject, plan } from "../helpers";
import { committedStacks, withBob } from "./helpers";
import { mermaidBlocks } from "../../support/mermaid";

/** `--against` on the command line: output forms, --head, --fail-on, --full-report, usage errors. */

describe("npm start -- --against: options and exit codes", function () {
    this.timeout(60_000);
    let baseFile: string;
    let headFile: string;
    let dir: string;

    before(async function () {
        this.timeout(120_000);
        const save = async (stacks: ReturnType<typeof committedStacks>, name: string) => {
            const d = tempProject(stacks);
            const out = await plan(["--json"], d);
            fs.writeFileSync(path.join(d, name), out.stdout);
            return { dir: d, file: path.join(d, name) };
        };
        baseFile = (await save(committedStacks(), "base.json")).file;
        const head = await save(withBob(), "head.json");
        headFile = head.file;
        dir = head.dir;
    });

    it("text by default: the gains, the statements by Sid, the resources", async () => {
        const out = await plan(["--against", baseFile, "--head", headFile], dir);
        expect(out.code).to.equal(0);
        expect(out.stdout).to.include(`access diff of secretshare: ${baseFile} -> ${headFile}\n`);
        expect(out.stdout).to.match(
            /^\+ +MySecret +secondary\/Bob +222222222222 +GetSecretValue +VersionStage=AWSCURRENT /m,
        );
        expect(out.stdout).to.match(/^\+ +MySecret +secondary\/Bob +222222222222 +kms:Decrypt /m);
        expect(out.stdout).to.include(
            '  ~ SecretShareReadCurrent (Allow secretsmanager:GetSecretValue for {"AWS":"arn:aws:iam::222222222222:root"}): Condition changed\n' +
                "      + Condition.ArnEquals.aws:PrincipalArn = arn:aws:iam::222222222222:user/Bob\n",
        );
        expect(out.stdout).to.match(/^created +secondary +aws:iam\/user:User +secondary-Bob +222222222222/m);
    });

    it("--fail-on gain exits 4 on a gain; external does not (no new account); any does", async () => {
        const run = async (on: string) =>
            (await plan(["--against", baseFile, "--head", headFile, "--fail-on", on], dir)).code;
        expect(await run("gain")).to.equal(4);
        expect(await run("external")).to.equal(0);
        expect(await run("any")).to.equal(4);
        // Nothing changed: nothing to fail on.
        expect((await plan(["--against", headFile, "--head", headFile, "--fail-on", "any"], dir)).code).to.equal(0);
    });

    it("--markdown keeps to the comment; --full-report writes the whole report", async () => {
        const report = path.join(path.dirname(headFile), "full.md");
        const out = await plan(["--against", baseFile, "--head", headFile, "--markdown", "--full-report", report], dir);
        expect(out.code).to.equal(0);
        expect(out.stdout).to.match(/^## secretshare access diff: 🔶 2 gained, 0 lost/);
        expect(mermaidBlocks(out.stdout)).to.have.length(1);
        expect(fs.readFileSync(report, "utf8")).to.equal(out.stdout);
    });

    it("refuses options that need --against, a bad --fail-on, --preview with --against, and a file that is not a plan", async () => {
        expect(() => parseArgs(["--fail-on", "gain"])).to.throw("--fail-on needs --against");
        expect(() => parseArgs(["--head", "x.json"])).to.throw("--head needs --against");
        expect(() => parseArgs(["--against", "a", "--fail-on", "loss"])).to.throw(
            "--fail-on loss: expected one of gain, external, any",
        );
        expect(() => parseArgs(["--against", "a", "--preview"])).to.throw("--against and --preview cannot be combined");
        const notPlan = path.join(path.dirname(headFile), "not-plan.json");
        fs.writeFileSync(notPlan, JSON.stringify({ hello: 1 }));
        const out = await plan(["--against", notPlan, "--head", headFile], dir);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.match(
            /^error: .*not-plan\.json is not a plan's JSON document \(.*\): expected the output of `npm start --silent -- --json`\n$/,
        );
    });

    it("--head naming a directory is a usage error (exit 2, no stack trace)", async () => {
        const folder = path.dirname(headFile);
        const out = await plan(["--against", baseFile, "--head", folder], dir);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.equal(`error: --head ${folder}: not a file (expected a plan saved with --json)\n`);
    });
});

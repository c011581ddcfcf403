import { expect } from "chai";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import type { PlanDiff } from "../../../plan/diff/diff";
import { ROOT } from "../../mocks";
import { plan } from "../helpers";
import { committedStacks, withBob, type Stacks } from "./helpers";

/**
 * `--against <git ref>`: the base is planned by the ref's own code in a temporary worktree (a
 * child process), and gives the same diff as the same commit's plan saved as JSON. One throwaway
 * repository for the file, with this project's files: the main line has two commits of stack
 * files (`base`, then `head`); branches off `base` replace plan/cli.ts with a stand-in (a plan
 * that fails, one that is not proven, one that hangs), at the cost of a bare Node process rather
 * than a whole plan. Each base plan here is a whole process, so the cases are few.
 */

const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    }).trim();

function writeStacks(dir: string, stacks: Stacks): void {
    for (const [name, config] of Object.entries(stacks)) {
        fs.writeFileSync(path.join(dir, `Pulumi.${name}.yaml`), YAML.stringify({ config }));
    }
}

/**
 * A repository with this project's tracked files: commit 1 `base`, commit 2 `head` (checked out);
 * and for each entry of `standIns`, a branch of that name off `base` whose plan/cli.ts is that script.
 */
function repository(base: Stacks, head: Stacks, standIns: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-diff-repo-"));
    // The working tree's files, tracked or new (not ignored): the program as this test runs it,
    // without the tests (half the files), which no plan loads.
    for (const file of git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").split("\n")) {
        if (!fs.existsSync(path.join(ROOT, file)) || file.startsWith("test/")) continue;
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    git(dir, "init", "--quiet");
    writeStacks(dir, base);
    git(dir, "add", "-A");
    git(dir, "commit", "--quiet", "-m", "base");
    const cli = path.join(dir, "plan", "cli.ts");
    for (const [branch, script] of Object.entries(standIns)) {
        git(dir, "checkout", "--quiet", "-b", branch);
        fs.writeFileSync(cli, script);
        git(dir, "commit", "--quiet", "-am", branch);
        // Back to the main line: plan/cli.ts as committed in `base`.
        git(dir, "checkout", "--quiet", "-");
    }
    writeStacks(dir, head);
    git(dir, "commit", "--quiet", "-am", "head");
    return dir;
}

/** A minimal plan saved as JSON, for `--head`: the head is not planned, only the base. */
function headFile(): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-diff-head-")), "head.json");
    fs.writeFileSync(file, JSON.stringify({ ok: true, project: "secretshare", stacks: [], access: [] }));
    return file;
}

const worktrees = (dir: string) => git(dir, "worktree", "list").split("\n").length;

describe("access diff against a git ref", function () {
    this.timeout(120_000);

    let dir: string;
    before(() => {
        dir = repository(committedStacks(), withBob(), {
            // Fails as a plan with a bad config does (test/plan/cli.test.ts has that error).
            failing:
                'process.stderr.write("error: invalid secretshare configuration: owner.accountId = \\"12345\\"\\n");\nprocess.exit(2);\n',
            // Answers as a plan without a world snapshot does: a plan in JSON, exit 5.
            "not-proven":
                'process.stdout.write(JSON.stringify({ ok: false, proven: false, project: "secretshare", stacks: [], access: [] }));\n' +
                "process.exit(5);\n",
            hanging: "setTimeout(() => undefined, 120_000);\n",
        });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("HEAD~1 gives the same diff as HEAD~1's plan saved as JSON, and leaves no worktree", async () => {
        // A temporary directory of this test's own: others running the suite on the machine share /tmp.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-diff-tmp-"));
        const ownTmp = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        let byRef: Awaited<ReturnType<typeof plan>>;
        try {
            byRef = await plan(["--against", "HEAD~1", "--json"], dir);
        } finally {
            if (ownTmp === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = ownTmp;
        }
        expect(byRef.code, byRef.stderr).to.equal(0);
        expect(worktrees(dir)).to.equal(1);
        expect(fs.readdirSync(tmp).filter((f) => f.startsWith("secretshare-base-"))).to.deep.equal([]);

        git(dir, "stash", "--quiet", "--include-untracked");
        git(dir, "checkout", "--quiet", "HEAD~1");
        const saved = await plan(["--json"], dir);
        git(dir, "checkout", "--quiet", "-");
        fs.writeFileSync(path.join(tmp, "secretshare-diff-base.json"), saved.stdout);
        const byFile = await plan(["--against", path.join(tmp, "secretshare-diff-base.json"), "--json"], dir);

        const [a, b] = [JSON.parse(byRef.stdout) as PlanDiff, JSON.parse(byFile.stdout) as PlanDiff];
        expect(a.base.label).to.match(/^HEAD~1 \([0-9a-f]{12}\)$/);
        expect({ ...a, base: null }).to.deep.equal({ ...b, base: null });
        expect(a.access.map((c) => `${c.change} ${c.who} ${c.action} ${c.secret}`)).to.deep.equal([
            "gained secondary/Bob kms:Decrypt MySecret",
            "gained secondary/Bob secretsmanager:GetSecretValue MySecret",
        ]);
    });

    it("a ref whose plan fails: exit 2 with the ref's error, and its worktree is removed", async () => {
        const out = await plan(["--against", "failing", "--head", headFile()], dir);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.match(
            /error: the plan at [0-9a-f]{12} failed \(exit 2\):\nerror: invalid secretshare configuration[\s\S]*owner\.accountId = "12345"/,
        );
        expect(worktrees(dir)).to.equal(1);
    });

    it("a ref whose plan is not proven (exit 5: existing resources without a world snapshot) is still compared", async () => {
        const out = await plan(["--against", "not-proven", "--head", headFile(), "--json"], dir);
        expect(out.code, out.stderr).to.equal(0);
        expect((JSON.parse(out.stdout) as PlanDiff).base.label).to.match(/^not-proven \([0-9a-f]{12}\)$/);
        expect(worktrees(dir)).to.equal(1);
    });

    it("Ctrl-C (SIGINT) while the ref is planned: the worktree and its directory are removed, exit 130", async () => {
        const child = spawn(
            process.execPath,
            [
                path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js"),
                "--swc",
                path.join(ROOT, "plan", "cli.ts"),
            ].concat(["--against", "hanging", "--head", headFile(), "--dir", dir]),
            { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] },
        );
        const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        const tree = () =>
            git(dir, "worktree", "list", "--porcelain")
                .split("\n")
                .filter((l) => l.startsWith("worktree "))
                .map((l) => l.slice("worktree ".length))
                .find((p) => p !== fs.realpathSync(dir) && p !== dir);
        let base: string | undefined;
        for (let i = 0; i < 600 && !base; i++) {
            await new Promise((r) => setTimeout(r, 100));
            base = tree();
        }
        expect(base, "the base's worktree was never added").to.be.a("string");
        // The child is started right after the worktree is added; let it start.
        await new Promise((r) => setTimeout(r, 500));
        child.kill("SIGINT");
        expect(await exited).to.equal(130);
        expect(worktrees(dir)).to.equal(1);
        expect(fs.existsSync(path.dirname(base as string))).to.equal(false);
    });

    it("neither a file nor a ref: exit 2 naming both forms", async () => {
        const out = await plan(["--against", "no-such-ref"], ROOT);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.include("--against no-such-ref: neither a file nor a git commit");
    });
});

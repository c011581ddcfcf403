import { expect } from "chai";
import { execFileSync } from "child_process";
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
 * child process), and gives the same diff as the same commit's plan saved as JSON. A throwaway
 * repository with this project's files and two commits of stack files; each base plan here is a
 * whole process, so the cases are few.
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

/** A repository with this project's tracked files: commit 1 `base`, commit 2 `head`. */
function repository(base: Stacks, head: Stacks): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-diff-repo-"));
    // The working tree's files, tracked or new (not ignored): the program as this test runs it.
    for (const file of git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard").split("\n")) {
        if (!fs.existsSync(path.join(ROOT, file))) continue;
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
    }
    git(dir, "init", "--quiet");
    writeStacks(dir, base);
    git(dir, "add", "-A");
    git(dir, "commit", "--quiet", "-m", "base");
    writeStacks(dir, head);
    git(dir, "commit", "--quiet", "-am", "head");
    return dir;
}

const worktrees = (dir: string) => git(dir, "worktree", "list").split("\n").length;

describe("access diff against a git ref", function () {
    this.timeout(120_000);

    it("HEAD~1 gives the same diff as HEAD~1's plan saved as JSON, and leaves no worktree", async () => {
        const dir = repository(committedStacks(), withBob());
        // A temporary directory of this run's own (os.tmpdir() reads TMPDIR): other test files,
        // in the other mocha worker, check out git refs into the shared one at the same time.
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-gitref-"));
        const tmpdir = process.env.TMPDIR;
        process.env.TMPDIR = tmp;
        let byRef: Awaited<ReturnType<typeof plan>>;
        try {
            byRef = await plan(["--against", "HEAD~1", "--json"], dir);
        } finally {
            if (tmpdir === undefined) delete process.env.TMPDIR;
            else process.env.TMPDIR = tmpdir;
        }
        expect(byRef.code, byRef.stderr).to.equal(0);
        expect(worktrees(dir)).to.equal(1);
        expect(fs.readdirSync(tmp).filter((f) => f.startsWith("secretshare-base-"))).to.satisfy((left: string[]) =>
            left.every((f) => !fs.existsSync(path.join(tmp, f, "tree"))),
        );

        git(dir, "stash", "--quiet", "--include-untracked");
        git(dir, "checkout", "--quiet", "HEAD~1");
        const saved = await plan(["--json"], dir);
        git(dir, "checkout", "--quiet", "-");
        fs.writeFileSync(path.join(os.tmpdir(), "secretshare-diff-base.json"), saved.stdout);
        const byFile = await plan(["--against", path.join(os.tmpdir(), "secretshare-diff-base.json"), "--json"], dir);

        const [a, b] = [JSON.parse(byRef.stdout) as PlanDiff, JSON.parse(byFile.stdout) as PlanDiff];
        expect(a.base.label).to.match(/^HEAD~1 \([0-9a-f]{12}\)$/);
        expect({ ...a, base: null }).to.deep.equal({ ...b, base: null });
        expect(a.access.map((c) => `${c.change} ${c.who} ${c.action} ${c.secret}`)).to.deep.equal([
            "gained secondary/Bob kms:Decrypt MySecret",
            "gained secondary/Bob secretsmanager:GetSecretValue MySecret",
        ]);
    });

    it("a ref whose plan fails: exit 2 with the ref's error, and its worktree is removed", async () => {
        const broken = committedStacks();
        broken.primary["secretshare:owner"] = { accountId: "12345", region: "us-east-1" };
        const dir = repository(broken, committedStacks());
        const out = await plan(["--against", "HEAD~1"], dir);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.match(
            /error: the plan at [0-9a-f]{12} failed \(exit 2\):\nerror: invalid secretshare configuration[\s\S]*owner\.accountId = "12345"/,
        );
        expect(worktrees(dir)).to.equal(1);
    });

    it("neither a file nor a ref: exit 2 naming both forms", async () => {
        const out = await plan(["--against", "no-such-ref"], ROOT);
        expect(out.code).to.equal(2);
        expect(out.stderr).to.include("--against no-such-ref: neither a file nor a git commit");
    });
});

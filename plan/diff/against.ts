import { execFileSync, spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PlanError, UsageError } from "../../common/errors";
import { readPlanJson, type PlanJson } from "./facts";

/**
 * The base of `npm start -- --against <ref-or-file>`: a plan saved with
 * `npm start --silent -- --json > base.json`, or the project as it was at a git ref, planned by
 * that ref's own code in a temporary `git worktree` (removed afterwards, whatever happens) with
 * this checkout's installed dependencies, in a child process: each plan runs the program of its
 * own commit, and both are compared as `--json` documents.
 */

export interface Base {
    readonly plan: PlanJson;
    /** The file, or "<ref> (<short commit>)". */
    readonly label: string;
}

const git = (cwd: string, args: readonly string[]) =>
    execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** The commit `ref` names in the repository around `dir`, or undefined when it names none. */
function commitOf(dir: string, ref: string): { top: string; commit: string } | undefined {
    try {
        const top = git(dir, ["rev-parse", "--show-toplevel"]);
        return { top, commit: git(dir, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]) };
    } catch {
        return undefined;
    }
}

/** The directory that holds this program's installed dependencies (node_modules). */
const INSTALLED = path.resolve(__dirname, "..", "..", "node_modules");

/** `against` as a file is read relative to `cwd`; as a git ref, in the repository around the project `dir`. */
export async function loadBase(against: string, dir: string, argv: readonly string[] = [], cwd = dir): Promise<Base> {
    const file = path.resolve(cwd, against);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) {
        return { plan: readPlanJson(fs.readFileSync(file, "utf8"), against), label: against };
    }
    const found = commitOf(dir, against);
    if (!found) {
        throw new UsageError(
            `--against ${against}: neither a file nor a git commit of the repository at ${dir}; ` +
                "expected a plan saved with `npm start --silent -- --json > base.json`, or a git ref such as HEAD~1 or main",
        );
    }
    const label = `${against} (${found.commit.slice(0, 12)})`;
    const text = await planAtCommit(found.top, found.commit, path.relative(found.top, dir), argv);
    return { plan: readPlanJson(text, label), label };
}

/** `npm start -- --json` of `commit`, in a temporary worktree of the repository at `top`. */
async function planAtCommit(top: string, commit: string, sub: string, argv: readonly string[]): Promise<string> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-base-"));
    const tree = path.join(tmp, "tree");
    let added = false;
    let done = false;
    const cleanUp = () => {
        if (done) return;
        done = true;
        if (added) {
            try {
                git(top, ["worktree", "remove", "--force", tree]);
            } catch {
                // Removed below; `git worktree prune` forgets it.
            }
        }
        fs.rmSync(tmp, { recursive: true, force: true });
        if (added) {
            try {
                git(top, ["worktree", "prune"]);
            } catch {
                // Nothing left to forget.
            }
        }
    };
    // Ctrl-C, or CI cancelling the run (SIGINT, then SIGTERM), would end this process without
    // its `finally`, leaving the worktree registered in the user's repository: stop the child,
    // clean up, then end as the signal would have.
    let child: ChildProcess | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
        child?.kill("SIGKILL");
        cleanUp();
        process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    try {
        git(top, ["worktree", "add", "--detach", "--quiet", tree, commit]);
        added = true;
        const modules = path.join(tree, "node_modules");
        if (!fs.existsSync(modules)) fs.symlinkSync(INSTALLED, modules, "dir");
        const cli = path.join(tree, "plan", "cli.ts");
        if (!fs.existsSync(cli)) throw new PlanError(`${commit.slice(0, 12)} has no plan/cli.ts: it cannot be planned`);
        const project = path.join(tree, sub);
        const { code, stdout, stderr } = await run(
            process.execPath,
            [path.join(INSTALLED, "ts-node", "dist", "bin.js"), "--swc", cli, "--json", "--dir", project, ...argv],
            tree,
            (c) => (child = c),
        );
        // Exit 1 is a plan whose checks fail, exit 5 one whose existing resources are unknown (no
        // world snapshot): each still a plan to compare with (if it printed one).
        if ((code !== 0 && code !== 1 && code !== 5) || !stdout.trimStart().startsWith("{")) {
            const why = stderr.trim().split("\n").slice(-5).join("\n");
            throw new PlanError(`the plan at ${commit.slice(0, 12)} failed (exit ${code}):\n${why}`);
        }
        return stdout;
    } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        cleanUp();
    }
}

function run(
    cmd: string,
    args: readonly string[],
    cwd: string,
    started: (child: ChildProcess) => void,
): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
        started(child);
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", reject);
        child.on("close", (code) =>
            resolve({
                code: code ?? 3,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
            }),
        );
    });
}

import * as path from "path";
import { performance } from "perf_hooks";
import { parseCommandLine } from "../common/args";
import { isUserError, UsageError } from "../common/errors";
import type { PlanOptions } from "./plan";
import { progress } from "./progress";
import type * as diff from "./diff/command";
import { FAIL_ON, type FailOn } from "./diff/failOn";
import { selectStacks } from "./stackFiles";

/** Set when this file runs as `npm start` without SECRETSHARE_TRACE (the end of this file says why). */
const withoutTraces = require.main === module && !process.env.SECRETSHARE_TRACE;

/**
 * The modules a command needs, loaded when it first needs them rather than with this file: the
 * Pulumi SDK and the program, the simulator, the analysis and the reports are most of a run's
 * start-up, which `--help`, a usage error, an unknown `--stack` and the diff of two saved plans
 * do without. Typed as the modules they are (`typeof import(...)`); Node loads each once.
 */
const load = {
    /** The access diff of two plans, and the plan of a git ref in a child process. */
    diff: (): Promise<typeof import("./diff/command")> => import("./diff/command"),
    /** Everything that plans, proves and reports. */
    program: async () => {
        const [planning, proof, confirm, report, summary, unproven, facts, pulumi] = await Promise.all([
            import("./plan"),
            import("./proof"),
            import("./analysis/confirm"),
            import("./report"),
            import("./summary"),
            import("./world/unproven"),
            import("./diff/facts"),
            import("@pulumi/pulumi"),
        ]);
        // Before the program registers any resource (see the end of this file).
        if (withoutTraces) (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];
        return {
            plan: planning.plan,
            accessMatrix: proof.accessMatrix,
            analyseAccess: confirm.analyseAccess,
            isOk: report.isOk,
            isProven: report.isProven,
            toJson: report.toJson,
            toMarkdown: report.toMarkdown,
            toText: report.toText,
            toSummaryText: summary.toSummaryText,
            NOT_PROVEN_EXIT: unproven.NOT_PROVEN_EXIT,
            readPlanJson: facts.readPlanJson,
        };
    },
};

/**
 * `npm start`: the offline plan of every stack, and the access matrix that proves who can
 * read each secret. Exit code 0: every expectation holds; 1: at least one does not (each
 * failing check is named); 2: a usage or configuration error (its message, no stack trace);
 * 3: an internal error (a bug: message and stack trace); 5: nothing failed, but existing
 * resources were planned unknown (no world snapshot), so what depends on them is not proven.
 */

export const USAGE = `usage: npm start -- [--stack NAME]... [--json | --markdown] [--verbose] [--dir DIR] [--preview] [--world FILE]
       npm start -- --against REF-OR-FILE [--head FILE] [--fail-on gain|external|any] [--full-report FILE] [...]

Plans the stacks of a secretshare project offline (Pulumi mock runtime, no AWS, no Pulumi
engine) and proves with an IAM policy simulator who can read each secret.

  --stack NAME   plan only this stack (repeatable); a stack that reads another stack by
                 StackReference needs that stack in the plan too
  --json         one JSON document on stdout (schema in docs/plan.md)
  --markdown     Markdown, for a pull request comment or a CI job summary
  --verbose      the text form in full: every resource, export, policy document and check
                 (default: a summary; failures always in full)
  --against X    the access diff against X: a git ref (planned in a temporary worktree)
                 or a plan saved with \`npm start --silent -- --json > base.json\`:
                 who gains and who loses access, the statements and resources changed,
                 risk flags (docs/diff.md)
  --head FILE    with --against: the head is this saved plan instead of the working tree
  --fail-on WHAT with --against: exit 4 when the diff has a gain, a new external account,
                 or any change
  --full-report FILE  with --against: also write the whole Markdown diff to FILE
  --dir DIR      the project directory (default: the current directory)
  --preview      each stack as its first \`pulumi preview\` sees it: what it creates has
                 unknown IDs and outputs ([unknown]); a check that uses an unknown value
                 is not proven in preview (and fails nothing)
  --world FILE   plan against this world snapshot of the existing keys, secrets and identities
                 (npm run verify -- --snapshot FILE records one); default: world.json beside
                 the stack files, if there is one; without any, existing resources are unknown
  -h, --help     this text

Exit codes: 0 every check as expected, 1 a check failed, 2 usage or configuration error,
4 the diff matched --fail-on, 5 nothing failed but not proven: existing resources unknown
without a world snapshot.
`;

export interface Io {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
    readonly cwd: string;
}

export type Format = "text" | "json" | "markdown";

export interface Args {
    readonly help: boolean;
    readonly format: Format;
    readonly stacks: string[];
    readonly dir?: string;
    readonly preview?: boolean;
    readonly verbose?: boolean;
    readonly diff?: diff.DiffArgs;
    readonly world?: string;
}

export function parseArgs(argv: readonly string[]): Args {
    const { values } = parseCommandLine(argv, {
        stack: { type: "string", short: "s", multiple: true },
        dir: { type: "string" },
        world: { type: "string" },
        json: { type: "boolean" },
        markdown: { type: "boolean" },
        preview: { type: "boolean" },
        verbose: { type: "boolean", short: "v" },
        against: { type: "string" },
        head: { type: "string" },
        "fail-on": { type: "string" },
        "full-report": { type: "string" },
        help: { type: "boolean", short: "h" },
    });
    if (values.json && values.markdown) throw new UsageError("--json and --markdown cannot be combined");
    const format: Format = values.json ? "json" : values.markdown ? "markdown" : "text";
    const failOn = values["fail-on"];
    if (failOn !== undefined && !FAIL_ON.includes(failOn as FailOn)) {
        throw new UsageError(`--fail-on ${failOn}: expected one of ${FAIL_ON.join(", ")}`);
    }
    if (values.against === undefined) {
        for (const k of ["head", "fail-on", "full-report"] as const) {
            if (values[k] !== undefined) throw new UsageError(`--${k} needs --against`);
        }
    } else if (values.preview) throw new UsageError("--against and --preview cannot be combined");
    return {
        ...(values.verbose && { verbose: true }),
        ...(values.against !== undefined && {
            diff: {
                against: values.against,
                format,
                stacks: values.stack ?? [],
                ...(values.head !== undefined && { head: values.head }),
                ...(failOn !== undefined && { failOn: failOn as FailOn }),
                ...(values["full-report"] !== undefined && { fullReport: values["full-report"] }),
            },
        }),
        help: values.help ?? false,
        format,
        stacks: values.stack ?? [],
        ...(values.preview && { preview: true }),
        ...(values.dir !== undefined && { dir: values.dir }),
        ...(values.world !== undefined && { world: values.world }),
    };
}

/** Runs the plan; returns the exit code. Writes the report to `io.stdout`, errors to `io.stderr`. */
export async function main(
    argv: readonly string[],
    io: Io = {
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
        cwd: process.cwd(),
    },
    extra: Pick<PlanOptions, "mutate"> & { readonly progressAfterMs?: number } = {},
): Promise<number> {
    let args: Args;
    try {
        args = parseArgs(argv);
    } catch (e) {
        io.stderr(`error: ${(e as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (args.help) {
        io.stdout(USAGE);
        return 0;
    }
    // A program that fails under the mock runtime leaves a second, unawaited rejection behind
    // (the Stack resource's own registration) that carries the error reported below. A failure
    // inside an Output (an `apply` that throws) arrives only this way: the run "succeeds", but
    // like `pulumi preview`, the plan must then fail.
    let failure: unknown;
    const strays: unknown[] = [];
    const stray = (reason: unknown) => {
        if (reason !== failure) strays.push(reason);
    };
    process.on("unhandledRejection", stray);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const dir = args.dir ?? io.cwd;
    // The progress clock leaves out the time spent loading modules (which, loaded with this file,
    // came before `main`): a run reports progress when its work, not its start-up, takes long.
    let loading = 0;
    const loaded = async <T>(modules: () => Promise<T>): Promise<T> => {
        const start = performance.now();
        try {
            return await modules();
        } finally {
            loading += performance.now() - start;
        }
    };
    const said = progress(io.stderr, {
        afterMs: extra.progressAfterMs,
        enabled: args.format !== "json",
        now: () => performance.now() - loading,
    });
    try {
        // An unknown stack, before anything is loaded or a git ref's plan is started.
        if (args.diff?.head === undefined) selectStacks(dir, args.stacks);
        const differ = args.diff ? await loaded(load.diff) : undefined;
        // A git ref's plan runs in a child process while this one plans the working tree.
        const base = args.diff && differ ? differ.startBase(args.diff, dir, io.cwd) : undefined;
        // Handled where it is awaited; until then a failure must not count as unhandled.
        base?.catch(() => undefined);
        if (args.diff?.head !== undefined && differ && base) {
            const head = { plan: differ.readHead(args.diff.head, io.cwd), label: args.diff.head };
            return differ.report(args.diff, await base, head, io.cwd, io.stdout);
        }
        const program = await loaded(load.program);
        const { plan, accessMatrix, analyseAccess, isOk, isProven, readPlanJson, NOT_PROVEN_EXIT } = program;
        const { toJson, toMarkdown, toText, toSummaryText } = program;
        // Where the time goes, for `npm run bench`: ms since the process started (module loading and
        // compilation come before the plan), then each phase.
        const timings: Record<string, number> = { load: performance.now() };
        let lap = timings.load;
        const phase = (name: string) => {
            const now = performance.now();
            timings[name] = now - lap;
            lap = now;
        };
        const planned = await plan({
            dir,
            stacks: args.stacks,
            preview: args.preview ?? false,
            mutate: extra.mutate,
            onStack: (stack, done, total) => said.say(`planned stack ${stack} (${done}/${total})`),
            // As given, relative to where the command runs (the report and errors name it so).
            ...(args.world !== undefined && {
                world: path.isAbsolute(args.world)
                    ? args.world
                    : path.relative(process.cwd(), path.resolve(io.cwd, args.world)),
            }),
        });
        await settle();
        if (strays.length) return programFailed(strays, io);
        phase("stacks");
        said.say("simulating the access checks");
        const access = await accessMatrix(planned);
        said.say(`${access.checks.length} checks done`);
        phase("simulation");
        // Who can read, exhaustively: not for a preview, whose documents hold unknown values.
        const analysis = planned.preview ? undefined : await analyseAccess(planned, access);
        phase("analysis");
        const report = { plan: planned, access, analysis };
        if (args.diff && differ && base) {
            const head = readPlanJson(JSON.stringify(toJson(report)), "the working tree's plan");
            said.say(`waiting for the plan of ${args.diff.against}`);
            return differ.report(args.diff, await base, { plan: head, label: "working tree" }, io.cwd, io.stdout);
        }
        if (args.format === "json") io.stdout(JSON.stringify(toJson(report), null, 2) + "\n");
        else if (args.format === "markdown") io.stdout(toMarkdown(report));
        else io.stdout(args.verbose ? toText(report) : toSummaryText(report));
        phase("report");
        if (process.env.SECRETSHARE_TIMINGS) {
            io.stderr(`timings: ${JSON.stringify(timings)}\n`);
            // What was planned, for `npm run bench`, which times the text report a person reads.
            const resources = planned.stacks.reduce((n, s) => n + s.resources.length, 0);
            const size = { stacks: planned.stacks.length, resources, checks: access.checks.length };
            io.stderr(`planned: ${JSON.stringify(size)}\n`);
        }
        return !isOk(access, analysis) ? 1 : isProven(access) ? 0 : NOT_PROVEN_EXIT;
    } catch (e) {
        failure = e;
        if (isUserError(e)) {
            io.stderr(`error: ${e.message}\n`);
            return 2;
        }
        io.stderr(
            `internal error: ${(e as Error).stack ?? String(e)}\n` +
                (Error.stackTraceLimit === 0 ? "(run with SECRETSHARE_TRACE=1 for the stack trace)\n" : ""),
        );
        return 3;
    } finally {
        // Let the stray rejection, if any, arrive before the handler goes.
        await settle();
        process.off("unhandledRejection", stray);
    }
}

/** The program failed inside an Output: nothing it registered can be trusted. Exit code 2. */
function programFailed(strays: readonly unknown[], io: Io): number {
    const messages = [...new Set(strays.map((e) => (e instanceof Error ? e.message : String(e))))];
    io.stderr(`error: the program failed under the mock runtime:\n${messages.map((m) => `  - ${m}`).join("\n")}\n`);
    return 2;
}

if (require.main === module) {
    // Pulumi records each resource's source position by parsing `new Error().stack`, and the
    // source-map-support that ts-node installs maps every frame of it through source maps, for
    // positions the mock runtime never uses: plain V8 traces instead.
    // https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/resource.ts (Resource.callsites)
    // Capturing those traces at all is the rest of that cost (docs/benchmark.md has the figures).
    // Without frames Pulumi records no source position, which the mock runtime does not use:
    // Resource.callsites lifts Error.stackTraceLimit itself, so it is replaced by one that finds
    // no frames (Pulumi then registers the resource without a source position, as for a frame it
    // cannot parse); `load.program` replaces it when it loads the SDK, before the program runs.
    // SECRETSHARE_TRACE=1 keeps all three, so its traces name TypeScript lines.
    // https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/mocks.ts
    if (withoutTraces) {
        delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
        Error.stackTraceLimit = 0;
    }
    void main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    });
}

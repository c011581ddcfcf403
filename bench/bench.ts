import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseCommandLine } from "../common/args";
import { UsageError } from "../common/errors";
import { generate, parseShape, writeStackFiles } from "./scale";

/**
 * `npm run bench`: times `npm start` (the offline plan and its access matrix) as whole
 * processes, several runs per scenario, and prints the median with the machine and the date.
 *
 *   npm run bench -- [--runs N] [--json] [--no-variants] [--shape SHAPE]... [DIR]...
 *
 * Each DIR is a project directory (Pulumi.yaml and its Pulumi.<stack>.yaml files), planned
 * with `--dir DIR`; the default is the repository, i.e. the committed stacks. Generated
 * configurations (bench/scale.ts --out DIR) can be passed the same way, or generated here with
 * `--shape` (`500x50x10`, or sharded over owner stacks: `2000x200x50/10`).
 *
 * Per run: wall time, CPU time and peak RSS of the process (read by a preloaded probe), and the
 * plan's own phase timings (SECRETSHARE_TIMINGS=1): process start to the plan's modules loaded
 * (module loading and compiling TypeScript), running the stacks, the simulation, the report. For the first
 * scenario, variants show where the time goes: Node with @pulumi/pulumi alone, and the same
 * plan with ts-node's TypeScript transpiler instead of SWC.
 */

const ROOT = path.resolve(__dirname, "..");
const TS_NODE = path.join(ROOT, "node_modules", "ts-node", "dist", "bin.js");

interface Run {
    readonly wallMs: number;
    readonly cpuMs: number;
    readonly maxRssMiB: number;
    readonly status: number | null;
    readonly phases?: Record<string, number>;
    readonly planned?: Planned;
    readonly stdout: string;
    readonly stderr: string;
}

/** What the plan planned (its `planned:` line with SECRETSHARE_TIMINGS). */
interface Planned {
    readonly stacks: number;
    readonly resources: number;
    readonly checks: number;
}

interface Variant {
    readonly label: string;
    readonly command: readonly string[];
}

/** Writes the probe that reports the process's CPU time and peak RSS when it exits. */
function probe(dir: string): string {
    const file = path.join(dir, "probe.js");
    fs.writeFileSync(
        file,
        `"use strict";
process.on("exit", () => {
    const u = process.resourceUsage();
    require("fs").writeFileSync(process.env.BENCH_PROBE_OUT, JSON.stringify({
        cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000,
        maxRssMiB: u.maxRSS / 1024,
    }));
});
`,
    );
    return file;
}

function runOnce(command: readonly string[], probeFile: string, tmp: string): Run {
    const out = path.join(tmp, `probe-${process.hrtime.bigint()}.json`);
    const start = process.hrtime.bigint();
    const child = spawnSync(command[0], command.slice(1), {
        cwd: ROOT,
        encoding: "utf8",
        maxBuffer: 1024 * 1024 * 1024,
        env: {
            ...process.env,
            NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --require ${probeFile}`.trim(),
            BENCH_PROBE_OUT: out,
            SECRETSHARE_TIMINGS: "1",
        },
    });
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const usage = fs.existsSync(out)
        ? (JSON.parse(fs.readFileSync(out, "utf8")) as { cpuMs: number; maxRssMiB: number })
        : { cpuMs: NaN, maxRssMiB: NaN };
    const timings = /^timings: (.*)$/m.exec(child.stderr ?? "")?.[1];
    const planned = /^planned: (.*)$/m.exec(child.stderr ?? "")?.[1];
    return {
        wallMs,
        ...usage,
        status: child.status,
        ...(timings && { phases: JSON.parse(timings) as Record<string, number> }),
        ...(planned && { planned: JSON.parse(planned) as Planned }),
        stdout: child.stdout ?? "",
        stderr: child.stderr ?? "",
    };
}

const median = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export interface Measured {
    readonly scenario: string;
    readonly variant: string;
    readonly runs: number;
    readonly wallMedianMs: number;
    readonly wallMinMs: number;
    readonly wallMaxMs: number;
    readonly cpuMedianMs: number;
    readonly maxRssMedianMiB: number;
    readonly phasesMedianMs?: Record<string, number>;
    readonly planned?: Planned;
    readonly exitCode: number | null;
}

function measure(scenario: string, variant: Variant, runs: number, probeFile: string, tmp: string): Measured {
    // One warm-up run (file cache), not counted.
    runOnce(variant.command, probeFile, tmp);
    const results = Array.from({ length: runs }, () => runOnce(variant.command, probeFile, tmp));
    const last = results[results.length - 1];
    const phaseNames = Object.keys(last.phases ?? {});
    // A plan exits 1 when a check fails and 5 when something is not proven: it still planned.
    if (last.planned === undefined && variant.command.includes("plan/cli.ts")) {
        throw new Error(`${scenario}: the plan exited ${last.status}:\n${last.stderr}`);
    }
    return {
        scenario,
        variant: variant.label,
        runs,
        wallMedianMs: median(results.map((r) => r.wallMs)),
        wallMinMs: Math.min(...results.map((r) => r.wallMs)),
        wallMaxMs: Math.max(...results.map((r) => r.wallMs)),
        cpuMedianMs: median(results.map((r) => r.cpuMs)),
        maxRssMedianMiB: median(results.map((r) => r.maxRssMiB)),
        ...(phaseNames.length && {
            phasesMedianMs: Object.fromEntries(
                phaseNames.map((p) => [p, median(results.map((r) => r.phases?.[p] ?? NaN))]),
            ),
        }),
        ...(last.planned && { planned: last.planned }),
        exitCode: last.status,
    };
}

export function machine(): Record<string, string> {
    const cpus = os.cpus();
    return {
        date: new Date().toISOString(),
        cpu: `${cpus.length} x ${cpus[0]?.model ?? "unknown"}`,
        memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        load: os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(" "),
    };
}

function parseArgs(argv: readonly string[]) {
    const { values, positionals } = parseCommandLine(
        argv,
        {
            runs: { type: "string" },
            json: { type: "boolean" },
            "no-variants": { type: "boolean" },
            shape: { type: "string", multiple: true },
        },
        true,
    );
    const runs = values.runs === undefined ? 5 : Number(values.runs);
    const json = values.json ?? false;
    const variants = !values["no-variants"];
    const dirs = positionals.map((d) => path.resolve(d));
    if (!Number.isInteger(runs) || runs < 1) throw new UsageError("--runs needs a whole number of at least 1");
    for (const d of dirs)
        if (!fs.existsSync(path.join(d, "Pulumi.yaml"))) throw new UsageError(`no Pulumi.yaml in ${d}`);
    const shapes = (values.shape ?? []).map(parseShape);
    return { runs, json, variants, shapes, dirs: dirs.length || shapes.length ? dirs : [ROOT] };
}

/** The command `npm start` runs (package.json), without npm's own start-up. */
function startCommand(): string[] {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: { start: string } };
    const [bin, ...args] = pkg.scripts.start.split(/\s+/);
    if (bin !== "ts-node") throw new Error(`bench expects "start" to run ts-node, not: ${pkg.scripts.start}`);
    return [process.execPath, TS_NODE, ...args];
}

function main(argv: readonly string[]): number {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(argv);
    } catch (e) {
        process.stderr.write(
            `error: ${(e as Error).message}\nusage: npm run bench -- [--runs N] [--json] [--no-variants] [--shape SHAPE]... [DIR]...\n`,
        );
        return 2;
    }
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-bench-"));
    const probeFile = probe(tmp);
    // Generated shapes: written under tmp, planned like any DIR, named by their shape.
    const names = new Map<string, string>();
    for (const shape of args.shapes) {
        const set = generate(shape);
        const dir = path.join(tmp, "shapes", set.label);
        writeStackFiles(set, dir);
        args.dirs.push(dir);
        names.set(dir, set.label);
    }
    const start = startCommand();
    const results: Measured[] = [];
    const log = (line: string) => {
        if (!args.json) process.stdout.write(line + "\n");
    };
    const info = machine();
    log(`secretshare bench, ${info.date}`);
    log(`machine: ${info.cpu}, ${info.memory}, ${info.os}, Node ${info.node}, load average ${info.load}`);
    if (os.loadavg()[0] > os.cpus().length) {
        log(
            "note: the machine is busy (load average above its CPU count): wall times are inflated; CPU times are steadier",
        );
    }
    log(`runs: ${args.runs} per row (plus one warm-up run), whole processes; median wall [min-max], CPU, peak RSS\n`);
    try {
        args.dirs.forEach((dir, i) => {
            const scenario = names.get(dir) ?? (path.relative(ROOT, dir) || "committed stacks");
            const variants: Variant[] = [
                { label: `npm start (${start.slice(2).join(" ")})`, command: [...start, "--dir", dir] },
            ];
            if (i === 0 && args.variants) {
                variants.push(
                    {
                        label: "same, TypeScript transpiler (ts-node --transpile-only)",
                        command: [process.execPath, TS_NODE, "--transpile-only", "plan/cli.ts", "--dir", dir],
                    },
                    {
                        label: "node + require(@pulumi/pulumi) only",
                        command: [process.execPath, "-e", 'require("@pulumi/pulumi")'],
                    },
                );
            }
            for (const v of variants) {
                const m = measure(scenario, v, args.runs, probeFile, tmp);
                results.push(m);
                const phases = m.phasesMedianMs
                    ? "; phases: " +
                      Object.entries(m.phasesMedianMs)
                          .map(([p, ms]) => `${p} ${seconds(ms)}`)
                          .join(", ")
                    : "";
                const size = m.planned
                    ? `; ${m.planned.stacks} stacks, ${m.planned.resources} resources, ${m.planned.checks} checks, exit ${m.exitCode}`
                    : "";
                log(
                    `${scenario} | ${v.label}: ${seconds(m.wallMedianMs)} [${seconds(m.wallMinMs)}-${seconds(m.wallMaxMs)}], ` +
                        `CPU ${seconds(m.cpuMedianMs)}, peak RSS ${Math.round(m.maxRssMedianMiB)} MiB${size}${phases}`,
                );
            }
        });
    } catch (e) {
        process.stderr.write(`error: ${(e as Error).message}\n`);
        return 1;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
    if (args.json) process.stdout.write(JSON.stringify({ machine: info, runs: args.runs, results }, null, 2) + "\n");
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));

import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { parseCommandLine } from "../common/args";
import { isUserError, UsageError } from "../common/errors";

/**
 * Generated configurations of growing size (secrets x readers x accounts) for the benchmark
 * and the capacity report: one owner stack and one consumer stack per consumer account, as a
 * platform team would lay them out. Pure and deterministic: the same shape always gives the
 * same stacks, byte for byte.
 *
 *   ts-node bench/scale.ts --out DIR [--shape 100x20x5]...
 *
 * writes DIR/<shape>/Pulumi.yaml and one Pulumi.<stack>.yaml per stack (every shape unless
 * --shape is given), which `npm start -- --dir DIR/<shape>` can plan.
 *
 *   ts-node bench/scale.ts --measure [--runs 5] [--shape 100x20x5]...
 *
 * runs the program for every stack of each shape under the mock runtime (owner first, each
 * consumer reading its exports), each run a whole new process, and prints the median wall
 * time and peak memory, resources per stack and the largest document against its limit.
 * This times the program and its size checks, not the access simulation of `npm start`.
 */

export interface Shape {
    readonly secrets: number;
    readonly readers: number;
    readonly accounts: number;
    /** One KMS key per secret instead of one per owner stack (needed when the shared key policy would not fit). */
    readonly keyPerSecret?: boolean;
    /** false: `secretshare:watch.enabled: false` (no CloudTrail alert resources), to time the share alone. */
    readonly watch?: boolean;
    /**
     * Owner stacks the secrets are sharded over (default 1): owner k holds the k-th contiguous
     * block of secrets, and each consumer stack reads every owner that grants it something.
     */
    readonly owners?: number;
}

/**
 * The benchmark's shapes. Keys are packed (policies/keyPacking.ts): 100x20x5 fits one key
 * (20,146 bytes); at 500x50x10 one key's policy would be 69,767 bytes against 32,768, so the
 * secrets fill as few keys as fit.
 */
export const SHAPES: readonly Shape[] = [
    { secrets: 1, readers: 1, accounts: 1 },
    { secrets: 10, readers: 5, accounts: 2 },
    { secrets: 100, readers: 20, accounts: 5 },
    { secrets: 500, readers: 50, accounts: 10 },
    { secrets: 2000, readers: 200, accounts: 50, owners: 10 },
];

export const PROJECT = "secretshare";
export const ORGANIZATION = "organization";
export const OWNER_STACK = "owner";
export const OWNER_ACCOUNT = "111111111111";
export const REGION = "us-east-1";

/** How many readers each secret has (fewer when there are fewer readers). */
export const READERS_PER_SECRET = 3;

export interface GeneratedStack {
    readonly stack: string;
    /** The config as `Pulumi.<stack>.yaml` holds it (YAML values). */
    readonly values: Readonly<Record<string, unknown>>;
    /** The config as the Pulumi CLI hands it to the program (strings; objects as JSON), for `runStack`. */
    readonly config: Record<string, string>;
}

export interface GeneratedSet {
    /** "<secrets>x<readers>x<accounts>[/<owners>]". */
    readonly label: string;
    readonly shape: Shape;
    /** Fully qualified name of the (first) owner stack, as consumer stacks reference it. */
    readonly ownerStackRef: string;
    /** The first owner stack. */
    readonly owner: GeneratedStack;
    /** Every owner stack, with its fully qualified name. */
    readonly owners: readonly { readonly ref: string; readonly stack: GeneratedStack }[];
    /** One per consumer account, sorted by stack name. */
    readonly consumers: readonly GeneratedStack[];
}

export function label(shape: Shape): string {
    const owners = (shape.owners ?? 1) > 1 ? `/${shape.owners}` : "";
    return `${shape.secrets}x${shape.readers}x${shape.accounts}${owners}${shape.watch === false ? "-nowatch" : ""}`;
}

/** "100x20x5", "2000x200x50/10" (10 owner stacks), or either with "-nowatch" for the same without watch resources. */
export function parseShape(text: string): Shape {
    const m = /^(\d+)x(\d+)x(\d+)(?:\/(\d+))?(-nowatch)?$/.exec(text);
    if (!m) {
        throw new UsageError(
            `--shape ${text}: expected <secrets>x<readers>x<accounts>[/<owners>][-nowatch], e.g. 100x20x5 or 2000x200x50/10`,
        );
    }
    const [secrets, readers, accounts] = [m[1], m[2], m[3]].map(Number);
    const owners = m[4] === undefined ? 1 : Number(m[4]);
    if (owners < 1 || owners > secrets) throw new UsageError(`--shape ${text}: expected 1 to ${secrets} owner stacks`);
    const known = SHAPES.find(
        (s) => s.secrets === secrets && s.readers === readers && s.accounts === accounts && (s.owners ?? 1) === owners,
    );
    return {
        ...(known ?? { secrets, readers, accounts, ...(owners > 1 && { owners }) }),
        ...(m[5] && { watch: false }),
    };
}

const pad = (n: number, width = 4) => n.toString().padStart(width, "0");

export const accountName = (a: number) => `workload-${pad(a + 1, 2)}`;
export const accountId = (a: number) => (222200000000 + a + 1).toString();
export const secretName = (i: number) => `svc-${pad(i)}/database`;

export interface GeneratedReader {
    readonly account: number;
    readonly kind: "user" | "role";
    readonly name: string;
    readonly existing: boolean;
}

/**
 * Reader j lives in account j mod accounts. Every fourth reader (from the first) is a user,
 * the others roles; every seventh (from the fourth) is an existing role referenced by name.
 */
export function reader(j: number, accounts: number): GeneratedReader {
    const user = j % 4 === 0;
    return {
        account: j % accounts,
        kind: user ? "user" : "role",
        name: `svc-${pad(j)}-${user ? "user" : "reader"}`,
        existing: !user && j % 7 === 3,
    };
}

/**
 * Secret i is read by READERS_PER_SECRET readers spread over the reader list:
 * i, i + step, i + 2*step (mod readers), with step = readers / READERS_PER_SECRET. So each
 * reader reads about secrets * READERS_PER_SECRET / readers secrets, and most secrets are
 * read from more than one account.
 */
export function readersOf(i: number, readers: number): number[] {
    const k = Math.min(READERS_PER_SECRET, readers);
    const step = Math.max(1, Math.floor(readers / k));
    return [...new Set(Array.from({ length: k }, (_, t) => (i + t * step) % readers))].sort((a, b) => a - b);
}

function stack(name: string, values: Record<string, unknown>): GeneratedStack {
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) config[k] = typeof v === "string" ? v : JSON.stringify(v);
    return { stack: name, values, config };
}

export function generate(shape: Shape): GeneratedSet {
    if (shape.secrets < 1 || shape.readers < 1 || shape.accounts < 1 || shape.readers < shape.accounts) {
        throw new Error(`${label(shape)}: expected at least one secret, and at least one reader per account`);
    }
    const readers = Array.from({ length: shape.readers }, (_, j) => reader(j, shape.accounts));
    const readerId = (j: number) => `${accountName(readers[j].account)}/${readers[j].name}`;
    const consumersOf = (used: ReadonlySet<number>): Record<string, unknown> => {
        const consumers: Record<string, unknown> = {};
        for (let a = 0; a < shape.accounts; a++) {
            const mine = readers.map((r, j) => ({ r, j })).filter(({ r, j }) => r.account === a && used.has(j));
            if (!mine.length) continue;
            consumers[accountName(a)] = {
                accountId: accountId(a),
                readers: mine.map(({ r }) => ({ [r.kind]: r.name, ...(r.existing && { existing: true }) })),
            };
        }
        return consumers;
    };
    const owners = shape.owners ?? 1;
    const ownerSets = Array.from({ length: owners }, (_, k) => {
        // Owner k holds the k-th contiguous block of secrets (a team's own secrets).
        const indices = Array.from({ length: shape.secrets }, (_, i) => i).filter(
            (i) => Math.floor((i * owners) / shape.secrets) === k,
        );
        const used = new Set(indices.flatMap((i) => readersOf(i, shape.readers)));
        const name = owners === 1 ? OWNER_STACK : `${OWNER_STACK}-${pad(k + 1, 2)}`;
        const owner = stack(name, {
            "pulumi:disable-default-providers": ["aws"],
            "secretshare:mode": "owner",
            "secretshare:owner": { accountId: OWNER_ACCOUNT, region: REGION },
            "secretshare:key": {
                // Owner stacks of one account and Region need aliases of their own.
                alias: owners === 1 ? "platform-secrets" : `platform-secrets-${pad(k + 1, 2)}`,
                ...(shape.keyPerSecret && { perSecret: true }),
            },
            // One owner: every reader (each reads something); several: the readers of its secrets.
            "secretshare:consumers": consumersOf(owners === 1 ? new Set(readers.map((_, j) => j)) : used),
            "secretshare:secrets": indices.map((i) => ({
                name: secretName(i),
                username: "app",
                readers: readersOf(i, shape.readers).map(readerId),
            })),
            ...(shape.watch === false && { "secretshare:watch": { enabled: false } }),
        });
        return { ref: `${ORGANIZATION}/${PROJECT}/${name}`, stack: owner, accounts: used };
    });
    const consumerStacks = Array.from({ length: shape.accounts }, (_, a) => {
        const reads = ownerSets.filter((o) => [...o.accounts].some((j) => readers[j].account === a)).map((o) => o.ref);
        return stack(accountName(a), {
            "pulumi:disable-default-providers": ["aws"],
            "secretshare:mode": "consumer",
            ...(owners === 1 ? { "secretshare:ownerStack": reads[0] } : { "secretshare:ownerStacks": reads }),
            "secretshare:consumer": { name: accountName(a), accountId: accountId(a), region: REGION },
        });
    });
    return {
        label: label(shape),
        shape,
        ownerStackRef: ownerSets[0].ref,
        owner: ownerSets[0].stack,
        owners: ownerSets.map(({ ref, stack: s }) => ({ ref, stack: s })),
        consumers: consumerStacks,
    };
}

/** Writes Pulumi.yaml and the stack files of `set` into `dir`; returns the files written. */
export function writeStackFiles(set: GeneratedSet, dir: string, programDir = path.resolve(__dirname, "..")): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const write = (name: string, text: string) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, text);
        files.push(file);
    };
    write(
        "Pulumi.yaml",
        YAML.stringify({
            name: PROJECT,
            description: `Generated by bench/scale.ts: ${set.label} (secrets x readers x accounts).`,
            runtime: { name: "nodejs", options: { typescript: true } },
            main: path.relative(dir, programDir) || ".",
        }),
    );
    for (const s of [...set.owners.map((o) => o.stack), ...set.consumers]) {
        write(
            `Pulumi.${s.stack}.yaml`,
            `# Generated by bench/scale.ts (${set.label}).\n` + YAML.stringify({ config: s.values }),
        );
    }
    // The world snapshot beside the stacks (docs/existing.md): the existing roles exist and hold
    // nothing else, so that the plan proves their grants instead of reporting them not proven.
    const existing = Array.from({ length: set.shape.readers }, (_, j) => reader(j, set.shape.accounts)).filter(
        (r) => r.existing,
    );
    write(
        "world.json",
        JSON.stringify(
            {
                format: "secretshare-world",
                version: 1,
                identities: existing.map((r) => ({
                    arn: `arn:aws:iam::${accountId(r.account)}:${r.kind}/${r.name}`,
                    tags: {},
                    inline: {},
                    attached: [],
                })),
            },
            null,
            2,
        ) + "\n",
    );
    return files;
}

export interface RunReport {
    readonly label: string;
    /** Wall time of the stacks' runs inside the process (after module load). */
    readonly programMs: number;
    /** Peak resident memory of the whole process, MiB. */
    readonly maxRssMiB: number;
    readonly resources: Record<string, number>;
    /** The document closest to its AWS limit, as the owner's layout measured it. */
    readonly largest: { document: string; size: number; max: number; fraction: number };
}

/** Runs every stack of `set` under the mock runtime: the owner, then each consumer on its exports. */
export async function runSet(set: GeneratedSet): Promise<RunReport> {
    const { runStack } = await import("../plan/runtime");
    const { parseConfig } = await import("../config");
    const { ownerLayout } = await import("../policies/layout");
    const loaded = Date.now();
    const resources: Record<string, number> = {};
    const exports: Record<string, Record<string, unknown>> = {};
    for (const o of set.owners) {
        const run = await runStack({ stack: o.stack.stack, config: o.stack.config });
        resources[o.stack.stack] = run.resources.length;
        exports[o.ref] = run.outputs;
    }
    for (const c of set.consumers) {
        const run = await runStack({ stack: c.stack, config: c.config, stacks: exports });
        resources[c.stack] = run.resources.length;
    }
    const programMs = Date.now() - loaded;
    const sizes = set.owners.flatMap((o) => {
        const raw = Object.fromEntries(
            Object.entries(o.stack.config)
                .filter(([k]) => k.startsWith("secretshare:"))
                .map(([k, v]) => [k.slice("secretshare:".length), v]),
        );
        const config = parseConfig(o.stack.stack, raw);
        if (config.mode === "consumer") throw new Error("expected an owner config");
        return ownerLayout(config.owner).sizes;
    });
    const top = [...sizes].sort((a, b) => b.size / b.max - a.size / a.max)[0];
    return {
        label: set.label,
        programMs,
        maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        resources,
        largest: { document: top.document, size: top.size, max: top.max, fraction: top.size / top.max },
    };
}

const median = (xs: readonly number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Each run in a new process (whole-process time and memory, as `npm start` would see them). */
function measure(shapes: readonly Shape[], runs: number): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { execFileSync } = require("child_process") as typeof import("child_process");
    console.log(
        "| secrets x readers x accounts | stacks | resources (owner / per consumer) | wall, whole process (median) | program runs | peak RSS (median) | largest document |",
    );
    console.log("|---|--:|---|--:|--:|--:|---|");
    for (const shape of shapes) {
        const reports: RunReport[] = [];
        const walls: number[] = [];
        for (let i = 0; i < runs; i++) {
            const t = process.hrtime.bigint();
            const out = execFileSync(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", __filename, "--run", label(shape)],
                {
                    cwd: path.resolve(__dirname, ".."),
                    // SWC instead of TypeScript to transpile, as `npm start` does (ts-node --swc).
                    env: { ...process.env, TS_NODE_SWC: "true" },
                    encoding: "utf8",
                    maxBuffer: 1 << 26,
                    stdio: ["ignore", "pipe", "ignore"],
                },
            );
            walls.push(Number(process.hrtime.bigint() - t) / 1e6);
            reports.push(JSON.parse(out.trim().split("\n").pop() as string) as RunReport);
        }
        const r = reports[0];
        const isOwner = (s: string) => s === OWNER_STACK || s.startsWith(`${OWNER_STACK}-`);
        const consumers = Object.entries(r.resources)
            .filter(([s]) => !isOwner(s))
            .map(([, n]) => n);
        const owners = Object.entries(r.resources)
            .filter(([s]) => isOwner(s))
            .map(([, n]) => n);
        const range = consumers.length ? `${Math.min(...consumers)}-${Math.max(...consumers)}` : "-";
        console.log(
            `| ${r.label}${shape.keyPerSecret ? " (key per secret)" : ""} | ${Object.keys(r.resources).length} | ` +
                `${owners.length > 1 ? `${Math.min(...owners)}-${Math.max(...owners)}` : owners[0]} / ${range} | ${(median(walls) / 1000).toFixed(2)} s | ` +
                `${(median(reports.map((x) => x.programMs)) / 1000).toFixed(2)} s | ${median(reports.map((x) => x.maxRssMiB))} MiB | ` +
                `${(r.largest.fraction * 100).toFixed(1)}% (${r.largest.document}, ${r.largest.size} of ${r.largest.max}) |`,
        );
    }
}

async function main(argv: readonly string[]): Promise<void> {
    const usage = "usage: scale.ts --out DIR [--shape SxRxA]... | --measure [--runs N] [--shape SxRxA]...";
    const { values } = parseCommandLine(argv, {
        out: { type: "string" },
        shape: { type: "string", multiple: true },
        run: { type: "string" },
        measure: { type: "boolean" },
        runs: { type: "string" },
    });
    const { out, run } = values;
    const measuring = values.measure ?? false;
    const runs = values.runs === undefined ? 5 : Number(values.runs);
    const shapes: Shape[] = (values.shape ?? []).map(parseShape);
    if (run) {
        // As plan/cli.ts does: without source-map-support's mapping of every `new Error().stack`
        // that Pulumi takes per resource and promise, which dominates a large run's CPU profile.
        delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
        // One shape in this process; the last stdout line is the JSON report.
        console.log(JSON.stringify(await runSet(generate(parseShape(run)))));
        return;
    }
    if (measuring) {
        if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number >= 1; ${usage}`);
        measure(shapes.length ? shapes : SHAPES, runs);
        return;
    }
    if (!out) throw new Error(usage);
    for (const shape of shapes.length ? shapes : SHAPES) {
        const set = generate(shape);
        const dir = path.join(out, set.label);
        const files = writeStackFiles(set, dir);
        console.log(`${set.label}: ${files.length} files in ${dir}`);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((e: unknown) => {
        // A usage mistake: its message; anything else is a bug: the stack too.
        console.error(isUserError(e) ? e.message : e);
        process.exit(isUserError(e) ? 2 : 3);
    });
}

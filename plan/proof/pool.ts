import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { simulateSettled, type SettledOutcome, type SimulationRequest } from "./simulator";
import type { WorkerJob, WorkerMessage } from "./worker";

/**
 * Simulates many requests, in worker threads (plan/proof/worker.ts) alongside the main thread
 * when there are enough of them. The outcomes are those of simulating them one after the other,
 * at the requests' positions, whichever thread simulated each.
 */

export interface PoolOptions {
    /**
     * Worker threads that share the simulation with the main thread. Default: one less than the
     * machine's parallelism (`os.availableParallelism()`), as the main thread simulates too;
     * env SECRETSHARE_SIMULATION_WORKERS. 0: all in the main thread.
     */
    readonly workers?: number;
    /**
     * Fewer requests than this run in the main thread: a worker starts with a module loader of
     * its own, compiles the TypeScript and loads the simulator's data files, which a small plan
     * does not repay. Default 1000; env SECRETSHARE_SIMULATION_THRESHOLD.
     */
    readonly threshold?: number;
    /** Requests per batch a thread claims at a time. */
    readonly batchSize?: number;
}

const envNumber = (name: string): number | undefined => {
    const v = process.env[name];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} = ${v}: expected a whole number >= 0`);
    return n;
};

/** Every request simulated; each outcome at its request's position. */
export async function simulateAll(
    requests: readonly SimulationRequest[],
    options: PoolOptions = {},
): Promise<SettledOutcome[]> {
    const workers =
        options.workers ?? envNumber("SECRETSHARE_SIMULATION_WORKERS") ?? Math.max(1, os.availableParallelism() - 1);
    const threshold = options.threshold ?? envNumber("SECRETSHARE_SIMULATION_THRESHOLD") ?? 1000;
    return workers > 0 && requests.length >= threshold
        ? await simulateInParallel(requests, workers, options.batchSize ?? 50)
        : await simulateInOrder(requests);
}

async function simulateInOrder(requests: readonly SimulationRequest[]): Promise<SettledOutcome[]> {
    const outcomes: SettledOutcome[] = [];
    for (const request of requests) outcomes.push(await simulateSettled(request));
    return outcomes;
}

/**
 * Worker threads and the main thread claim batches of requests from one shared counter until
 * none is left; each outcome lands at its request's position. A worker that fails (to start,
 * say) leaves holes that the main thread fills: the outcomes are those of `simulateInOrder` in
 * any case, only the time differs.
 */
async function simulateInParallel(
    requests: readonly SimulationRequest[],
    workers: number,
    batchSize: number,
): Promise<SettledOutcome[]> {
    const outcomes: (SettledOutcome | undefined)[] = new Array<SettledOutcome | undefined>(requests.length);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    // Only what `simulate` reads crosses to the workers; the structured clone keeps the documents
    // shared between requests shared (each is copied once per worker, not once per request).
    const input: Omit<WorkerJob, "job"> = {
        requests: requests.map((r) => ({
            principal: r.principal,
            action: r.action,
            resource: r.resource,
            context: r.context,
            identityPolicies: r.identityPolicies,
            ...(r.resourcePolicy && { resourcePolicy: r.resourcePolicy }),
        })),
        counter,
        batchSize,
    };
    const job = ++jobs;
    const finished = poolOf(workers).map((worker) => {
        return new Promise<void>((resolve) => {
            const onMessage = (m: WorkerMessage) => {
                if (m.job !== job) return;
                if ("done" in m) end();
                else m.outcomes.forEach((o, i) => (outcomes[m.start + i] = o));
            };
            const end = () => {
                worker.off("message", onMessage);
                worker.off("error", end);
                worker.off("exit", end);
                // Idle, it does not keep the process alive; busy with another call's job, it must.
                const left = (busy.get(worker) ?? 1) - 1;
                busy.set(worker, left);
                if (left === 0) worker.unref();
                resolve();
            };
            worker.on("message", onMessage);
            worker.once("error", end);
            worker.once("exit", end);
            busy.set(worker, (busy.get(worker) ?? 0) + 1);
            worker.ref();
            worker.postMessage({ job, ...input } satisfies WorkerJob);
        });
    });
    for (;;) {
        const start = Atomics.add(counter, 0, 1) * batchSize;
        if (start >= requests.length) break;
        for (let i = start; i < Math.min(start + batchSize, requests.length); i++) {
            outcomes[i] = await simulateSettled(requests[i]);
        }
        // Let the workers' messages in between batches.
        await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(finished);
    for (let i = 0; i < requests.length; i++) outcomes[i] ??= await simulateSettled(requests[i]);
    return outcomes as SettledOutcome[];
}

let jobs = 0;
const started: Worker[] = [];
const dead = new WeakSet<Worker>();
/** The jobs a worker has been given and not yet finished (calls may overlap). */
const busy = new WeakMap<Worker, number>();

/**
 * `n` worker threads, started once and kept for the next calls (the access matrix, then the
 * analysis's confirmations): a worker's start, with its module loader, the TypeScript compiler
 * and the simulator's data files, is paid once per process. A worker that failed or exited is
 * replaced.
 */
function poolOf(n: number): Worker[] {
    const alive = () => started.filter((w) => !dead.has(w));
    while (alive().length < n) {
        const worker = new Worker(workerBootstrap(), { eval: true });
        const gone = () => dead.add(worker);
        worker.once("error", gone);
        worker.once("exit", gone);
        worker.unref();
        started.push(worker);
    }
    return alive().slice(0, n);
}

/**
 * A worker starts with a module loader of its own: the TypeScript hook of `npm start` (ts-node
 * with SWC) or of mocha is not inherited, so the worker registers ts-node itself (transpile only;
 * `npm test` type-checks) before it loads worker.ts next to this file and, through it, the
 * simulator patched in node_modules. With TypeScript's own transpiler, not SWC: SWC's native
 * addon crashed the process (segmentation fault) when a second set of workers loaded it.
 * Compiled to JavaScript, it loads worker.js as is.
 */
function workerBootstrap(): string {
    const ext = path.extname(__filename);
    const file = path.join(__dirname, `worker${ext}`);
    const register =
        ext === ".ts"
            ? `require(${JSON.stringify(require.resolve("ts-node"))}).register(${JSON.stringify({
                  transpileOnly: true,
                  project: path.join(__dirname, "..", "..", "tsconfig.json"),
              })});`
            : "";
    return `${register}require(${JSON.stringify(file)});`;
}

import { parentPort, workerData } from "worker_threads";
import { simulateSettled, type SettledOutcome, type SimulationRequest } from "./simulator";

/**
 * A worker thread of the access matrix (see plan/proof/pool.ts): it takes batches of the plan's
 * requests by claiming the next batch number from a counter shared with the main thread and the
 * other workers, simulates them with the same `simulate`, and posts each batch's outcomes with
 * its position. The main thread judges them in the checks' order.
 */

export interface WorkerInput {
    readonly requests: readonly SimulationRequest[];
    /** Int32Array over a SharedArrayBuffer: [next batch number]. */
    readonly counter: Int32Array;
    readonly batchSize: number;
}

export interface BatchMessage {
    readonly start: number;
    readonly outcomes: readonly SettledOutcome[];
}

async function run(input: WorkerInput): Promise<void> {
    const { requests, counter, batchSize } = input;
    for (;;) {
        const start = Atomics.add(counter, 0, 1) * batchSize;
        if (start >= requests.length) break;
        const outcomes: SettledOutcome[] = [];
        for (const request of requests.slice(start, start + batchSize)) outcomes.push(await simulateSettled(request));
        parentPort?.postMessage({ start, outcomes } satisfies BatchMessage);
    }
}

if (parentPort) void run(workerData as WorkerInput);

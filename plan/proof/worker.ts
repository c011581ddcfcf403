import { parentPort } from "worker_threads";
import { simulateSettled, type SettledOutcome, type SimulationRequest } from "./simulator";

/**
 * A worker thread of the access matrix (see plan/proof/pool.ts): for each job the main thread
 * posts (one per call of the pool), it takes batches of the job's requests by claiming the next
 * batch number from a counter shared with the main thread and the other workers, simulates them
 * with the same `simulate`, posts each batch's outcomes with its position, and then that the job
 * is done. The main thread judges them in the checks' order.
 */

export interface WorkerJob {
    /** Which call of the pool the job is (a worker serves one call after another). */
    readonly job: number;
    readonly requests: readonly SimulationRequest[];
    /** Int32Array over a SharedArrayBuffer: [next batch number]. */
    readonly counter: Int32Array;
    readonly batchSize: number;
}

export interface BatchMessage {
    readonly job: number;
    readonly start: number;
    readonly outcomes: readonly SettledOutcome[];
}

/** Sent after the job's last batch. */
export interface DoneMessage {
    readonly job: number;
    readonly done: true;
}

export type WorkerMessage = BatchMessage | DoneMessage;

async function run(input: WorkerJob): Promise<void> {
    const { job, requests, counter, batchSize } = input;
    for (;;) {
        const start = Atomics.add(counter, 0, 1) * batchSize;
        if (start >= requests.length) break;
        const outcomes: SettledOutcome[] = [];
        for (const request of requests.slice(start, start + batchSize)) outcomes.push(await simulateSettled(request));
        parentPort?.postMessage({ job, start, outcomes } satisfies BatchMessage);
    }
    parentPort?.postMessage({ job, done: true } satisfies DoneMessage);
}

parentPort?.on("message", (input: WorkerJob) => void run(input));

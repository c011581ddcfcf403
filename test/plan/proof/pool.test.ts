import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { expect } from "chai";
import type { RegisteredResource } from "../../../plan/mocks";
import { plan, type Plan } from "../../../plan/plan";
import { accessMatrix, type AccessMatrix } from "../../../plan/proof";
import { simulateAll } from "../../../plan/proof/pool";
import type { SimulationRequest } from "../../../plan/proof/simulator";
import { generate, parseShape, writeStackFiles } from "../../../bench/scale";

/**
 * The access matrix in worker threads (plan/proof/pool.ts, plan/proof/worker.ts) gives exactly
 * the results of the main thread alone, in the same order: forced here with a threshold of 0 on a
 * generated 10x5x2 project (414 checks), and a batch size that does not divide the number of checks.
 * Each worker thread compiles the TypeScript it loads: two, started before the cases, race the
 * main thread for batches in the first case, one in the second.
 */

const KEY = "aws:kms/key:Key";
const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";

/** A request the reader's own policy allows. */
const request = (i: number): SimulationRequest => ({
    principal: `arn:aws:iam::111111111111:user/u${i}`,
    action: "secretsmanager:GetSecretValue",
    resource: SECRET,
    context: {},
    identityPolicies: [
        {
            name: "reader",
            policy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: SECRET }],
            },
        },
    ],
});

let dir: string;
before(async function () {
    this.timeout(120000);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-parallel-"));
    writeStackFiles(generate(parseShape("10x5x2")), dir);
    // The pool's two workers started and ready before the first case: a worker still starting when
    // the main thread has claimed every batch (as it does with 414 checks) would leave the case
    // comparing the main thread with itself. A call returns once each worker has answered it.
    await simulateAll([request(0)], { workers: 2, threshold: 0 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * The outcomes the pool's workers delivered while `f` ran, counted where each of their batches
 * arrives (a Worker emits its messages): outcomes from the main thread alone would make a case
 * compare the main thread with itself.
 */
async function fromWorkers<T>(f: () => Promise<T>): Promise<{ result: T; outcomes: number }> {
    // Called below with each worker as `this`, then put back.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const emit = Worker.prototype.emit;
    let outcomes = 0;
    Worker.prototype.emit = function (this: Worker, event: string | symbol, ...rest: unknown[]) {
        const m = rest[0] as { outcomes?: unknown[] } | undefined;
        if (event === "message" && Array.isArray(m?.outcomes)) outcomes += m.outcomes.length;
        return emit.call(this, event, ...rest);
    };
    try {
        return { result: await f(), outcomes };
    } finally {
        Worker.prototype.emit = emit;
    }
}

/** Drops, from every key policy, the statement that lets the first consumer account decrypt. */
const weakenKeyPolicies = (_stack: string, resources: RegisteredResource[]) =>
    resources.map((r) => {
        if (r.type !== KEY || typeof r.inputs.policy !== "string") return r;
        const doc = JSON.parse(r.inputs.policy) as { Statement: { Principal?: unknown }[] };
        const Statement = doc.Statement.filter((s) => !JSON.stringify(s.Principal ?? "").includes("222200000001"));
        return { ...r, inputs: { ...r.inputs, policy: JSON.stringify({ ...doc, Statement }) } };
    });

async function both(planned: Plan, workers: number): Promise<{ inOrder: AccessMatrix; parallel: AccessMatrix }> {
    const inOrder = await accessMatrix(planned, { workers: 0 });
    const parallel = await accessMatrix(planned, { workers, threshold: 0, batchSize: 7 });
    return { inOrder, parallel };
}

describe("the access matrix in worker threads", function () {
    // Each worker thread compiles the TypeScript and loads the simulator's data files.
    this.timeout(120000);

    it("gives the same CheckResults, in the same order, as the main thread alone", async () => {
        const planned = await plan({ dir });
        const { result, outcomes } = await fromWorkers(() => both(planned, 2));
        const { inOrder, parallel } = result;
        expect(outcomes, "outcomes simulated by the workers").to.be.greaterThan(0);
        expect(inOrder.checks).to.have.length(414);
        expect(inOrder.checks.every((c) => c.ok)).to.equal(true);
        expect(parallel).to.deep.equal(inOrder);
        expect(parallel.checks.map((c) => c.name)).to.deep.equal(inOrder.checks.map((c) => c.name));
    });

    it("gives the same failures, in the same order, for a weakened key policy", async () => {
        const planned = await plan({ dir, mutate: weakenKeyPolicies });
        const { inOrder, parallel } = await both(planned, 1);
        const failed = (m: AccessMatrix) => m.checks.filter((c) => !c.ok).map((c) => [c.name, c.decision, c.reason]);
        expect(failed(inOrder)).to.have.length.greaterThan(0);
        expect(failed(parallel)).to.deep.equal(failed(inOrder));
        expect(parallel).to.deep.equal(inOrder);
    });

    it("finishes every call when calls overlap: a worker idle for one call is still busy with the other", () => {
        // In a process of its own: a worker unref'd while it still has a job would let the process
        // end (with exit code 0) before that job's outcomes arrive. The second call is large so that
        // the worker, still starting, joins it while the main thread has batches left: with a few
        // hundred requests the main thread finishes first and an unref'd worker goes unnoticed.
        const script = `
            const { simulateAll } = require(${JSON.stringify(path.resolve(__dirname, "../../../plan/proof/pool.ts"))});
            const request = (i) => ({ ...${JSON.stringify(request(0))}, principal: "arn:aws:iam::111111111111:user/u" + i });
            const calls = [[20, 5], [2000, 200]].map(([n, batchSize]) =>
                simulateAll(Array.from({ length: n }, (_, i) => request(i)), { workers: 1, threshold: 0, batchSize }));
            Promise.all(calls).then((all) => console.log(JSON.stringify(all.map((outcomes) =>
                outcomes.filter((o) => o.decision === "Allowed").length))));
        `;
        const run = spawnSync(
            process.execPath,
            ["-r", require.resolve("ts-node/register/transpile-only"), "-e", script],
            {
                encoding: "utf8",
            },
        );
        expect(run.status, run.stderr).to.equal(0);
        expect(run.stdout.trim()).to.equal("[20,2000]");
    });
});

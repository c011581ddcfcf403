import { runStack, type StackRun } from "../../plan/runtime";
import { AwsMocks } from "../../plan/mocks";
import { APPS, OWNER, REGION, ref, stackConfig } from "./helpers";

/**
 * An owner stack whose secrets are each read by 40 of 60 long-named roles: a few of them fill a
 * key policy, so packing needs several keys. Shared by the packed-key and previous-layout tests.
 */
const ROLES = Array.from({ length: 60 }, (_, j) => `reader-${"r".repeat(40)}-${j.toString().padStart(2, "0")}`);
const readersOf = (i: number) => Array.from({ length: 40 }, (_, k) => ROLES[(i * 7 + k) % ROLES.length]);

/** A secret and the position that picks its readers. */
export interface PackedSecret {
    readonly name: string;
    readonly at: number;
}

/** 24 secrets, svc-00 to svc-23. */
export const SECRETS: readonly PackedSecret[] = Array.from({ length: 24 }, (_, i) => ({
    name: `svc-${i.toString().padStart(2, "0")}`,
    at: i,
}));

/** The owner's config values (without the `secretshare:` prefix) for `secrets`. */
export function packedOwnerValues(secrets: readonly PackedSecret[]): Record<string, unknown> {
    const used = [...new Set(secrets.flatMap((s) => readersOf(s.at)))].sort();
    return {
        mode: "owner",
        owner: { accountId: OWNER, region: REGION },
        consumers: { apps: { accountId: APPS, readers: used.map((role) => ({ role })) } },
        secrets: secrets.map((s) => ({
            name: s.name,
            username: "app",
            readers: readersOf(s.at).map((r) => `apps/${r}`),
        })),
        key: { alias: "platform" },
        watch: { enabled: false },
    };
}

/** The owner stack of `secrets`, after the update whose outputs were `previous` (default: a first deploy). */
export function packedOwner(secrets: readonly PackedSecret[], previous?: Record<string, unknown>): Promise<StackRun> {
    const mocks = new AwsMocks(previous ? { [ref("platform")]: previous } : {});
    return runStack({ stack: "platform", config: stackConfig(packedOwnerValues(secrets)), mocks });
}

let firstDeploy: Promise<StackRun> | undefined;

/** `value` and every plain object and array in it frozen. */
function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/**
 * The first deploy of SECRETS, run once per mocha worker for the tests that read it (they read
 * its resources and outputs, and change neither): both frozen, so that a test that changed them
 * would fail there instead of changing what the next test in the worker reads.
 */
export function firstDeployOfSecrets(): Promise<StackRun> {
    firstDeploy ??= packedOwner(SECRETS).then((run) => {
        deepFreeze(run.outputs);
        deepFreeze(run.resources);
        return run;
    });
    return firstDeploy;
}

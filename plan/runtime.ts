import * as pulumi from "@pulumi/pulumi";
import { AwsMocks, type KnownStacks, type RegisteredResource } from "./mocks";
import type { ExistingWorld } from "./existingWorld";

/**
 * Runs the real program once under Pulumi's mock runtime and returns what it registered and
 * exported. By default every value is known, as after a first `pulumi up`; with `preview`, as a
 * first `pulumi preview` sees it: what the stack creates has no ID and unknown computed outputs
 * (shown as UNKNOWN). Config values are strings as Pulumi stores them (objects as JSON);
 * `secretKeys` marks secure ones.
 */

/** A value a preview does not know yet (Pulumi shows `output<string>`). */
export const UNKNOWN = "[unknown]";

export interface StackRun {
    readonly stack: string;
    readonly resources: readonly RegisteredResource[];
    /** Exports with every Output resolved; secret values as "[secret]". */
    readonly outputs: Record<string, unknown>;
    /** Exports as the program returned them (Outputs), for tests that inspect secrecy. */
    readonly rawOutputs: Record<string, unknown>;
    readonly mocks: AwsMocks;
    readonly options: ReadonlyMap<string, pulumi.ResourceOptions>;
}

export interface RunArgs {
    readonly project?: string;
    readonly stack: string;
    readonly config: Record<string, string>;
    readonly secretKeys?: string[];
    readonly stacks?: KnownStacks;
    readonly organization?: string;
    /** As a first `pulumi preview` (default: the mocks' own setting, else false). */
    readonly preview?: boolean;
    /** Mocks to record into (default: new ones over `stacks`), so a caller can inspect them after a run that throws. */
    readonly mocks?: AwsMocks;
    /** What exists in AWS before the run, for new mocks (default: plan/existingWorld.ts's EXAMPLE_WORLD). */
    readonly world?: ExistingWorld;
}

type Program = () => Promise<Record<string, unknown>>;

let program: Program | undefined;

/** Pulumi's wait for the outstanding resource RPCs: exported at runtime, marked internal in its typings. */
const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

export async function runStack(args: RunArgs): Promise<StackRun> {
    const preview = args.preview ?? args.mocks?.options.preview ?? false;
    const mocks = args.mocks ?? new AwsMocks(args.stacks ?? {}, args.world, { preview });
    if ((mocks.options.preview ?? false) !== preview) {
        throw new Error(`runStack: preview is ${preview} but the mocks given answer with preview ${!preview}`);
    }
    const organization = args.organization ?? "organization";
    const project = args.project ?? "secretshare";
    mocks.stack = `${organization}/${project}/${args.stack}`;
    // setMocks must come before the program module is first loaded.
    await pulumi.runtime.setMocks(mocks, project, args.stack, preview, organization);
    pulumi.runtime.setAllConfig(args.config, args.secretKeys ?? []);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program ??= require("../index") as Program;
    const options = new Map<string, pulumi.ResourceOptions>();
    let rawOutputs: Record<string, unknown> = {};
    const stackOutputs = await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation((t) => {
            options.set(`${t.type}::${t.name}`, t.opts);
            return undefined;
        });
        rawOutputs = await (program as Program)();
        return rawOutputs;
    });
    // In preview the stack's outputs resolve to nothing when any part is unknown: reveal what
    // the program returned instead.
    const outputs = await reveal(preview ? rawOutputs : (stackOutputs ?? {}));
    // The exports can resolve before every registration has reached the mocks (a resource no
    // export depends on, e.g. the inline policy of an existing user). The Pulumi CLI waits for
    // outstanding registrations before the program exits; wait for them here too.
    await waitForRPCs();
    return {
        stack: args.stack,
        // In preview, the unknowns the mocks received (Pulumi's Unknown) as UNKNOWN, and no ID as UNKNOWN.
        resources: preview
            ? mocks.resources.map((r) => ({
                  ...r,
                  id: r.id || UNKNOWN,
                  inputs: markUnknowns(r.inputs) as Record<string, unknown>,
                  state: markUnknowns(r.state) as Record<string, unknown>,
              }))
            : [...mocks.resources],
        outputs,
        rawOutputs,
        mocks,
        options,
    };
}

/** Pulumi's Output exposes these at runtime (output.js) but marks them internal in its typings. */
interface OutputInternals {
    readonly isKnown: Promise<boolean>;
    readonly isSecret: Promise<boolean>;
    /** With `withUnknowns`, the value with Pulumi's Unknown where parts are unknown. */
    promise(withUnknowns?: boolean): Promise<unknown>;
}

/**
 * Resolves Outputs; secret values become "[secret]" so they can never be printed, and values a
 * preview does not know become UNKNOWN (an `apply` callback would never run on them).
 */
export async function reveal(value: unknown): Promise<Record<string, unknown>> {
    return (await revealValue(value)) as Record<string, unknown>;
}

async function revealValue(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value as unknown as OutputInternals;
        if (await o.isSecret) return "[secret]";
        const inner = await o.promise(true);
        // A resource output the engine left unknown resolves to undefined, marked not known.
        if (inner === undefined && !(await o.isKnown)) return UNKNOWN;
        return revealValue(inner);
    }
    if (pulumi.isUnknown(value)) return UNKNOWN;
    if (value instanceof Promise) return revealValue(await value);
    if (Array.isArray(value)) return Promise.all(value.map(revealValue));
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await revealValue(v);
        return out;
    }
    return value;
}

/** A plain value with each of Pulumi's Unknown (in what the mocks received in preview) as UNKNOWN. */
export function markUnknowns(value: unknown): unknown {
    if (pulumi.isUnknown(value)) return UNKNOWN;
    if (Array.isArray(value)) return value.map(markUnknowns);
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, markUnknowns(v)]));
    }
    return value;
}

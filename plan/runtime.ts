import * as pulumi from "@pulumi/pulumi";
import { AwsMocks, type KnownStacks, type RegisteredResource } from "./mocks";
import type { ExistingWorld } from "./existingWorld";

/**
 * Runs the real program once under Pulumi's mock runtime, as `pulumi preview` would run it,
 * and returns what it registered and exported. Config values are strings as Pulumi stores
 * them (objects as JSON); `secretKeys` marks secure ones.
 */

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
    const mocks = args.mocks ?? new AwsMocks(args.stacks ?? {}, args.world);
    const organization = args.organization ?? "organization";
    const project = args.project ?? "secretshare";
    mocks.stack = `${organization}/${project}/${args.stack}`;
    // setMocks must come before the program module is first loaded.
    await pulumi.runtime.setMocks(mocks, project, args.stack, args.preview ?? false, organization);
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
    const outputs = await reveal(stackOutputs ?? {});
    // The exports can resolve before every registration has reached the mocks (a resource no
    // export depends on, e.g. the inline policy of an existing user). The Pulumi CLI waits for
    // outstanding registrations before the program exits; wait for them here too.
    await waitForRPCs();
    return {
        stack: args.stack,
        resources: [...mocks.resources],
        outputs,
        rawOutputs,
        mocks,
        options,
    };
}

/** Resolves Outputs; secret values become "[secret]" so they can never be printed. */
export async function reveal(value: unknown): Promise<Record<string, unknown>> {
    return (await revealValue(value)) as Record<string, unknown>;
}

async function revealValue(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        const o = value;
        const secret = await (o as unknown as { isSecret: Promise<boolean> }).isSecret;
        if (secret) return "[secret]";
        const inner = await new Promise<unknown>((resolve) => o.apply((v) => resolve(v)));
        return revealValue(inner);
    }
    if (value instanceof Promise) return revealValue(await value);
    if (Array.isArray(value)) return Promise.all(value.map(revealValue));
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) out[k] = await revealValue(v);
        return out;
    }
    return value;
}

import * as path from "path";
import { expect } from "chai";
import type { RegisteredResource } from "../plan/mocks";
import { runStack, type RunArgs, type StackRun } from "../plan/runtime";
import { readStackFile } from "../plan/stackFiles";

/**
 * Shared test helpers. The mocks themselves live in plan/mocks.ts (the offline plan uses the
 * same ones): they return realistic ARNs with the account and region of each resource's
 * provider. `runStack` calls `setMocks` before it first loads the program.
 */
export { AwsMocks, type RegisteredResource } from "../plan/mocks";
export { runStack, type StackRun } from "../plan/runtime";

export const ROOT = path.resolve(__dirname, "..");
export const PRIMARY_ACCOUNT = "111111111111";
export const SECONDARY_ACCOUNT = "222222222222";
export const PRIMARY_STACK_REF = "organization/secretshare/primary";

/** The committed stack file's config, with `overrides` merged over it (objects as values). */
export function stackConfig(stack: string, overrides: Record<string, unknown> = {}): Record<string, string> {
    const config = { ...readStackFile(ROOT, stack).config };
    for (const [k, v] of Object.entries(overrides)) {
        if (v === undefined) delete config[k];
        else config[k] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return config;
}

export function run(
    stack: string,
    overrides: Record<string, unknown> = {},
    extra: Partial<RunArgs> = {},
): Promise<StackRun> {
    return runStack({ stack, config: stackConfig(stack, overrides), ...extra });
}

/** The committed primary stack, then the secondary reading its real exports. */
export async function runSeed(): Promise<{ primary: StackRun; secondary: StackRun }> {
    const primary = await run("primary");
    const secondary = await run("secondary", {}, { stacks: { [PRIMARY_STACK_REF]: primary.outputs } });
    return { primary, secondary };
}

export function ofType(run: StackRun, type: string): RegisteredResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** The one resource of `type` named `name`; fails the test when there is not exactly one. */
export function resource(run: StackRun, type: string, name: string): RegisteredResource {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    expect(found, `${type} ${name} among ${run.resources.map((r) => `${r.type} ${r.name}`).join(", ")}`).to.have.length(
        1,
    );
    return found[0];
}

/** A JSON policy input, parsed. */
export function policyOf(
    r: RegisteredResource,
    key = "policy",
): { Version: string; Statement: Record<string, unknown>[] } {
    const v = r.inputs[key];
    return (typeof v === "string" ? JSON.parse(v) : v) as { Version: string; Statement: Record<string, unknown>[] };
}

/** Runs `fn` expecting it to reject; returns the error message. */
export async function errorOf(fn: () => Promise<unknown>): Promise<string> {
    try {
        await fn();
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected an error, but none was thrown");
}

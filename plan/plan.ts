import { originsOf, type Origin } from "./origins";
import type { KnownStacks, RegisteredResource } from "./mocks";
import { preflight } from "./preflight";
import { runStack } from "./runtime";
import { EXAMPLE_WORLD } from "./existingWorld";
import { withPlannedPolicies } from "./identityWorld";
import { rulesPerBusOf } from "../config/watch";
import { PlanError } from "../common/errors";
import { listStacks, readProject, readStackFile, type StackFile } from "./stackFiles";

/**
 * The offline plan: reads `Pulumi.yaml` and the `Pulumi.<stack>.yaml` files of a project,
 * and runs the real program once per stack under Pulumi's mock runtime, owner stacks before
 * the stacks that read them by StackReference. A consumer's StackReference yields the exports
 * of the owner stack as this plan produced them, never a hand-written value.
 *
 * Stack references are matched on project and stack name: the organization part of
 * `secretshare:ownerStack` (`<org>/<project>/<stack>`) is accepted as written, because a stack
 * file does not say which organization it will be deployed in.
 */

export interface PlanOptions {
    /** The project directory: `Pulumi.yaml` and `Pulumi.<stack>.yaml`. */
    readonly dir: string;
    /** Plan only these stacks (the stacks they read must be among them). Default: every stack file. */
    readonly stacks?: readonly string[];
    /**
     * Called with each stack's registered resources, in plan order, before anything reads them.
     * The mutation tests use it to weaken a document as if the program had registered it so.
     */
    readonly mutate?: (stack: string, resources: RegisteredResource[]) => RegisteredResource[];
}

export interface PlannedStack {
    readonly name: string;
    readonly file: string;
    /** `secretshare:mode` as written, if any. */
    readonly mode?: string;
    /** The `secretshare:ownerStack` reference, and the planned stack it resolved to. */
    readonly reference?: { readonly name: string; readonly stack: string };
    /** Config paths of `secure:` values replaced by a placeholder. */
    readonly placeholders: readonly string[];
    readonly resources: readonly RegisteredResource[];
    /** created / adopted / policy-only / read, by "<type>::<name>" (see plan/origins.ts). */
    readonly origins: Readonly<Record<string, Origin>>;
    /** Exports, every Output resolved, secret values as "[secret]". */
    readonly outputs: Record<string, unknown>;
}

/** A stack file of the project that was not planned (a `--stack` subset). */
export interface UnplannedStack {
    readonly name: string;
    readonly mode?: string;
    /** For a consumer stack: the account ID it provisions readers in. */
    readonly consumerAccountId?: string;
}

export interface Plan {
    readonly project: string;
    readonly dir: string;
    /** In the order they ran. */
    readonly stacks: readonly PlannedStack[];
    readonly unplanned: readonly UnplannedStack[];
}

/** `<org>/<project>/<stack>`, as the config schema requires for `secretshare:ownerStack`. */
const REFERENCE = /^([\w.-]+)\/([\w.-]+)\/([\w.-]+)$/;

export async function plan(options: PlanOptions): Promise<Plan> {
    const project = readProject(options.dir);
    const all = listStacks(options.dir);
    if (all.length === 0) throw new PlanError(`no stack files (Pulumi.<stack>.yaml) in ${options.dir}`);
    const wanted = options.stacks?.length ? [...new Set(options.stacks)] : all;
    const unknown = wanted.filter((s) => !all.includes(s));
    if (unknown.length) {
        throw new PlanError(
            `unknown stack${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `"${s}"`).join(", ")}: ` +
                `the stacks of project ${project.name} in ${options.dir} are ${all.join(", ")}`,
        );
    }
    const files = new Map<string, StackFile>(wanted.map((s) => [s, readStackFile(options.dir, s)]));

    // Which planned stack each stack reads, by its StackReference.
    const reads = new Map<string, { name: string; stack: string }>();
    for (const [stack, file] of files) {
        const ref = file.config["secretshare:ownerStack"];
        const m = ref === undefined ? null : REFERENCE.exec(ref);
        // A malformed reference is left to the program's config validation, which names the expected form.
        if (!ref || !m) continue;
        const [, , refProject, refStack] = m;
        const where = `stack "${stack}" reads ${ref} (secretshare:ownerStack in ${file.file})`;
        if (refProject !== project.name) {
            throw new PlanError(
                `${where}, a stack of project "${refProject}": the plan resolves references to stacks of this project (${project.name}) only`,
            );
        }
        if (!all.includes(refStack)) {
            throw new PlanError(`${where}, but there is no Pulumi.${refStack}.yaml in ${options.dir}`);
        }
        if (!files.has(refStack)) {
            throw new PlanError(
                `${where}, which is not in this plan: include the owner stack (--stack ${refStack} --stack ${stack}), ` +
                    `so that the reference yields the exports the plan computes for it`,
            );
        }
        reads.set(stack, { name: ref, stack: refStack });
    }

    const order = dependencyOrder(wanted, reads);
    const planned = new Map<string, PlannedStack>();
    // Each stack runs in the world the stacks planned before it leave behind (their identity
    // policies), so stacks writing on one existing identity are checked against its quotas together.
    let world = EXAMPLE_WORLD;
    for (const stack of order) {
        const file = files.get(stack) as StackFile;
        const ref = reads.get(stack);
        const stacks: KnownStacks = {};
        if (ref) stacks[ref.name] = (planned.get(ref.stack) as PlannedStack).outputs;
        const run = await runStack({
            project: project.name,
            stack,
            config: file.config,
            secretKeys: file.secretKeys,
            stacks,
            world,
        });
        world = withPlannedPolicies(
            world,
            run.resources.map((r) => ({ type: r.type, inputs: r.inputs, accountId: r.provider?.accountId })),
        );
        const registered = [...run.resources];
        const origins = originsOf(registered, run.options);
        planned.set(stack, {
            name: stack,
            file: file.file,
            ...(file.config["secretshare:mode"] !== undefined && { mode: file.config["secretshare:mode"] }),
            ...(ref && { reference: ref }),
            placeholders: file.placeholders,
            resources: options.mutate ? options.mutate(stack, registered) : registered,
            origins,
            outputs: run.outputs,
        });
    }

    // Every name, size and quota that AWS or Pulumi would refuse at deploy, across all the
    // planned stacks, before the access matrix is computed: a PreflightError (exit 2).
    preflight(
        order.map((s) => planned.get(s) as PlannedStack),
        { rulesPerBus: (s) => rulesPerBusOf(files.get(s)?.config["secretshare:watch"]) },
    );

    const unplanned = all
        .filter((s) => !files.has(s))
        .map((s): UnplannedStack => {
            const file = readStackFile(options.dir, s);
            const mode = file.config["secretshare:mode"];
            return {
                name: s,
                ...(mode !== undefined && { mode }),
                ...consumerAccountOf(file),
            };
        });
    return {
        project: project.name,
        dir: options.dir,
        stacks: order.map((s) => planned.get(s) as PlannedStack),
        unplanned,
    };
}

function consumerAccountOf(file: StackFile): { consumerAccountId?: string } {
    try {
        const consumer = JSON.parse(file.config["secretshare:consumer"] ?? "null") as { accountId?: unknown } | null;
        return typeof consumer?.accountId === "string" ? { consumerAccountId: consumer.accountId } : {};
    } catch {
        return {};
    }
}

/** Stacks in an order where each comes after the stack it reads; otherwise by name. */
export function dependencyOrder(stacks: readonly string[], reads: ReadonlyMap<string, { stack: string }>): string[] {
    const order: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (stack: string, path: string[]) => {
        if (state.get(stack) === "done") return;
        if (state.get(stack) === "visiting") {
            throw new PlanError(`stacks read each other in a cycle: ${[...path, stack].join(" -> ")}`);
        }
        state.set(stack, "visiting");
        const dep = reads.get(stack);
        if (dep) visit(dep.stack, [...path, stack]);
        state.set(stack, "done");
        order.push(stack);
    };
    for (const s of [...stacks].sort()) visit(s, []);
    return order;
}

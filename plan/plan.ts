import { originsOf, type Origin } from "./origins";
import type { KnownStacks, RegisteredResource } from "./mocks";
import { preflight } from "./preflight";
import { runStack, type StackRun } from "./runtime";
import { withPlannedPolicies } from "./identityWorld";
import { planWorld, type PlanWorld } from "./world";
import { maskUnknownArns, previewUnknowns } from "./proof/preview";
import { NAMESPACE, parseConfig, type StackConfig } from "../config";
import { PlanError } from "../common/errors";
import { readStackFile, selectStacks, type StackFile } from "./stackFiles";

/**
 * The offline plan: reads `Pulumi.yaml` and the `Pulumi.<stack>.yaml` files of a project,
 * and runs the real program once per stack under Pulumi's mock runtime, owner stacks before
 * the stacks that read them by StackReference. A consumer's StackReference yields the exports
 * of the owner stack as this plan produced them, never a hand-written value.
 *
 * Stack references are matched on project and stack name: the organization part of
 * `secretshare:ownerStack` (`<org>/<project>/<stack>`) is accepted as written, because a stack
 * file does not say which organization it will be deployed in.
 *
 * With `preview`, each stack runs a second time as its first `pulumi preview` sees it (what it
 * creates has unknown IDs and outputs), in the same world and with the same StackReference
 * exports as its run as a first `up`: a consumer's preview needs its owner deployed, so it is
 * previewed against the exports the owner's first `up` leaves (docs/plan.md).
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
    /** As a first `pulumi preview` would see each stack (`npm start -- --preview`). */
    readonly preview?: boolean;
    /** Called after each stack is planned (its name, how many are done, of how many): progress. */
    readonly onStack?: (stack: string, done: number, total: number) => void;
    /**
     * A world snapshot to plan against (`--world FILE`, docs/existing.md). Default: `world.json`
     * next to the stack files if there is one; otherwise existing resources are unknown.
     */
    readonly world?: string;
}

export interface PlannedStack {
    readonly name: string;
    readonly file: string;
    /** `secretshare:mode` as written, if any. */
    readonly mode?: string;
    /** The `secretshare:ownerStack` reference (the first of `ownerStacks`), and the planned stack it resolved to. */
    readonly reference?: { readonly name: string; readonly stack: string };
    /** With `secretshare:ownerStacks` of more than one: every reference, in config order. */
    readonly references?: readonly { readonly name: string; readonly stack: string }[];
    /** Config paths of `secure:` values replaced by a placeholder. */
    readonly placeholders: readonly string[];
    readonly resources: readonly RegisteredResource[];
    /** created / adopted / policy-only / read, by "<type>::<name>" (see plan/origins.ts). */
    readonly origins: Readonly<Record<string, Origin>>;
    /** Exports, every Output resolved, secret values as "[secret]". */
    readonly outputs: Record<string, unknown>;
    /**
     * Resources registered with `protect` or `retainOnDelete`, by "<type>::<name>": what a change
     * that removes them from the stack would do. Absent in a plan built by hand.
     */
    readonly protection?: Readonly<Record<string, Protection>>;
    /**
     * The stack's config as the program parsed it (the same parser, so its defaults too), for what
     * the plan checks that the exports do not say: quotas raised in config, the owner's intent.
     * Absent in a plan built by hand.
     */
    readonly config?: StackConfig;
}

/** The resource options that decide what leaving the stack does to a resource. */
export interface Protection {
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
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
    /**
     * Set for a preview plan: `stacks` are then the stacks as their first `pulumi preview` sees
     * them (unknown values as "[unknown]"), and `up` the same stacks, in the same order, as their
     * first `up` leaves them. The access checks are built from `up`; a check that uses a value
     * the preview does not know is not proven in preview (plan/proof/checks.ts).
     */
    readonly preview?: { readonly up: readonly PlannedStack[] };
    /** What the existing resources hold: the snapshot planned against, or what is unknown (./world). */
    readonly world?: PlanWorld;
}

/** `<org>/<project>/<stack>`, as the config schema requires for `secretshare:ownerStack`. */
const REFERENCE = /^([\w.-]+)\/([\w.-]+)\/([\w.-]+)$/;

export async function plan(options: PlanOptions): Promise<Plan> {
    const { project, all, wanted } = selectStacks(options.dir, options.stacks);
    const files = new Map<string, StackFile>(wanted.map((s) => [s, readStackFile(options.dir, s)]));

    // Which planned stacks each stack reads, by its StackReferences.
    const reads = new Map<string, { name: string; stack: string }[]>();
    for (const [stack, file] of files) {
        for (const { key, ref } of ownerRefsOf(file)) {
            const m = REFERENCE.exec(ref);
            // A malformed reference is left to the program's config validation, which names the expected form.
            if (!m) continue;
            const [, , refProject, refStack] = m;
            const where = `stack "${stack}" reads ${ref} (secretshare:${key} in ${file.file})`;
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
            reads.set(stack, [...(reads.get(stack) ?? []), { name: ref, stack: refStack }]);
        }
    }

    const order = dependencyOrder(wanted, reads);
    const planned = new Map<string, PlannedStack>();
    const previewed = new Map<string, PlannedStack>();
    // Each stack runs in the world the stacks planned before it leave behind (their identity
    // policies), so stacks writing on one existing identity are checked against its quotas together.
    const existing = planWorld(
        options.dir,
        options.world,
        order.map((s) => ({ name: s, config: parsedConfig(s, files.get(s) as StackFile) })),
    );
    let world = existing.world;
    for (const stack of order) {
        const file = files.get(stack) as StackFile;
        const refs = reads.get(stack) ?? [];
        const ref = refs[0];
        const stacks: KnownStacks = {};
        for (const r of refs) stacks[r.name] = (planned.get(r.stack) as PlannedStack).outputs;
        const args = { project: project.name, stack, config: file.config, secretKeys: file.secretKeys, stacks, world };
        const run = await runStack(args);
        // Same world and same references: only the unknowns differ.
        const preview = options.preview ? await runStack({ ...args, preview: true }) : undefined;
        world = withPlannedPolicies(
            world,
            run.resources.map((r) => ({ type: r.type, inputs: r.inputs, accountId: r.provider?.accountId })),
        );
        const registered = [...run.resources];
        // From the run as a first `up`: in preview, a policy on a secret created in the same
        // stack names it by an unknown ARN, which alone would not tell created from policy-only.
        const origins = originsOf(registered, run.options);
        const base = {
            protection: protectionOf(run),
            name: stack,
            file: file.file,
            config: configOf(stack, file),
            ...(file.config["secretshare:mode"] !== undefined && { mode: file.config["secretshare:mode"] }),
            ...(ref && { reference: ref }),
            ...(refs.length > 1 && { references: refs }),
            placeholders: file.placeholders,
            origins,
        };
        planned.set(stack, {
            ...base,
            resources: options.mutate ? options.mutate(stack, registered) : registered,
            outputs: run.outputs,
        });
        if (preview) {
            sameResources(stack, run, preview);
            previewed.set(stack, { ...base, resources: [...preview.resources], outputs: preview.outputs });
        }
        options.onStack?.(stack, planned.size, order.length);
    }

    // Every name, size and quota that AWS or Pulumi would refuse at deploy, across all the
    // planned stacks, before the access matrix is computed: a PreflightError (exit 2).
    preflight(
        order.map((s) => planned.get(s) as PlannedStack),
        {
            rulesPerBus: (s) => planned.get(s)?.config?.watch?.rulesPerBus,
            attachedPolicies: existing.attachedPolicies,
            roleTrustPolicyLength: (accountId) => {
                const stated = [...planned.values()].flatMap((p) =>
                    p.config && p.config.mode !== "consumer"
                        ? Object.values(p.config.owner.consumers)
                              .filter((c) => c.account.accountId === accountId)
                              .map((c) => c.roleTrustPolicyLength ?? 0)
                        : [],
                );
                return Math.max(0, ...stated) || undefined;
            },
        },
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
    const up = order.map((s) => planned.get(s) as PlannedStack);
    let stacks = up;
    if (options.preview) {
        const seen = order.map((s) => previewed.get(s) as PlannedStack);
        // A consumer ran against its owner's exports as known after the owner's first `up`:
        // what the owner's first preview does not know is shown unknown here too.
        const unknowns = previewUnknowns(up, seen);
        stacks = seen.map((s) => (s.reference ? maskUnknownArns(s, unknowns) : s));
    }
    return {
        project: project.name,
        dir: options.dir,
        stacks,
        unplanned,
        ...(options.preview && { preview: { up } }),
        world: existing.plan,
    };
}

/**
 * A preview shows what `up` will do only if the program registers the same resources in both:
 * a resource registered inside an `apply` would be missing from the preview.
 */
export function sameResources(stack: string, up: StackRun, preview: StackRun): void {
    const keys = (run: StackRun) => new Set(run.resources.map((r) => `${r.type}::${r.name}`));
    const [a, b] = [keys(up), keys(preview)];
    const onlyUp = [...a].filter((k) => !b.has(k));
    const onlyPreview = [...b].filter((k) => !a.has(k));
    if (onlyUp.length || onlyPreview.length) {
        throw new PlanError(
            `stack "${stack}" registers different resources in preview than in up, so its preview would not show what ` +
                `up does: ${[...onlyUp.map((k) => `only in up: ${k}`), ...onlyPreview.map((k) => `only in preview: ${k}`)].join("; ")}`,
        );
    }
}

function protectionOf(run: StackRun): Record<string, Protection> {
    const out: Record<string, Protection> = {};
    for (const [key, opts] of run.options) {
        const { protect, retainOnDelete } = opts as Protection;
        if (protect || retainOnDelete)
            out[key] = { ...(protect && { protect }), ...(retainOnDelete && { retainOnDelete }) };
    }
    return out;
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
/** The owner stacks a stack file names: `secretshare:ownerStack`, or each of `secretshare:ownerStacks`. */
function ownerRefsOf(file: StackFile): { key: string; ref: string }[] {
    const one = file.config["secretshare:ownerStack"];
    const many = file.config["secretshare:ownerStacks"];
    const out: { key: string; ref: string }[] = [];
    if (one) out.push({ key: "ownerStack", ref: one });
    if (many) {
        let list: unknown;
        try {
            list = JSON.parse(many);
        } catch {
            list = undefined;
        }
        // Another form is left to the program's config validation, which names the expected one.
        if (Array.isArray(list)) {
            list.forEach((r, i) => {
                if (typeof r === "string") out.push({ key: `ownerStacks[${i}]`, ref: r });
            });
        }
    }
    return out;
}

export function dependencyOrder(
    stacks: readonly string[],
    reads: ReadonlyMap<string, { stack: string } | readonly { stack: string }[]>,
): string[] {
    const order: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const visit = (stack: string, path: string[]) => {
        if (state.get(stack) === "done") return;
        if (state.get(stack) === "visiting") {
            throw new PlanError(`stacks read each other in a cycle: ${[...path, stack].join(" -> ")}`);
        }
        state.set(stack, "visiting");
        const deps = reads.get(stack);
        for (const dep of deps === undefined ? [] : Array.isArray(deps) ? deps : [deps]) {
            visit((dep as { stack: string }).stack, [...path, stack]);
        }
        state.set(stack, "done");
        order.push(stack);
    };
    for (const s of [...stacks].sort()) visit(s, []);
    return order;
}

/** The config, if it parses; the program itself reports a config that does not. */
function parsedConfig(stack: string, file: StackFile): StackConfig | undefined {
    try {
        return configOf(stack, file);
    } catch {
        return undefined;
    }
}

/**
 * A stack file's config parsed once, as the program parsed it when the stack ran (so it parses:
 * a stack the program refused never gets here).
 */
function configOf(stack: string, file: StackFile): StackConfig {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(file.config)) {
        if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
    }
    return parseConfig(stack, raw);
}

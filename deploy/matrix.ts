import * as path from "path";
import { parseCommandLine } from "../common/args";
import { isUserError, UsageError } from "../common/errors";
import { listStacks, readStackFile } from "../plan/stackFiles";
import { NAMESPACE, parseConfig, type StackConfig } from "../config";

/**
 * The deploy workflow's matrices, derived from the stack files instead of listed by hand:
 * owner stacks ("owner" and "all") deploy first, in parallel; then every consumer stack, in
 * parallel, since each reads only owner stacks (`secretshare:ownerStack` / `ownerStacks`),
 * which are all deployed by then. Each entry carries what a job needs: the stack, the AWS
 * profile its provider names and its Region (the credentials step gives the role's credentials
 * that name), and the repository variable holding its deploy role's ARN.
 *
 *   ts-node deploy/matrix.ts [--dir DIR] [--preview]
 *
 * prints `owners=<json>`, `consumers=<json>` and `has-consumers=<true|false>`, one per line, in
 * the form `$GITHUB_OUTPUT` takes; with `--preview`, `previews=<json>`: the pull request
 * workflow's preview matrix. https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/running-variations-of-jobs-in-a-workflow
 */

export interface MatrixEntry {
    readonly stack: string;
    readonly profile: string;
    readonly region: string;
    /** The repository variable with the ARN of the stack's deploy role. */
    readonly role: string;
    /** The owner stacks a consumer stack reads (their stack names), for the record. */
    readonly reads?: readonly string[];
}

export interface DeployMatrix {
    readonly owners: readonly MatrixEntry[];
    readonly consumers: readonly MatrixEntry[];
}

const configOf = (dir: string, stack: string): StackConfig => {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(readStackFile(dir, stack).config)) {
        if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
    }
    return parseConfig(stack, raw);
};

/** The variable name of a stack's deploy role: AWS_DEPLOY_ROLE_ARN_<STACK>, `-` as `_`. */
export const deployRoleVariable = (stack: string) =>
    `AWS_DEPLOY_ROLE_ARN_${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

export function deployMatrix(dir: string): DeployMatrix {
    const owners: MatrixEntry[] = [];
    const consumers: MatrixEntry[] = [];
    const stacks = listStacks(dir);
    // Both matrices (and the preview matrix) would be empty, which GitHub refuses with a less clear error.
    if (stacks.length === 0) throw new UsageError(`no stack files (Pulumi.<stack>.yaml) in ${dir}`);
    for (const stack of stacks) {
        const config = configOf(dir, stack);
        const account = config.mode === "consumer" ? config.consumer : config.owner.account;
        if (!account.profile) {
            throw new UsageError(
                `stack ${stack}: the deploy job gives the role's credentials the profile the stack file names; ` +
                    `set secretshare:${config.mode === "consumer" ? "consumer" : "owner"}.profile in Pulumi.${stack}.yaml`,
            );
        }
        const entry = { stack, profile: account.profile, region: account.region, role: deployRoleVariable(stack) };
        if (config.mode !== "consumer") {
            owners.push(entry);
            continue;
        }
        const reads = config.ownerStacks.map((r) => r.split("/")[2]);
        const missing = reads.filter((s) => !stacks.includes(s));
        if (missing.length) {
            throw new UsageError(
                `stack ${stack} reads ${missing.join(", ")}, which has no stack file in ${dir}: the workflow deploys only the stacks it has files for`,
            );
        }
        const notOwners = reads.filter((s) => configOf(dir, s).mode === "consumer");
        if (notOwners.length) throw new UsageError(`stack ${stack} reads ${notOwners.join(", ")}, a consumer stack`);
        consumers.push({ ...entry, reads });
    }
    return { owners, consumers };
}

/** The variable name of a stack's preview role: AWS_PREVIEW_ROLE_ARN_<STACK>, `-` as `_`. */
export const previewRoleVariable = (stack: string) =>
    `AWS_PREVIEW_ROLE_ARN_${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;

/**
 * The pull request workflow's preview matrix: every stack, owners first, each with its preview
 * role's variable. A preview changes nothing, so the stacks need no waves; the preview job itself
 * skips a consumer stack whose owner stacks are not deployed yet.
 */
export function previewMatrix(m: DeployMatrix): MatrixEntry[] {
    return [...m.owners, ...m.consumers].map((e) => ({ ...e, role: previewRoleVariable(e.stack) }));
}

/** The lines for $GITHUB_OUTPUT. */
export function outputLines(m: DeployMatrix): string[] {
    return [
        `owners=${JSON.stringify({ include: m.owners })}`,
        `consumers=${JSON.stringify({ include: m.consumers })}`,
        `has-consumers=${m.consumers.length > 0}`,
    ];
}

if (require.main === module) {
    try {
        const { values } = parseCommandLine(process.argv.slice(2), {
            dir: { type: "string" },
            preview: { type: "boolean" },
        });
        const dir = path.resolve(values.dir ?? path.resolve(__dirname, ".."));
        const m = deployMatrix(dir);
        const lines = values.preview ? [`previews=${JSON.stringify({ include: previewMatrix(m) })}`] : outputLines(m);
        process.stdout.write(lines.join("\n") + "\n");
    } catch (e) {
        process.stderr.write(`${isUserError(e) ? e.message : String((e as Error).stack ?? e)}\n`);
        process.exitCode = isUserError(e) ? 2 : 3;
    }
}

import { RunError } from "@pulumi/pulumi/errors";

/**
 * The one error hierarchy. A `UserError` is a mistake the user can fix (configuration, a stack
 * file, a command's arguments, a limit AWS would enforce, a live fact that makes a share
 * impossible): every command prints its message alone and exits 2. It extends Pulumi's
 * `RunError` so that the Pulumi CLI, too, prints the message without the program's stack trace.
 * Anything else that escapes is a bug: exit 3 with the stack trace.
 * https://www.pulumi.com/docs/reference/pkg/nodejs/pulumi/pulumi/classes/RunError.html
 *
 * `@pulumi/pulumi/errors` is imported alone so that the live `verify` command does not load the
 * whole Pulumi SDK for its error classes.
 */
export class UserError extends RunError {
    constructor(message: string) {
        super(message);
        this.name = new.target.name;
    }
}

/** True for every error that is the user's to fix, including a plain `pulumi.RunError`. */
export function isUserError(e: unknown): e is Error {
    return e instanceof UserError || RunError.isInstance(e);
}

const bullets = (problems: readonly string[]) => problems.map((p) => `  - ${p}`).join("\n");

/** Configuration of one stack that cannot be planned or deployed: every problem found, listed. */
export class ConfigError extends UserError {
    constructor(
        stack: string,
        public readonly problems: readonly string[],
    ) {
        super(`invalid secretshare configuration for stack "${stack}":\n` + bullets(problems));
    }
}

/** A command was called wrongly (unknown flag, missing value, flags that cannot be combined). */
export class UsageError extends UserError {}

/** The project's files (Pulumi.yaml, Pulumi.<stack>.yaml) cannot be read as a project. */
export class StackFileError extends UserError {}

/** The plan was asked for something it cannot do (a stack that reads a stack not in the plan, a cycle). */
export class PlanError extends UserError {}

/** A document would exceed an AWS limit: the messages say which, by how much, and what to do. */
export class LimitError extends UserError {
    constructor(public readonly problems: readonly string[]) {
        super(problems.join("\n"));
    }
}

/** Something that exists in AWS cannot be shared as configured: says what and what to do. */
export class ExistingResourceError extends UserError {
    constructor(
        stack: string,
        public readonly problems: readonly string[],
    ) {
        super(`cannot share the existing resources named in the config of stack "${stack}":\n` + bullets(problems));
    }
}

/**
 * A world snapshot (`npm start -- --world FILE`) that cannot be used: unreadable, not of the
 * snapshot's form (each bad field by its path), or silent on a resource the config names.
 */
export class WorldError extends UserError {}

/** A stored document that cannot be read as a policy: the message says which and why. */
export class PolicyReadError extends UserError {}

/**
 * The planned resources would fail at deploy: a name, size or quota that AWS or Pulumi would
 * refuse (the catalogue in aws/limits.ts and aws/names.ts, listed in docs/limits.md).
 */
export class PreflightError extends UserError {
    constructor(public readonly problems: readonly string[]) {
        super(
            `the plan's resources would not deploy: ${problems.length === 1 ? "1 problem" : `${problems.length} problems`} ` +
                `with AWS's limits and names (docs/limits.md):\n` +
                bullets(problems),
        );
    }
}

import * as pulumi from "@pulumi/pulumi";

/**
 * A user mistake in configuration. It extends `pulumi.RunError` so that the Pulumi CLI prints
 * the message alone, without the program's stack trace.
 * https://www.pulumi.com/docs/reference/pkg/nodejs/pulumi/pulumi/classes/RunError.html
 */
export class ConfigError extends pulumi.RunError {
    public readonly problems: readonly string[];
    constructor(stack: string, problems: readonly string[]) {
        super(`invalid secretshare configuration for stack "${stack}":\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
        this.problems = problems;
    }
}

/** Shows a config value the way the user wrote it, shortened; never used for secret values. */
export function show(value: unknown): string {
    if (value === undefined) return "(not set)";
    const text = JSON.stringify(value) ?? typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

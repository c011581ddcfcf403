import { parseArgs, type ParseArgsConfig } from "util";
import { UsageError } from "./errors";

/**
 * The one argument parser of every command (plan, verify, bench, scale, capacity): Node's
 * `util.parseArgs` in strict mode, with its errors turned into a `UsageError` that says, in the
 * commands' own words, which flag was wrong. An option's value may not be empty, and may not
 * start with "-" unless written `--flag=-value` (util.parseArgs calls that ambiguous).
 * https://nodejs.org/api/util.html#utilparseargsconfig
 */
export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandLine<O extends Options>(
    argv: readonly string[],
    options: O,
    allowPositionals = false,
): ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>> {
    let parsed;
    try {
        parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals });
    } catch (e) {
        throw new UsageError(usageMessage(e as Error & { code?: string }));
    }
    for (const [name, value] of Object.entries(parsed.values)) {
        const values: unknown[] = Array.isArray(value) ? value : [value];
        if (values.includes("")) throw new UsageError(`--${name} needs a value`);
    }
    return parsed;
}

function usageMessage(e: Error & { code?: string }): string {
    // Node names the option as '-s, --stack <value>', '--stack' or '--x': prefer the long form.
    const named = /'([^']*)'/.exec(e.message)?.[1] ?? "";
    const flag = /--[\w-]+/.exec(named)?.[0] ?? /-\w/.exec(named)?.[0];
    switch (e.code) {
        case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
            return flag && /does not take an argument/.test(e.message)
                ? `${flag} takes no value`
                : `${flag ?? "an option"} needs a value`;
        case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
            return `unknown argument "${flag ?? e.message}"`;
        case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
            return `unknown argument "${named || e.message}"`;
        default:
            return e.message;
    }
}

/**
 * What an invoke's failure says, for a message. The engine hands the provider's error text over
 * as is (`invocation of <token> returned an error: invoking <token>: 1 error occurred:` and the
 * cause on the next lines, `\t* reading IAM User (alice): couldn't find resource`, a
 * hashicorp/go-multierror list), so the first line alone says nothing: the listed causes are
 * kept, else the first line.
 */
export function invokeReason(e: unknown): string {
    const message = e instanceof Error ? e.message : String(e);
    const causes = message
        .split("\n")
        .map((line) => /^\s*\*\s+(.*\S)/.exec(line)?.[1])
        .filter((c): c is string => c !== undefined);
    return causes.length ? causes.join("; ") : message.split("\n")[0];
}

/** The provider's own error text for an invoke that failed, as the engine reports it (for the mocks). */
export const invokeFailure = (token: string, ...causes: string[]) =>
    `invocation of ${token} returned an error: invoking ${token}: ${causes.length} error${causes.length === 1 ? "" : "s"} occurred:\n` +
    causes.map((c) => `\t* ${c}\n`).join("") +
    "\n";

/** An IAM name as an anchored, case-insensitive RE2 expression: IAM names are unique without regard to case. */
export const exactNames = (names: readonly string[]) =>
    `(?i)^(${names.map((n) => n.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&")).join("|")})$`;

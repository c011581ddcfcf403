/**
 * The values of `--fail-on`, apart from ./command.ts so that the command line is checked
 * (plan/cli.ts parseArgs) without loading the diff.
 */
export type FailOn = "gain" | "external" | "any";
export const FAIL_ON: readonly FailOn[] = ["gain", "external", "any"];

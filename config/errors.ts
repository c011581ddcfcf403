export { ConfigError } from "../common/errors";

/** Shows a config value the way the user wrote it, shortened; never used for secret values. */
export function show(value: unknown): string {
    if (value === undefined) return "(not set)";
    const text = JSON.stringify(value) ?? typeof value;
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

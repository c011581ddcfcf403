import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { StackFileError } from "../common/errors";

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the Pulumi CLI would hand them to the
 * program: each key's value as a string (objects as JSON). `secure:` values cannot be
 * decrypted here (no Pulumi CLI, no secrets provider); they are replaced by a placeholder
 * and listed, so the caller can say so.
 */

/** What stands in for a `secure:` value that cannot be decrypted offline. */
export const SECURE_PLACEHOLDER = "[secure value, not decrypted offline]";

export interface StackFile {
    readonly stack: string;
    readonly file: string;
    readonly config: Record<string, string>;
    /** Config keys whose value is secret (wholly or in part). */
    readonly secretKeys: string[];
    /** Paths of `secure:` values replaced by the placeholder, e.g. "secretshare:passwords.MySecret". */
    readonly placeholders: string[];
}

export interface Project {
    readonly name: string;
    readonly dir: string;
}

export function readProject(dir: string): Project {
    const file = path.join(dir, "Pulumi.yaml");
    if (!fs.existsSync(file)) throw new StackFileError(`no Pulumi.yaml in ${dir}`);
    const doc = parseYaml(file) as { name?: unknown } | null;
    if (!doc || typeof doc.name !== "string") throw new StackFileError(`${file}: expected a project name (name: ...)`);
    return { name: doc.name, dir };
}

/** Stack names from the `Pulumi.<stack>.yaml` files in `dir`, sorted. */
export function listStacks(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export function readStackFile(dir: string, stack: string): StackFile {
    const file = ["yaml", "yml"].map((e) => path.join(dir, `Pulumi.${stack}.${e}`)).find((f) => fs.existsSync(f));
    if (!file) throw new StackFileError(`no stack file Pulumi.${stack}.yaml in ${dir}`);
    const doc = parseYaml(file) as { config?: unknown } | null;
    const raw = (doc?.config ?? {}) as Record<string, unknown>;
    if (typeof raw !== "object" || Array.isArray(raw)) throw new StackFileError(`${file}: "config" must be a map`);
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const placeholders: string[] = [];
    for (const [key, value] of Object.entries(raw)) {
        const found: string[] = [];
        const replaced = replaceSecure(value, key, found);
        if (found.length) {
            secretKeys.push(key);
            placeholders.push(...found);
        }
        config[key] = typeof replaced === "string" ? replaced : JSON.stringify(replaced);
    }
    return { stack, file, config, secretKeys, placeholders };
}

function replaceSecure(value: unknown, at: string, found: string[]): unknown {
    if (value && typeof value === "object" && !Array.isArray(value)) {
        const obj = value as Record<string, unknown>;
        if (Object.keys(obj).length === 1 && typeof obj.secure === "string") {
            found.push(at);
            return SECURE_PLACEHOLDER;
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, replaceSecure(v, `${at}.${k}`, found)]));
    }
    if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${at}[${i}]`, found));
    return value;
}

function parseYaml(file: string): unknown {
    try {
        return YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new StackFileError(`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    }
}

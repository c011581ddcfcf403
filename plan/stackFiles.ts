import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { PlanError, StackFileError } from "../common/errors";

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` as the Pulumi CLI would hand them to the
 * program: each key's value as a string (objects as JSON). `secure:` values cannot be
 * decrypted here (no Pulumi CLI, no secrets provider); they are replaced by a placeholder
 * and listed, so the caller can say so.
 */

/** What stands in for a `secure:` value that cannot be decrypted offline. */
export const SECURE_PLACEHOLDER = "[secure value, not decrypted offline]";

/**
 * `secure:` values whose form the program's config check requires (a watch subscriber's e-mail
 * address or HTTPS endpoint): the plan cannot see them, so each gets a stand-in of that form,
 * distinct per position so that two of them are not taken for one address listed twice. Their
 * real form is checked when Pulumi decrypts them (`pulumi preview`). Never an address that
 * could receive anything: `.invalid` is reserved (RFC 2606).
 */
const FORMED_PLACEHOLDERS: readonly (readonly [RegExp, (n: number) => string])[] = [
    [/^secretshare:watch\.subscribers\[(\d+)\]\.email$/, (n) => `secure-value-${n}@not-decrypted-offline.invalid`],
    [
        /^secretshare:watch\.subscribers\[(\d+)\]\.https$/,
        (n) => `https://not-decrypted-offline.invalid/secure-value-${n}`,
    ],
];

/** The stand-in of a `secure:` value at config path `at`. */
export function securePlaceholder(at: string): string {
    for (const [path, form] of FORMED_PLACEHOLDERS) {
        const m = path.exec(at);
        if (m) return form(Number(m[1]));
    }
    return SECURE_PLACEHOLDER;
}

/** Whether the `secure:` value at `at` was planned with a stand-in of its form (see FORMED_PLACEHOLDERS). */
export const isFormedPlaceholder = (at: string) => FORMED_PLACEHOLDERS.some(([path]) => path.test(at));

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

/**
 * The project and the stacks to plan: `stacks`, or every stack file when none is named. An
 * unknown name is an error naming the stacks there are, found from the file names alone, before
 * the program is loaded or any stack runs.
 */
export function selectStacks(
    dir: string,
    stacks: readonly string[] = [],
): { project: Project; all: string[]; wanted: string[] } {
    const project = readProject(dir);
    const all = listStacks(dir);
    if (all.length === 0) throw new PlanError(`no stack files (Pulumi.<stack>.yaml) in ${dir}`);
    const wanted = stacks.length ? [...new Set(stacks)] : all;
    const unknown = wanted.filter((s) => !all.includes(s));
    if (unknown.length) {
        throw new PlanError(
            `unknown stack${unknown.length > 1 ? "s" : ""} ${unknown.map((s) => `"${s}"`).join(", ")}: ` +
                `the stacks of project ${project.name} in ${dir} are ${all.join(", ")}`,
        );
    }
    return { project, all, wanted };
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
            return securePlaceholder(at);
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

import { z } from "zod";
import { show } from "./errors";

/**
 * How a config problem is worded: each line names the full key (`secretshare:<key>.<path>`), the
 * value given (see `show`) and the expected form, so that one ConfigError can list every problem.
 */

/** The config namespace: keys are `secretshare:<key>`. */
export const NAMESPACE = "secretshare";

/** A zod issue's path as config writes it: `.name` for a setting, `[i]` for a list entry. */
export function pathText(path: readonly PropertyKey[]): string {
    return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
}

/** One problem line for a zod issue of `secretshare:<key>`, whose value was `root`. */
export function describe(key: string, root: unknown, issue: z.core.$ZodIssue, schema?: z.core.$ZodType): string {
    const path = pathText(issue.path);
    let value: unknown = root;
    for (const p of issue.path)
        value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[p] : undefined;
    if (issue.code === "unrecognized_keys") {
        const known = schema ? keysAt(schema, issue.path) : [];
        return (
            `${NAMESPACE}:${key}${path}: unknown setting ${issue.keys.map((k) => `"${k}"`).join(", ")} (a typo?)` +
            (known.length ? `; expected one of: ${known.join(", ")}` : "")
        );
    }
    if (issue.code === "invalid_key") {
        // A map key (a consumer account name) failed its schema: name the key, not the whole entry.
        const parent = pathText(issue.path.slice(0, -1));
        const name = issue.path[issue.path.length - 1];
        return `${NAMESPACE}:${key}${parent} key ${show(name)}: ${issue.issues[0]?.message ?? issue.message}`;
    }
    return `${NAMESPACE}:${key}${path} = ${show(value)}: ${issue.message}`;
}

/** The settings the object schema at `path` accepts, so that a typo's message can list them. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
    interface Def {
        type: string;
        shape?: Record<string, z.core.$ZodType>;
        innerType?: z.core.$ZodType;
        element?: z.core.$ZodType;
        valueType?: z.core.$ZodType;
    }
    // Optional and default wrappers hold the schema that matters in innerType.
    const defOf = (t: z.core.$ZodType | undefined): Def | undefined => {
        let d = t?._zod.def as Def | undefined;
        while (d?.innerType) d = d.innerType._zod.def;
        return d;
    };
    let def = defOf(schema);
    for (const p of path) {
        if (def?.type === "object") def = defOf(def.shape?.[String(p)]);
        else if (def?.type === "array") def = defOf(def.element);
        else if (def?.type === "record") def = defOf(def.valueType);
        else return [];
    }
    return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

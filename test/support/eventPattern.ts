import type { EventPattern, Matcher, Scalar } from "../../watch/pattern";

/**
 * The smallest EventBridge event-pattern matcher that covers the operators this program's rules
 * use, so the tests can check the rules offline against recorded CloudTrail events, in place of
 * EventBridge. No maintained matcher exists on the npm registry (the one package found,
 * `eb-patterns`, is not published there); `npm run verify` checks the deployed patterns with
 * EventBridge's own `TestEventPattern`.
 *
 * Semantics, from the EventBridge user guide:
 * - fields of a pattern object are ANDed; the values of a leaf array are ORed;
 * - a field named in the pattern must be present in the event, except for `{"exists": false}`;
 * - when the event value is an array, the pattern matches if any element matches
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html);
 * - `null` and `""` are distinct values
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html);
 * - `exists` only looks at leaf nodes: an object is not a leaf
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html).
 * Operators it does not implement (`cidr`, `$or`, `*-ignore-case` variants of prefix/suffix...)
 * throw, so a rule can never be "tested" by a matcher that silently ignores part of it.
 */

export type { EventPattern, Matcher, Scalar };

export class UnsupportedPatternError extends Error {}

/** True when `event` matches `pattern`, as EventBridge would decide. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
    return matchObject(pattern, [event]);
}

/**
 * `candidates`: the values at this level (several when an array of objects was crossed). A `$or`
 * field holds two or more patterns for this same level, one of which must match besides the
 * other fields (EventBridge's comparison operators page; AWS's matcher expands each branch into
 * a rule of its own, with the fields outside the `$or`).
 */
function matchObject(pattern: EventPattern, candidates: unknown[]): boolean {
    for (const [field, sub] of Object.entries(pattern)) {
        if (field === "$or") {
            const branches = sub as unknown[];
            if (!Array.isArray(branches) || branches.length < 2 || !branches.every(isPatternObject))
                throw new UnsupportedPatternError("$or must hold two or more pattern objects");
            if (!branches.some((b) => matchObject(b, candidates))) return false;
            continue;
        }
        if (field.startsWith("$")) throw new UnsupportedPatternError(`operator ${field} is not supported`);
        const values = candidates.flatMap((c) => childValues(c, field));
        if (Array.isArray(sub)) {
            if (!matchLeaf(sub as Matcher[], values)) return false;
        } else {
            const objects = values.filter((v) => v !== null && typeof v === "object");
            if (objects.length === 0 || !matchObject(sub, objects)) return false;
        }
    }
    return true;
}

const isPatternObject = (v: unknown): v is EventPattern => v !== null && typeof v === "object" && !Array.isArray(v);

/** The value(s) of `field` in `node`; arrays are flattened one level at a time. */
function childValues(node: unknown, field: string): unknown[] {
    if (Array.isArray(node)) return node.flatMap((n) => childValues(n, field));
    if (node === null || typeof node !== "object" || !(field in node)) return [];
    const value = (node as Record<string, unknown>)[field];
    return Array.isArray(value) ? flatten(value) : [value];
}

function flatten(values: unknown[]): unknown[] {
    return values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
}

const isLeaf = (v: unknown): v is Scalar => v === null || typeof v !== "object";

function matchLeaf(matchers: Matcher[], values: unknown[]): boolean {
    const leaves = values.filter(isLeaf);
    return matchers.some((m) => {
        if (m !== null && typeof m === "object" && "exists" in m) return m.exists === leaves.length > 0;
        return leaves.some((v) => matchOne(m, v));
    });
}

function matchOne(m: Matcher, v: Scalar): boolean {
    if (m === null || typeof m !== "object") return equal(m, v);
    const keys = Object.keys(m);
    if (keys.length !== 1) throw new UnsupportedPatternError(`matcher ${JSON.stringify(m)} must have one operator`);
    if ("prefix" in m) return typeof v === "string" && typeof m.prefix === "string" && v.startsWith(stringOp(m.prefix));
    if ("suffix" in m) return typeof v === "string" && v.endsWith(stringOp(m.suffix));
    if ("wildcard" in m) return typeof v === "string" && wildcard(m.wildcard).test(v);
    if ("equals-ignore-case" in m)
        return typeof v === "string" && v.toLowerCase() === m["equals-ignore-case"].toLowerCase();
    if ("numeric" in m) return typeof v === "number" && numeric(m.numeric, v);
    if ("anything-but" in m) return !anythingBut(m["anything-but"], v);
    throw new UnsupportedPatternError(`operator ${keys[0]} is not supported`);
}

/** True when `v` is one of the excluded values. */
function anythingBut(
    excluded: Scalar | Scalar[] | { prefix: string } | { suffix: string } | { wildcard: string },
    v: Scalar,
) {
    if (Array.isArray(excluded)) return excluded.some((e) => equal(e, v));
    if (excluded !== null && typeof excluded === "object") {
        if ("prefix" in excluded) return typeof v === "string" && v.startsWith(stringOp(excluded.prefix));
        if ("suffix" in excluded) return typeof v === "string" && v.endsWith(stringOp(excluded.suffix));
        if ("wildcard" in excluded) return typeof v === "string" && wildcard(excluded.wildcard).test(v);
        throw new UnsupportedPatternError(`anything-but ${JSON.stringify(excluded)} is not supported`);
    }
    return equal(excluded, v);
}

function stringOp(s: unknown): string {
    if (typeof s !== "string")
        throw new UnsupportedPatternError(`operator value ${JSON.stringify(s)} is not supported`);
    return s;
}

function equal(a: Scalar, b: Scalar): boolean {
    return a === b;
}

/** `*` matches any run of characters (including none); `\*` is a literal star. */
function wildcard(pattern: string): RegExp {
    const parts = pattern.split(/(?<!\\)\*/).map((p) => p.replace(/\\\*/g, "*").replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    return new RegExp(`^${parts.join(".*")}$`, "s");
}

function numeric(spec: (string | number)[], v: number): boolean {
    for (let i = 0; i < spec.length; i += 2) {
        const op = spec[i];
        const bound = spec[i + 1];
        if (typeof bound !== "number")
            throw new UnsupportedPatternError(`numeric ${JSON.stringify(spec)} is malformed`);
        const ok =
            op === "="
                ? v === bound
                : op === "<"
                  ? v < bound
                  : op === "<="
                    ? v <= bound
                    : op === ">"
                      ? v > bound
                      : op === ">="
                        ? v >= bound
                        : undefined;
        if (ok === undefined) throw new UnsupportedPatternError(`numeric operator ${String(op)} is not supported`);
        if (!ok) return false;
    }
    return true;
}

/**
 * Renders an input transformer the way EventBridge fills a JSON template, as its guide documents
 * it (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
 * an object or array variable becomes its JSON; a string variable is quoted when the template
 * places it as a bare value (the guide's "Simple JSON" example) and left as it is inside a
 * quoted string, and in neither case escaped ("EventBridge doesn't escape values extracted by
 * Input Path", under "Common issues"), so a `"` in a string value breaks out of its string here
 * as it would there. `<aws.events.event.json>` is the whole event, `<aws.events.event>` the event
 * without its `detail`. A path that resolves to nothing throws: the rules here only use paths
 * that every matching event has, and the tests hold them to it.
 */
export function renderInputTemplate(
    paths: Readonly<Record<string, string>>,
    template: string,
    event: unknown,
    ruleName = "rule",
): string {
    let out = "";
    let inString = false;
    for (let i = 0; i < template.length; i++) {
        const c = template[i];
        const variable = c === "<" ? /^<([\w.-]+)>/.exec(template.slice(i)) : null;
        if (variable) {
            out += insert(valueOf(variable[1], paths, event, ruleName), inString);
            i += variable[0].length - 1;
            continue;
        }
        if (c === "\\" && inString) {
            out += c + template[i + 1];
            i++;
            continue;
        }
        if (c === '"') inString = !inString;
        out += c;
    }
    return out;
}

function valueOf(name: string, paths: Readonly<Record<string, string>>, event: unknown, ruleName: string): unknown {
    if (name === "aws.events.event.json") return event;
    if (name === "aws.events.event") {
        const rest: Record<string, unknown> = { ...(event as Record<string, unknown>) };
        delete rest.detail;
        return rest;
    }
    if (name === "aws.events.rule-name") return ruleName;
    const path = paths[name];
    if (path === undefined) throw new Error(`template variable <${name}> has no input path`);
    let value: unknown = event;
    for (const part of path
        .replace(/^\$\.?/, "")
        .split(".")
        .filter(Boolean)) {
        value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
    }
    if (value === undefined) throw new Error(`input path ${path} (<${name}>) is not in the event`);
    return value;
}

/** A string as EventBridge inserts it: unescaped, quoted only where the template has no quotes. */
function insert(value: unknown, inString: boolean): string {
    if (typeof value !== "string") return JSON.stringify(value);
    return inString ? value : `"${value}"`;
}

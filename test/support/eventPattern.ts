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

/** `candidates`: the values at this level (several when an array of objects was crossed). */
function matchObject(pattern: EventPattern, candidates: unknown[]): boolean {
    for (const [field, sub] of Object.entries(pattern)) {
        if (field.startsWith("$")) throw new UnsupportedPatternError(`operator ${field} is not supported`);
        const values = candidates.flatMap((c) => childValues(c, field));
        if (Array.isArray(sub)) {
            if (!matchLeaf(sub, values)) return false;
        } else {
            const objects = values.filter((v) => v !== null && typeof v === "object");
            if (objects.length === 0 || !matchObject(sub, objects)) return false;
        }
    }
    return true;
}

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
 * Renders an input transformer the way EventBridge fills a JSON template: each `<name>` is
 * replaced by the JSON of the value at its path (dot notation), `<aws.events.event.json>` by the
 * whole event and `<aws.events.event>` by the event without its `detail`, as the EventBridge
 * guide documents them. A path that resolves to nothing throws: the rules here only use paths
 * that every matching event has, and the tests hold them to it.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export function renderInputTemplate(
    paths: Readonly<Record<string, string>>,
    template: string,
    event: unknown,
    ruleName = "rule",
): string {
    return template.replace(/<([\w.-]+)>/g, (_, name: string) => {
        if (name === "aws.events.event.json") return JSON.stringify(event);
        if (name === "aws.events.event") {
            const rest: Record<string, unknown> = { ...(event as Record<string, unknown>) };
            delete rest.detail;
            return JSON.stringify(rest);
        }
        if (name === "aws.events.rule-name") return JSON.stringify(ruleName);
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
        return JSON.stringify(value);
    });
}

import type { LiveStatement } from "../../existing/merge";
import { PRINCIPAL, prepare, shapeOf, type Frame, type Part, type Prepared } from "./statements";

/**
 * The statements of a document that can play a part in one principal's request, for `decide`
 * (./reach.ts): a packed key policy holds a statement per group of readers, and the decision for
 * one principal reads only the statements whose cubes can hold it. A statement is left out for a
 * principal only when every cube it can translate to (in any frame of the shape) names another
 * principal exactly, or it translates to no cube at all; a statement that may be "not proven" is
 * always read. Kept per document and shape of frame: documents are not changed once planned.
 */

export interface Candidate {
    readonly statement: LiveStatement;
    readonly prepared: Prepared;
}

export interface Candidates {
    /** Read for any principal. */
    readonly general: readonly Candidate[];
    /** Read only for the principal named: each of their cubes names exactly that principal. */
    readonly byPrincipal: ReadonlyMap<string, readonly Candidate[]>;
}

const cache = new WeakMap<object, Map<string, Candidates>>();
const EMPTY: ReadonlyMap<string, readonly Candidate[]> = new Map();

/** The one principal a cube can hold, when it names one exactly (as `contains` reads it). */
const exactPrincipal = (part: Part): string | undefined =>
    part.cube[PRINCIPAL]?.pos.find((p) => p.exact !== undefined)?.exact;

/** Below this many statements, a document's statements are all read: an index would not repay itself. */
const INDEXED = 16;

/** The candidates of `statements` (a document's) for frames of `frame`'s shape. */
export function candidates(policy: unknown, statements: () => readonly LiveStatement[], frame: Frame): Candidates {
    if (typeof policy !== "object" || policy === null) return build(statements(), frame);
    const list = (policy as { Statement?: unknown }).Statement;
    if (!Array.isArray(list) || list.length < INDEXED) {
        const all = statements().map((statement) => ({ statement, prepared: prepare(statement, frame) }));
        return { general: all, byPrincipal: EMPTY };
    }
    const key = shapeOf(frame);
    let byShape = cache.get(policy);
    if (!byShape) cache.set(policy, (byShape = new Map<string, Candidates>()));
    let c = byShape.get(key);
    if (!c) byShape.set(key, (c = build(statements(), frame)));
    return c;
}

function build(statements: readonly LiveStatement[], frame: Frame): Candidates {
    const general: Candidate[] = [];
    const byPrincipal = new Map<string, Candidate[]>();
    for (const statement of statements) {
        const prepared = prepare(statement, frame);
        const candidate = { statement, prepared };
        // What it can translate to: `constant`, else `result` or a translation without cubes.
        const t = prepared.constant ?? prepared.result;
        if (!t.applies) continue;
        if (t.notProven !== undefined || prepared.fixed.some((c) => !c.readable)) {
            general.push(candidate);
            continue;
        }
        if (!t.parts.length) continue;
        const named = t.parts.map(exactPrincipal);
        if (named.some((p) => p === undefined)) {
            general.push(candidate);
            continue;
        }
        for (const p of new Set(named as string[])) {
            let list = byPrincipal.get(p);
            if (!list) byPrincipal.set(p, (list = []));
            list.push(candidate);
        }
    }
    return { general, byPrincipal };
}

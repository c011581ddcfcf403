import { accepts, matches, namedChars, start, step, type Pattern, type Positions } from "./glob";

/**
 * Deciding sets of requests without a solver: a set is a union of cubes, each a conjunction, per
 * variable (the principal, a version stage, ...), of patterns the value must match (`pos`), must
 * not match (`neg`), and whether the variable may be absent. Whether a cube holds a point that
 * none of a list of cubes holds is decided variable by variable, by walking the product of the
 * patterns' automata breadth-first over a finite alphabet (every character a pattern names, and
 * one it does not), which also yields the shortest such value: the counterexample.
 */

export interface VarConstraint {
    readonly pos: readonly Pattern[];
    readonly neg: readonly Pattern[];
    /** true: must be absent; false: must be present; undefined: either. */
    readonly absent?: boolean;
}

export const FREE: VarConstraint = { pos: [], neg: [] };

/** A point: a value per variable, undefined for absent. */
export type Point = Readonly<Record<string, string | undefined>>;

export interface Space {
    /** The variables, the principal first. */
    readonly vars: readonly string[];
    /** Values tried first, by variable (e.g. AWSCURRENT for a stage), so that witnesses read well. */
    readonly preferred?: Readonly<Record<string, readonly string[]>>;
    /** Patterns one of which a value of the variable must match to be a real one (a principal's forms). */
    readonly domains?: Readonly<Record<string, readonly Pattern[]>>;
    /** Variables that are never absent (the principal). */
    readonly present?: readonly string[];
}

export type Cube = Readonly<Record<string, VarConstraint | undefined>>;

const allowsAbsent = (c: VarConstraint | undefined) => !c || (c.absent !== false && c.pos.length === 0);
const allowsPresent = (c: VarConstraint | undefined) => !c || c.absent !== true;

/** Whether a value (undefined: absent) meets the constraint. */
export function meets(c: VarConstraint | undefined, value: string | undefined): boolean {
    if (value === undefined) return allowsAbsent(c);
    if (!c) return true;
    if (c.absent === true) return false;
    return c.pos.every((p) => matches(p, value)) && !c.neg.some((p) => matches(p, value));
}

export const contains = (cube: Cube, point: Point) => Object.entries(cube).every(([v, c]) => meets(c, point[v]));

/** Both constraints at once; undefined when they cannot both hold on presence alone. */
export function conjoin(a: VarConstraint | undefined, b: VarConstraint | undefined): VarConstraint | undefined {
    if (!a) return b;
    if (!b) return a;
    const absent = a.absent ?? b.absent;
    if (a.absent !== undefined && b.absent !== undefined && a.absent !== b.absent)
        return { ...a, absent: true, pos: [EMPTY] };
    return { pos: [...a.pos, ...b.pos], neg: [...a.neg, ...b.neg], ...(absent !== undefined && { absent }) };
}

/** A pattern nothing matches (two contradictory presence requirements). */
const EMPTY: Pattern = { tokens: [{ chars: "", negated: false, star: false }], source: "(nothing)" };

export class TooComplex extends Error {}

/** Above this many states of one walk, the analysis gives up on that set: not proven. */
const MAX_STATES = 200_000;

/**
 * Walks the values that match every `subject` pattern and no `excluded` one; for each distinct
 * combination of which `classify` patterns they match, the shortest such value (the first found).
 * `stopAtFirst`: only one value, whatever its combination.
 */
export function classes(
    subject: readonly Pattern[],
    excluded: readonly Pattern[],
    classify: readonly Pattern[],
    stopAtFirst = false,
): Map<string, string> {
    const all = [...subject, ...excluded, ...classify];
    const named = new Set(all.map(namedChars).join(""));
    const fresh = [..."XYZxyz0123456789_-#"].find((c) => !named.has(c)) ?? "\u00e9";
    // A fresh character first (it reads as "some other character"), then digits high to low
    // (an account nobody uses reads 999...), then the rest.
    const alphabet = [fresh, ...[...named].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))];
    const out = new Map<string, string>();
    const key = (s: readonly Positions[]) => s.map((p) => p.join(",")).join("|");
    let frontier: { at: Positions[]; value: string }[] = [{ at: all.map(start), value: "" }];
    const seen = new Set([key(frontier[0].at)]);
    const nS = subject.length;
    const nE = excluded.length;
    while (frontier.length) {
        const next: typeof frontier = [];
        for (const { at, value } of frontier) {
            if (subject.every((p, i) => accepts(p, at[i])) && !excluded.some((p, i) => accepts(p, at[nS + i]))) {
                const sig = classify.map((p, i) => (accepts(p, at[nS + nE + i]) ? "1" : "0")).join("");
                if (!out.has(sig)) out.set(sig, value);
                if (stopAtFirst) return out;
            }
            for (const c of alphabet) {
                const moved = all.map((p, i) => step(p, at[i], c));
                if (moved.slice(0, nS).some((m) => m.length === 0)) continue;
                const k = key(moved);
                if (seen.has(k)) continue;
                seen.add(k);
                if (seen.size > MAX_STATES) throw new TooComplex(`more than ${MAX_STATES} states`);
                next.push({ at: moved, value: value + c });
            }
        }
        frontier = next;
    }
    return out;
}

const rank = (c: string) => (/[0-9]/.test(c) ? 0 : 1) * 100 - (/[0-9]/.test(c) ? c.charCodeAt(0) : 0);

/**
 * A point of `cube` that no cube of `others` holds, or undefined when there is none. The point
 * takes, variable by variable, a preferred value where one does, else the shortest.
 */
export function witness(cube: Cube, others: readonly Cube[], space: Space): Point | undefined {
    // Inside a cube that asks no more than it does (the same patterns): nothing to walk.
    if (others.some((o) => subsumes(o, cube))) return undefined;
    if (others.length) return search(cube, others, space, 0, {});
    // An instance of a cube alone: the same cubes recur (an account's principals, secret after secret).
    const key = `${spaceKey(space)}\n${cubeKey(cube)}`;
    if (instances.has(key)) return instances.get(key);
    const found = search(cube, others, space, 0, {});
    if (instances.size > 10_000) instances.clear();
    instances.set(key, found);
    return found;
}

const instances = new Map<string, Point | undefined>();
const tokenKeys = new WeakMap<Pattern, string>();
const tokenKey = (p: Pattern) => {
    let k = tokenKeys.get(p);
    if (k === undefined) tokenKeys.set(p, (k = JSON.stringify(p.tokens)));
    return k;
};

/** Whether every constraint of `outer` is one of `inner`'s, so that `inner` lies within `outer`. */
function subsumes(outer: Cube, inner: Cube): boolean {
    return Object.entries(outer).every(([v, c]) => {
        if (!c) return true;
        const i = inner[v];
        if (!i) return !c.pos.length && !c.neg.length && c.absent === undefined;
        const has = (list: readonly Pattern[], p: Pattern) => list.some((q) => q === p || tokenKey(q) === tokenKey(p));
        if (c.absent === true && i.absent !== true) return false;
        if (c.absent === false && i.absent !== false && !i.pos.length) return false;
        return c.pos.every((p) => has(i.pos, p)) && c.neg.every((p) => has(i.neg, p));
    });
}
const ids = new WeakMap<object, number>();
let nextId = 0;
const idOf = (o: object) => {
    let id = ids.get(o);
    if (id === undefined) ids.set(o, (id = nextId++));
    return id;
};
const cubeKey = (cube: Cube) =>
    Object.entries(cube)
        .filter(([, c]) => c)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([v, c]) => `${v}:${String(c?.absent)}:${c?.pos.map(idOf).join(",")}:${c?.neg.map(idOf).join(",")}`)
        .join(";");
const spaceKey = (space: Space) => idOf(space.domains ?? space) + JSON.stringify([space.vars, space.preferred ?? {}]);

function search(cube: Cube, others: readonly Cube[], space: Space, i: number, point: Point): Point | undefined {
    if (i === space.vars.length) return others.length ? undefined : point;
    const v = space.vars[i];
    const mine = cube[v];
    const next = (value: string | undefined, left: readonly Cube[]) =>
        search(cube, left, space, i + 1, value === undefined ? point : { ...point, [v]: value });
    const tried = new Set<string>();
    const attempt = (value: string) => {
        if (tried.has(value) || !meets(mine, value)) return undefined;
        tried.add(value);
        return next(
            value,
            others.filter((o) => meets(o[v], value)),
        );
    };
    // A cube that names one value: only that value (or absent, where it may be).
    const single = mine?.pos.find((p) => p.exact !== undefined)?.exact;
    if (single !== undefined) return attempt(single);
    // A preferred value first (AWSCURRENT reads better than no stage), then absent, then the shortest.
    for (const value of space.preferred?.[v] ?? []) {
        const found = allowsPresent(mine) ? attempt(value) : undefined;
        if (found) return found;
    }
    if (!space.present?.includes(v) && allowsAbsent(mine)) {
        const found = next(
            undefined,
            others.filter((o) => allowsAbsent(o[v])),
        );
        if (found) return found;
    }
    if (!allowsPresent(mine)) return undefined;
    const constraining = others.filter((o) => o[v] && (o[v].pos.length || o[v].neg.length));
    const classify = constraining.flatMap((o) => [...(o[v]?.pos ?? []), ...(o[v]?.neg ?? [])]);
    const domains = space.domains?.[v] ?? [undefined];
    for (const domain of domains) {
        const subject = [...(mine?.pos ?? []), ...(domain ? [domain] : [])];
        for (const value of classes(subject, mine?.neg ?? [], classify).values()) {
            const found = attempt(value);
            if (found) return found;
        }
    }
    return undefined;
}

/** Whether a cube holds any point at all. */
export const nonEmpty = (cube: Cube, space: Space) => witness(cube, [], space) !== undefined;

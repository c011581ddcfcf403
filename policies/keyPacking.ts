import { longestFit } from "./fit";

/**
 * Which customer managed key encrypts each secret when the stack packs its secrets into as few
 * keys as the key policy limit allows (`secretshare:key.perSecret: false`, the default).
 *
 * Moving a secret to another key re-encrypts it and changes the key ARN that every reader's
 * identity policy names, so the packing must be stable: adding or removing a secret never moves
 * another one. No function of the config alone can promise that and still fill keys: with keys
 * that hold one secret each, config {a, b} reached by adding b to {a} must put a on the first
 * key, and reached by adding a to {b} must put b there. So the packing starts from where each
 * secret was placed before (the stack's own `keyIds` export, read back at the next run;
 * docs/scale.md) and only places what is new:
 *
 * 1. every secret that was placed before stays on its key;
 * 2. a kept key whose policy no longer fits (its secrets gained readers) gives up its last
 *    secrets (in the order below) until it fits: the one case where a secret moves;
 * 3. new and given-up secrets go to the first key they fit on (kept keys in order, then new
 *    keys), in the order of their affinity, then their name.
 *
 * The affinity is the layout's (its readers): secrets read by the same identities share one
 * Decrypt statement in the key policy, so placing them side by side fills a key with several
 * times more secrets than an order that splits them. Without a previous placement (the first
 * deploy, the offline plan) this is a first-fit over that order: the same config always gives
 * the same packing.
 */

/** The first key's id: a stack that fits one key keeps the key (name and alias) it always had. */
export const FIRST_KEY = "shared";

/** The id of the n-th packed key (1-based): "shared", "shared-2", "shared-3", ... */
export const packedKeyId = (n: number): string => (n === 1 ? FIRST_KEY : `${FIRST_KEY}-${n}`);

/** The ordinal of a packed key id, or undefined for anything else. */
export function packedKeyOrdinal(id: string): number | undefined {
    if (id === FIRST_KEY) return 1;
    const m = /^shared-([1-9]\d{0,5})$/.exec(id);
    return m && Number(m[1]) >= 2 ? Number(m[1]) : undefined;
}

export interface KeyPacking {
    /** Key id by secret name. */
    readonly keyOf: Readonly<Record<string, string>>;
    /** The keys in use, in ordinal order. */
    readonly keyIds: readonly string[];
    /** Secrets placed on another key than the previous placement said (only when a kept key overflowed). */
    readonly moved: readonly string[];
}

/** Code-unit order: the same on every machine. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Packs `secrets` into keys. `fits(secrets)` says whether one key's policy for these secrets
 * stays within the limit; a secret that does not fit on a key alone still gets a key of its
 * own (the layout then reports the policy as too large). `previous`: key id by secret name
 * from the last run; ids that are not packed key ids are ignored. `affinity`: secrets of equal
 * affinity are placed side by side (default: by name alone).
 */
export function packKeys(
    secrets: readonly string[],
    fits: (secrets: readonly string[]) => boolean,
    previous: Readonly<Record<string, string>> = {},
    affinity: (secret: string) => string = () => "",
): KeyPacking {
    const rank = new Map(secrets.map((s) => [s, affinity(s)]));
    const placementOrder = (a: string, b: string) =>
        byText(rank.get(a) as string, rank.get(b) as string) || byText(a, b);
    const members = new Map<number, string[]>();
    const queue: string[] = [];
    for (const s of [...new Set(secrets)].sort(byText)) {
        const prev = Object.prototype.hasOwnProperty.call(previous, s) ? previous[s] : undefined;
        const n = prev === undefined ? undefined : packedKeyOrdinal(prev);
        if (n === undefined) queue.push(s);
        else members.set(n, [...(members.get(n) ?? []), s]);
    }
    const moved: string[] = [];
    for (const n of [...members.keys()].sort((a, b) => a - b)) {
        const list = members.get(n) as string[];
        list.sort(placementOrder);
        while (list.length > 1 && !fits(list)) {
            const out = list.pop() as string;
            moved.push(out);
            queue.push(out);
        }
    }
    // A key that a secret did not fit on is not tried again in this run (next-fit): trying every
    // full key for every later secret would make the packing quadratic. A later secret with fewer
    // readers might still have fit; it goes to a later key instead, the same for the same input.
    // A key policy only grows as secrets are added, so the run of queued secrets that fits on a
    // key is found by doubling and halving its length (./fit.ts): a few policy builds per key, not
    // one per secret, and the same result as trying them one at a time.
    const full = new Set<number>();
    queue.sort(placementOrder);
    let i = 0;
    while (i < queue.length) {
        let n = [...members.keys()].sort((a, b) => a - b).find((k) => !full.has(k));
        if (n === undefined) {
            n = 1;
            while (members.has(n)) n++;
            members.set(n, []);
        }
        const list = members.get(n) as string[];
        const lo = longestFit(queue.length - i, (m) => fits([...list, ...queue.slice(i, i + m)]));
        // A secret too large for a key of its own still gets one (the layout reports its size).
        const take = lo === 0 && list.length === 0 ? 1 : lo;
        list.push(...queue.slice(i, i + take));
        i += take;
        if (i < queue.length) full.add(n);
    }
    const keyOf: Record<string, string> = {};
    const ordinals = [...members.keys()].filter((n) => (members.get(n) as string[]).length).sort((a, b) => a - b);
    for (const n of ordinals) for (const s of members.get(n) as string[]) keyOf[s] = packedKeyId(n);
    const movedNow = moved.filter((s) => keyOf[s] !== previous[s]);
    return { keyOf, keyIds: ordinals.map(packedKeyId), moved: movedNow.sort(byText) };
}

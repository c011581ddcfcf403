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
 *    secrets, by name, until it fits: the one case where a secret moves;
 * 3. new and given-up secrets, sorted by name, go to the first key they fit on (kept keys in
 *    order, then new keys).
 *
 * Without a previous placement (the first deploy, the offline plan) that is a first-fit over the
 * secrets sorted by name: the same config always gives the same packing.
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
 * from the last run; ids that are not packed key ids are ignored.
 */
export function packKeys(
    secrets: readonly string[],
    fits: (secrets: readonly string[]) => boolean,
    previous: Readonly<Record<string, string>> = {},
): KeyPacking {
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
        while (list.length > 1 && !fits(list)) {
            const out = list.pop() as string;
            moved.push(out);
            queue.push(out);
        }
    }
    // A key that a secret did not fit on is not tried again in this run (next-fit): each try
    // builds a whole key policy, and trying every full key for every later secret would make
    // the packing quadratic. A later secret with fewer readers might still have fit; it goes to
    // a later key instead, which keeps the result the same for the same input all the same.
    const full = new Set<number>();
    for (const s of queue.sort(byText)) {
        let placed = false;
        for (const n of [...members.keys()].sort((a, b) => a - b)) {
            if (full.has(n)) continue;
            const list = members.get(n) as string[];
            if (fits([...list, s])) {
                list.push(s);
                placed = true;
                break;
            }
            full.add(n);
        }
        if (!placed) {
            let n = 1;
            while (members.has(n)) n++;
            members.set(n, [s]);
        }
    }
    const keyOf: Record<string, string> = {};
    const ordinals = [...members.keys()].filter((n) => (members.get(n) as string[]).length).sort((a, b) => a - b);
    for (const n of ordinals) for (const s of members.get(n) as string[]) keyOf[s] = packedKeyId(n);
    const movedNow = moved.filter((s) => keyOf[s] !== previous[s]);
    return { keyOf, keyIds: ordinals.map(packedKeyId), moved: movedNow.sort(byText) };
}

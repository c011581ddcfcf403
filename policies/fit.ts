/**
 * The longest run that fits, for packing documents that only grow as items are added (a key
 * policy as secrets join it, an identity policy as grants do): the largest `n` from `least` to
 * `max` with `fits(n)`, found by doubling and halving `n`, so a few document builds per document
 * instead of one per item, and the same `n` as adding the items one at a time. `fits` must be
 * monotone (true up to some length, false after it); `least` is taken without asking `fits`.
 */
export function longestFit(max: number, fits: (n: number) => boolean, least = 0): number {
    let lo = least;
    let hi = least + 1;
    while (hi <= max && fits(hi)) {
        lo = hi;
        hi *= 2;
    }
    hi = Math.min(hi, max + 1);
    while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (fits(mid)) lo = mid;
        else hi = mid;
    }
    return lo;
}

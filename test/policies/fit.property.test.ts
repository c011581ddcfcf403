import { expect } from "chai";
import * as fc from "fast-check";
import { longestFit } from "../../policies/fit";

/** What adding the items one at a time finds: the last length from `least` on that fits. */
function oneAtATime(max: number, fits: (n: number) => boolean, least: number): number {
    let n = least;
    while (n < max && fits(n + 1)) n++;
    return n;
}

describe("longestFit: the longest run that fits, by doubling and halving", () => {
    it("finds what adding the items one at a time finds, for every monotone fit and lower bound", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 0, max: 300 }),
                fc.integer({ min: 0, max: 320 }),
                fc.constantFrom(0, 1),
                (max, limit, least) => {
                    const asked: number[] = [];
                    const fits = (n: number) => {
                        asked.push(n);
                        return n <= limit;
                    };
                    const found = longestFit(max, fits, least);
                    expect(found).to.equal(oneAtATime(max, (n) => n <= limit, least));
                    // Only lengths in range are asked about, `least` never, and a few of them.
                    expect(asked.every((n) => n > least && n <= max)).to.equal(true);
                    expect(asked.length).to.be.at.most(2 * Math.ceil(Math.log2(max + 2)) + 1);
                },
            ),
        );
    });

    it("takes `least` without asking when not even one more item fits", () => {
        expect(longestFit(5, () => false, 1)).to.equal(1);
        expect(longestFit(5, () => false)).to.equal(0);
        expect(longestFit(0, () => true)).to.equal(0);
    });
});

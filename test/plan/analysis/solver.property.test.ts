import { expect } from "chai";
import * as fc from "fast-check";
import { arnGlob, glob, matches, type Pattern } from "../../../plan/analysis/glob";
import { classes, witness } from "../../../plan/analysis/solver";

/**
 * The automata against brute force: over a small alphabet, every string up to a length is tried;
 * a pattern matches what a regular expression built the IAM way matches, and the walk finds a
 * value whenever one exists (and only values that fit).
 */

const ALPHABET = ["a", "b", "A", ":"];
const all = (max: number): string[] => {
    const out = [""];
    let level = [""];
    for (let n = 1; n <= max; n++) {
        level = level.flatMap((s) => ALPHABET.map((c) => s + c));
        out.push(...level);
    }
    return out;
};
const STRINGS = all(5);
const SHORT = all(4);

const globText = fc.array(fc.constantFrom("a", "b", "A", ":", "*", "?"), { maxLength: 4 }).map((a) => a.join(""));
const pattern: fc.Arbitrary<{ p: Pattern; re: RegExp }> = fc.oneof(
    globText.map((t) => ({ p: glob(t), re: new RegExp(`^${t.replace(/\*/g, ".*").replace(/\?/g, ".")}$`) })),
    globText.map((t) => ({
        p: glob(t.replace(/[*?]/g, "a"), true),
        re: new RegExp(`^${t.replace(/[*?]/g, "a")}$`, "i"),
    })),
);

describe("analysis automata: against brute force", function () {
    this.timeout(60000);

    it("a pattern matches exactly what the IAM-style regular expression matches", () => {
        fc.assert(
            fc.property(pattern, ({ p, re }) => {
                for (const s of SHORT) expect(matches(p, s), `${p.source} on "${s}"`).to.equal(re.test(s));
            }),
            { numRuns: 100 },
        );
    });

    it("ArnLike: a wildcard in the first five parts never takes a colon, in the resource it may", () => {
        const p = arnGlob("arn:aws:iam::*:role/*") as Pattern;
        expect(matches(p, "arn:aws:iam::222222222222:role/a:b")).to.equal(true);
        expect(matches(p, "arn:aws:iam::2:2:role/a")).to.equal(false);
        expect(arnGlob("*")).to.equal(undefined);
    });

    it("the walk finds a value matching every subject pattern and no excluded one whenever one exists", () => {
        fc.assert(
            fc.property(fc.array(pattern, { maxLength: 3 }), fc.array(pattern, { maxLength: 3 }), (pos, neg) => {
                const brute = STRINGS.find((s) => pos.every((x) => x.re.test(s)) && !neg.some((x) => x.re.test(s)));
                const found = classes(
                    pos.map((x) => x.p),
                    neg.map((x) => x.p),
                    [],
                    true,
                );
                const value = [...found.values()][0];
                if (brute !== undefined) expect(value, "a value exists").to.be.a("string");
                if (value !== undefined) {
                    expect(pos.every((x) => x.re.test(value)) && !neg.some((x) => x.re.test(value))).to.equal(true);
                    // Shortest first.
                    if (brute !== undefined) expect(value.length).to.be.at.most(brute.length);
                }
            }),
            { numRuns: 300 },
        );
    });

    it("a witness of one cube outside others is in it and in none of them; none only when there is none", () => {
        const space = { vars: ["v"], present: ["v"] };
        fc.assert(
            fc.property(pattern, fc.array(pattern, { maxLength: 3 }), (mine, others) => {
                const w = witness(
                    { v: { pos: [mine.p], neg: [] } },
                    others.map((o) => ({ v: { pos: [o.p], neg: [] } })),
                    space,
                );
                const brute = STRINGS.find((s) => mine.re.test(s) && !others.some((o) => o.re.test(s)));
                if (brute !== undefined) expect(w).to.not.equal(undefined);
                if (w) {
                    const v = w.v as string;
                    expect(mine.re.test(v) && !others.some((o) => o.re.test(v))).to.equal(true);
                }
            }),
            { numRuns: 300 },
        );
    });
});

import { expect } from "chai";
import * as fc from "fast-check";
import { globMatches } from "../../../plan/proof/conditions";

/**
 * plan/proof/conditions.ts `globMatches` keeps each pattern's regex: the answers must be those
 * of IAM's wildcard match (`*` any run, `?` one character), whatever was asked before, with or
 * without case, and a kept regex must keep no state between calls.
 */

/** IAM's wildcard match, by dynamic programming: the reference. */
function reference(pattern: string, value: string, ignoreCase: boolean): boolean {
    const p = ignoreCase ? pattern.toLowerCase() : pattern;
    const v = ignoreCase ? value.toLowerCase() : value;
    let row = [true, ...Array.from(v, () => false)];
    for (const c of p) {
        const next = [c === "*" && row[0]];
        for (let j = 1; j <= v.length; j++) {
            next[j] = c === "*" ? row[j] || next[j - 1] : (c === "?" || c === v[j - 1]) && row[j - 1];
        }
        row = next;
    }
    return row[v.length];
}

// ASCII, with the regex metacharacters the pattern must escape.
const CHARS = ["a", "B", "b", "1", ":", "/", "-", ".", "+", "(", ")", "[", "]", "^", "$", "{", "}", "|", "\\"];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 6 }).map((c) => c.join(""));
const pattern = fc.array(fc.constantFrom(...CHARS, "*", "?"), { maxLength: 6 }).map((c) => c.join(""));

describe("plan/proof/conditions.ts globMatches", () => {
    it("answers as IAM's wildcard match for any sequence of patterns, values and case", () => {
        fc.assert(
            fc.property(fc.array(fc.tuple(pattern, text, fc.boolean()), { minLength: 1, maxLength: 10 }), (calls) => {
                for (const [p, v, ignoreCaseFirst] of calls) {
                    // The same pattern with and without case, in either order.
                    for (const ignoreCase of [ignoreCaseFirst, !ignoreCaseFirst]) {
                        expect(globMatches(p, v, ignoreCase), `${p} ${v} ${ignoreCase}`).to.equal(
                            reference(p, v, ignoreCase),
                        );
                    }
                }
            }),
            { numRuns: 500 },
        );
    });

    it("the same pattern, asked again and again, gives the same answers (no state kept)", () => {
        const answers = Array.from({ length: 4 }, () => [
            globMatches("arn:aws:iam::*:role/app?", "arn:aws:iam::222222222222:role/appX"),
            globMatches("arn:aws:iam::*:role/app?", "arn:aws:iam::222222222222:role/app"),
            globMatches("arn:aws:iam::*:role/APP?", "arn:aws:iam::222222222222:role/appX", true),
        ]);
        expect(answers).to.deep.equal(Array.from({ length: 4 }, () => [true, false, true]));
    });
});

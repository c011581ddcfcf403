import { expect } from "chai";
import fc from "fast-check";
import { LIMITS, sizeOf, textSize, type LimitName } from "../../aws/limits";
import type { PolicyDocument } from "../../policies/documents";

/**
 * sizeOf measures a document from its JSON.stringify alone, without the parse and re-stringify
 * that textSize does to drop whitespace: the two must agree, for every limit, on any document;
 * where AWS does not count whitespace, however the text sent was indented.
 */

/** Any code point; and the characters JSON escapes or not, with lone surrogates (which "binary" never gives). */
const awkward = fc.constantFrom(
    "\ud800",
    "\udc00",
    "\u2028",
    "\u2029",
    "\u0000",
    "\u001f",
    '"',
    "\\",
    "/",
    "\u00e9",
    "\u{1f600}",
    " ",
    "\t",
    "\n",
);
const text = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), fc.string({ unit: awkward, maxLength: 12 }));
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
        { depthSize: "small" },
        text,
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 4 }),
        // Keys of every kind, integer-like ones included (objects order those first).
        fc.dictionary(fc.oneof(text, fc.nat().map(String)), tie("value"), { maxKeys: 4 }),
    ),
})).value;

describe("aws/limits.ts: sizeOf", () => {
    it("counts what textSize counts of the document's JSON, for every limit (indented JSON where whitespace is not counted)", () => {
        const limits = Object.keys(LIMITS) as LimitName[];
        fc.assert(
            fc.property(json, fc.constantFrom(0, 2, "\t"), (value, indent) => {
                const doc = { Version: "2012-10-17", Statement: [value] } as unknown as PolicyDocument;
                const sent = JSON.stringify(doc, null, indent);
                for (const limit of limits) {
                    expect(sizeOf(doc, limit), limit).to.equal(textSize(JSON.stringify(doc), limit));
                    if (LIMITS[limit].whitespace === "not counted") {
                        expect(sizeOf(doc, limit), limit).to.equal(textSize(sent, limit));
                    }
                }
            }),
            { numRuns: 300 },
        );
    });

    it("counts bytes where AWS counts bytes and characters where it counts characters", () => {
        const doc: PolicyDocument = {
            Version: "2012-10-17",
            Statement: [{ Sid: "Caf\u00e9", Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }],
        };
        const compact = JSON.stringify(doc);
        const limits = Object.keys(LIMITS) as LimitName[];
        expect(limits.some((l) => LIMITS[l].unit === "bytes")).to.equal(true);
        expect(limits.some((l) => LIMITS[l].unit !== "bytes")).to.equal(true);
        for (const limit of limits) {
            expect(sizeOf(doc, limit), limit).to.equal(
                LIMITS[limit].unit === "bytes" ? compact.length + 1 : compact.length,
            );
        }
    });
});

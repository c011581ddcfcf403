import { expect } from "chai";
import fc from "fast-check";
import { placeholderKeyArn, placeholderSecretArn } from "../../aws/arn";
import { LIMITS, sizeOf } from "../../aws/limits";
import { LimitError } from "../../common/errors";
import type { ReaderKind } from "../../config/types";
import { identityPolicy, type IdentityGrant } from "../../policies/documents";
import { packIdentityPolicy } from "../../policies/layout";

/**
 * packIdentityPolicy finds each managed policy's run of grants by doubling and halving its length,
 * which gives what adding the grants one at a time gives only because an identity policy never
 * shrinks when a grant is added. Both are checked here, over grants whose keys lie in several
 * Regions (the home Region among them or not, and a key ARN of another form): the size of every
 * prefix, and the documents against the one-at-a-time packing.
 */

const OWNER = "111111111111";
const HOME = "us-east-1";
const REGIONS = [HOME, "eu-west-1", "ap-south-1", "us-west-2"];

/** `min` to `max` grants with names up to `longest` characters, keys in a few Regions. */
const grantsOf = (min: number, max: number, longest: number): fc.Arbitrary<IdentityGrant[]> =>
    fc
        .array(
            fc.record({
                name: fc.integer({ min: 0, max: longest }).map((n) => "x".repeat(n)),
                key: fc.nat({ max: 5 }),
                region: fc.constantFrom(...REGIONS),
                form: fc.constantFrom("arn", "arn", "arn", "other"),
            }),
            { minLength: min, maxLength: max },
        )
        .map((list) =>
            list.map((g, i) => ({
                secretArn: placeholderSecretArn("aws", HOME, OWNER, `s${i}${g.name}`),
                keyArn: g.form === "arn" ? placeholderKeyArn("aws", g.region, OWNER, g.key) : `key-${g.key}`,
            })),
        );
const homeOf = fc.constantFrom(...REGIONS);

const size = (region: string, grants: readonly IdentityGrant[]) =>
    sizeOf(identityPolicy({ region, grants }), "managedPolicy");

/** The managed policies as built one grant at a time: a grant that would not fit starts the next. */
function oneAtATime(region: string, grants: readonly IdentityGrant[]): number[][] {
    const chunks: number[][] = [];
    let current: number[] = [];
    grants.forEach((_, i) => {
        if (
            current.length &&
            size(
                region,
                [...current, i].map((j) => grants[j]),
            ) > LIMITS.managedPolicy.size
        ) {
            chunks.push(current);
            current = [];
        }
        current.push(i);
    });
    if (current.length) chunks.push(current);
    return chunks;
}

describe("property: an identity policy's managed documents", () => {
    it("never shrink when a grant is added, whatever its Region and key", () => {
        fc.assert(
            fc.property(homeOf, grantsOf(1, 30, 40), (region, grants) => {
                for (let n = 1; n < grants.length; n++) {
                    expect(size(region, grants.slice(0, n + 1))).to.be.at.least(size(region, grants.slice(0, n)));
                }
            }),
            { numRuns: 200 },
        );
    });

    it("are the documents of adding the grants one at a time", () => {
        let managed = 0;
        fc.assert(
            fc.property(
                homeOf,
                fc.constantFrom<ReaderKind>("user", "role"),
                grantsOf(40, 120, 300),
                (region, kind, grants) => {
                    let chunks: readonly (readonly number[])[];
                    try {
                        const packing = packIdentityPolicy("apps/reader", kind, region, grants);
                        if (packing.mode === "inline") return;
                        chunks = packing.chunks;
                    } catch (e) {
                        if (!(e instanceof LimitError)) throw e;
                        return;
                    }
                    managed++;
                    expect(chunks).to.deep.equal(oneAtATime(region, grants));
                },
            ),
            { numRuns: 40 },
        );
        // Not vacuous: most cases need managed policies.
        expect(managed).to.be.greaterThan(20);
    });
});

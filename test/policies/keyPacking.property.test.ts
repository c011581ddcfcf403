import { expect } from "chai";
import fc from "fast-check";
import { LIMITS, sizeOf } from "../../aws/limits";
import { parseConfig, type OwnerStackConfig } from "../../config";
import { ownerLayout, type OwnerLayout } from "../../policies/layout";
import { packedKeyId, packedKeyOrdinal, packKeys } from "../../policies/keyPacking";

/**
 * Properties of the key packing (policies/keyPacking.ts): from a previous placement, adding and
 * removing secrets never moves a kept secret to another key; every key fits; the same input
 * gives the same packing. First over the pure packer with secrets of random weights against a
 * capacity, then over the owner's real layout, whose key policies are measured against KMS's
 * 32,768 bytes.
 */

const names = (min: number, max: number) =>
    fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,11}$/), { minLength: min, maxLength: max });

/** Secrets with weights, a capacity, and a change: some removed, some added. */
const change = fc
    .record({
        before: names(0, 40),
        added: names(0, 20),
        removedFraction: fc.double({ min: 0, max: 1, noNaN: true }),
        weights: fc.array(fc.integer({ min: 1, max: 10 }), { minLength: 60, maxLength: 60 }),
        capacity: fc.integer({ min: 10, max: 40 }),
    })
    .map((c) => {
        const removedCount = Math.floor(c.before.length * c.removedFraction);
        const removed = new Set(c.before.slice(0, removedCount));
        const after = [...c.before.filter((s) => !removed.has(s)), ...c.added.filter((s) => !c.before.includes(s))];
        const all = [...new Set([...c.before, ...c.added])].sort();
        const weight = new Map(all.map((s, i) => [s, c.weights[i % c.weights.length]]));
        return { ...c, after, weight };
    });

const fitsOf = (weight: Map<string, number>, capacity: number) => (secrets: readonly string[]) =>
    secrets.reduce((sum, s) => sum + (weight.get(s) as number), 0) <= capacity;

describe("property: packing secrets into keys", () => {
    it("never moves a kept secret when secrets are added and removed", () => {
        fc.assert(
            fc.property(change, (c) => {
                const fits = fitsOf(c.weight, c.capacity);
                const first = packKeys(c.before, fits);
                const second = packKeys(c.after, fits, first.keyOf);
                for (const s of c.after) if (s in first.keyOf) expect(second.keyOf[s], s).to.equal(first.keyOf[s]);
                expect(second.moved).to.deep.equal([]);
                expect(Object.keys(second.keyOf).sort()).to.deep.equal([...c.after].sort());
            }),
            { numRuns: 300 },
        );
    });

    it("keeps placements over a sequence of changes, each key within its capacity", () => {
        fc.assert(
            fc.property(fc.array(change, { minLength: 2, maxLength: 5 }), (changes) => {
                // One weight per name for the whole sequence: a secret's size does not change.
                const weigh = (s: string) => ([...s].reduce((sum, ch) => sum + ch.charCodeAt(0), 0) % 10) + 1;
                const fits = (xs: readonly string[]) => xs.reduce((sum, s) => sum + weigh(s), 0) <= 30;
                let previous: Record<string, string> = {};
                for (const c of changes) {
                    const next = packKeys(c.after, fits, previous);
                    for (const s of c.after) if (s in previous) expect(next.keyOf[s], s).to.equal(previous[s]);
                    for (const id of next.keyIds) {
                        const members = c.after.filter((s) => next.keyOf[s] === id);
                        expect(members.length === 1 || fits(members), `${id}: ${members.join(" ")}`).to.equal(true);
                    }
                    previous = { ...next.keyOf };
                }
            }),
            { numRuns: 100 },
        );
    });

    it("is the same for the same secrets in any order, first-fit by name without a previous placement", () => {
        fc.assert(
            fc.property(change, (c) => {
                const fits = fitsOf(c.weight, c.capacity);
                const packing = packKeys(c.after, fits);
                expect(packKeys([...c.after].reverse(), fits)).to.deep.equal(packing);
                // Keys are numbered from 1 without gaps, and a key is opened only for a secret
                // that did not fit the key before it.
                expect(packing.keyIds).to.deep.equal(packing.keyIds.map((_, i) => packedKeyId(i + 1)));
                const sorted = [...c.after].sort();
                for (const [i, id] of packing.keyIds.entries()) {
                    if (i === 0) continue;
                    const firstOfKey = sorted.find((s) => packing.keyOf[s] === id) as string;
                    const before = sorted.filter((s) => packing.keyOf[s] === packing.keyIds[i - 1] && s < firstOfKey);
                    expect(
                        fits([...before, firstOfKey]),
                        `${firstOfKey} would have fit ${packing.keyIds[i - 1]}`,
                    ).to.equal(false);
                }
            }),
            { numRuns: 300 },
        );
    });

    it("moves secrets off a kept key only when it overflows (its secrets grew), the last by name first", () => {
        const weight = new Map([
            ["a", 5],
            ["b", 5],
            ["c", 5],
        ]);
        const previous = { a: "shared", b: "shared", c: "shared" };
        // c grew: the key holds a and b only.
        weight.set("c", 25);
        const packing = packKeys(["a", "b", "c"], fitsOf(weight, 30), previous);
        expect(packing.keyOf).to.deep.equal({ a: "shared", b: "shared", c: "shared-2" });
        expect(packing.moved).to.deep.equal(["c"]);
    });

    it("ignores previous ids that are not packed key ids (a stack that had a key per secret)", () => {
        expect(packedKeyOrdinal("shared")).to.equal(1);
        expect(packedKeyOrdinal("shared-7")).to.equal(7);
        for (const id of ["shared-1", "shared-0", "shared-x", "db", "shared-01"]) {
            expect(packedKeyOrdinal(id), id).to.equal(undefined);
        }
        // a is new to packing: it fills the key that exists (first-fit) rather than open another.
        const packing = packKeys(["a", "b"], () => true, { a: "a", b: "shared-3" });
        expect(packing.keyOf).to.deep.equal({ a: "shared-3", b: "shared-3" });
        expect(packing.keyIds).to.deep.equal(["shared-3"]);
    });
});

// ---------------------------------------------------------------------------------------------
// The owner's layout: real key policies against 32,768 bytes.

const OWNER = "111111111111";
const APPS = "222222222222";

/** Secrets each read by `readers` roles of long names: a few fill a key policy. */
function ownerConfig(secrets: readonly string[], readers = 40): OwnerStackConfig["owner"] {
    const roles = Array.from({ length: 60 }, (_, j) => `reader-${"r".repeat(40)}-${j.toString().padStart(2, "0")}`);
    const readersOf = (i: number) => Array.from({ length: readers }, (_, k) => roles[(i * 7 + k) % roles.length]);
    const used = [...new Set(secrets.flatMap((_, i) => readersOf(i)))].sort();
    const values = {
        mode: "owner",
        owner: { accountId: OWNER, region: "eu-west-1" },
        consumers: { apps: { accountId: APPS, readers: used.map((role) => ({ role })) } },
        secrets: secrets.map((name, i) => ({ name, username: "app", readers: readersOf(i).map((r) => `apps/${r}`) })),
        key: { alias: "platform" },
    };
    return (parseConfig("owner", values) as OwnerStackConfig).owner;
}

const keysOf = (l: OwnerLayout) => Object.fromEntries(l.keys.map((k) => [k.id, k.secrets]));

describe("property: the owner's layout packs keys stably", function () {
    // Each run builds many key policies of tens of kilobytes.
    this.timeout(120_000);

    it("fills keys up to 32,768 bytes, and keeps every kept secret on its key across changes", () => {
        fc.assert(
            fc.property(names(1, 24), names(0, 8), fc.nat(24), (before, added, removeCount) => {
                const first = ownerLayout(ownerConfig(before));
                for (const k of first.keys) expect(sizeOf(k.policy, "keyPolicy")).to.be.at.most(LIMITS.keyPolicy.size);
                const after = [...before.slice(Math.min(removeCount, before.length)), ...added].filter(
                    (s, i, xs) => xs.indexOf(s) === i,
                );
                if (!after.length) return;
                const second = ownerLayout(ownerConfig(after), first.keyOf);
                for (const s of after) if (s in first.keyOf) expect(second.keyOf[s], s).to.equal(first.keyOf[s]);
                for (const k of second.keys) {
                    expect(sizeOf(k.policy, "keyPolicy")).to.be.at.most(LIMITS.keyPolicy.size);
                }
                expect(second.moved).to.deep.equal([]);
            }),
            { numRuns: 12 },
        );
    });

    it("30 secrets that one key cannot hold: the fewest keys first-fit gives, each but the last over 90% full", () => {
        const names30 = Array.from({ length: 30 }, (_, i) => `svc-${i.toString().padStart(2, "0")}`);
        const layout = ownerLayout(ownerConfig(names30));
        const fill = layout.keys.map((k) => sizeOf(k.policy, "keyPolicy") / LIMITS.keyPolicy.size);
        expect(layout.keys.map((k) => k.id)).to.deep.equal(
            layout.keys.map((_, i) => (i ? `shared-${i + 1}` : "shared")),
        );
        expect(layout.keys.length).to.be.above(1);
        for (const f of fill.slice(0, -1)) expect(f).to.be.within(0.9, 1);
        // Every secret on exactly one key.
        expect(layout.keys.flatMap((k) => k.secrets).sort()).to.deep.equal(names30);
        expect(layout.keys.map((k) => k.alias)).to.deep.equal(
            layout.keys.map((k) => (k.id === "shared" ? "platform" : `platform/${k.id}`)),
        );
    });

    it("keeps the one key, its alias and its policy of a stack that fits one key", () => {
        const layout = ownerLayout(ownerConfig(["a", "b"]));
        expect(layout.keys.map((k) => [k.id, k.alias])).to.deep.equal([["shared", "platform"]]);
        expect(keysOf(ownerLayout(ownerConfig(["a", "b"]), { a: "shared", b: "shared" }))).to.deep.equal(
            keysOf(layout),
        );
    });
});

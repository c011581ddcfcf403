import { expect } from "chai";
import { generate, label, parseShape, secretName, type GeneratedStack } from "../../bench/scale";
import { parseConfig, type OwnerStackConfig } from "../../config";
import { ownerLayout, type OwnerLayout } from "../../policies/layout";
import { consumerPolicyPlan } from "../../components/secretConsumer";
import { mergeOwnerViews } from "../../contract/ownerViews";
import { LIMITS } from "../../aws/limits";
import { UsageError } from "../../common/errors";

/**
 * The generated shapes of the benchmark: sharded over owner stacks (`2000x200x50/10`), each
 * consumer reading every owner that grants it something, and every document of every stack
 * within its AWS limit at those shapes, with the fewest keys.
 */

const unprefixed = (s: GeneratedStack) =>
    Object.fromEntries(
        Object.entries(s.config)
            .filter(([k]) => k.startsWith("secretshare:"))
            .map(([k, v]) => [k.slice("secretshare:".length), v]),
    );
const layoutOf = (s: GeneratedStack): OwnerLayout =>
    ownerLayout((parseConfig(s.stack, unprefixed(s)) as OwnerStackConfig).owner);

describe("bench/scale.ts: sharded shapes", function () {
    // Lays out every owner stack of 2,000 secrets.
    this.timeout(120_000);

    it("parses and labels SECRETSxREADERSxACCOUNTS/OWNERS, and refuses other forms with the expected one", () => {
        expect(parseShape("2000x200x50/10")).to.deep.equal({ secrets: 2000, readers: 200, accounts: 50, owners: 10 });
        expect(label(parseShape("2000x200x50/10"))).to.equal("2000x200x50/10");
        expect(label(parseShape("40x8x4/2-nowatch"))).to.equal("40x8x4/2-nowatch");
        expect(parseShape("100x20x5")).to.deep.equal({ secrets: 100, readers: 20, accounts: 5 });
        expect(() => parseShape("100x20")).to.throw(UsageError, "expected <secrets>x<readers>x<accounts>[/<owners>]");
        expect(() => parseShape("10x5x2/11")).to.throw(UsageError, "expected 1 to 10 owner stacks");
    });

    const set = generate(parseShape("2000x200x50/10"));
    // Each owner's layout, computed once for the two cases that read them.
    let laidOut: Map<string, OwnerLayout> | undefined;
    const layouts = () => (laidOut ??= new Map(set.owners.map((o) => [o.ref, layoutOf(o.stack)])));

    it("shards the secrets over the owner stacks in blocks, each secret in exactly one, with aliases of their own", () => {
        expect(set.owners.map((o) => o.stack.stack)).to.deep.equal(
            Array.from({ length: 10 }, (_, k) => `owner-${(k + 1).toString().padStart(2, "0")}`),
        );
        const names = set.owners.flatMap((o) =>
            (o.stack.values["secretshare:secrets"] as { name: string }[]).map((s) => s.name),
        );
        expect(names).to.deep.equal(Array.from({ length: 2000 }, (_, i) => secretName(i)));
        const aliases = set.owners.map((o) => (o.stack.values["secretshare:key"] as { alias: string }).alias);
        expect(new Set(aliases).size).to.equal(10);
    });

    it("lets each consumer stack read exactly the owners that grant its account something", () => {
        for (const c of set.consumers) {
            const name = (c.values["secretshare:consumer"] as { name: string }).name;
            const granting = set.owners
                .filter((o) => name in (o.stack.values["secretshare:consumers"] as Record<string, unknown>))
                .map((o) => o.ref);
            expect(c.values["secretshare:ownerStacks"], c.stack).to.deep.equal(granting);
            expect(granting.length, c.stack).to.be.above(0);
        }
    });

    it("keeps every document of every owner within its limit, with the fewest keys (500x50x10 in at most 10)", () => {
        const one = layoutOf(generate(parseShape("500x50x10")).owner);
        expect(one.keys.length).to.be.at.most(10);
        for (const r of one.sizes) expect(r.size, r.document).to.be.at.most(r.max);
        for (const l of layouts().values()) {
            for (const r of l.sizes) expect(r.size, r.document).to.be.at.most(r.max);
            // 200 secrets whose reader sets barely overlap: about 5 full keys (a key each would be 200).
            expect(l.keys.length).to.be.at.most(6);
        }
        // The key policies are packed: every key but each stack's last at least 90% full.
        for (const l of layouts().values()) {
            const fill = l.sizes.filter((r) => r.limit === "keyPolicy").map((r) => r.size / LIMITS.keyPolicy.size);
            for (const f of fill.slice(0, -1)) expect(f).to.be.at.least(0.9);
        }
    });

    it("gives each consumer's readers identity policies within their limits, over every owner it reads", () => {
        for (const c of set.consumers.slice(0, 10)) {
            const name = (c.values["secretshare:consumer"] as { name: string }).name;
            const refs = c.values["secretshare:ownerStacks"] as string[];
            const merged = mergeOwnerViews(
                refs.map((ref) => {
                    const l = layouts().get(ref) as OwnerLayout;
                    const secrets = Object.keys(l.keyOf);
                    return {
                        stack: ref,
                        view: {
                            ownerAccountId: "111111111111",
                            region: "us-east-1",
                            secretArns: Object.fromEntries(secrets.map((s) => [s, s])),
                            keyArns: Object.fromEntries(secrets.map((s) => [s, `${ref}/${l.keyOf[s]}`])),
                            readers: l.grants[name].readers,
                        },
                    };
                }),
            );
            const plans = consumerPolicyPlan(name, {
                readers: merged.readers,
                secretsRegion: "us-east-1",
                ownerAccountId: "111111111111",
                keyOf: merged.keyArns,
                origins: merged.origins,
                writerStack: `organization/secretshare/${c.stack}`,
            });
            for (const p of plans) {
                const limit =
                    p.packing.mode === "managed"
                        ? LIMITS.managedPolicy.size
                        : LIMITS[p.reader.kind === "user" ? "userInline" : "roleInline"].size;
                for (const size of p.sizes) expect(size, `${c.stack}/${p.reader.name}`).to.be.at.most(limit);
            }
        }
    });
});

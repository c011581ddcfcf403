import { expect } from "chai";
import { placeholderKeyArn, placeholderSecretArn } from "../../aws/arn";
import { AUTONAME_SUFFIX } from "../../aws/names";
import {
    alertTransformer,
    legacyOwnerRuleCount,
    MAX_INPUT_TEMPLATE,
    MAX_PATTERN_LENGTH,
    MAX_RULE_ID,
    MAX_RULE_NAME,
    ownerPattern,
    ownerWatchRules,
    ruleLogicalName,
    ruleNamePrefix,
    SECRET_CALLS,
    watchRuleArnPattern,
    watchTopicPolicy,
    type OwnerWatchInput,
    type WatchRule,
} from "../../watch";

/** `n` secrets named as bench/scale.ts names them, with one shared key or one key per secret. */
function benchInput(n: number, perSecret: boolean): OwnerWatchInput {
    const at = ["aws", "us-east-1", "111111111111"] as const;
    const names = Array.from({ length: n }, (_, i) => `svc-${String(i).padStart(4, "0")}/database`);
    return {
        partition: "aws",
        region: "us-east-1",
        accountId: "111111111111",
        secrets: names.map((s) => ({
            name: s,
            arn: placeholderSecretArn(...at, s),
            keyId: perSecret ? s : "shared",
        })),
        keys: perSecret
            ? names.map((s, i) => ({ id: s, alias: `platform-secrets/${s}`, arn: placeholderKeyArn(...at, i) }))
            : [{ id: "shared", alias: "platform-secrets", arn: placeholderKeyArn(...at, 0) }],
    };
}

const benchRules = (n: number, perSecret: boolean): WatchRule[] => ownerWatchRules(benchInput(n, perSecret), "owner");

const countByKind = (rules: readonly WatchRule[]) => {
    const out: Record<string, number> = {};
    for (const r of rules) out[r.kind] = (out[r.kind] ?? 0) + 1;
    return out;
};

describe("the watch at scale: rules per bus", () => {
    it("makes one rule per kind for a small share, whatever the number of watched calls", () => {
        expect(benchRules(1, false).map((r) => r.id)).to.deep.equal(["secrets-0", "keys-0"]);
    });

    it("grows by chunks of exact IDs: 54 rules for 500 secrets on one key, 87 with a key per secret (500x50x10)", () => {
        const shared = benchRules(500, false);
        expect(countByKind(shared)).to.deep.equal({ secrets: 53, keys: 1 });
        const perSecret = benchRules(500, true);
        expect(countByKind(perSecret)).to.deep.equal({ secrets: 53, keys: 34 });
        for (const r of [...shared, ...perSecret]) {
            expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
        }
    });

    it("at 100 and 1,000 secrets: the table in docs/watch.md", () => {
        const total = (n: number, perSecret: boolean) => benchRules(n, perSecret).length;
        expect([total(100, false), total(100, true), total(1000, false), total(1000, true)]).to.deep.equal([
            12, 18, 107, 173,
        ]);
    });

    it("lists every ID of every secret and key exactly once", () => {
        const rules = benchRules(500, true);
        const ids = (kind: string) =>
            rules.filter((r) => r.kind === kind).flatMap((r) => r.ids.map((i) => `${i.of}#${i.form}`));
        expect(new Set(ids("secrets")).size).to.equal(1500);
        expect(ids("secrets")).to.have.length(1500);
        expect(new Set(ids("keys")).size).to.equal(1000);
        expect(ids("keys")).to.have.length(1000);
    });

    it("the earlier watch (one rule per call) made 360 and 932 rules for the same shares: the upgrade note's count", () => {
        expect(legacyOwnerRuleCount(benchInput(500, false))).to.equal(360);
        expect(legacyOwnerRuleCount(benchInput(500, true))).to.equal(932);
        expect(legacyOwnerRuleCount(benchInput(100, true))).to.equal(188);
    });
});

describe("the watch at scale: the pattern limit", () => {
    const at = ["aws", "us-east-1", "111111111111"] as const;
    const input = (names: string[]) => ({
        partition: at[0],
        region: at[1],
        accountId: at[2],
        secrets: names.map((name) => ({ name, arn: placeholderSecretArn(...at, name), keyId: "shared" })),
        keys: [{ id: "shared", alias: "k", arn: placeholderKeyArn(...at, 0) }],
    });
    const idsOf = (list: string[]) =>
        list.flatMap((n) => [
            n,
            `arn:aws:secretsmanager:${at[1]}:${at[2]}:secret:${n}`,
            placeholderSecretArn(...at, n),
        ]);
    const withLast = (n: number) => [...["a", "b", "c"].map((c) => c.repeat(100)), "d".repeat(n)];
    const size = (n: number) => JSON.stringify(ownerPattern("secrets", at[2], idsOf(withLast(n)))).length;
    // Each character of the last name is in its three IDs: the length that makes exactly 2,048.
    const exactly = (MAX_PATTERN_LENGTH - size(0)) / 3;

    it("packs a rule up to exactly the limit: just under fits one rule, one character more moves an ID on", () => {
        expect(Number.isInteger(exactly)).to.equal(true);
        expect(size(exactly)).to.equal(MAX_PATTERN_LENGTH);
        const exact = ownerWatchRules(input(withLast(exactly)), "owner").filter((r) => r.kind === "secrets");
        expect(exact.map((r) => JSON.stringify(r.pattern).length)).to.deep.equal([MAX_PATTERN_LENGTH]);
        const over = ownerWatchRules(input(withLast(exactly + 1)), "owner").filter((r) => r.kind === "secrets");
        expect(over.map((r) => r.ids.length)).to.deep.equal([11, 1]);
        for (const r of over) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
    });
});

describe("the watch at scale: the longest secret name", () => {
    // The longest ARN prefix config accepts: GovCloud, and the longest Region name its check admits.
    const at = ["aws-us-gov", "us-gov-northeast-99", "111111111111"] as const;
    const name = "n".repeat(512);
    const input = {
        partition: at[0],
        region: at[1],
        accountId: at[2],
        secrets: [{ name, arn: placeholderSecretArn(...at, name), keyId: "shared" }],
        keys: [{ id: "shared", alias: "k", arn: placeholderKeyArn(...at, 0) }],
    };

    it("a 512-character name (Secrets Manager's longest) fits: its IDs are split over two rules", () => {
        const rules = ownerWatchRules(input, "owner");
        expect(rules.map((r) => [r.id, r.ids.map((i) => i.form)])).to.deep.equal([
            ["secrets-0", [0, 1]],
            ["secrets-1", [2]],
            ["keys-0", [0, 1]],
        ]);
        for (const r of rules) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
    });

    it("any one ID fits a rule of its own: the longest full ARN leaves room in the pattern", () => {
        const longest = JSON.stringify(placeholderSecretArn(...at, name)).length;
        const room = MAX_PATTERN_LENGTH - JSON.stringify(ownerPattern("secrets", at[2], [])).length;
        expect(longest).to.be.below(room);
    });
});

describe("the watch at scale: alert templates", () => {
    for (const perSecret of [false, true]) {
        it(`stay within EventBridge's 8,192 characters at 1, 100 and 1,000 secrets (${perSecret ? "a key per secret" : "one key"})`, () => {
            const lengths = [1, 100, 1000].map((n) => {
                const rules = benchRules(n, perSecret);
                for (const r of rules) expect(r.inputTemplate.length, r.id).to.be.at.most(MAX_INPUT_TEMPLATE);
                return Math.max(...rules.map((r) => r.inputTemplate.length));
            });
            // A key rule counts the secrets of each of its keys (as many keys as its pattern fits);
            // nothing in a template lists secrets, so the largest template stops growing.
            expect(lengths[2]).to.equal(lengths[1]);
        });
    }

    it("a secret rule's template is the same at 1 and 1,000 secrets: no per-secret lists", () => {
        const one = benchRules(1, false).find((r) => r.kind === "secrets") as WatchRule;
        const many = benchRules(1000, false).filter((r) => r.kind === "secrets");
        for (const r of many) expect(r.inputTemplate).to.equal(one.inputTemplate);
        const keyRule = benchRules(1000, false).find((r) => r.kind === "keys") as WatchRule;
        expect(keyRule.inputTemplate).to.include(
            '"secretsEncryptedByKey": {"00000000-0000-4000-8000-000000000000":1000}',
        );
        expect(keyRule.inputTemplate).not.to.include("svc-0000/database");
    });

    it("refuses a template over 8,192 characters: just under passes, just over throws", () => {
        const base = { stack: "s", headline: "h" };
        const withCheck = (check: string) =>
            alertTransformer({ ...base, calls: [{ ...SECRET_CALLS[0], check }] }).inputTemplate.length;
        const room = MAX_INPUT_TEMPLATE - withCheck("");
        expect(withCheck("x".repeat(room))).to.equal(MAX_INPUT_TEMPLATE);
        expect(() => withCheck("x".repeat(room + 1))).to.throw(
            `the alert template is ${MAX_INPUT_TEMPLATE + 1} characters, over the ${MAX_INPUT_TEMPLATE} EventBridge allows`,
        );
    });

    it("refuses constant text that EventBridge would read as a variable", () => {
        expect(() =>
            alertTransformer({
                stack: "s",
                headline: "h",
                calls: [{ ...SECRET_CALLS[0], check: "see <detail>" }],
            }),
        ).to.throw('has "<" or ">"');
    });
});

describe("the watch at scale: topic policy", () => {
    const policy = (rulePrefix: string) =>
        watchTopicPolicy({
            topicArn: "arn:aws:sns:us-east-1:111111111111:watch-topic-1a2b3c4",
            partition: "aws",
            region: "us-east-1",
            accountId: "111111111111",
            rulePrefix,
        });

    it("admits the watch's rules by one ARN pattern on their name prefix, with the source account", () => {
        const prefix = ruleNamePrefix("organization/secretshare/primary", "watch", "primary");
        expect(policy(prefix).Statement[0].Condition).to.deep.equal({
            StringEqualsIfExists: { "aws:SourceAccount": "111111111111" },
            ArnLikeIfExists: { "aws:SourceArn": `arn:aws:events:us-east-1:111111111111:rule/${prefix}*` },
        });
    });

    it("takes no rule list: its size is the same for any number of rules", () => {
        // The rule ids of a 1,000-secret share are irrelevant to it: the function has no such input.
        const prefix = ruleNamePrefix("organization/secretshare/owner", "watch", "owner");
        expect(JSON.stringify(policy(prefix)).length).to.be.below(1000);
        expect(() => watchRuleArnPattern({ partition: "aws", region: "r", accountId: "1", rulePrefix: "a*" })).to.throw(
            "has a wildcard",
        );
    });
});

describe("the watch's rule names", () => {
    const longest = "c".repeat(64);

    it("fit EventBridge's 64 characters with Pulumi's suffix, at the longest consumer name and rule id", () => {
        const prefix = ruleNamePrefix("organization/secretshare/secondary", `watch-${longest}`, longest);
        const name = ruleLogicalName(prefix, "m".repeat(MAX_RULE_ID));
        expect(name.length + AUTONAME_SUFFIX).to.equal(MAX_RULE_NAME);
        expect(name).to.match(/^watch-c{22}-[0-9a-f]{8}-m{18}$/);
        expect(() => ruleLogicalName(prefix, "m".repeat(MAX_RULE_ID + 1))).to.throw("is over 18 characters");
    });

    it("keep a short name readable, and only EventBridge's characters", () => {
        expect(ruleNamePrefix("o/p/primary", "watch", "primary")).to.match(/^watch-primary-[0-9a-f]{8}-$/);
        expect(ruleNamePrefix("o/p/s", "watch-x", "a b/c")).to.match(/^watch-a-b-c-[0-9a-f]{8}-$/);
    });

    it("are unique to the stack and the watch, even when labels are cut or one stack's name starts another's", () => {
        const a = ruleNamePrefix("o/p/prod", "watch", "prod");
        const b = ruleNamePrefix("o/p/prod-eu", "watch", "prod-eu");
        expect(b.startsWith(a)).to.equal(false);
        const long = (tail: string) =>
            ruleNamePrefix("o/p/all", `watch-${"c".repeat(40)}${tail}`, `${"c".repeat(40)}${tail}`);
        expect(long("1")).to.not.equal(long("2"));
        expect(ruleNamePrefix("o/p/one", "watch", "x")).to.not.equal(ruleNamePrefix("o/p/two", "watch", "x"));
    });
});

import { expect } from "chai";
import { ConfigError, parseConfig } from "../../config";
import { nameProblem, nameRuleOf, physicalName, type NameRule } from "../../aws/names";
import { consumerWatchNameProblems } from "../../config/names";
import {
    consumerWatchRules,
    ruleLogicalName,
    ruleNamePrefix,
    watchComponentName,
    watchTopicLogicalName,
} from "../../watch";
import { OWNER, STUART, expectProblems, refused } from "./helpers";

/**
 * Values that reach an ARN or a policy condition, refused where AWS would read a wildcard or a
 * policy variable; names that differ only in case; names the consumer side's watch derives from
 * a consumer account's name; the rules quota setting. Every refusal names the key, the value and
 * the expected form, before any resource is registered.
 */

/** The problems `parseConfig` reports for `raw` (objects as values), or [] when it parses. */
function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        parseConfig("s", raw);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
}

const ownerRaw = (overrides: Record<string, unknown> = {}) => ({
    mode: "owner",
    owner: OWNER,
    consumers: { secondary: STUART },
    secrets: [{ name: "MySecret", username: "Alice", readers: ["secondary/Stuart"] }],
    ...overrides,
});

describe("config: wildcards and policy variables", () => {
    const withPath = (path: string) =>
        problemsOf(ownerRaw({ consumers: { secondary: { ...STUART, readers: [{ user: "Stuart", path }] } } }));

    for (const [path, found] of [
        ["/app?/", '"?" (a wildcard)'],
        ["/app*/", '"*" (a wildcard)'],
        ["/${aws:username}/", '"${" (a policy variable)'],
    ] as const) {
        it(`a reader's path ${path} (it reaches aws:PrincipalArn in ArnEquals)`, () => {
            const problems = withPath(path);
            expect(problems).to.have.length(1);
            expect(problems[0]).to.match(
                new RegExp(
                    `^secretshare:consumers\\.secondary\\.readers\\[0\\]\\.path = ${JSON.stringify(path).replace(/[?*${}]/g, (c) => `\\${c}`)}: ` +
                        `has ${found.replace(/[?*${}()]/g, (c) => `\\${c}`)}: the path is part of the identity's ARN`,
                ),
            );
        });
    }

    it("a reader's path of 512 characters is taken, 513 is refused", () => {
        expect(withPath(`/${"p".repeat(510)}/`)).to.deep.equal([]);
        const over = withPath(`/${"p".repeat(511)}/`);
        expect(over).to.have.length(1);
        expect(over[0]).to.include("513 characters, over the 512 IAM allows for a path");
    });

    it("a key admin with a wildcard or a policy variable", () => {
        const admin = (arn: string) => problemsOf(ownerRaw({ key: { existing: "alias/MyKey", admins: [arn] } }));
        expect(admin("arn:aws:iam::111111111111:role/ops/admin")).to.deep.equal([]);
        expect(admin("arn:aws:iam::111111111111:role/o?s/admin")).to.deep.equal([
            'secretshare:key.admins[0] = "arn:aws:iam::111111111111:role/o?s/admin": has "?" (a wildcard), which a principal ARN cannot hold; ' +
                "expected an IAM principal ARN: arn:aws:iam::<account>:root, arn:aws:iam::<account>:role/<name> or arn:aws:iam::<account>:user/<name> (one exact principal)",
        ]);
        expect(admin("arn:aws:iam::111111111111:role/${aws:username}/admin")[0]).to.include(
            'has "${" (a policy variable)',
        );
    });
});

describe("config: IAM names differ in more than case", () => {
    it("Stuart and stuart in one consumer account are refused, before any resource is registered", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": {
                    secondary: { ...STUART, readers: [{ user: "Stuart" }, { user: "stuart" }] },
                },
                "secretshare:secrets": [
                    { name: "MySecret", username: "Alice", readers: ["secondary/Stuart", "secondary/stuart"] },
                ],
            }),
            'secretshare:consumers.secondary.readers[1].user = "stuart": readers[0] is "Stuart", the same user to IAM, which ignores case in names; name each user once, in one case',
        );
    });

    it("a user and a role of one name, or one name in two accounts, are not the same identity", () => {
        const consumers = {
            secondary: { ...STUART, readers: [{ user: "Stuart" }, { role: "stuart" }] },
            third: { accountId: "333333333333", readers: [{ user: "stuart" }] },
        };
        const readers = ["secondary/Stuart", "secondary/stuart", "third/stuart"];
        expect(problemsOf(ownerRaw({ consumers, secrets: [{ name: "S", username: "A", readers }] }))).to.deep.equal([]);
    });
});

describe("config: names the consumer side's watch derives from a consumer account's name", () => {
    const consumerRaw = (name: string, watch: Record<string, unknown> = { consumerSide: true }) => ({
        mode: "consumer",
        ownerStack: "organization/secretshare/primary",
        consumer: { name, accountId: "222222222222", region: "us-east-1" },
        watch,
    });
    const fitsCatalogue = (type: string, logical: string) => {
        const rule = nameRuleOf(type) as NameRule;
        return nameProblem(rule, physicalName(rule, logical, {}));
    };

    // Every name config accepts for a consumer account (1 to 64 of [A-Za-z0-9_.-]) gives the
    // consumer side's watch names within the catalogue: the watch shortens and hashes what would
    // not fit, and config would refuse the name otherwise.
    for (const name of ["a", "team.a", "t".repeat(31), "t".repeat(35), "x".repeat(64), `${"y.".repeat(31)}yz`]) {
        it(`consumer name of ${name.length} characters ${JSON.stringify(name.slice(0, 12))}...: accepted, and every derived name fits`, () => {
            expect(problemsOf(consumerRaw(name))).to.deep.equal([]);
            const component = watchComponentName(name);
            expect(fitsCatalogue("aws:sns/topic:Topic", watchTopicLogicalName(component))).to.equal(undefined);
            const prefix = ruleNamePrefix("organization/secretshare/c", component, name);
            const ids = consumerWatchRules(
                "aws",
                "222222222222",
                [
                    { kind: "user", name: "u" },
                    { kind: "role", name: "r" },
                ],
                "s",
            ).map((r) => r.id);
            expect(ids.length).to.be.greaterThan(0);
            for (const id of ids) {
                expect(fitsCatalogue("aws:cloudwatch/eventRule:EventRule", ruleLogicalName(prefix, id))).to.equal(
                    undefined,
                );
                expect(fitsCatalogue("aws:cloudwatch/eventTarget:EventTarget", ruleLogicalName(prefix, id))).to.equal(
                    undefined,
                );
            }
        });
    }

    it("the guard names the derived name that would not fit (a watch builder gone wrong)", () => {
        const rule = nameRuleOf("aws:cloudwatch/eventRule:EventRule") as NameRule;
        const long = physicalName(rule, `watch-${"a".repeat(51)}`, {});
        expect(nameProblem(rule, long)).to.equal(
            "65 characters with Pulumi's 8-character autoname suffix, over the 64 Pulumi allows for an autonamed EventRule and the 64 AWS allows",
        );
        expect(
            consumerWatchNameProblems("x", "a", { enabled: false, subscribers: [], consumerSide: true }),
        ).to.deep.equal([]);
    });
});

describe("config: secretshare:watch.rulesPerBus", () => {
    const FORM =
        'expected a whole number of rules: the event bus quota ("Rules" in Service Quotas, Amazon EventBridge) of the accounts and Regions this stack\'s watch writes to, when AWS has raised it above the default 300';

    it("a raised quota is taken", () => {
        const config = parseConfig("s", ownerRaw({ watch: { rulesPerBus: 500 } }));
        expect(config.watch?.rulesPerBus).to.equal(500);
        expect(parseConfig("s", ownerRaw()).watch?.rulesPerBus).to.equal(undefined);
    });

    for (const bad of [0, 1.5, "many"]) {
        it(`rulesPerBus ${JSON.stringify(bad)} is refused with the value and the form`, () => {
            expect(problemsOf(ownerRaw({ watch: { rulesPerBus: bad } }))).to.deep.equal([
                `secretshare:watch.rulesPerBus = ${JSON.stringify(bad)}: ${FORM}`,
            ]);
        });
    }
});

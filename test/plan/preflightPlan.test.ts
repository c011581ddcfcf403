import { expect } from "chai";
import type { RegisteredResource } from "../../plan/mocks";
import { committed, plan, tempProject } from "./helpers";

/**
 * The preflight in `npm start`: stack files in a directory, planned together, refused with exit
 * code 2 and one line per problem when they cannot deploy side by side, before the access
 * matrix. The limits one by one are in test/plan/preflight.test.ts.
 */

const PROGRAM_TIMEOUT = 120_000;
const owner = committed("primary").config;
const consumer = committed("secondary").config;
const HEADER =
    /^error: the plan's resources would not deploy: \d+ problems? with AWS's limits and names \(docs\/limits\.md\):\n/;

describe("npm start: preflight across stacks", function () {
    this.timeout(PROGRAM_TIMEOUT);

    it("two owner stacks with the same alias in one account and Region: exit 2, no access matrix", async () => {
        // A second owner stack in the same account and Region, for its own reader (Bob).
        const other = {
            ...owner,
            "secretshare:consumers": { secondary: { accountId: "222222222222", readers: [{ user: "Bob" }] } },
            "secretshare:secrets": [{ name: "OtherSecret", username: "Bob", readers: ["secondary/Bob"] }],
        };
        const dir = tempProject({ a: owner, b: other });
        const out = await plan([], dir);
        expect(out.code, out.stderr).to.equal(2);
        expect(out.stdout).to.equal("");
        expect(out.stderr).to.match(HEADER);
        expect(out.stderr).to.include(
            '  - KMS alias names are unique per account and Region: "alias/MyKey" in account 111111111111, us-east-1 is registered 2 times, ' +
                'by Alias "share-alias" of stack "a" (account 111111111111, us-east-1); Alias "share-alias" of stack "b" (account 111111111111, us-east-1). ' +
                "The second create fails (or two stacks overwrite one resource); give each owner stack of this account and Region its own secretshare:key.alias",
        );

        // Another alias for the second stack: both plan.
        const apart = tempProject({
            a: owner,
            b: { ...other, "secretshare:key": { alias: "OtherKey" } },
            "a-reader": { ...consumer, "secretshare:ownerStack": "organization/secretshare/a" },
            "b-reader": { ...consumer, "secretshare:ownerStack": "organization/secretshare/b" },
        });
        const ok = await plan([], apart);
        expect(ok.code, ok.stderr).to.equal(0);
    });

    it("Stuart and stuart created in one consumer account by two stacks: exit 2", async () => {
        const all = (ownerAccount: string, alias: string, reader: string) => ({
            "pulumi:disable-default-providers": ["aws"],
            "secretshare:mode": "all",
            "secretshare:owner": { accountId: ownerAccount, region: "us-east-1" },
            "secretshare:key": { alias },
            "secretshare:consumers": { secondary: { accountId: "222222222222", readers: [{ user: reader }] } },
            "secretshare:secrets": [{ name: `Secret${alias}`, username: "Alice", readers: [`secondary/${reader}`] }],
        });
        const dir = tempProject({
            a: all("111111111111", "KeyA", "Stuart"),
            b: all("333333333333", "KeyB", "stuart"),
        });
        const out = await plan([], dir);
        expect(out.code, out.stderr).to.equal(2);
        expect(out.stderr).to.match(HEADER);
        expect(out.stderr).to.include(
            '  - IAM user names are unique per account: "Stuart" in account 222222222222 is registered 2 times ("Stuart" and "stuart" are the same name to IAM, which ignores case)',
        );
    });

    it("EventBridge rules over the quota: exit 2; within a raised secretshare:watch.rulesPerBus: planned", async () => {
        // The owner's rules, copied until the default bus holds 301 (a stand-in for a large watch).
        const crowd = (stack: string, resources: RegisteredResource[]) => {
            if (stack !== "primary") return resources;
            const rule = resources.find((r) => r.type === "aws:cloudwatch/eventRule:EventRule");
            if (!rule) throw new Error("the owner stack registers no EventBridge rule");
            const count = resources.filter((r) => r === rule || r.type === rule.type).length;
            const copies = Array.from({ length: 301 - count }, (_, i) => ({ ...rule, name: `extra-${i}` }));
            return [...resources, ...copies];
        };
        const crowded = await plan([], tempProject({ primary: owner, secondary: consumer }), { mutate: crowd });
        expect(crowded.code, crowded.stderr).to.equal(2);
        expect(crowded.stderr).to.include(
            '  - EventBridge rules per event bus (300, the default): 301 rules on the default bus of account 111111111111 in us-east-1 (stack "primary": 301), over the quota',
        );

        const raised = tempProject({
            primary: { ...owner, "secretshare:watch": { rulesPerBus: 301 } },
            secondary: consumer,
        });
        const ok = await plan([], raised, { mutate: crowd });
        expect(ok.code, ok.stderr).to.equal(0);
    });
});

import { expect } from "chai";
import { MAX_PATTERN_LENGTH, ownerWatchRules, ruleNamePrefix, type EventPattern } from "../../watch";
import { ofType, PRIMARY_ACCOUNT, PRIMARY_STACK_REF, resource, run, type StackRun } from "../mocks";
import { matchesPattern } from "../support/eventPattern";

/** Runs `stack` with `overrides`, returning what it logged (the runtime's warnings) too. */
async function runLogged(overrides: Record<string, unknown>): Promise<{ r: StackRun; out: string }> {
    let out = "";
    const write = process.stderr.write.bind(process.stderr);
    const writeOut = process.stdout.write.bind(process.stdout);
    process.stderr.write = (c: unknown) => ((out += String(c)), true);
    process.stdout.write = (c: unknown) => ((out += String(c)), true);
    try {
        return { r: await run("primary", overrides), out };
    } finally {
        process.stderr.write = write;
        process.stdout.write = writeOut;
    }
}

describe("the watch: upgrading from one rule per call (mock runtime)", function () {
    this.timeout(60000);

    // One secret and one key: 2 rules today, 11 with one rule per call (7 Secrets Manager calls,
    // 4 KMS calls); Pulumi holds both sets on the bus during the first update.
    it("notes the two-step upgrade when old and new rules together would pass the quota, and the old alone did not", async () => {
        const under = await runLogged({ "secretshare:watch": { rulesPerBus: 13 } });
        expect(ofType(under.r, "aws:cloudwatch/eventRule:EventRule")).to.have.length(2);
        expect(under.out).not.to.include("upgrade in two steps");
        const over = await runLogged({ "secretshare:watch": { rulesPerBus: 12 } });
        expect(over.out).to.include(
            'secretshare:watch: if this stack was last deployed with the watch of one rule per call (rules named watch-<call>-<n>), upgrade in two steps (docs/watch.md, "Upgrading"): its first pulumi up would hold 11 old and 2 new rules on the bus at once, 13, over the quota of 12.',
        );
        // 11 old rules over a quota of 10: that watch was never deployed with this config.
        const never = await runLogged({ "secretshare:watch": { rulesPerBus: 10 } });
        expect(never.out).not.to.include("upgrade in two steps");
    });
});

describe("the watch: a 512-character secret name (mock runtime)", function () {
    this.timeout(60000);

    // Alone, its three IDs make a pattern of 2,016 characters in us-east-1; after a secret of 300
    // characters they do not fit what is left of the first rule, and go on to the next.
    it("deploys IDs split over two rules, rebuilt from the real ARN, each within the pattern limit", async () => {
        const name = "n".repeat(512);
        const { r } = await runLogged({
            "secretshare:secrets": [
                { name, username: "app", readers: ["secondary/Stuart"] },
                { name: "m".repeat(300), username: "app", readers: ["secondary/Stuart"] },
            ],
        });
        const secretArn = resource(r, "aws:secretsmanager/secret:Secret", `share-${name}`).state.arn as string;
        const otherArn = resource(r, "aws:secretsmanager/secret:Secret", `share-${"m".repeat(300)}`).state
            .arn as string;
        const keyArn = resource(r, "aws:kms/key:Key", "share-key").state.arn as string;
        const prefix = ruleNamePrefix(PRIMARY_STACK_REF, "watch", "primary");
        const deployed = new Map(
            ofType(r, "aws:cloudwatch/eventRule:EventRule").map((x) => [
                x.name.slice(prefix.length),
                JSON.parse(x.inputs.eventPattern as string) as EventPattern,
            ]),
        );
        const expected = ownerWatchRules(
            {
                partition: "aws",
                region: "us-east-1",
                accountId: PRIMARY_ACCOUNT,
                secrets: [
                    { name, arn: secretArn, keyId: "shared" },
                    { name: "m".repeat(300), arn: otherArn, keyId: "shared" },
                ],
                keys: [{ id: "shared", alias: "MyKey", arn: keyArn }],
            },
            "primary",
        );
        expect([...deployed.keys()].sort()).to.deep.equal(["keys-0", "secrets-0", "secrets-1"]);
        for (const e of expected) expect(deployed.get(e.id), e.id).to.deep.equal(e.pattern);
        expect(
            expected.filter((e) => e.kind === "secrets").map((e) => e.ids.filter((i) => i.of === name).length),
        ).to.deep.equal([1, 2]);
        for (const p of deployed.values()) expect(JSON.stringify(p).length).to.be.at.most(MAX_PATTERN_LENGTH);
        const partial = `arn:aws:secretsmanager:us-east-1:${PRIMARY_ACCOUNT}:secret:${name}`;
        for (const secretId of [name, partial, secretArn]) {
            const event = {
                source: "aws.secretsmanager",
                "detail-type": "AWS API Call via CloudTrail",
                detail: { eventName: "DeleteSecret", requestParameters: { secretId } },
            };
            const hits = [...deployed].filter(([, p]) => matchesPattern(p, event)).map(([id]) => id);
            expect(hits, secretId.slice(0, 40)).to.have.length(1);
        }
    });
});

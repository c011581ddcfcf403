import * as path from "path";
import { expect } from "chai";
import { nameProblem, nameRuleOf, physicalName } from "../../aws/names";
import { ruleNamePrefix, watchComponentName, watchTopicLogicalName } from "../../watch";
import { readStackFile } from "../../plan/stackFiles";
import { ROOT, runStack } from "../mocks";

/**
 * The watch's logical names as watch/names.ts builds them (config checks a consumer name with
 * them) are the names the program registers: run the sandbox with the consumer side on and
 * compare. Every name registered there fits the catalogue.
 */
describe("aws: the watch's names, as config computes them and as the program registers them", function () {
    this.timeout(60_000);

    it("owner side watch-*, consumer side watch-<consumer>-*, each within its name rule", async () => {
        const config = { ...readStackFile(path.join(ROOT, "examples"), "sandbox").config };
        config["secretshare:watch"] = JSON.stringify({ consumerSide: true });
        const run = await runStack({ stack: "sandbox", config });
        const of = (type: string) => run.resources.filter((r) => r.type === type);

        const owner = watchComponentName();
        const consumer = watchComponentName("secondary");
        expect(
            of("aws:sns/topic:Topic")
                .map((r) => r.name)
                .sort(),
        ).to.deep.equal([watchTopicLogicalName(owner), watchTopicLogicalName(consumer)].sort());
        const rules = of("aws:cloudwatch/eventRule:EventRule");
        const consumerRules = rules.filter((r) => r.provider?.accountId === "222222222222");
        expect(consumerRules.length).to.be.greaterThan(0);
        const stackRef = "organization/secretshare/sandbox";
        const consumerPrefix = ruleNamePrefix(stackRef, consumer, "secondary");
        const ownerPrefix = ruleNamePrefix(stackRef, owner, "sandbox");
        for (const r of consumerRules) expect(r.name.startsWith(consumerPrefix), r.name).to.equal(true);
        for (const r of rules.filter((x) => !consumerRules.includes(x))) {
            expect(r.name.startsWith(ownerPrefix), r.name).to.equal(true);
        }
        // Targets share their rule's logical name.
        expect(
            of("aws:cloudwatch/eventTarget:EventTarget")
                .map((r) => r.name)
                .sort(),
        ).to.deep.equal(rules.map((r) => r.name).sort());

        for (const r of run.resources) {
            const rule = nameRuleOf(r.type);
            if (rule)
                expect(nameProblem(rule, physicalName(rule, r.name, r.inputs)), `${r.type} ${r.name}`).to.equal(
                    undefined,
                );
        }
    });
});

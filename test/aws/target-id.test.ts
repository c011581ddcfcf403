import { expect } from "chai";
import { nameProblem, nameRuleOf, physicalName, type NameRule } from "../../aws/names";
import { run } from "../mocks";

/**
 * An EventBridge target's ID: pulumi-aws autonames only inputs called `name`
 * (https://github.com/pulumi/pulumi-aws/blob/master/provider/autonaming.go), so a target
 * registered without `targetId` is named by the Terraform provider at create: "terraform-" and
 * Terraform's 26-character unique ID, whatever its logical name.
 */

const TARGET = "aws:cloudwatch/eventTarget:EventTarget";

describe("aws: the EventBridge target ID is the provider's, not an autoname", function () {
    this.timeout(60000);

    it("without targetId: terraform- and 26 characters (36), whatever the logical name's length", () => {
        const rule = nameRuleOf(TARGET) as NameRule;
        expect(rule.autoname).to.equal(undefined);
        for (const logical of ["w", "x".repeat(300)]) {
            const n = physicalName(rule, logical, {});
            expect(n).to.deep.equal({ name: `terraform-${"x".repeat(26)}`, chosen: "terraform-", form: "generated" });
            expect(n.name).to.have.length(36);
            expect(nameProblem(rule, n)).to.equal(undefined);
        }
        // An explicit targetId is checked as it is.
        expect(nameProblem(rule, physicalName(rule, "w", { targetId: "t".repeat(65) }))).to.equal(
            "65 characters, over the 64 AWS allows",
        );
    });

    it("the watch sets no targetId, and the mock runtime answers the provider's form", async () => {
        const primary = await run("primary");
        const targets = primary.resources.filter((r) => r.type === TARGET);
        expect(targets.length).to.be.greaterThan(0);
        for (const t of targets) {
            expect(t.inputs.targetId, t.name).to.equal(undefined);
            expect(t.state.targetId, t.name).to.match(/^terraform-[0-9a-f]{26}$/);
        }
    });
});

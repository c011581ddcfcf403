import * as path from "path";
import { expect } from "chai";
import { checkRotationSchedule, SECRET_ROTATION } from "../../guardrails/rotation";
import { POLICIES } from "../../guardrails/rules";
import { readStackFile } from "../../plan/stackFiles";
import { ROOT, ofType, runStack } from "../mocks";

/** The rule that a rotated secret's schedule is set (guardrails/rotation.ts). */

const FN = "arn:aws:lambda:us-east-1:111111111111:function:secretshare-rotate-AppToken-b3dd8dcd";
const rule = POLICIES.find((p) => p.name === "secret-rotation-schedule");

describe("policy pack: secret-rotation-schedule", () => {
    it("is mandatory", () => {
        expect(rule?.enforcementLevel).to.equal("mandatory");
    });

    it("passes days from 1 to 1000 and rate()/cron() expressions", () => {
        for (const rotationRules of [
            { automaticallyAfterDays: 1 },
            { automaticallyAfterDays: 1000 },
            { scheduleExpression: "rate(10 days)" },
            { scheduleExpression: "cron(0 2 ? * SUN *)", duration: "3h" },
        ]) {
            expect(checkRotationSchedule({ rotationRules, rotationLambdaArn: FN }, "r")).to.deep.equal([]);
        }
    });

    it("fails a rotation without a schedule, naming the config key that sets it", () => {
        const fix =
            "set rotationRules.automaticallyAfterDays (1 to 1000) or rotationRules.scheduleExpression (rate() or cron()): secretshare:secrets[].rotation.everyDays or .schedule";
        expect(checkRotationSchedule({ rotationLambdaArn: FN }, "rotation-AppToken-schedule")).to.deep.equal([
            `secret rotation rotation-AppToken-schedule has no schedule: ${fix}`,
        ]);
        expect(checkRotationSchedule({ rotationRules: {}, rotationLambdaArn: FN }, "x")).to.have.length(1);
        expect(
            checkRotationSchedule({ rotationRules: { scheduleExpression: "" }, rotationLambdaArn: FN }, "x"),
        ).to.have.length(1);
    });

    it("fails days outside 1 to 1000, a schedule that is not rate()/cron(), and a missing function", () => {
        expect(
            checkRotationSchedule({ rotationRules: { automaticallyAfterDays: 0 }, rotationLambdaArn: FN }, "x")[0],
        ).to.match(/rotates every 0 days/);
        expect(checkRotationSchedule({ rotationRules: { automaticallyAfterDays: 1001 } }, "x")[0]).to.match(
            /rotates every 1001 days/,
        );
        expect(
            checkRotationSchedule(
                { rotationRules: { scheduleExpression: "every day" }, rotationLambdaArn: FN },
                "x",
            )[0],
        ).to.match(/has schedule "every day"/);
        expect(checkRotationSchedule({ rotationRules: { automaticallyAfterDays: 30 } }, "x")).to.deep.equal([
            "secret rotation x names no rotation function (rotationLambdaArn)",
        ]);
    });

    it("passes every SecretRotation the rotation example registers", async () => {
        const dir = path.join(ROOT, "examples", "rotation");
        const r = await runStack({ stack: "primary", config: readStackFile(dir, "primary").config });
        const rotations = ofType(r, SECRET_ROTATION);
        expect(rotations).to.have.length(2);
        for (const x of rotations) expect(checkRotationSchedule(x.inputs, x.name)).to.deep.equal([]);
    });
});

import { expect } from "chai";
import { preflightFindings } from "../../plan/preflight";
import type { RegisteredResource } from "../../plan/mocks";

/** The preflight of registered SecretRotation resources and the rotation names (plan/preflightRotation.ts). */

const OWNER = "111111111111";
const SECRET = `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:AppToken-D3IxQL`;
const FN = `arn:aws:lambda:us-east-1:${OWNER}:function:secretshare-rotate-AppToken-b3dd8dcd`;

function res(type: string, name: string, inputs: Record<string, unknown>): RegisteredResource {
    return {
        type,
        name,
        inputs,
        state: {},
        id: name,
        provider: { id: "p", name: "owner", accountId: OWNER, region: "us-east-1", inputs: {} },
        custom: true,
    };
}
const rotation = (rotationRules: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    res("aws:secretsmanager/secretRotation:SecretRotation", "rotation-AppToken-schedule", {
        secretId: SECRET,
        rotationLambdaArn: FN,
        rotationRules,
        ...extra,
    });
const problems = (...resources: RegisteredResource[]) => preflightFindings([{ name: "primary", resources }]).problems;
const WHERE = 'SecretRotation "rotation-AppToken-schedule" of stack "primary" (account 111111111111, us-east-1)';

describe("preflight: rotation", () => {
    it("passes the rules Secrets Manager accepts, at their limits", () => {
        for (const rules of [
            { automaticallyAfterDays: 1 },
            { automaticallyAfterDays: 1000 },
            { scheduleExpression: "rate(4 hours)", duration: "4h" },
            { scheduleExpression: "rate(999 days)" },
            { scheduleExpression: "cron(0 20 ? * SUN *)", duration: "4h" },
        ]) {
            expect(problems(rotation(rules)), JSON.stringify(rules)).to.deep.equal([]);
        }
    });

    it("names each rule outside Secrets Manager's, with the resource", () => {
        expect(problems(rotation({ automaticallyAfterDays: 1001 }))).to.deep.equal([
            `Secrets Manager rotation rules: AutomaticallyAfterDays 1001 of ${WHERE} is outside 1 to 1,000`,
        ]);
        expect(problems(rotation({}))).to.deep.equal([
            `Secrets Manager rotation rules: ${WHERE} sets neither AutomaticallyAfterDays and ScheduleExpression; exactly one is needed`,
        ]);
        expect(problems(rotation({ automaticallyAfterDays: 3, scheduleExpression: "rate(3 days)" }))[0]).to.match(
            /sets both AutomaticallyAfterDays and ScheduleExpression/,
        );
        expect(problems(rotation({ scheduleExpression: "rate(3 hours)" }))).to.deep.equal([
            `Secrets Manager rotation schedule "rate(3 hours)" of ${WHERE}: rotates every 3 hour(s): Secrets Manager rotates at most every 4 hours`,
        ]);
        expect(problems(rotation({ scheduleExpression: "rate(4 hours)", duration: "5h" }))).to.deep.equal([
            `Secrets Manager rotation window "5h" of ${WHERE}: a 5-hour window is longer than the 4 hours between rotations: the window must end before the next one opens`,
        ]);
        expect(problems(rotation({ scheduleExpression: "cron(0 21 ? * SUN *)", duration: "4h" }))[0]).to.match(
            /opens at 21:00 UTC and 4 hours would pass the end of the UTC day/,
        );
    });

    it("a function outside the secret's account or Region, and two rotations of one secret", () => {
        const elsewhere = "arn:aws:lambda:eu-west-1:333333333333:function:rot";
        expect(problems(rotation({ automaticallyAfterDays: 30 }, { rotationLambdaArn: elsewhere }))).to.deep.equal([
            `Secrets Manager rotation function: ${WHERE} names ${elsewhere}, outside the secret's account ${OWNER} and Region us-east-1`,
        ]);
        const twice = problems(rotation({ automaticallyAfterDays: 30 }), rotation({ automaticallyAfterDays: 7 }));
        expect(twice).to.have.length(1);
        expect(twice[0]).to.match(
            /^one rotation per secret: arn:aws:secretsmanager:us-east-1:111111111111:secret:AppToken-D3IxQL gets its rotation from/,
        );
    });

    it("a Lambda function name over 64 characters or with characters Lambda refuses", () => {
        const fn = (name: string) => res("aws:lambda/function:Function", "rotation-x-function", { name });
        expect(problems(fn("a".repeat(64)))).to.deep.equal([]);
        expect(problems(fn("a".repeat(65)))[0]).to.match(
            /^Lambda function name \(64 characters\): "a{65}" .* is 65 characters, over the 64 AWS allows/,
        );
        expect(problems(fn("rotate.AppToken"))[0]).to.match(/has characters outside \[A-Za-z0-9_-\]/);
    });
});

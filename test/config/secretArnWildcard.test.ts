import { expect } from "chai";
import { ConfigError, parseConfig } from "../../config";
import { OWNER, STUART } from "./helpers";

/** An existing secret named by an ARN with a wildcard: the message names the wildcard. */

function problemsOf(arn: string): string[] {
    try {
        parseConfig("s", {
            mode: "owner",
            owner: OWNER,
            consumers: { secondary: STUART },
            secrets: [{ arn, readers: ["secondary/Stuart"] }],
        });
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return [...e.problems];
        throw e;
    }
}

const FORM =
    "expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (as the console shows it)";

describe("config: secretshare:secrets[i].arn with a wildcard", () => {
    for (const [arn, found] of [
        ["arn:aws:secretsmanager:us-east-1:111111111111:secret:My*-AbCdEf", '"*" (a wildcard)'],
        ["arn:aws:secretsmanager:us-east-1:111111111111:secret:My?ecret-AbCdEf", '"?" (a wildcard)'],
        ["arn:aws:secretsmanager:us-east-1:111111111111:secret:*", '"*" (a wildcard)'],
    ] as const) {
        it(`${arn}: refused for the wildcard, not as a partial ARN`, () => {
            expect(problemsOf(arn)).to.deep.equal([
                `secretshare:secrets[0].arn = ${JSON.stringify(arn)}: has ${found}, which a secret ARN cannot hold; ${FORM} (one exact secret)`,
            ]);
        });
    }

    it("a partial ARN without a wildcard is still called one", () => {
        const [problem] = problemsOf("arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret");
        expect(problem).to.include("this looks like a partial ARN (no -XXXXXX suffix)");
    });

    it("the complete ARN is accepted", () => {
        expect(problemsOf("arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf")).to.deep.equal([]);
    });
});

import { expect } from "chai";
import { decide } from "../../../plan/analysis/reach";
import { PRINCIPAL, type Frame } from "../../../plan/analysis/statements";

/**
 * Conditions on the principal's ARN as AWS compares them: `StringEqualsIgnoreCase` has no
 * wildcards, so a `*` or `?` in its value is a literal character (an IAM path may hold one:
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
 */

const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";
const frame: Frame = { action: "secretsmanager:GetSecretValue", resource: SECRET, fixed: {}, vars: {} };
const allowAll = { name: "identity", policy: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } };
const policy = (Effect: string, value: string) => ({
    name: "secret policy",
    policy: {
        Statement: [
            ...(Effect === "Deny"
                ? [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }]
                : []),
            {
                Effect,
                Principal: "*",
                Action: "secretsmanager:GetSecretValue",
                Resource: "*",
                Condition: { StringEqualsIgnoreCase: { "aws:PrincipalArn": value } },
            },
        ],
    },
});
const at = (principal: string) => ({ [PRINCIPAL]: principal });

describe("statements: conditions on the principal", () => {
    it("StringEqualsIgnoreCase reads * and ? literally, in an Allow and in a Deny", () => {
        const value = "arn:aws:iam::222222222222:role/a*/r?";
        const decideAt = (effect: string, principal: string) =>
            decide(policy(effect, value), [allowAll], frame, "secretsmanager", "111111111111", at(principal));
        expect(decideAt("Allow", "arn:aws:iam::222222222222:role/A*/R?")).to.equal("Allowed");
        expect(decideAt("Allow", "arn:aws:iam::222222222222:role/ab/rx")).to.equal("ImplicitlyDenied");
        expect(decideAt("Deny", "arn:aws:iam::222222222222:role/a\\b/r?")).to.equal("Allowed");
        expect(decideAt("Deny", "arn:aws:iam::222222222222:role/A*/r?")).to.equal("ExplicitlyDenied");
    });
});

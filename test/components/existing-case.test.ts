import { expect } from "chai";
import { AwsMocks, errorOf, ofType, PRIMARY_STACK_REF, run, SECONDARY_ACCOUNT } from "../mocks";

/**
 * An existing reader configured in another case than the real one (`stuart` for `Stuart`): IAM
 * finds it by name without regard to case, but the owner's policies compare ARNs with case
 * (ArnEquals), so the grant would never match. The consumer stack stops before writing the
 * policy and says to fix the case, not the path.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */

const REAL = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart`;
const USER_POLICY = "aws:iam/userPolicy:UserPolicy";

const owner = (user: string, path = "/") =>
    run("primary", {
        "secretshare:consumers": {
            secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ user, path, existing: true }] },
        },
        "secretshare:secrets": [{ name: "MySecret", username: "Alice", readers: [`secondary/${user}`] }],
    });

describe("existing reader: a name or path that differs from the real one only in case", function () {
    this.timeout(60000);

    it("`stuart` for the real `Stuart`: stops before its policy, saying to fix the case", async () => {
        const primary = await owner("stuart");
        const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: primary.outputs }, { identities: [REAL] });
        const e = await errorOf(() => run("secondary", {}, { mocks }));
        expect(e).to.include(
            `existing user stuart is ${REAL}: IAM found it ignoring case, but the owner grants ` +
                `arn:aws:iam::${SECONDARY_ACCOUNT}:user/stuart, and policies compare ARNs with case, so the grant would never match. ` +
                "Write its name and path with the case of the real one in the owner's config " +
                "(secretshare:consumers.<account>.readers[].user and .path), and deploy the owner stack again",
        );
        expect(e).to.not.include("set its path");
        expect(mocks.resources.filter((r) => r.type === USER_POLICY)).to.deep.equal([]);
    });

    it("a path in another case (/Legacy/ for /legacy/): the same message", async () => {
        const primary = await owner("Stuart", "/Legacy/");
        const real = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/legacy/Stuart`;
        const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: primary.outputs }, { identities: [real] });
        expect(await errorOf(() => run("secondary", {}, { mocks }))).to.include(
            `existing user Stuart is ${real}: IAM found it ignoring case`,
        );
    });

    it("with the real case in the owner's config, the policy is written", async () => {
        const primary = await owner("Stuart");
        const mocks = new AwsMocks({ [PRIMARY_STACK_REF]: primary.outputs }, { identities: [REAL] });
        const secondary = await run("secondary", {}, { mocks });
        expect(ofType(secondary, USER_POLICY).map((r) => r.inputs.user)).to.deep.equal(["Stuart"]);
    });
});

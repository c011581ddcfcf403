import { expect } from "chai";
import { PRIMARY_ACCOUNT, SECONDARY_ACCOUNT, ofType, policyOf, resource, runSeed } from "./mocks";

describe("the seed's two stacks (smoke)", () => {
    it("share one secret from primary with Stuart in secondary", async () => {
        const { primary, secondary } = await runSeed();
        const secret = resource(primary, "aws:secretsmanager/secret:Secret", "share-MySecret");
        expect(secret.provider?.accountId).to.equal(PRIMARY_ACCOUNT);
        const policy = policyOf(resource(secondary, "aws:iam/userPolicy:UserPolicy", "secondary-Stuart-read"));
        expect(policy.Statement[0].Resource).to.equal(secret.state.arn);
        expect(ofType(secondary, "aws:iam/user:User")[0].provider?.accountId).to.equal(SECONDARY_ACCOUNT);
    });
});

import { expect } from "chai";
import { identityOf, sameIdentity } from "../../verify/identity";

describe("verify: identityOf", () => {
    it("reads an assumed-role caller as its role", () => {
        expect(identityOf("arn:aws:sts::222222222222:assumed-role/app/secretshare-verify-consumer")).to.deep.equal({
            kind: "role",
            account: "222222222222",
            name: "app",
        });
        expect(identityOf("arn:aws:iam::222222222222:user/team/Stuart")).to.deep.equal({
            kind: "user",
            account: "222222222222",
            name: "Stuart",
        });
    });

    it("matches a role's session to the role, in the same account only", () => {
        const session = "arn:aws:sts::222222222222:assumed-role/app/secretshare-verify-consumer";
        expect(sameIdentity(session, "arn:aws:iam::222222222222:role/app")).to.equal(true);
        expect(sameIdentity(session, "arn:aws:iam::333333333333:role/app")).to.equal(false);
        expect(sameIdentity(session, "arn:aws:iam::222222222222:user/app")).to.equal(false);
        expect(identityOf("arn:aws-cn:iam::222222222222:role/path/app")).to.deep.equal({
            kind: "role",
            account: "222222222222",
            name: "app",
        });
    });
});

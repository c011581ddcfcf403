import { expect } from "chai";
import { refused } from "./helpers";

describe("config: secret policy", () => {
    it("the per-principal form (principal-arn) with a reader this program creates: refused, with the reason", async () => {
        const e = await refused("primary", { "secretshare:secretPolicy": { principalForm: "principal-arn" } });
        expect(e.problems).to.deep.equal([
            'secretshare:secretPolicy.principalForm = "principal-arn": this form names each reader\'s ARN as Principal, ' +
                "and AWS refuses to save a policy that names a principal that does not exist yet; " +
                "secondary/Stuart is created by this program after the owner's policies. " +
                "Use principalForm: account-root (the default); principal-arn suits readers that exist outside this program (existing: true).",
        ]);
    });
});

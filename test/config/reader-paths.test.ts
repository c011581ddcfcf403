import { expect } from "chai";
import { run } from "../mocks";
import { MY_SECRET, STUART, expectProblems, refused } from "./helpers";

/**
 * A reader's path and name reach the owner's policies inside its ARN (`ArnEquals
 * aws:PrincipalArn`, the identity policies' principal): config refuses every character AWS would
 * read as a wildcard or a policy variable there, and IAM's own path rules. A role's `assumedBy`
 * may name principals outside the share only with their account in `externalAccounts`.
 */

const KEY = "secretshare:consumers.secondary.readers[0]";
const withReader = (reader: Record<string, unknown>) =>
    refused("primary", {
        "secretshare:consumers": { secondary: { ...STUART, readers: [reader] } },
        "secretshare:secrets": [{ ...MY_SECRET, readers: [`secondary/${String(reader.user ?? reader.role)}`] }],
    });
const accepted = (reader: Record<string, unknown>, name: string) =>
    run("primary", {
        "secretshare:consumers": { secondary: { ...STUART, readers: [reader] } },
        "secretshare:secrets": [{ ...MY_SECRET, readers: [`secondary/${name}`] }],
    });
const META =
    "the path is part of the identity's ARN, which the policies match with ArnEquals, so AWS would match other identities too";
const EXACT = "expected an exact path such as /apps/";

describe("config: reader paths that AWS would read as a pattern", () => {
    // The case: ArnEquals reads "?" as any one character, so role/appX/reader would read too.
    it('a "?" in a path: refused, naming the wildcard', async () => {
        await expectProblems(
            withReader({ role: "reader", path: "/app?/" }),
            `${KEY}.path = "/app?/": has "?" (a wildcard): ${META}; ${EXACT}`,
        );
    });

    it('a "*" in a path, and a policy variable "${"', async () => {
        await expectProblems(
            withReader({ user: "Stuart", path: "/apps*/" }),
            `${KEY}.path = "/apps*/": has "*" (a wildcard): ${META}; ${EXACT}`,
        );
        await expectProblems(
            withReader({ user: "Stuart", path: "/t/${aws:username}/" }),
            `${KEY}.path = "/t/\${aws:username}/": has "\${" (a policy variable): ${META}; ${EXACT}`,
        );
    });

    it("a path without its slashes or with a space: IAM's form", async () => {
        await expectProblems(
            withReader({ user: "Stuart", path: "apps/" }),
            `${KEY}.path = "apps/": not an IAM path (starting and ending with /, printable ASCII between); ${EXACT}`,
        );
        await expectProblems(
            withReader({ user: "Stuart", path: "/my apps/" }),
            `${KEY}.path = "/my apps/": not an IAM path (starting and ending with /, printable ASCII between); ${EXACT}`,
        );
    });

    it("a path of 512 characters is accepted, 513 refused (IAM's limit)", async () => {
        const at = `/${"a".repeat(510)}/`;
        expect(at).to.have.length(512);
        const r = await accepted({ user: "Stuart", path: at }, "Stuart");
        expect(JSON.stringify(r.outputs.grants)).to.include(`user${at}Stuart`);
        const over = `/${"a".repeat(511)}/`;
        const e = await withReader({ user: "Stuart", path: over });
        expect(e.problems).to.deep.equal([
            `${KEY}.path = "/${"a".repeat(75)}...: 513 characters, over the 512 IAM allows for a path; ${EXACT}`,
        ]);
    });

    it('"$", "{" and punctuation that is no pattern are accepted in a path', async () => {
        const r = await accepted({ user: "Stuart", path: "/a$b{c}+=,.@-/" }, "Stuart");
        expect(JSON.stringify(r.outputs.grants)).to.include("user/a$b{c}+=,.@-/Stuart");
    });
});

describe("config: assumedBy principals outside the share", () => {
    const outsider = "arn:aws:iam::999999999999:role/anyone";

    // The case: the plan said 14/14 while an unrelated account could assume the reader role.
    it("an ARN of an account that is neither the owner's nor a consumer's: refused, saying how to allow it", async () => {
        await expectProblems(
            withReader({ role: "reader", assumedBy: [outsider] }),
            `${KEY}.assumedBy[0] = "${outsider}": account 999999999999 is neither the owner's nor a consumer account, ` +
                `so its principals could assume this role and read its secrets; if that is intended, ` +
                `name the account in ${KEY}.externalAccounts: ["999999999999"]`,
        );
    });

    it("named in externalAccounts: accepted", async () => {
        const r = await accepted(
            { role: "reader", assumedBy: [outsider], externalAccounts: ["999999999999"] },
            "reader",
        );
        expect(JSON.stringify(r.outputs.grants)).to.include(outsider);
    });

    it("ARNs of the owner's and the consumer's accounts need no externalAccounts", async () => {
        const r = await accepted(
            {
                role: "reader",
                assumedBy: ["arn:aws:iam::111111111111:role/ci", "arn:aws:iam::222222222222:role/app"],
            },
            "reader",
        );
        expect(JSON.stringify(r.outputs.grants)).to.include("arn:aws:iam::111111111111:role/ci");
    });

    it("externalAccounts that no assumedBy uses, that is inside the share, or without assumedBy: refused", async () => {
        await expectProblems(
            withReader({
                role: "reader",
                assumedBy: ["ecs-tasks.amazonaws.com"],
                externalAccounts: ["333333333333", "222222222222"],
            }),
            `${KEY}.externalAccounts[0] = "333333333333": no assumedBy principal is in this account; remove it`,
            `${KEY}.externalAccounts[1] = "222222222222": this is the owner's or a consumer account, not an external one; remove it`,
        );
        await expectProblems(
            withReader({ role: "reader", externalAccounts: ["333333333333"] }),
            `${KEY}.externalAccounts = ["333333333333"]: externalAccounts names the accounts of assumedBy principals; without assumedBy it has no use`,
        );
    });
});

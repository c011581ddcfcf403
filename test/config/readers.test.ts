import { expect } from "chai";
import { IAM_NAME_FORM, MY_SECRET, STUART, WILDCARD, expectProblems, refused } from "./helpers";

describe("config: readers and principals", () => {
    const withReader = (reader: Record<string, unknown>) =>
        refused("primary", { "secretshare:consumers": { secondary: { ...STUART, readers: [reader] } } });

    it("an empty user name", async () => {
        await expectProblems(
            withReader({ user: "" }),
            `secretshare:consumers.secondary.readers[0].user = "": ${IAM_NAME_FORM}`,
        );
    });

    it("an invalid user name", async () => {
        await expectProblems(
            withReader({ user: "Stuart Smith" }),
            `secretshare:consumers.secondary.readers[0].user = "Stuart Smith": ${IAM_NAME_FORM}`,
        );
        await expectProblems(
            withReader({ user: "x".repeat(65) }),
            `secretshare:consumers.secondary.readers[0].user = "${"x".repeat(65)}": ${IAM_NAME_FORM}`,
        );
    });

    for (const wild of ["*", "Stu*", "Stuar?"]) {
        it(`a wildcard principal ${JSON.stringify(wild)} as a user or role name`, async () => {
            await expectProblems(
                withReader({ user: wild }),
                `secretshare:consumers.secondary.readers[0].user = ${JSON.stringify(wild)}: ${WILDCARD}`,
            );
            await expectProblems(
                withReader({ role: wild }),
                `secretshare:consumers.secondary.readers[0].role = ${JSON.stringify(wild)}: ${WILDCARD}`,
            );
        });
    }

    it("a wildcard in a reader's path or in a secret's reader list", async () => {
        await expectProblems(
            withReader({ user: "Stuart", path: "/apps*/" }),
            'secretshare:consumers.secondary.readers[0].path = "/apps*/": has "*" (a wildcard): the path is part of the identity\'s ARN, which the policies match with ArnEquals, so AWS would match other identities too; expected an exact path such as /apps/',
        );
        await expectProblems(
            refused("primary", { "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/*"] }] }),
            'secretshare:secrets[0].readers[0] = "secondary/*": expected <consumer account name>/<user or role name>, e.g. secondary/Stuart',
        );
    });

    it("a reader with both user and role, or neither", async () => {
        const both = { user: "Stuart", role: "reader" };
        await expectProblems(
            withReader(both),
            `secretshare:consumers.secondary.readers[0] = ${JSON.stringify(both)}: expected exactly one of user: <name> or role: <name>`,
        );
        await expectProblems(
            withReader({ path: "/apps/" }),
            'secretshare:consumers.secondary.readers[0] = {"path":"/apps/"}: expected exactly one of user: <name> or role: <name>',
        );
    });

    it("a secret that names an unknown reader", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/Stuart", "secondary/Bob"] }],
            }),
            'secretshare:secrets[0].readers = "secondary/Bob": no such reader; expected one of secondary/Stuart',
        );
    });

    it("a reader that reads no secret", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": { secondary: { ...STUART, readers: [{ user: "Stuart" }, { user: "Bob" }] } },
            }),
            "secretshare:consumers: reader secondary/Bob reads no secret; add it to a secret's readers or remove it",
        );
    });

    it("a reader declared twice in one account", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": {
                    secondary: { ...STUART, readers: [{ user: "Stuart" }, { user: "Stuart" }] },
                },
            }),
            'secretshare:consumers.secondary.readers[1] = "Stuart": secondary/Stuart is declared twice; name each user or role once per account',
        );
    });

    it("a consumer account name with a space", async () => {
        const e = await refused("primary", {
            "secretshare:consumers": { "my account": STUART },
            "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/Stuart"] }],
        });
        expect(e.problems[0]).to.equal(
            'secretshare:consumers key "my account": expected a consumer account name of 1 to 64 characters of [A-Za-z0-9_.-]',
        );
    });
});

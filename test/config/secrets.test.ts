import { expect } from "chai";
import { stackConfig } from "../mocks";
import { MY_SECRET, SECRET_NAME_FORM, expectProblems, refused, refusedConfig } from "./helpers";

describe("config: secrets and recovery windows", () => {
    const withSecret = (secret: Record<string, unknown>) =>
        refused("primary", { "secretshare:secrets": [{ ...MY_SECRET, ...secret }] });

    it("an empty and an invalid secret name", async () => {
        await expectProblems(withSecret({ name: "" }), `secretshare:secrets[0].name = "": ${SECRET_NAME_FORM}`);
        await expectProblems(
            withSecret({ name: "My Secret" }),
            `secretshare:secrets[0].name = "My Secret": ${SECRET_NAME_FORM}`,
        );
    });

    it("a secret name ending in a hyphen and six characters", async () => {
        await expectProblems(
            withSecret({ name: "MySecret-abc123" }),
            'secretshare:secrets[0].name = "MySecret-abc123": a secret name must not end with a hyphen and six characters (AWS adds such a suffix to the ARN)',
        );
    });

    it("the same secret listed twice", async () => {
        await expectProblems(
            refused("primary", { "secretshare:secrets": [MY_SECRET, MY_SECRET] }),
            'secretshare:secrets[1].name = "MySecret": a secret of that name is already listed',
        );
    });

    for (const days of [6, 31, -1, 7.5]) {
        it(`recovery window ${days} is out of range`, async () => {
            await expectProblems(
                withSecret({ recoveryWindowInDays: days }),
                `secretshare:secrets[0].recoveryWindowInDays = ${days}: expected 0 (deleted at once, without recovery: only with protection off) or a whole number of days from 7 to 30`,
            );
        });
    }

    it("an empty username and no secrets at all", async () => {
        await expectProblems(
            withSecret({ username: "" }),
            'secretshare:secrets[0].username = "": expected a non-empty username',
        );
        await expectProblems(
            refused("primary", { "secretshare:secrets": [] }),
            "secretshare:secrets = []: expected at least one secret",
        );
    });
});

describe("config: passwords", () => {
    it("a short password is refused without showing it", async () => {
        const config = stackConfig("primary", { "secretshare:passwords": { MySecret: "hunter2" } });
        const e = await refusedConfig("primary", config, ["secretshare:passwords"]);
        expect(e.problems).to.deep.equal([
            "secretshare:passwords.MySecret: expected a secure string of at least 8 characters (value not shown)",
        ]);
        expect(e.message).not.to.include("hunter2");
    });

    it("a password for a secret that is not listed", async () => {
        const config = stackConfig("primary", { "secretshare:passwords": { Other: "correct-horse-battery" } });
        const e = await refusedConfig("primary", config, ["secretshare:passwords"]);
        expect(e.problems).to.deep.equal([
            "secretshare:passwords.Other: no secret of that name in secretshare:secrets",
        ]);
        expect(e.message).not.to.include("correct-horse-battery");
    });
});

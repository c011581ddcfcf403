import { expect } from "chai";
import { run } from "../mocks";
import { DAYS_FORM, expectProblems, refused } from "./helpers";

describe("config: key and deletion window", () => {
    for (const days of [6, 31]) {
        it(`deletion window ${days} is out of range`, async () => {
            await expectProblems(
                refused("primary", { "secretshare:key": { alias: "MyKey", deletionWindowInDays: days } }),
                `secretshare:key.deletionWindowInDays = ${days}: ${DAYS_FORM}`,
            );
        });
    }

    it("a window given as text", async () => {
        await expectProblems(
            refused("primary", { "secretshare:key": { alias: "MyKey", deletionWindowInDays: "30" } }),
            `secretshare:key.deletionWindowInDays = "30": ${DAYS_FORM}`,
        );
    });

    for (const alias of ["aws/secretsmanager", "alias/aws/mine"]) {
        it(`alias ${alias} (AWS managed keys' namespace) is refused`, async () => {
            await expectProblems(
                refused("primary", { "secretshare:key": { alias } }),
                `secretshare:key.alias = "${alias}": alias/aws/* belongs to AWS managed keys, which cannot be shared across accounts; choose another alias`,
            );
        });
    }

    it("the AWS managed key is refused with the cross-account reason", async () => {
        await expectProblems(
            refused("primary", { "secretshare:key": { alias: "MyKey", type: "aws-managed" } }),
            'secretshare:key.type = "aws-managed": secrets encrypted with the AWS managed key aws/secretsmanager cannot be read from another account; use customer-managed',
        );
    });
});

describe("config: one key per secret needs alias-safe secret names", () => {
    it("refuses a secret whose per-secret alias KMS would reject, naming the secret and the alias", async () => {
        const e = await refused("primary", {
            "secretshare:key": { alias: "MyKey", perSecret: true },
            "secretshare:secrets": [
                { name: "MySecret", username: "Alice", readers: ["secondary/Stuart"] },
                { name: "db.prod@x", username: "Bob", readers: ["secondary/Stuart"] },
            ],
        });
        expect(e.problems).to.deep.equal([
            'secretshare:secrets[1].name = "db.prod@x": with secretshare:key.perSecret its key\'s alias would be ' +
                '"alias/MyKey/db.prod@x", and KMS aliases allow at most 256 characters of [A-Za-z0-9/_-]; ' +
                "rename the secret, shorten key.alias, or use one shared key (perSecret: false)",
        ]);
    });

    it("accepts the same name with one shared key", async () => {
        const r = await run("primary", {
            "secretshare:secrets": [{ name: "db.prod@x", username: "Bob", readers: ["secondary/Stuart"] }],
        });
        expect(r.resources.some((x) => x.type === "aws:secretsmanager/secret:Secret")).to.equal(true);
    });
});

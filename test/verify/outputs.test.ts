import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { UsageError } from "../../common/errors";
import { nameOfSecretArn, readOutputs } from "../../verify/outputs";

/** Reading `pulumi stack output --json`; the owner stack's real exports are read in verify.test.ts. */

const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf";
const KEY = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000";

describe("verify: readOutputs", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-verify-outputs-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (outputs: unknown) => {
        const file = path.join(dir, "outputs.json");
        fs.writeFileSync(file, typeof outputs === "string" ? outputs : JSON.stringify(outputs));
        return file;
    };

    it("reads a consumer stack's readerSecrets", () => {
        const file = write({
            readerArns: { Stuart: "arn:aws:iam::222222222222:user/Stuart" },
            readerSecrets: { Stuart: { MySecret: SECRET } },
            userArn: "arn:aws:iam::222222222222:user/Stuart",
            userName: "Stuart",
            secretArn: SECRET,
        });
        expect(readOutputs(file)).to.deep.equal({
            file,
            secretArns: { MySecret: SECRET },
            keyArns: {},
            readers: undefined,
            readerSecrets: { Stuart: { MySecret: SECRET } },
        });
    });

    it("reads the single-secret shortcuts, naming the secret by its ARN when no secretName is given", () => {
        expect(readOutputs(write({ secretArn: SECRET, keyArn: KEY }))).to.deep.include({
            secretArns: { MySecret: SECRET },
            keyArns: { MySecret: KEY },
        });
        expect(readOutputs(write({ secretArn: SECRET, secretName: "Other" })).secretArns).to.deep.equal({
            Other: SECRET,
        });
        expect(nameOfSecretArn("arn:aws:secretsmanager:us-east-1:111111111111:secret:team/db-AbCdEf")).to.equal(
            "team/db",
        );
        expect(nameOfSecretArn("not-an-arn")).to.equal("not-an-arn");
    });

    it("reads every reader of the owner's grants, and the watch's rules", () => {
        const reader = {
            kind: "user",
            name: "Stuart",
            path: "/",
            existing: false,
            arn: "arn:aws:iam::222222222222:user/Stuart",
            secrets: ["MySecret"],
        };
        const outputs = readOutputs(
            write({
                secretArns: { MySecret: SECRET },
                keyArns: { MySecret: KEY },
                grants: { secondary: { accountId: "222222222222", readers: [reader] } },
                watch: { region: "us-east-1", rules: { DeleteSecret: "arn:aws:events:us-east-1:111111111111:rule/r" } },
            }),
        );
        expect(outputs.readers).to.deep.equal([reader]);
        expect(outputs.watch).to.deep.equal({
            region: "us-east-1",
            rules: { DeleteSecret: "arn:aws:events:us-east-1:111111111111:rule/r" },
        });
    });

    it("refuses owner exports that are not of the contract's form, naming them", () => {
        const file = write({
            secretArns: { MySecret: SECRET },
            grants: { secondary: { accountId: "222222222222", readers: [{ name: "Stuart" }] } },
        });
        expect(() => readOutputs(file))
            .to.throw(UsageError, `--outputs ${file}: not of the form an owner stack exports`)
            .with.property("message")
            .that.contains("grants.secondary.readers.0.kind");
    });

    it("refuses a file that is not JSON, or not an object", () => {
        const notJson = write("{");
        expect(() => readOutputs(notJson)).to.throw(UsageError, `--outputs ${notJson} is not JSON`);
        const list = write([]);
        expect(() => readOutputs(list)).to.throw(
            UsageError,
            `--outputs ${list}: expected a JSON object of stack outputs`,
        );
    });
});

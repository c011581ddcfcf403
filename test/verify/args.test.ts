import { expect } from "chai";
import { UsageError } from "../../common/errors";
import { parseArgs } from "../../verify/args";

/** verify's flags; how a usage error is printed (exit 2) is in verify.test.ts. */

const SECRET = "arn:aws:secretsmanager:eu-west-1:111111111111:secret:a/b-AbCdEf";
const ROLE = "arn:aws:iam::222222222222:role/app";

const usageError = (argv: string[]): string => {
    try {
        parseArgs(argv);
    } catch (e) {
        expect(e).to.be.instanceOf(UsageError);
        return (e as Error).message;
    }
    throw new Error(`no usage error for ${argv.join(" ")}`);
};

describe("verify: parseArgs", () => {
    it("reads --secret-arn and --consumer-role-arn", () => {
        expect(parseArgs(["--secret-arn", SECRET, "--consumer-role-arn", ROLE])).to.deep.include({
            secretArns: [SECRET],
            consumerRoleArn: ROLE,
        });
    });

    it("reads repeated flags, and defaults the owner stack to primary", () => {
        expect(
            parseArgs([
                "--outputs",
                "o.json",
                "--secret",
                "A",
                "--secret",
                "B",
                "--consumer-profile",
                "stuart",
                "--owner-profile",
                "primary",
            ]),
        ).to.deep.equal({
            outputs: "o.json",
            secrets: ["A", "B"],
            secretArns: [],
            consumerProfile: "stuart",
            ownerProfile: "primary",
            ownerStack: "primary",
            help: false,
        });
        expect(parseArgs(["-h"]).help).to.equal(true);
        expect(parseArgs(["--help"]).help).to.equal(true);
    });

    it("refuses ARNs of the wrong form, naming the flag and the expected form", () => {
        expect(usageError(["--secret-arn", "MySecret", "--consumer-profile", "stuart"])).to.equal(
            "--secret-arn MySecret: expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> (the region in it is where the secret is read)",
        );
        const alias = "arn:aws:kms:eu-west-1:111111111111:alias/share";
        expect(usageError(["--secret-arn", SECRET, "--key-arn", alias, "--consumer-profile", "s"])).to.equal(
            `--key-arn ${alias}: expected arn:aws:kms:<region>:<account>:key/<key id>`,
        );
        const user = "arn:aws:iam::222222222222:user/Stuart";
        expect(usageError(["--secret-arn", SECRET, "--consumer-role-arn", user])).to.equal(
            `--consumer-role-arn ${user}: expected arn:aws:iam::<account>:role/<name>`,
        );
        expect(usageError(["--secret-arn", SECRET, "--consumer-role-arn", ROLE, "--owner-role-arn", "x"])).to.equal(
            "--owner-role-arn x: expected arn:aws:iam::<account>:role/<name>",
        );
        expect(
            parseArgs([
                "--secret-arn",
                SECRET,
                "--key-arn",
                "arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/0000-1111",
                "--consumer-role-arn",
                "arn:aws-cn:iam::222222222222:role/team/app",
            ]).keyArn,
        ).to.equal("arn:aws-us-gov:kms:us-gov-west-1:111111111111:key/0000-1111");
    });

    it("refuses unknown flags and flags without their value", () => {
        expect(usageError(["--nope"])).to.equal('unknown argument "--nope"');
        expect(usageError(["--outputs"])).to.equal("--outputs needs a value");
        expect(usageError(["--outputs", "--consumer-profile", "stuart"])).to.equal("--outputs needs a value");
        expect(usageError(["--help=yes"])).to.equal("--help takes no value");
    });

    it("needs a secret and a consumer, and --secret needs --outputs", () => {
        expect(usageError(["--consumer-profile", "stuart"])).to.match(/^no secret to check: pass --outputs FILE/);
        expect(usageError(["--secret-arn", SECRET])).to.match(/^no consumer: pass --consumer-profile NAME/);
        expect(usageError(["--secret", "A", "--secret-arn", SECRET, "--consumer-profile", "s"])).to.equal(
            "--secret NAME picks from --outputs FILE; pass --outputs too",
        );
    });
});

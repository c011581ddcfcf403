import { expect } from "chai";
import { parseSchedule, windowProblems } from "../../config/rotation";
import { stackConfig } from "../mocks";
import { MY_SECRET, expectProblems, refused, refusedConfig } from "./helpers";

/** `secretshare:secrets[].rotation` (automatic) and `regenerate` (manual): config/rotation.ts. */

const withRotation = (rotation: unknown, extra: Record<string, unknown> = {}) =>
    refused("primary", { "secretshare:secrets": [{ ...MY_SECRET, rotation, ...extra }] });
const KEY = "secretshare:secrets[0].rotation";

describe("config: rotation", () => {
    it("the old manual string in rotation is refused with the new key's name and the value to write", async () => {
        await expectProblems(
            withRotation("2"),
            `${KEY} = "2": rotation now sets automatic rotation (e.g. rotation: {everyDays: 30}); the value that generates a new password when changed is regenerate: write regenerate: "2"`,
        );
    });

    it("exactly one of everyDays and schedule", async () => {
        const form =
            "expected exactly one of everyDays (e.g. everyDays: 30) or schedule (a rate() or cron() expression)";
        await expectProblems(withRotation({}), `${KEY} = {}: ${form}`);
        await expectProblems(
            withRotation({ everyDays: 30, schedule: "rate(30 days)" }),
            `${KEY} = {"everyDays":30,"schedule":"rate(30 days)"}: ${form}`,
        );
    });

    for (const days of [0, 1001, 2.5]) {
        it(`everyDays ${days} is outside 1 to 1000`, async () => {
            await expectProblems(
                withRotation({ everyDays: days }),
                `${KEY}.everyDays = ${days}: expected a whole number of days from 1 to 1000`,
            );
        });
    }

    it("a schedule that Secrets Manager refuses, each with its reason", async () => {
        await expectProblems(
            withRotation({ schedule: "rate(2 hours)" }),
            `${KEY}.schedule = "rate(2 hours)": rotates every 2 hour(s): Secrets Manager rotates at most every 4 hours`,
        );
        await expectProblems(
            withRotation({ schedule: "rate(1000 days)" }),
            `${KEY}.schedule = "rate(1000 days)": 1000 days: a rate in days is from 1 to 999`,
        );
        await expectProblems(
            withRotation({ schedule: "cron(0 8 * * *)" }),
            `${KEY}.schedule = "cron(0 8 * * *)": a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one 5`,
        );
        await expectProblems(
            withRotation({ schedule: "weekly" }),
            `${KEY}.schedule = "weekly": expected rate(<N> hours) (N from 4), rate(<N> days) (N from 1 to 999) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), in UTC`,
        );
    });

    it("a window that passes the next rotation or the end of the UTC day", async () => {
        await expectProblems(
            withRotation({ schedule: "rate(6 hours)", window: "8h" }),
            `${KEY}.window = "8h": a 8-hour window is longer than the 6 hours between rotations: the window must end before the next one opens`,
        );
        await expectProblems(
            withRotation({ schedule: "cron(0 20 ? * SUN *)", window: "6h" }),
            `${KEY}.window = "6h": the window opens at 20:00 UTC and 6 hours would pass the end of the UTC day, which Secrets Manager refuses`,
        );
        await expectProblems(
            withRotation({ schedule: "rate(10 days)", window: "90m" }),
            `${KEY}.window = "90m": expected a window of whole hours from 1h to 24h, e.g. 4h`,
        );
        await expectProblems(
            withRotation({ everyDays: 10, window: "3h" }),
            `${KEY}.window = "3h": a window needs a schedule: with everyDays Secrets Manager picks the time; use schedule: rate(<N> days) with the window instead`,
        );
    });

    it("a function that is not a Lambda function ARN of the owner's account and Region", async () => {
        const form =
            "expected the ARN of a Lambda function in the owner's account and Region, arn:<partition>:lambda:<region>:<account>:function:<name>";
        await expectProblems(
            withRotation({ everyDays: 30, function: "team-db-rotation" }),
            `${KEY}.function = "team-db-rotation": ${form}`,
        );
        await expectProblems(
            withRotation({ everyDays: 30, function: "arn:aws:lambda:us-east-1:111111111111:function:rot:live" }),
            `${KEY}.function = "arn:aws:lambda:us-east-1:111111111111:function:rot:live": ${form}`,
        );
        await expectProblems(
            withRotation({ everyDays: 30, function: "arn:aws:lambda:eu-west-1:333333333333:function:rot" }),
            `${KEY}.function = "arn:aws:lambda:eu-west-1:333333333333:function:rot": the rotation function must be in the owner's account 111111111111 and Region us-east-1, where Secrets Manager invokes it for the secret`,
        );
    });

    it("an unknown setting, an existing secret, and a given password with the program's function", async () => {
        const e = await withRotation({ everyDays: 30, days: 3 });
        expect(e.problems[0]).to.match(/^secretshare:secrets\[0\]\.rotation: unknown setting "days"/);
        await expectProblems(
            refused("primary", {
                "secretshare:secrets": [
                    { name: "MySecret", existing: true, readers: MY_SECRET.readers, rotation: { everyDays: 30 } },
                ],
            }),
            'secretshare:secrets[0].rotation = {"everyDays":30}: rotation applies only to a secret this program creates: an existing secret\'s value and settings are never written here (remove rotation, or remove existing/arn to create a new secret)',
        );
    });

    it("a password given in config cannot be rotated by the program's function (value not shown)", async () => {
        const config = stackConfig("primary", {
            "secretshare:secrets": [{ ...MY_SECRET, rotation: { everyDays: 30 } }],
            "secretshare:passwords": { MySecret: "correct-horse-battery" },
        });
        const e = await refusedConfig("primary", config, ["secretshare:passwords"]);
        expect(e.problems).to.deep.equal([
            "secretshare:secrets[0].rotation: MySecret's password is given in secretshare:passwords, so it is set somewhere this program's rotation function cannot reach; name the function that rotates it there (rotation.function), or remove the password to rotate a generated one (value not shown)",
        ]);
        expect(e.message).to.not.include("correct-horse-battery");
    });

    it("regenerate must be a string", async () => {
        await expectProblems(
            refused("primary", { "secretshare:secrets": [{ ...MY_SECRET, regenerate: 2 }] }),
            'secretshare:secrets[0].regenerate = 2: expected a string; change it (e.g. "2") to generate a new password',
        );
    });
});

describe("config: schedule expressions and windows (pure)", () => {
    it("reads rates and crons, with interval and start hour where fixed", () => {
        expect(parseSchedule("rate(4 hours)")).to.deep.equal({ kind: "rate", intervalHours: 4, inHours: true });
        expect(parseSchedule("rate(1 day)")).to.deep.equal({
            kind: "rate",
            intervalHours: 24,
            startHour: 0,
            inHours: false,
        });
        expect(parseSchedule("cron(0 4/12 * * ? *)")).to.deep.equal({
            kind: "cron",
            intervalHours: 12,
            startHour: 4,
            inHours: true,
        });
        expect(parseSchedule("cron(0 8 1 * ? *)")).to.deep.equal({ kind: "cron", startHour: 8, inHours: false });
        expect(parseSchedule("cron(0 8 1 * MON *)")).to.have.property("error");
        expect(parseSchedule("cron(0 25 * * ? *)")).to.have.property("error");
    });

    it("a window at the limits: the interval, and the end of the day", () => {
        expect(windowProblems("6h", { kind: "rate", intervalHours: 6, inHours: true })).to.deep.equal([]);
        expect(windowProblems("24h", { kind: "rate", intervalHours: 24, startHour: 0, inHours: false })).to.deep.equal(
            [],
        );
        expect(windowProblems("4h", { kind: "cron", startHour: 20, inHours: false })).to.deep.equal([]);
        expect(windowProblems("5h", { kind: "cron", startHour: 20, inHours: false })).to.have.length(1);
        expect(windowProblems("0h", undefined)).to.have.length(1);
        expect(windowProblems("25h", undefined)).to.have.length(1);
    });
});

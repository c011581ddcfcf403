import { z } from "zod";
import { parseArn } from "../aws/arn";
import { policyMetacharacters } from "../aws/names";
import type { RotationSpec } from "./types";

/**
 * `secretshare:secrets[].rotation`: automatic rotation by Secrets Manager on a schedule, off by
 * default. The manual form (change a value, `pulumi up` writes a new generated password) is
 * `regenerate`; `rotation` held that value before, so a string there is refused with a message
 * that names the new key.
 *
 * The schedule's rules are Secrets Manager's:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html
 * - `AutomaticallyAfterDays`: 1 to 1,000;
 * - `rate(N hours|days)`: every 4 hours at most often, every 999 days at most seldom;
 * - `cron(minutes hours day-of-month month day-of-week year)`, in UTC;
 * - the window (`Duration`, `<N>h`) is at least one hour and must end before the next window and
 *   before the end of the UTC day: a rate in hours needs a window of at most its interval, and a
 *   schedule in days (a rate in days starts at midnight, a cron at its hour) one that ends by 24:00.
 */

/** What a string in `rotation` meant before, and the key that holds it now. */
export const MANUAL_KEY = "regenerate";

const EVERY_DAYS_FORM = "expected a whole number of days from 1 to 1000";
const SCHEDULE_FORM =
    "expected rate(<N> hours) (N from 4), rate(<N> days) (N from 1 to 999) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), in UTC";
const WINDOW_FORM = "expected a window of whole hours from 1h to 24h, e.g. 4h";
const FUNCTION_FORM =
    "expected the ARN of a Lambda function in the owner's account and Region, arn:<partition>:lambda:<region>:<account>:function:<name>";

/** A rate() or cron() expression, read: its interval in hours where it has a fixed one, and its start hour. */
export interface Schedule {
    readonly kind: "rate" | "cron";
    /** Hours between rotations: a rate's interval, or a cron's hour increment (`0/6`). */
    readonly intervalHours?: number;
    /** The hour the window opens, when known: midnight for a rate in days, a cron's single hour. */
    readonly startHour?: number;
    /** True when it repeats within a day (a rate in hours, a cron hour increment). */
    readonly inHours: boolean;
}

/** Reads a Secrets Manager schedule expression, or says what is wrong with it. */
export function parseSchedule(text: string): Schedule | { error: string } {
    const rate = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(text);
    if (rate) {
        const n = Number(rate[1]);
        if (rate[2].startsWith("hour")) {
            if (n < 4) return { error: `rotates every ${n} hour(s): Secrets Manager rotates at most every 4 hours` };
            return { kind: "rate", intervalHours: n, inHours: true };
        }
        if (n < 1 || n > 999) return { error: `${n} days: a rate in days is from 1 to 999` };
        return { kind: "rate", intervalHours: n * 24, startHour: 0, inHours: false };
    }
    const cron = /^cron\(([^)]*)\)$/.exec(text);
    if (!cron) return { error: SCHEDULE_FORM };
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length !== 6) {
        return {
            error: `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), this one ${fields.length}`,
        };
    }
    const [, hours, dom, , dow] = fields;
    if (dom !== "?" && dow !== "?") {
        return { error: "one of day-of-month and day-of-week must be ?, as in cron(0 8 1 * ? *)" };
    }
    const step = /^(\d+)\/(\d+)$/.exec(hours);
    if (step) {
        const every = Number(step[2]);
        if (every < 4)
            return { error: `rotates every ${every} hour(s): Secrets Manager rotates at most every 4 hours` };
        return { kind: "cron", intervalHours: every, startHour: Number(step[1]), inHours: true };
    }
    if (/^\d+$/.test(hours)) {
        const h = Number(hours);
        if (h > 23) return { error: `hour ${h}: hours are 0 to 23` };
        return { kind: "cron", startHour: h, inHours: false };
    }
    return { kind: "cron", inHours: false };
}

/** Problems of a window (`<N>h`) with its schedule, in words; none when it fits. */
export function windowProblems(window: string, schedule: Schedule | undefined): string[] {
    const m = /^(\d+)h$/.exec(window);
    const hours = m ? Number(m[1]) : NaN;
    if (!m || hours < 1 || hours > 24) return [WINDOW_FORM];
    if (!schedule) return [];
    if (schedule.inHours && schedule.intervalHours !== undefined && hours > schedule.intervalHours) {
        return [
            `a ${hours}-hour window is longer than the ${schedule.intervalHours} hours between rotations: the window must end before the next one opens`,
        ];
    }
    if (schedule.startHour !== undefined && schedule.startHour + hours > 24) {
        return [
            `the window opens at ${schedule.startHour}:00 UTC and ${hours} hours would pass the end of the UTC day, which Secrets Manager refuses`,
        ];
    }
    return [];
}

const functionArn = z.string({ error: FUNCTION_FORM }).superRefine((v, ctx) => {
    const meta = policyMetacharacters(v);
    const arn = parseArn(v);
    if (meta.length) ctx.addIssue({ code: "custom", message: `has ${meta.join(" and ")}; ${FUNCTION_FORM}` });
    else if (!arn || arn.service !== "lambda" || !/^function:[A-Za-z0-9_-]{1,64}$/.test(arn.resource)) {
        // A qualified ARN (version or alias) is refused too: the permission names the function.
        ctx.addIssue({ code: "custom", message: FUNCTION_FORM });
    }
});

/** The `rotation` object: a schedule (everyDays or schedule), an optional window and function. */
const rotationObject = z
    .strictObject({
        everyDays: z
            .number({ error: EVERY_DAYS_FORM })
            .int(EVERY_DAYS_FORM)
            .min(1, EVERY_DAYS_FORM)
            .max(1000, EVERY_DAYS_FORM)
            .optional(),
        schedule: z.string({ error: SCHEDULE_FORM }).optional(),
        window: z.string({ error: WINDOW_FORM }).optional(),
        function: functionArn.optional(),
    })
    .superRefine((r, ctx) => {
        if ((r.everyDays === undefined) === (r.schedule === undefined)) {
            ctx.addIssue({
                code: "custom",
                message:
                    "expected exactly one of everyDays (e.g. everyDays: 30) or schedule (a rate() or cron() expression)",
            });
            return;
        }
        let schedule: Schedule | undefined;
        if (r.schedule !== undefined) {
            const parsed = parseSchedule(r.schedule);
            if ("error" in parsed) {
                ctx.addIssue({ code: "custom", path: ["schedule"], message: parsed.error });
                return;
            }
            schedule = parsed;
        }
        if (r.window !== undefined) {
            if (r.everyDays !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: ["window"],
                    message:
                        "a window needs a schedule: with everyDays Secrets Manager picks the time; use schedule: rate(<N> days) with the window instead",
                });
                return;
            }
            for (const message of windowProblems(r.window, schedule)) {
                ctx.addIssue({ code: "custom", path: ["window"], message });
            }
        }
    });

/** `rotation`: the object, or a clear error for the old manual string. */
export const rotation = z.unknown().transform((value, ctx): RotationSpec | undefined => {
    if (value === undefined) return undefined;
    if (typeof value === "string" || typeof value === "number") {
        ctx.addIssue({
            code: "custom",
            message: `rotation now sets automatic rotation (e.g. rotation: {everyDays: 30}); the value that generates a new password when changed is ${MANUAL_KEY}: write ${MANUAL_KEY}: ${JSON.stringify(String(value))}`,
        });
        return z.NEVER;
    }
    const result = rotationObject.safeParse(value);
    if (!result.success) {
        for (const issue of result.error.issues) ctx.addIssue({ ...issue });
        return z.NEVER;
    }
    const r = result.data;
    return {
        ...(r.everyDays !== undefined && { everyDays: r.everyDays }),
        ...(r.schedule !== undefined && { schedule: r.schedule }),
        ...(r.window !== undefined && { window: r.window }),
        ...(r.function !== undefined && { function: r.function }),
    };
});

/** Problems of a rotation function named in config that is not in the owner's account and Region. */
export function rotationFunctionProblems(
    where: string,
    spec: RotationSpec | undefined,
    owner: { accountId: string; region: string; partition: string },
): string[] {
    if (!spec?.function) return [];
    const arn = parseArn(spec.function);
    if (!arn) return [];
    if (arn.partition === owner.partition && arn.region === owner.region && arn.accountId === owner.accountId)
        return [];
    return [
        `${where}.rotation.function = ${JSON.stringify(spec.function)}: the rotation function must be in the owner's account ${owner.accountId} and Region ${owner.region}, where Secrets Manager invokes it for the secret`,
    ];
}

import type { Check } from "./rules";

/**
 * The guardrail of automatic rotation: a `SecretRotation` turns rotation on, so it must say when
 * rotation runs. Without `rotationRules` Secrets Manager has no schedule to follow, and the
 * secret would rotate only when someone calls RotateSecret. Pure: the tests call it directly.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
 */

export const SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation";

/** Mandatory: a rotated secret's schedule is set (1 to 1,000 days, or a rate()/cron() expression). */
export const checkRotationSchedule: Check = (props, name) => {
    const rules = props.rotationRules as
        { automaticallyAfterDays?: unknown; scheduleExpression?: unknown } | undefined | null;
    const days = rules?.automaticallyAfterDays;
    const schedule = rules?.scheduleExpression;
    const fix =
        "set rotationRules.automaticallyAfterDays (1 to 1000) or rotationRules.scheduleExpression (rate() or cron()): secretshare:secrets[].rotation.everyDays or .schedule";
    if (days === undefined && (schedule === undefined || schedule === "")) {
        return [`secret rotation ${name} has no schedule: ${fix}`];
    }
    if (days !== undefined && (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > 1000)) {
        return [`secret rotation ${name} rotates every ${JSON.stringify(days)} days: ${fix}`];
    }
    if (schedule !== undefined && (typeof schedule !== "string" || !/^(rate|cron)\(.+\)$/.test(schedule))) {
        return [`secret rotation ${name} has schedule ${JSON.stringify(schedule)}: ${fix}`];
    }
    if (typeof props.rotationLambdaArn !== "string" || !props.rotationLambdaArn) {
        return [`secret rotation ${name} names no rotation function (rotationLambdaArn)`];
    }
    return [];
};

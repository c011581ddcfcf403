import { parseArn } from "../aws/arn";
import { parseSchedule, windowProblems } from "../config/rotation";
import type { RegisteredResource } from "./mocks";

/**
 * The preflight of automatic rotation, on every registered `SecretRotation`: its rules as
 * Secrets Manager accepts them (AutomaticallyAfterDays 1 to 1,000 or a rate()/cron() expression,
 * not both; a window that ends before the next window and the end of the UTC day), a rotation
 * function in the secret's account and Region, and one rotation per secret across stacks.
 * Config checks the same rules before anything is registered (config/rotation.ts); this holds
 * every planned resource to them, whatever wrote it.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
 */

export interface PlacedResource {
    readonly stack: string;
    readonly r: RegisteredResource;
}

const TYPE = "aws:secretsmanager/secretRotation:SecretRotation";

export function rotationProblems(all: readonly PlacedResource[], where: (p: PlacedResource) => string): string[] {
    const out: string[] = [];
    const bySecret = new Map<string, PlacedResource[]>();
    for (const p of all) {
        if (p.r.type !== TYPE) continue;
        const secretId = typeof p.r.inputs.secretId === "string" ? p.r.inputs.secretId : undefined;
        if (secretId) bySecret.set(secretId, [...(bySecret.get(secretId) ?? []), p]);
        let rules = p.r.inputs.rotationRules;
        if (typeof rules === "string") rules = JSON.parse(rules) as unknown;
        const r = (rules ?? {}) as { automaticallyAfterDays?: number; scheduleExpression?: string; duration?: string };
        const days = r.automaticallyAfterDays;
        const schedule = r.scheduleExpression;
        if ((days === undefined) === (schedule === undefined)) {
            out.push(
                `Secrets Manager rotation rules: ${where(p)} sets ${days === undefined ? "neither" : "both"} AutomaticallyAfterDays and ScheduleExpression; exactly one is needed`,
            );
        }
        if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 1000)) {
            out.push(
                `Secrets Manager rotation rules: AutomaticallyAfterDays ${days} of ${where(p)} is outside 1 to 1,000`,
            );
        }
        const parsed = schedule !== undefined ? parseSchedule(schedule) : undefined;
        if (parsed && "error" in parsed) {
            out.push(`Secrets Manager rotation schedule "${schedule}" of ${where(p)}: ${parsed.error}`);
        }
        if (r.duration !== undefined) {
            const known = parsed && !("error" in parsed) ? parsed : undefined;
            for (const problem of windowProblems(r.duration, known)) {
                out.push(`Secrets Manager rotation window "${r.duration}" of ${where(p)}: ${problem}`);
            }
        }
        const fn =
            typeof p.r.inputs.rotationLambdaArn === "string" ? parseArn(p.r.inputs.rotationLambdaArn) : undefined;
        const account = p.r.provider?.accountId;
        const region = p.r.provider?.region;
        if (fn && account && region && (fn.accountId !== account || fn.region !== region)) {
            out.push(
                `Secrets Manager rotation function: ${where(p)} names ${String(p.r.inputs.rotationLambdaArn)}, outside the secret's account ${account} and Region ${region}`,
            );
        }
    }
    for (const [secretId, placed] of bySecret) {
        if (placed.length > 1) {
            out.push(
                `one rotation per secret: ${secretId} gets its rotation from ${placed.map(where).join("; ")}; each deploy replaces the other's schedule and function`,
            );
        }
    }
    return out;
}

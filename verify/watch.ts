import { DescribeRuleCommand, EventBridgeClient, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { parseArn } from "../aws/arn";
import { errorMessage, errorName } from "./awsErrors";
import { clientConfig, type Side } from "./credentials";
import type { Deps } from "./deps";
import type { Outputs } from "./outputs";
import type { Report } from "./report";
import { withRetry } from "./retry";
import type { Target } from "./targets";

/**
 * The watch, live: each deployed EventBridge rule's pattern, matched by EventBridge's own
 * TestEventPattern against a CloudTrail event of its call on each shared secret or key (it must
 * alert) and on another secret or key (it must not).
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html
 */

/** A CloudTrail management event as EventBridge delivers it, for `call` on a secret or key. */
export function cloudTrailProbe(
    call: string,
    kind: "secret" | "key",
    id: string,
    ownerAccount: string,
    region: string,
): Record<string, unknown> {
    const service = kind === "secret" ? "secretsmanager" : "kms";
    const partition = parseArn(id)?.partition ?? "aws";
    return {
        version: "0",
        id: "00000000-0000-4000-8000-000000000000",
        "detail-type": "AWS API Call via CloudTrail",
        source: `aws.${service}`,
        account: ownerAccount,
        time: "2026-01-01T00:00:00Z",
        region,
        resources: [],
        detail: {
            eventVersion: "1.09",
            eventSource: `${service}.amazonaws.com`,
            eventName: call,
            awsRegion: region,
            // Another account: CreateGrant alerts only on grants made from elsewhere.
            userIdentity: {
                type: "AssumedRole",
                accountId: "999999999999",
                arn: `arn:${partition}:sts::999999999999:assumed-role/probe/secretshare-verify`,
            },
            requestParameters:
                kind === "secret"
                    ? {
                          secretId: id,
                          // UpdateSecret alerts when it names a KmsKeyId.
                          ...(call === "UpdateSecret" && {
                              kmsKeyId: `arn:${partition}:kms:${region}:${ownerAccount}:key/00000000-0000-4000-8000-0000000000ff`,
                          }),
                      }
                    : { keyId: id },
        },
    };
}

/** The ARN of a secret or key that is not ours, in the same account and region. */
function foreignOf(kind: "secret" | "key", arn: string): string {
    if (kind === "key") return arn.replace(/key\/[^/]+$/, "key/00000000-0000-4000-8000-00000000abcd");
    // The same name plus "-other": a sibling that prefix matching would wrongly include.
    return arn.replace(/-[A-Za-z0-9]{6}$/, "-other-AbCdEf");
}

interface DeployedRule {
    readonly name: string;
    /** The calls its pattern lists (a rule watches every call scoped the same way). */
    readonly calls: readonly string[];
    readonly kind: "secret" | "key";
    readonly pattern: string;
}

export async function watchChecks(
    deps: Deps,
    report: Report,
    owner: Side,
    targets: readonly Target[],
    outputs: Outputs | undefined,
): Promise<void> {
    const ruleArns = outputs?.watch?.rules ?? {};
    if (!Object.keys(ruleArns).length || !targets.length) {
        report.line(
            "SKIP",
            "watch: the outputs name no watch rules (secretshare:watch off, or not the owner's outputs)",
        );
        return;
    }
    const region = outputs?.watch?.region ?? targets[0].region;
    const ownerAccount = targets[0].accountId;
    const eb = new EventBridgeClient(clientConfig(owner, region));
    const rules = await deployedRules(deps, report, eb, ruleArns);
    const matching = async (group: readonly DeployedRule[], event: Record<string, unknown>) => {
        for (const r of group) {
            const t = await withRetry(deps, `TestEventPattern ${r.name}`, () =>
                eb.send(new TestEventPatternCommand({ EventPattern: r.pattern, Event: JSON.stringify(event) })),
            );
            if (t.Result) return r.name;
        }
        return undefined;
    };
    // By call name, whatever rules they share.
    const calls = [...new Set(rules.flatMap((r) => r.calls))].sort();
    for (const call of calls) {
        const group = rules.filter((r) => r.calls.includes(call));
        const kind = group[0].kind;
        const subjects =
            kind === "secret"
                ? targets.map((t) => ({ label: t.name, arn: t.secretArn }))
                : [...new Set(targets.map((t) => t.keyArn).filter((k): k is string => !!k))].map((k) => ({
                      label: `key ${k.split("/").pop() as string}`,
                      arn: k,
                  }));
        try {
            for (const s of subjects) {
                const hit = await matching(group, cloudTrailProbe(call, kind, s.arn, ownerAccount, region));
                if (hit) report.line("PASS", `watch: ${call} on ${s.label} alerts (rule ${hit})`);
                else
                    report.line("FAIL", `watch: ${call} on ${s.label} matches no deployed rule`, [
                        "the rules were changed outside Pulumi, or the stack is not up to date: pulumi preview --refresh shows it",
                    ]);
            }
            const other = subjects[0] && foreignOf(kind, subjects[0].arn);
            if (other) {
                const hit = await matching(group, cloudTrailProbe(call, kind, other, ownerAccount, region));
                if (hit) report.line("FAIL", `watch: ${call} on another ${kind} (${other}) alerts too (rule ${hit})`);
                else report.line("PASS", `watch: ${call} on another ${kind} does not alert`);
            }
        } catch (e) {
            report.line("FAIL", `watch: ${call}: TestEventPattern failed: ${errorName(e)}: ${errorMessage(e)}`, [
                "the owner credentials need events:TestEventPattern",
            ]);
        }
    }
}

/**
 * The deployed rules (events:DescribeRule), in the order of their ids, with the call and the kind
 * of resource each watches. Rules on anything else (a consumer's IAM rules) are left out.
 */
async function deployedRules(
    deps: Deps,
    report: Report,
    eb: EventBridgeClient,
    ruleArns: Record<string, string>,
): Promise<DeployedRule[]> {
    const rules: DeployedRule[] = [];
    for (const [, arn] of Object.entries(ruleArns).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const name = arn.split("/").pop() as string;
        try {
            const r = await withRetry(deps, `DescribeRule ${name}`, () =>
                eb.send(new DescribeRuleCommand({ Name: name })),
            );
            const pattern = JSON.parse(r.EventPattern ?? "{}") as { detail?: Record<string, unknown> };
            // The calls are listed in `detail.eventName`, or in the `$or` branches of `detail`
            // when some call has a condition of its own (watch/rules.ts).
            const branches = [pattern.detail ?? {}, ...((pattern.detail?.$or as Record<string, unknown>[]) ?? [])];
            const calls = branches
                .flatMap((b) => (Array.isArray(b?.eventName) ? (b.eventName as unknown[]) : []))
                .filter((c): c is string => typeof c === "string");
            const params = (pattern.detail?.requestParameters ?? {}) as Record<string, unknown>;
            const kind = "secretId" in params ? "secret" : "keyId" in params ? "key" : undefined;
            if (calls.length && kind) rules.push({ name, calls, kind, pattern: r.EventPattern as string });
        } catch (e) {
            report.line("FAIL", `watch rule ${name}: DescribeRule failed: ${errorName(e)}: ${errorMessage(e)}`, [
                "the owner credentials need events:DescribeRule; a missing rule means the watch was changed outside Pulumi: pulumi up re-creates it",
            ]);
        }
    }
    return rules;
}

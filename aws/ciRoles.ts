import * as fs from "fs";
import { actionsFor, type Phase, type Side } from "./permissions";

/**
 * The identity policies of the CI roles (docs/ci-setup.md), built from the one list of the
 * program's AWS calls (aws/permissions.ts): the preview role and the deploy role of the owner
 * account and of a consumer account. test/ci/permissions.test.ts compares the documented JSON
 * with these; `npx ts-node --swc aws/ciRoles.ts --write docs/ci-setup.md` writes them there.
 */

export interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Action: string[];
    readonly Resource: string | string[];
}

export interface RolePolicy {
    readonly Version: "2012-10-17";
    readonly Statement: PolicyStatement[];
}

/**
 * Actions that name no resource of the account (or none at all): allowed on "*". The
 * subscription actions are among them because the Service Authorization Reference lists no
 * resource type for them.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html
 * So do iam:ListUsers and iam:ListRoles, which list the whole account:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
 * and logs:DescribeLogGroups:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
const ANY_RESOURCE = new Set([
    "sts:GetCallerIdentity",
    "kms:CreateKey",
    "kms:ListAliases",
    "iam:ListUsers",
    "iam:ListRoles",
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "sns:Unsubscribe",
    // Lists the log groups of the account and Region (the provider filters by name).
    "logs:DescribeLogGroups",
]);

/** The resources of a service in one account, any Region (a consumer's watch is in us-east-1). */
function resourcesOf(service: string, partition: string, accountId: string): string[] {
    switch (service) {
        case "kms":
            return [`arn:${partition}:kms:*:${accountId}:key/*`, `arn:${partition}:kms:*:${accountId}:alias/*`];
        case "secretsmanager":
            return [`arn:${partition}:secretsmanager:*:${accountId}:secret:*`];
        case "iam":
            return ["user", "role", "policy"].map((k) => `arn:${partition}:iam::${accountId}:${k}/*`);
        case "sns":
            return [`arn:${partition}:sns:*:${accountId}:*`];
        case "events":
            return [`arn:${partition}:events:*:${accountId}:rule/*`];
        case "lambda":
            return [`arn:${partition}:lambda:*:${accountId}:function:*`];
        case "logs":
            return [`arn:${partition}:logs:*:${accountId}:log-group:*`];
        default:
            throw new Error(`no resource pattern for service ${service}`);
    }
}

const SIDS: Readonly<Record<string, string>> = {
    events: "EventBridge",
    iam: "Iam",
    kms: "Kms",
    lambda: "Lambda",
    logs: "Logs",
    secretsmanager: "SecretsManager",
    sns: "Sns",
};

/**
 * The identity policy of the CI role that runs `phase` for `side` in account `accountId`: one
 * statement per service on that account's resources, and one on "*" for the actions that take
 * none. The state backend's permissions are not in it (docs/ci-setup.md, "Self-managed: S3").
 */
export function rolePolicy(side: Side, phase: Phase, accountId: string, partition = "aws"): RolePolicy {
    const actions = actionsFor(side, phase);
    const byService = new Map<string, string[]>();
    for (const a of actions.filter((x) => !ANY_RESOURCE.has(x))) {
        const service = a.split(":")[0];
        byService.set(service, [...(byService.get(service) ?? []), a]);
    }
    const statements: PolicyStatement[] = [...byService]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([service, list]) => {
            const sid = SIDS[service];
            if (!sid) throw new Error(`no statement for service ${service} (${list.join(", ")})`);
            return { Sid: sid, Effect: "Allow", Action: list, Resource: resourcesOf(service, partition, accountId) };
        });
    statements.push({
        Sid: "AnyResource",
        Effect: "Allow",
        Action: actions.filter((x) => ANY_RESOURCE.has(x)),
        Resource: "*",
    });
    return { Version: "2012-10-17", Statement: statements };
}

/** docs/ci-setup.md's example accounts. */
export const DOC_ACCOUNTS: Readonly<Record<Side, string>> = { owner: "111111111111", consumer: "222222222222" };

/** The marker before each policy's JSON block in docs/ci-setup.md. */
export const docMarker = (phase: Phase, side: Side) => `<!-- permissions: ${phase} ${side} -->`;

/**
 * `markdown` (docs/ci-setup.md) with the JSON block after each marker replaced by the policy
 * it names. `npx ts-node --swc aws/ciRoles.ts --write docs/ci-setup.md` rewrites the file.
 */
export function withRolePolicies(markdown: string, accounts: Readonly<Record<Side, string>> = DOC_ACCOUNTS): string {
    return markdown.replace(
        /(<!-- permissions: (preview|deploy) (owner|consumer) -->\s*```json\n)[\s\S]*?```/g,
        (_, head: string, phase: Phase, side: Side) =>
            `${head}${JSON.stringify(rolePolicy(side, phase, accounts[side]), null, 4)}\n\`\`\``,
    );
}

if (require.main === module) {
    const [flag, file] = process.argv.slice(2);
    if (flag !== "--write" || !file) throw new Error("usage: ts-node aws/ciRoles.ts --write docs/ci-setup.md");
    fs.writeFileSync(file, withRolePolicies(fs.readFileSync(file, "utf8")));
}

import { LIMITS, QUOTAS, textSize, type LimitName } from "../aws/limits";
import { iamPathProblems, nameProblem, nameRuleOf, physicalName, type NameRule } from "../aws/names";
import { PreflightError } from "../common/errors";
import type { RegisteredResource } from "./mocks";
import { publicSecretPolicyProblems } from "./publicPolicy";
import { rotationProblems } from "./preflightRotation";

/**
 * The plan's check of every registered resource of every planned stack against the catalogue
 * of AWS limits and name rules (aws/limits.ts, aws/names.ts), across stacks where AWS counts
 * across stacks: names unique per account (IAM, without regard to case) or per account and
 * Region (KMS aliases, secrets), rules per event bus, policies per identity; and a secret policy
 * that Secrets Manager would refuse as public (./publicPolicy.ts). Anything that
 * AWS or Pulumi would refuse at deploy is a PreflightError (exit 2), one line per problem:
 * the limit, the value reached, the resource, and what to change.
 */

export interface PreflightStack {
    readonly name: string;
    readonly resources: readonly RegisteredResource[];
}

export interface PreflightOptions {
    /** `secretshare:watch.rulesPerBus` of a stack, when its config sets it. */
    readonly rulesPerBus?: (stack: string) => number | undefined;
    /** `secretshare:consumers.<account>.roleTrustPolicyLength` for an account ID, when a config sets it. */
    readonly roleTrustPolicyLength?: (accountId: string) => number | undefined;
    /** The account's attached-policies quota, when a world snapshot recorded it (iam:GetAccountSummary). */
    readonly attachedPolicies?: (accountId: string, kind: "user" | "role") => number | undefined;
}

/** The largest values reached, whether or not they are over: what the benchmark reports. */
export interface PreflightMeasures {
    /** EventBridge rules on the busiest bus, and where. */
    readonly rulesPerBus: { readonly count: number; readonly bus?: string };
    readonly largestPattern: number;
    readonly largestTemplate: number;
    readonly largestTopicPolicy: number;
    readonly longestRuleName: number;
}

export interface PreflightFindings {
    readonly problems: string[];
    readonly measures: PreflightMeasures;
}

interface Placed {
    readonly stack: string;
    readonly r: RegisteredResource;
}

const num = (n: number) => n.toLocaleString("en-US");
const short = (type: string) => type.split(":").pop() as string;
const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const accountOf = (r: RegisteredResource) => r.provider?.accountId ?? `(provider ${r.provider?.name ?? "default"})`;
const regionOf = (r: RegisteredResource) => r.provider?.region ?? "(provider's region)";
const where = ({ stack, r }: Placed) =>
    `${short(r.type)} "${r.name}" of stack "${stack}" (account ${accountOf(r)}, ${regionOf(r)})`;

/** Throws a PreflightError listing every problem; returns what it measured when all is well. */
export function preflight(stacks: readonly PreflightStack[], options: PreflightOptions = {}): PreflightMeasures {
    const { problems, measures } = preflightFindings(stacks, options);
    if (problems.length) throw new PreflightError(problems);
    return measures;
}

export function preflightFindings(
    stacks: readonly PreflightStack[],
    options: PreflightOptions = {},
): PreflightFindings {
    const all: Placed[] = stacks.flatMap((s) => s.resources.filter((r) => r.custom).map((r) => ({ stack: s.name, r })));
    const problems: string[] = [];
    problems.push(...names(all));
    problems.push(...uniqueness(all));
    problems.push(...onePolicyPerTarget(all));
    const docs = documents(all, options);
    problems.push(...docs.problems);
    const rules = rulesPerBus(all, options);
    problems.push(...rules.problems);
    problems.push(...perIdentity(all, options.attachedPolicies));
    problems.push(...publicSecretPolicyProblems(all, where));
    problems.push(...rotationProblems(all, where));
    return {
        problems,
        measures: {
            rulesPerBus: rules.busiest,
            largestPattern: docs.largest.eventPattern ?? 0,
            largestTemplate: docs.largest.inputTemplate ?? 0,
            largestTopicPolicy: docs.largest.topicPolicy ?? 0,
            longestRuleName: Math.max(
                0,
                ...all
                    .filter((p) => p.r.type === "aws:cloudwatch/eventRule:EventRule")
                    .map((p) => physicalName(nameRuleOf(p.r.type) as NameRule, p.r.name, p.r.inputs).name.length),
            ),
        },
    };
}

/** Every physical name against its length and characters; every IAM path. */
function names(all: readonly Placed[]): string[] {
    const out: string[] = [];
    for (const p of all) {
        const rule = nameRuleOf(p.r.type);
        if (rule) {
            const name = physicalName(rule, p.r.name, p.r.inputs);
            const problem = nameProblem(rule, name);
            if (problem)
                out.push(
                    `${rule.what} (${rule.max} characters): "${name.name}" of ${where(p)} ${problem.startsWith("has ") ? "" : "is "}${problem}; ${rule.fix}`,
                );
        }
        const path = str(p.r.inputs.path);
        if (path !== undefined && /^aws:iam\/(user|role|policy):/.test(p.r.type)) {
            for (const problem of iamPathProblems(path)) {
                out.push(
                    `IAM path: "${path}" of ${where(p)}: ${problem}; set secretshare:consumers.<account>.readers[].path to a path such as /apps/`,
                );
            }
        }
    }
    return out;
}

/**
 * Names AWS requires to be unique, across every stack of the plan: IAM users, roles and
 * managed policies per account without regard to case; aliases, secrets, topics and rules per
 * account and Region; inline policy names per identity.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */
function uniqueness(all: readonly Placed[]): string[] {
    const groups = new Map<string, { rule: NameRule; scope: string; placed: Placed[]; names: string[] }>();
    const add = (key: string, rule: NameRule, scope: string, p: Placed, name: string) => {
        const g = groups.get(key) ?? { rule, scope, placed: [], names: [] };
        g.placed.push(p);
        g.names.push(name);
        groups.set(key, g);
    };
    for (const p of all) {
        const rule = nameRuleOf(p.r.type);
        const name = rule ? str(p.r.inputs[rule.input]) : undefined;
        if (!rule || name === undefined) continue;
        const folded = rule.caseInsensitive ? name.toLowerCase() : name;
        if (rule.unique === "account" || rule.unique === "account and Region") {
            const bus = p.r.type.includes("eventRule") ? `, bus ${str(p.r.inputs.eventBusName) ?? "default"}` : "";
            const scope =
                rule.unique === "account"
                    ? `account ${accountOf(p.r)}`
                    : `account ${accountOf(p.r)}, ${regionOf(p.r)}${bus}`;
            add(`${rule.type}\n${scope}\n${folded}`, rule, scope, p, name);
        }
        const identity = str(p.r.inputs.user) ?? str(p.r.inputs.role);
        if (identity !== undefined && /^aws:iam\/(userPolicy|rolePolicy):/.test(p.r.type)) {
            const kind = p.r.type.includes("userPolicy") ? "user" : "role";
            // The identity's name is case-insensitive; the inline policy name is compared as written.
            const scope = `${kind} ${identity} of account ${accountOf(p.r)}`;
            add(`${rule.type}\n${kind}\n${accountOf(p.r)}\n${identity.toLowerCase()}\n${name}`, rule, scope, p, name);
        }
    }
    const out: string[] = [];
    for (const g of groups.values()) {
        if (g.placed.length < 2) continue;
        const distinct = [...new Set(g.names)];
        const caseNote =
            distinct.length > 1
                ? ` (${distinct.map((n) => `"${n}"`).join(" and ")} are the same name to IAM, which ignores case)`
                : "";
        out.push(
            `${g.rule.what}s are unique per ${g.rule.unique}: "${g.names[0]}" in ${g.scope} is registered ${g.placed.length} times${caseNote}, ` +
                `by ${g.placed.map(where).join("; ")}. The second create fails (or two stacks overwrite one resource); ${g.rule.fix}`,
        );
    }
    return out;
}

/** Resources that set the one resource policy of their target, and the input naming it. */
const POLICY_OF: readonly { type: string; target: string; what: string }[] = [
    { type: "aws:secretsmanager/secretPolicy:SecretPolicy", target: "secretArn", what: "secret resource policy" },
    { type: "aws:kms/keyPolicy:KeyPolicy", target: "keyId", what: "key policy" },
    { type: "aws:sns/topicPolicy:TopicPolicy", target: "arn", what: "topic policy" },
];

/**
 * A secret, key or topic has one resource policy: two resources that write it (in two stacks,
 * e.g. two owner stacks sharing one existing secret) overwrite each other at every deploy, and
 * the statements of the one deployed first are lost.
 */
function onePolicyPerTarget(all: readonly Placed[]): string[] {
    const byTarget = new Map<string, { what: string; target: string; placed: Placed[] }>();
    for (const p of all) {
        const d = POLICY_OF.find((x) => x.type === p.r.type);
        const target = d ? str(p.r.inputs[d.target]) : undefined;
        if (!d || target === undefined) continue;
        const key = `${d.type}\n${accountOf(p.r)}\n${regionOf(p.r)}\n${target}`;
        const e = byTarget.get(key) ?? { what: d.what, target, placed: [] };
        e.placed.push(p);
        byTarget.set(key, e);
    }
    return [...byTarget.values()]
        .filter((e) => e.placed.length > 1)
        .map(
            (e) =>
                `one ${e.what} per resource: ${e.target} gets its ${e.what} from ${e.placed.map(where).join("; ")}; ` +
                `each deploy replaces the other's statements. Share it from one owner stack`,
        );
}

const DOCUMENTS: readonly { type: string; input: string; limit: LimitName; fix: string }[] = [
    {
        type: "aws:cloudwatch/eventRule:EventRule",
        input: "eventPattern",
        limit: "eventPattern",
        fix: "watch fewer secrets per owner stack, or set secretshare:watch.enabled: false",
    },
    {
        type: "aws:cloudwatch/eventTarget:EventTarget",
        input: "inputTransformer.inputTemplate",
        limit: "inputTemplate",
        fix: "encrypt fewer secrets per key (secretshare:key.perSecret) or split them over more owner stacks",
    },
    {
        type: "aws:sns/topicPolicy:TopicPolicy",
        input: "policy",
        limit: "topicPolicy",
        fix: "split the secrets over more owner stacks (fewer rules publish to one topic), or set secretshare:watch.enabled: false",
    },
    { type: "aws:sns/topic:Topic", input: "policy", limit: "topicPolicy", fix: "publish fewer rules to one topic" },
    {
        type: "aws:secretsmanager/secretPolicy:SecretPolicy",
        input: "policy",
        limit: "secretPolicy",
        fix: "let fewer identities read the secret (e.g. one role that several workloads assume)",
    },
    {
        type: "aws:kms/key:Key",
        input: "policy",
        limit: "keyPolicy",
        fix: "let fewer identities read the secrets of this key (the layout packs keys to fit; one secret read by too many identities does not)",
    },
    {
        type: "aws:kms/keyPolicy:KeyPolicy",
        input: "policy",
        limit: "keyPolicy",
        fix: "let fewer identities read, or remove statements from the existing key policy",
    },
    {
        type: "aws:iam/policy:Policy",
        input: "policy",
        limit: "managedPolicy",
        fix: "let the reader read fewer secrets",
    },
    {
        type: "aws:iam/role:Role",
        input: "assumeRolePolicy",
        limit: "trustPolicy",
        fix: "name fewer principals in the reader's assumedBy, or set secretshare:consumers.<account>.roleTrustPolicyLength once AWS has raised the account's quota (up to 4,096)",
    },
];

function inputAt(inputs: Record<string, unknown>, path: string): string | undefined {
    let v: unknown = inputs;
    for (const k of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined;
    return str(v);
}

/** Every document against its size limit; the largest of each kind. */
function documents(
    all: readonly Placed[],
    options: PreflightOptions = {},
): { problems: string[]; largest: Partial<Record<LimitName, number>> } {
    const problems: string[] = [];
    const largest: Partial<Record<LimitName, number>> = {};
    for (const p of all) {
        for (const d of DOCUMENTS) {
            if (d.type !== p.r.type) continue;
            const text = inputAt(p.r.inputs, d.input);
            if (text === undefined) continue;
            const limit = LIMITS[d.limit];
            const size = textSize(text, d.limit);
            largest[d.limit] = Math.max(largest[d.limit] ?? 0, size);
            const stated = d.limit === "trustPolicy" ? options.roleTrustPolicyLength?.(accountOf(p.r)) : undefined;
            const max = stated ?? limit.size;
            if (size > max) {
                problems.push(
                    `${limit.what} (${num(max)} ${limit.unit}${stated === undefined ? "" : `, from ${LIMITS.trustPolicy.setting}`}): ` +
                        `${d.input} of ${where(p)} is ${num(size)} ${limit.unit}, ` +
                        `over the ${num(max)} AWS allows${limit.adjustable && stated === undefined ? " by default" : ""}; ${d.fix}`,
                );
            }
        }
    }
    return { problems, largest };
}

/** True when an event pattern uses the wildcard operator anywhere. */
function usesWildcard(pattern: unknown): boolean {
    if (Array.isArray(pattern)) return pattern.some(usesWildcard);
    if (pattern && typeof pattern === "object") {
        return Object.entries(pattern).some(([k, v]) => k === "wildcard" || usesWildcard(v));
    }
    return false;
}

/** EventBridge rules per bus, against the quota each stack states (default 300). */
function rulesPerBus(
    all: readonly Placed[],
    options: PreflightOptions,
): { problems: string[]; busiest: { count: number; bus?: string } } {
    const buses = new Map<string, Placed[]>();
    for (const p of all) {
        if (p.r.type !== "aws:cloudwatch/eventRule:EventRule") continue;
        const bus = `the ${str(p.r.inputs.eventBusName) ?? "default"} bus of account ${accountOf(p.r)} in ${regionOf(p.r)}`;
        buses.set(bus, [...(buses.get(bus) ?? []), p]);
    }
    const problems: string[] = [];
    let busiest: { count: number; bus?: string } = { count: 0 };
    for (const [bus, rules] of buses) {
        if (rules.length > busiest.count) busiest = { count: rules.length, bus };
        const byStack = new Map<string, number>();
        for (const p of rules) byStack.set(p.stack, (byStack.get(p.stack) ?? 0) + 1);
        const stated = [...byStack.keys()].map((s) => options.rulesPerBus?.(s)).filter((n) => n !== undefined);
        const quota = stated.length ? Math.max(...stated) : QUOTAS.rulesPerBus.value;
        const counts = [...byStack].map(([s, n]) => `stack "${s}": ${num(n)}`).join(", ");
        if (rules.length > quota) {
            problems.push(
                `${QUOTAS.rulesPerBus.what} (${num(quota)}${stated.length ? `, from ${QUOTAS.rulesPerBus.setting}` : ", the default"}): ` +
                    `${num(rules.length)} rules on ${bus} (${counts}), over the quota; request a higher quota ` +
                    `(Service Quotas, Amazon EventBridge, "Rules") and set ${QUOTAS.rulesPerBus.setting} to it, ` +
                    `or watch less here (secretshare:watch.enabled: false, or fewer owner stacks per account and Region)`,
            );
        }
        const wildcards = rules.filter((p) => {
            try {
                return usesWildcard(JSON.parse(str(p.r.inputs.eventPattern) ?? "null"));
            } catch {
                return false;
            }
        });
        if (wildcards.length > QUOTAS.wildcardRulesPerBus.value) {
            problems.push(
                `${QUOTAS.wildcardRulesPerBus.what} (${QUOTAS.wildcardRulesPerBus.value}, not adjustable): ${num(wildcards.length)} rules ` +
                    `with wildcard filters on ${bus}; fewer such rules are needed (this is the watch's design, not a setting)`,
            );
        }
    }
    return { problems, busiest };
}

/**
 * What one identity holds across every stack of the plan: its inline policies share one size
 * budget, and at most 10 managed policies attach to it (IAM's default quotas). Only what the
 * plan writes is counted; policies the identity already has count too at deploy.
 */
function perIdentity(
    all: readonly Placed[],
    recorded: PreflightOptions["attachedPolicies"] = () => undefined,
): string[] {
    // IAM identity names ignore case: one entry per identity whatever case each stack used.
    const inline = new Map<string, { kind: "user" | "role"; who: string; size: number; placed: Placed[] }>();
    const attached = new Map<string, { kind: "user" | "role"; who: string; placed: Placed[] }>();
    for (const p of all) {
        const m = /^aws:iam\/(user|role)(Policy|PolicyAttachment):/.exec(p.r.type);
        if (!m) continue;
        const kind = m[1] as "user" | "role";
        const identity = str(p.r.inputs[kind]);
        if (identity === undefined) continue;
        const who = `${kind} ${identity} of account ${accountOf(p.r)}`;
        const key = `${kind}\n${identity.toLowerCase()}\n${accountOf(p.r)}`;
        if (m[2] === "Policy") {
            const policy = str(p.r.inputs.policy);
            if (policy === undefined) continue;
            const e = inline.get(key) ?? { kind, who, size: 0, placed: [] };
            e.size += textSize(policy, kind === "user" ? "userInline" : "roleInline");
            e.placed.push(p);
            inline.set(key, e);
        } else {
            const e = attached.get(key) ?? { kind, who, placed: [] };
            e.placed.push(p);
            attached.set(key, e);
        }
    }
    const out: string[] = [];
    for (const e of inline.values()) {
        const limit = LIMITS[e.kind === "user" ? "userInline" : "roleInline"];
        if (e.size > limit.size) {
            out.push(
                `IAM inline policies of one ${e.kind} (${num(limit.size)} ${limit.unit} together): ${e.who} gets ${num(e.size)} from ` +
                    `${e.placed.map(where).join("; ")}; let fewer stacks grant this ${e.kind}, or fewer secrets`,
            );
        }
    }
    for (const e of attached.values()) {
        const stated = recorded(accountOf(e.placed[0].r), e.kind);
        const quota = stated ?? QUOTAS.attachedPolicies.value;
        if (e.placed.length > quota) {
            out.push(
                `${QUOTAS.attachedPolicies.what} (${quota}${stated === undefined ? " by default" : ", as the world snapshot recorded it"}): ${e.who} gets ${e.placed.length} ` +
                    `attachments, from stacks ${[...new Set(e.placed.map((p) => `"${p.stack}"`))].join(", ")}; let the ${e.kind} read fewer secrets`,
            );
        }
    }
    return out;
}

import { z } from "zod";
import { UserError } from "../../common/errors";
import { DOCUMENT_TYPES, documentInput } from "../reportCommon";

/**
 * What the access diff compares, read from a plan's `--json` document (docs/plan.md): the diff
 * never looks at a live plan, so a plan saved with `npm start --silent -- --json > base.json` and
 * a plan computed at a git ref give the same answer. Fields the diff does not need are ignored,
 * and fields an older plan lacks (`documents` per check, `protect`/`retainOnDelete` per resource)
 * only make the answer less detailed, never wrong.
 */

const contextValue = z.union([z.string(), z.array(z.string())]);

const planJsonSchema = z.object({
    ok: z.boolean(),
    project: z.string(),
    preview: z.boolean().optional(),
    stacks: z.array(
        z.object({
            name: z.string(),
            mode: z.string().nullable(),
            resources: z.array(
                z.object({
                    type: z.string(),
                    name: z.string(),
                    account: z.string().nullable(),
                    origin: z.string(),
                    protect: z.boolean().optional(),
                    retainOnDelete: z.boolean().optional(),
                    inputs: z.record(z.string(), z.unknown()),
                }),
            ),
            outputs: z.record(z.string(), z.unknown()),
        }),
    ),
    access: z.array(
        z.object({
            secret: z.string(),
            who: z.string(),
            principal: z.string(),
            action: z.string(),
            context: z.record(z.string(), contextValue),
            expected: z.string(),
            decision: z.string(),
            documents: z.array(z.string()).optional(),
        }),
    ),
    warnings: z.array(z.string()).optional(),
});

export type PlanJson = z.output<typeof planJsonSchema>;

/** Reads a plan's `--json` document; `source` names it in the error (a file, a git ref). */
export function readPlanJson(text: string, source: string): PlanJson {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new UserError(
            `${source} is not JSON (${(e as Error).message}): expected a plan saved with \`npm start --silent -- --json > base.json\``,
        );
    }
    const parsed = planJsonSchema.safeParse(raw);
    if (!parsed.success) {
        const where = parsed.error.issues
            .slice(0, 3)
            .map((i) => i.path.join(".") || "(top)")
            .join(", ");
        throw new UserError(
            `${source} is not a plan's JSON document (${where}): expected the output of \`npm start --silent -- --json\``,
        );
    }
    return parsed.data;
}

/**
 * One row of "who can do what": a principal, an action on a secret (or on a reader role, for
 * AssumeRole), the request's context, and what AWS would decide. The access diff compares two
 * plans as two sets of these tuples, keyed by everything but the decision. Any other source of
 * "who can read" (e.g. an exhaustive set of principals per secret) joins the diff by producing
 * more tuples here; nothing downstream changes.
 */
export interface AccessTuple {
    /** secret | principal | action | context: equal keys are the same question asked of both plans. */
    readonly key: string;
    readonly secret: string;
    readonly who: string;
    readonly principal: string;
    /** The principal's account, when it has one. */
    readonly account: string | null;
    readonly action: string;
    /** The request's own context keys, short (ARNs by their last part). */
    readonly context: string;
    readonly decision: string;
    readonly allowed: boolean;
    /** The documents simulated, as "<type> <resource name>" (empty from an older plan). */
    readonly documents: readonly string[];
}

export interface Statement {
    /** The Sid, or "#<n>" (its position) for a statement without one. */
    readonly id: string;
    readonly body: Record<string, unknown>;
    /** Canonical JSON (keys sorted): equal text, equal statement. */
    readonly text: string;
}

export interface PolicyDocument {
    /** "<stack> <type> <name>". */
    readonly key: string;
    /** "<type> <name>", as an access tuple's `documents` names it. */
    readonly ref: string;
    readonly stack: string;
    readonly account: string | null;
    readonly title: string;
    readonly type: string;
    readonly statements: readonly Statement[];
    /** A secret policy's `blockPublicPolicy` input. */
    readonly blockPublicPolicy?: boolean;
}

export interface Resource {
    /** "<stack> <type> <name>". */
    readonly key: string;
    readonly stack: string;
    readonly type: string;
    readonly name: string;
    readonly account: string | null;
    readonly origin: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    /** Canonical JSON of each input. */
    readonly inputs: Readonly<Record<string, string>>;
    /**
     * What AWS knows it by (type, account and its physical name inputs), or undefined: a delete
     * and a create with the same identity are a rename of the logical name.
     */
    readonly identity?: string;
}

export interface SecretNode {
    readonly name: string;
    readonly stack: string;
    readonly account: string | null;
    readonly keyArn?: string;
    readonly keyLabel?: string;
}

export interface PlanFacts {
    readonly project: string;
    readonly ok: boolean;
    readonly access: ReadonlyMap<string, AccessTuple>;
    readonly documents: ReadonlyMap<string, PolicyDocument>;
    readonly resources: ReadonlyMap<string, Resource>;
    readonly secrets: ReadonlyMap<string, SecretNode>;
    /** Accounts in which a planned stack registers anything. */
    readonly stackAccounts: ReadonlySet<string>;
    /** By reader ARN: the secrets a consumer stack's identity policies let it call (`readerSecrets`). */
    readonly consumerCalls: ReadonlyMap<string, { readonly stack: string; readonly secrets: ReadonlySet<string> }>;
}

/** JSON with object keys sorted, so that equal values have equal text. */
export function canonical(value: unknown): string {
    return JSON.stringify(value, (_k, v: unknown) =>
        v && typeof v === "object" && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
            : v,
    );
}

export const accountOf = (arn: string): string | null => /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(arn)?.[1] ?? null;

const shortValue = (v: string) => (v.startsWith("arn:") ? v.replace(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:(secret:)?/, "") : v);

function contextText(context: Readonly<Record<string, string | readonly string[]>>): string {
    return Object.entries(context)
        .filter(([k]) => !/^aws:Principal(Arn|Account)$/.test(k))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => `${k.replace(/^[a-z]+:/, "")}=${(Array.isArray(v) ? v : [v]).map(shortValue).join("|")}`)
        .join(" ");
}

/** The access matrix as tuples. */
export function accessTuples(plan: PlanJson): AccessTuple[] {
    return plan.access.map((c) => {
        const context = contextText(c.context);
        return {
            key: [c.secret, c.principal, c.action, context].join(" | "),
            secret: c.secret,
            who: c.who,
            principal: c.principal,
            account: accountOf(c.principal),
            action: c.action,
            context,
            decision: c.decision,
            allowed: c.decision === "Allowed",
            documents: c.documents ?? [],
        };
    });
}

function statementsOf(policy: unknown): Statement[] {
    let doc = policy;
    if (typeof doc === "string") {
        try {
            doc = JSON.parse(doc);
        } catch {
            return [];
        }
    }
    const raw = (doc as { Statement?: unknown } | null)?.Statement;
    const list = Array.isArray(raw) ? raw : raw && typeof raw === "object" ? [raw] : [];
    return list.map((s: unknown, i) => {
        const body = (s && typeof s === "object" ? s : {}) as Record<string, unknown>;
        return { id: typeof body.Sid === "string" && body.Sid ? body.Sid : `#${i + 1}`, body, text: canonical(body) };
    });
}

/** The inputs that name a resource in AWS: a delete and a create sharing them are a rename. */
const PHYSICAL = ["name", "user", "role", "secretArn", "keyId", "targetKeyId", "policyArn"];

function identityOf(type: string, account: string | null, inputs: Record<string, unknown>): string | undefined {
    const parts = PHYSICAL.filter((k) => typeof inputs[k] === "string").map((k) => `${k}=${String(inputs[k])}`);
    return parts.length && type.startsWith("aws:") ? [type, account ?? "", ...parts].join(" ") : undefined;
}

const record = (v: unknown): Record<string, unknown> =>
    v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

export function factsOf(plan: PlanJson): PlanFacts {
    const access = new Map(accessTuples(plan).map((t) => [t.key, t]));
    const documents = new Map<string, PolicyDocument>();
    const resources = new Map<string, Resource>();
    const secrets = new Map<string, SecretNode>();
    const stackAccounts = new Set<string>();
    const consumerCalls = new Map<string, { stack: string; secrets: Set<string> }>();
    for (const s of plan.stacks) {
        for (const r of s.resources) {
            if (r.account) stackAccounts.add(r.account);
            const key = `${s.name} ${r.type} ${r.name}`;
            if (r.origin !== "-") {
                resources.set(key, {
                    key,
                    stack: s.name,
                    type: r.type,
                    name: r.name,
                    account: r.account,
                    origin: r.origin,
                    protect: r.protect ?? false,
                    retainOnDelete: r.retainOnDelete ?? false,
                    inputs: Object.fromEntries(Object.entries(r.inputs).map(([k, v]) => [k, canonical(v)])),
                    identity: identityOf(r.type, r.account, r.inputs),
                });
            }
            const title = DOCUMENT_TYPES[r.type];
            const policy = r.inputs[documentInput(r.type)];
            if (title && policy !== undefined) {
                documents.set(key, {
                    key,
                    ref: `${r.type} ${r.name}`,
                    stack: s.name,
                    account: r.account,
                    title: title(r),
                    type: r.type,
                    statements: statementsOf(policy),
                    ...(typeof r.inputs.blockPublicPolicy === "boolean" && {
                        blockPublicPolicy: r.inputs.blockPublicPolicy,
                    }),
                });
            }
        }
        const out = s.outputs;
        const keyArns = record(out.keyArns);
        const aliases = record(out.keyAliases);
        const distinctKeys = new Set(Object.values(keyArns)).size;
        for (const [name, arn] of Object.entries(record(out.secretArns))) {
            const keyArn = typeof keyArns[name] === "string" ? keyArns[name] : undefined;
            const alias = aliases[name] ?? (distinctKeys === 1 ? aliases.shared : undefined);
            secrets.set(name, {
                name,
                stack: s.name,
                account: typeof arn === "string" ? accountOf(arn) : null,
                ...(keyArn && {
                    keyArn,
                    keyLabel: typeof alias === "string" ? alias : `key ${keyArn.split("/").pop()?.slice(0, 8)}`,
                }),
            });
        }
        const readerArns = record(out.readerArns);
        for (const [reader, reads] of Object.entries(record(out.readerSecrets))) {
            const arn = readerArns[reader];
            if (typeof arn !== "string") continue;
            const found = consumerCalls.get(arn) ?? { stack: s.name, secrets: new Set<string>() };
            for (const secret of Object.keys(record(reads))) found.secrets.add(secret);
            consumerCalls.set(arn, found);
        }
    }
    return {
        project: plan.project,
        ok: plan.ok,
        access,
        documents,
        resources,
        secrets,
        stackAccounts,
        consumerCalls,
    };
}

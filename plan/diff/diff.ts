import { factsOf, type AccessTuple, type PlanFacts, type PlanJson, type PolicyDocument, type Statement } from "./facts";
import { risksOf, type Risk } from "./risks";

export type { Risk, RiskKind } from "./risks";

/**
 * The access diff of two plans (the base: a saved plan or a git ref; the head: the working
 * tree), as pure functions over their `--json` documents: who gains and who loses an allowed
 * action on which secret, the policy statements added, removed or changed (by Sid), the
 * resources created, deleted or renamed, and the changes a reviewer should look at twice.
 * The `--json` form of the diff is this `PlanDiff` (schema in docs/diff.md).
 */

export interface AccessChange {
    readonly change: "gained" | "lost";
    readonly secret: string;
    readonly who: string;
    readonly principal: string;
    readonly account: string | null;
    readonly action: string;
    readonly context: string;
    /** The decision in each plan; null where that plan asked no such question (denied there). */
    readonly before: string | null;
    readonly after: string | null;
    /** The titles of the documents that changed it (the ones simulated, when none of them changed). */
    readonly documents: readonly string[];
}

export interface StatementChange {
    readonly change: "added" | "removed" | "changed";
    readonly sid: string;
    /** For "changed": the statement's top-level fields that differ (Principal, Action, Condition, ...). */
    readonly fields?: readonly string[];
    readonly before?: Record<string, unknown>;
    readonly after?: Record<string, unknown>;
}

export interface DocumentChange {
    readonly change: "added" | "removed" | "changed";
    readonly stack: string;
    readonly account: string | null;
    readonly title: string;
    /** "<type> <resource name>". */
    readonly resource: string;
    readonly statements: readonly StatementChange[];
}

export interface ResourceChange {
    readonly change: "created" | "deleted" | "replaced" | "updated";
    readonly stack: string;
    readonly type: string;
    readonly name: string;
    readonly account: string | null;
    readonly origin: string;
    /** For "replaced": the logical name it had (same type, account and AWS name). */
    readonly from?: string;
    /** For "updated": the inputs that change (policy documents are under `documents`). */
    readonly inputs?: readonly string[];
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    /** What the change does, in plain words. */
    readonly note: string;
}

export interface PlanDiff {
    readonly schema: 1;
    readonly project: string;
    readonly base: { readonly label: string; readonly ok: boolean };
    readonly head: { readonly label: string; readonly ok: boolean };
    readonly summary: {
        readonly gained: number;
        readonly lost: number;
        readonly documents: number;
        readonly statements: number;
        readonly resources: number;
        readonly risks: number;
    };
    readonly access: readonly AccessChange[];
    readonly documents: readonly DocumentChange[];
    readonly resources: readonly ResourceChange[];
    readonly risks: readonly Risk[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function statementChanges(
    before: readonly Statement[] | undefined,
    after: readonly Statement[] | undefined,
): StatementChange[] {
    const a = new Map((before ?? []).map((s) => [s.id, s]));
    const b = new Map((after ?? []).map((s) => [s.id, s]));
    const out: StatementChange[] = [];
    for (const [id, s] of a) {
        const t = b.get(id);
        if (!t) out.push({ change: "removed", sid: id, before: s.body });
        else if (t.text !== s.text) {
            const keys = [...new Set([...Object.keys(s.body), ...Object.keys(t.body)])];
            const fields = keys.filter((k) => JSON.stringify(s.body[k]) !== JSON.stringify(t.body[k])).sort(byText);
            out.push({ change: "changed", sid: id, fields, before: s.body, after: t.body });
        }
    }
    for (const [id, t] of b) if (!a.has(id)) out.push({ change: "added", sid: id, after: t.body });
    return out;
}

function documentChanges(base: PlanFacts, head: PlanFacts): DocumentChange[] {
    const out: DocumentChange[] = [];
    const keys = [...new Set([...base.documents.keys(), ...head.documents.keys()])].sort(byText);
    for (const key of keys) {
        const [a, b] = [base.documents.get(key), head.documents.get(key)];
        const doc = (b ?? a) as PolicyDocument;
        const statements = statementChanges(a?.statements, b?.statements);
        if (a && b && !statements.length) continue;
        out.push({
            change: !a ? "added" : !b ? "removed" : "changed",
            stack: doc.stack,
            account: doc.account,
            title: doc.title,
            resource: doc.ref,
            statements,
        });
    }
    return out;
}

function accessChanges(base: PlanFacts, head: PlanFacts, documents: readonly DocumentChange[]): AccessChange[] {
    const changedRefs = new Set(documents.map((d) => d.resource));
    const titleOf = (facts: PlanFacts, ref: string) =>
        [...facts.documents.values()].find((d) => d.ref === ref)?.title ?? ref;
    const out: AccessChange[] = [];
    const keys = [...new Set([...base.access.keys(), ...head.access.keys()])];
    for (const key of keys) {
        const [a, b] = [base.access.get(key), head.access.get(key)];
        const was = a?.allowed ?? false;
        const is = b?.allowed ?? false;
        if (was === is) continue;
        const t = (b ?? a) as AccessTuple;
        // The documents that let it in (a gain: the head's) or did (a loss: the base's).
        const facts = is ? head : base;
        const simulated = (is ? b : a)?.documents ?? [];
        const changed = simulated.filter((r) => changedRefs.has(r));
        out.push({
            change: is ? "gained" : "lost",
            secret: t.secret,
            who: t.who,
            principal: t.principal,
            account: t.account,
            action: t.action,
            context: t.context,
            before: a?.decision ?? null,
            after: b?.decision ?? null,
            documents: (changed.length ? changed : simulated).map((r) => titleOf(facts, r)),
        });
    }
    return out.sort(
        (x, y) =>
            byText(x.secret, y.secret) ||
            byText(x.change, y.change) ||
            byText(x.who, y.who) ||
            byText(x.action, y.action) ||
            byText(x.context, y.context),
    );
}

const POLICY_INPUTS = new Set(["policy", "assumeRolePolicy"]);

function resourceChanges(base: PlanFacts, head: PlanFacts): ResourceChange[] {
    const created = [...head.resources.values()].filter((r) => !base.resources.has(r.key));
    const deleted = [...base.resources.values()].filter((r) => !head.resources.has(r.key));
    const out: ResourceChange[] = [];
    const renamedFrom = new Map<string, string>();
    for (const c of created) {
        const d = c.identity ? deleted.find((x) => x.identity === c.identity && !renamedFrom.has(x.key)) : undefined;
        if (d) renamedFrom.set(d.key, c.key);
        const what = { stack: c.stack, type: c.type, name: c.name, account: c.account, origin: c.origin };
        if (d) {
            out.push({
                change: "replaced",
                ...what,
                from: d.name,
                ...(d.protect && { protect: true }),
                ...(d.retainOnDelete && { retainOnDelete: true }),
                note:
                    `renamed from ${d.name}: Pulumi sees a new logical name, so it deletes ${d.name} and creates ${c.name} ` +
                    (d.protect
                        ? `- ${d.name} is protected, so \`pulumi up\` refuses the delete`
                        : d.retainOnDelete
                          ? `- ${d.name} is retained on delete: it stays in AWS under the same AWS name that ${c.name} creates (docs/operations.md#lifecycle)`
                          : `- the same AWS resource is deleted and created again`),
            });
        } else {
            const note =
                c.origin === "adopted"
                    ? "adopted: the existing resource is imported into the stack"
                    : c.origin === "policy-only"
                      ? "written on a resource this program does not own"
                      : c.origin === "read"
                        ? "read; nothing is written"
                        : "created";
            out.push({ change: "created", ...what, note });
        }
    }
    for (const d of deleted) {
        if (renamedFrom.has(d.key)) continue;
        out.push({
            change: "deleted",
            stack: d.stack,
            type: d.type,
            name: d.name,
            account: d.account,
            origin: d.origin,
            ...(d.protect && { protect: true }),
            ...(d.retainOnDelete && { retainOnDelete: true }),
            note: d.protect
                ? "protected: `pulumi up` refuses to delete it (the update fails) until protection is turned off"
                : d.retainOnDelete
                  ? "leaves the stack; retained: it stays in AWS"
                  : d.origin === "read"
                    ? "no longer read"
                    : d.origin === "policy-only"
                      ? "this program's policy is removed from a resource it does not own"
                      : "deleted from AWS",
        });
    }
    for (const h of head.resources.values()) {
        const b = base.resources.get(h.key);
        if (!b) continue;
        const keys = [...new Set([...Object.keys(b.inputs), ...Object.keys(h.inputs)])];
        const inputs = keys.filter((k) => !POLICY_INPUTS.has(k) && b.inputs[k] !== h.inputs[k]).sort(byText);
        if (!inputs.length && b.origin === h.origin) continue;
        out.push({
            change: "updated",
            stack: h.stack,
            type: h.type,
            name: h.name,
            account: h.account,
            origin: h.origin,
            ...(inputs.length && { inputs }),
            note:
                (inputs.length ? `inputs ${inputs.join(", ")} change` : "") +
                (b.origin !== h.origin ? `${inputs.length ? "; " : ""}origin ${b.origin} -> ${h.origin}` : ""),
        });
    }
    return out.sort((x, y) => byText(x.stack, y.stack) || byText(x.change, y.change) || byText(x.name, y.name));
}

/** The diff of two plans' `--json` documents. */
export function diffPlans(
    base: PlanJson,
    head: PlanJson,
    labels: { readonly base: string; readonly head: string } = { base: "base", head: "head" },
): PlanDiff {
    const [a, b] = [factsOf(base), factsOf(head)];
    const documents = documentChanges(a, b);
    const access = accessChanges(a, b, documents);
    const resources = resourceChanges(a, b);
    const risks = risksOf(a, b, access, documents, resources);
    return {
        schema: 1,
        project: head.project,
        base: { label: labels.base, ok: base.ok },
        head: { label: labels.head, ok: head.ok },
        summary: {
            gained: access.filter((c) => c.change === "gained").length,
            lost: access.filter((c) => c.change === "lost").length,
            documents: documents.length,
            statements: documents.reduce((n, d) => n + d.statements.length, 0),
            resources: resources.length,
            risks: risks.length,
        },
        access,
        documents,
        resources,
        risks,
    };
}

export const isEmpty = (d: PlanDiff) => !d.access.length && !d.documents.length && !d.resources.length;

import * as pulumi from "@pulumi/pulumi";
import type { RegisteredResource } from "../mocks";
import type { PlannedStack } from "../plan";
import { UNKNOWN } from "../runtime";
import type { Check } from "./checks";

/**
 * Which access checks a first `pulumi preview` cannot prove. The checks of a preview plan are
 * built from the stacks as their first `up` leaves them (every value known); a check is proven in
 * preview only when every value it uses (principal, resource, context) and every document it
 * simulates is known in the preview too. Otherwise it is "not proven in preview", naming what
 * it waits for: e.g. `share-MySecret.arn`, the ARN AWS gives the secret when the first `up`
 * creates it. Such a check is not simulated and fails nothing.
 *
 * Known in preview: config, what is read (existing keys, secrets and identities, invokes), what
 * is imported (the engine reads it in preview), and a reader's ARN, which config builds as IAM
 * does (account, path, name). Not known: what the stack creates (IDs, ARNs, computed outputs) and
 * what is computed from it (a document naming a created secret's ARN, a policy attached by the
 * ARN of a policy created with it).
 */

/** A check the preview cannot prove, and what it depends on that the preview does not know. */
export interface NotProvenInPreview {
    readonly check: string;
    readonly secret: string;
    readonly who: string;
    readonly action: string;
    /** What it waits for, e.g. "share-MySecret.arn" (`<resource>.<property>`) or "output secretArns.MySecret of primary". */
    readonly unknown: readonly string[];
}

export interface PreviewUnknowns {
    /** ARNs a first `up` gives that the preview does not know, with where each comes from. */
    readonly values: ReadonlyMap<string, string>;
    /** Documents (PolicyRef names, "<type> <name>") the preview does not know, or not where they apply. */
    readonly documents: ReadonlyMap<string, string>;
}

const label = (r: RegisteredResource) => `${r.type} ${r.name}`;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object";
const isSecretValue = (v: unknown) =>
    isObject(v) && v[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig;

/** The strings inside a value (never inside a Pulumi secret). */
function strings(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") out.push(value);
    else if (isSecretValue(value)) return out;
    else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
    else if (isObject(value)) Object.values(value).forEach((v) => strings(v, out));
    return out;
}

/** Whether a preview value is or holds UNKNOWN. */
function hasUnknown(value: unknown): boolean {
    if (value === UNKNOWN) return true;
    if (Array.isArray(value)) return value.some(hasUnknown);
    if (isObject(value)) return Object.values(value).some(hasUnknown);
    return false;
}

/** Calls `found` with each part of `up` that is UNKNOWN in `preview` at the same place. */
function walk(up: unknown, preview: unknown, path: string, found: (value: unknown, path: string) => void): void {
    if (preview === UNKNOWN) return found(up, path);
    if (!isObject(up) || !isObject(preview)) return;
    for (const [k, v] of Object.entries(up)) {
        if (k in preview) walk(v, preview[k], path ? `${path}.${k}` : k, found);
    }
}

export function previewUnknowns(up: readonly PlannedStack[], preview: readonly PlannedStack[]): PreviewUnknowns {
    const values = new Map<string, string>();
    const documents = new Map<string, string>();
    const pairs = up.map((u, i) => {
        const p = preview[i];
        if (p?.name !== u.name) throw new Error(`preview plan: stack ${i} is ${p?.name}, its up plan ${u.name}`);
        const byKey = new Map(p.resources.map((r) => [`${r.type}::${r.name}`, r]));
        return {
            up: u,
            preview: p,
            resources: u.resources.flatMap((r) => {
                const q = byKey.get(`${r.type}::${r.name}`);
                return q ? [{ r, q }] : [];
            }),
        };
    });
    for (const { up: u, preview: p, resources } of pairs) {
        // ARNs only: the requests name principals, resources and the secret (the encryption
        // context) by ARN, and their other values (a version stage, a service name) are constants.
        const local = new Map<string, string>();
        const add = (value: unknown, where: string) => {
            for (const s of strings(value)) if (s.startsWith("arn:") && !local.has(s)) local.set(s, where);
        };
        // First what the resources compute (their outputs, their IDs): the clearest name for a value.
        for (const { r, q } of resources) {
            for (const [k, v] of Object.entries(r.state)) if (!(k in q.state)) add(v, `${r.name}.${k}`);
            if (r.custom && q.id === UNKNOWN) add(r.id, `${r.name}.id`);
        }
        // Then inputs computed from them, and the exports.
        for (const { r, q } of resources) {
            walk(r.state, q.state, "", (v, path) => add(v, `${r.name}.${path}`));
            walk(r.inputs, q.inputs, "", (v, path) => add(v, `${r.name}.${path}`));
        }
        walk(u.outputs, p.outputs, "", (v, path) => add(v, `output ${path} of ${u.name}`));
        // What the stack's preview knows elsewhere is known: a policy on an existing secret has
        // the secret's ARN as its ID, unknown while the policy is to be created.
        const known = new Set([
            ...p.resources.flatMap((r) => strings([r.id, r.inputs, r.state])),
            ...strings(p.outputs),
        ]);
        for (const [v, where] of local) if (!known.has(v) && !values.has(v)) values.set(v, where);
    }
    // A reader's ARN comes from config (the grants), as IAM builds it: known even while the user
    // or role that will have it is still to be created.
    for (const { preview: p } of pairs) for (const s of strings(p.outputs.grants)) values.delete(s);

    for (const { resources } of pairs) {
        const attached = new Map<string, string>();
        for (const { r, q } of resources) {
            const unknownInputs = Object.keys(q.inputs).filter((k) => hasUnknown(q.inputs[k]));
            if (!unknownInputs.length) continue;
            // The document first: "policy" or "assumeRolePolicy", else what it applies to.
            const k = unknownInputs.find((x) => /policy$/i.test(x) && x !== "policyArn") ?? unknownInputs[0];
            documents.set(label(r), `${r.name}.${k}`);
            // An attachment whose policy ARN the preview does not know: the attached document is unknown too.
            if (/PolicyAttachment$/.test(r.type) && typeof r.inputs.policyArn === "string") {
                attached.set(r.inputs.policyArn, `${r.name}.${k}`);
            }
        }
        for (const { r } of resources) {
            const where = typeof r.state.arn === "string" ? attached.get(r.state.arn) : undefined;
            if (r.type === "aws:iam/policy:Policy" && where && !documents.has(label(r))) documents.set(label(r), where);
        }
    }
    return { values, documents };
}

/** What each check waits for; per document, the unknown ARN its text names is found once. */
export class PreviewJudge {
    private readonly arns: [string, string][];
    /** By the document itself: the registry's documents are shared by many checks. */
    private readonly named = new Map<unknown, string | undefined>();

    constructor(private readonly unknowns: PreviewUnknowns) {
        this.arns = [...unknowns.values];
    }

    /** What the check uses that the preview does not know; empty when the preview proves it. */
    unknownsOf(check: Check): string[] {
        const out = new Set<string>();
        const value = (v: string) => {
            const where = this.unknowns.values.get(v);
            if (where) out.add(where);
        };
        value(check.principal);
        value(check.resource);
        for (const v of Object.values(check.context)) (Array.isArray(v) ? v : [v]).forEach(value);
        const docs = [...check.identityPolicies, ...(check.resourcePolicy ? [check.resourcePolicy] : [])];
        for (const d of docs) {
            const where = this.unknowns.documents.get(d.name) ?? this.arnIn(d.policy);
            if (where) out.add(where);
        }
        return [...out];
    }

    /** A document known in preview may still name an ARN the owner's preview does not know. */
    private arnIn(policy: unknown): string | undefined {
        if (!this.named.has(policy)) {
            const text = JSON.stringify(policy) ?? "";
            this.named.set(policy, this.arns.find(([v]) => text.includes(v))?.[1]);
        }
        return this.named.get(policy);
    }
}

/**
 * A stack previewed against its owner's exports as the owner's first `up` leaves them, with each
 * ARN that the owner's first preview does not know shown as UNKNOWN, in place (inside a policy
 * document too): what a first preview of both stacks can say.
 */
export function maskUnknownArns(stack: PlannedStack, unknowns: PreviewUnknowns): PlannedStack {
    const arns = [...unknowns.values.keys()];
    if (!arns.length) return stack;
    const mask = (value: unknown): unknown => {
        if (typeof value === "string") {
            if (!value.includes("arn:")) return value;
            if (arns.includes(value)) return UNKNOWN;
            return arns.reduce((text, arn) => (text.includes(arn) ? text.split(arn).join(UNKNOWN) : text), value);
        }
        if (isSecretValue(value)) return value;
        if (Array.isArray(value)) return value.map(mask);
        if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v)]));
        return value;
    };
    return {
        ...stack,
        resources: stack.resources.map((r) => ({
            ...r,
            inputs: mask(r.inputs) as Record<string, unknown>,
            state: mask(r.state) as Record<string, unknown>,
        })),
        outputs: mask(stack.outputs) as Record<string, unknown>,
    };
}

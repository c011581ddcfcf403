import { keyLines } from "./keyLines";
import * as pulumi from "@pulumi/pulumi";
import type { RegisteredResource } from "./mocks";
import type { Plan, PlannedStack } from "./plan";
import type { AccessMatrix, CheckResult } from "./proof";
import { idOf, notProvenInPreviewLines, previewNote } from "./previewReport";
import { keptExpectedText } from "./proof/kept";
import type { Analysis } from "./analysis/confirm";
import { analysisOk, whoCanReadMarkdown, whoCanReadText } from "./analysis/report";
import { UNKNOWN } from "./runtime";
import { placeholderNote, worldNote } from "./notes";
import { unknownWorldLines } from "./world/unproven";
import { DOCUMENT_TYPES, documentInput, table } from "./reportCommon";

/**
 * The plan's three output forms: readable text (default), one JSON document (`--json`, schema
 * in docs/plan.md) and Markdown for a PR comment or a CI job summary (`--markdown`). Secret
 * values never reach any of them: Pulumi secrets in resource inputs become "[secret]", and a
 * secret's value (`SecretVersion.secretString`/`secretBinary`) is always "[secret]". In a preview
 * plan (`--preview`), what the preview does not know is "[unknown]", resources have an ID
 * column, and checks that use unknown values are listed as not proven in preview.
 */

export const SECRET = "[secret]";

/** Inputs that hold a secret's value, whatever the program did to mark them secret. */
const SECRET_INPUTS: Record<string, readonly string[]> = {
    "aws:secretsmanager/secretVersion:SecretVersion": ["secretString", "secretBinary"],
};

/** A resource's inputs as the program registered them, with every secret value replaced. */
export function redactInputs(r: RegisteredResource): Record<string, unknown> {
    const out = redact(r.inputs) as Record<string, unknown>;
    for (const k of SECRET_INPUTS[r.type] ?? []) if (k in out) out[k] = SECRET;
    return out;
}

function redact(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        // A Pulumi secret reaches the mocks as {<sig key>: <secret sig>, value}.
        // https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/rpc.ts
        if (obj[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return SECRET;
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redact(v)]));
    }
    return value;
}

/** created, adopted, policy-only, read, or "-" for what is not an AWS resource. */
export const originOf = (s: PlannedStack, r: RegisteredResource) => s.origins[`${r.type}::${r.name}`] ?? "-";

/**
 * What the stack's watch reacts to and who is told, from its `watch` and
 * `consumerWatch` exports: counts only, never a subscriber address.
 */
export function watchLines(stack: PlannedStack): string[] {
    interface WatchExport {
        region?: string;
        events?: string[];
        rules?: Record<string, unknown>;
        subscribers?: { total?: number; email?: number; https?: number };
    }
    const line = (where: string, w: WatchExport) => {
        const subs = w.subscribers ?? {};
        return (
            `watch${where}: ${Object.keys(w.rules ?? {}).length} EventBridge rules in ${w.region ?? "?"} on ` +
            `${(w.events ?? []).join(", ")}; subscribers: ${subs.total ?? 0} (email ${subs.email ?? 0}, https ${subs.https ?? 0})` +
            ((subs.total ?? 0) === 0 ? " - nobody is told until someone subscribes" : "")
        );
    };
    const out: string[] = [];
    const owner = stack.outputs.watch as WatchExport | undefined;
    if (owner && typeof owner === "object") out.push(line("", owner));
    // A single stack ("all" mode) exports the consumer sides by consumer account name.
    const consumers = stack.outputs.consumerWatch as Record<string, WatchExport> | undefined;
    if (consumers && typeof consumers === "object") {
        for (const [name, w] of Object.entries(consumers)) out.push(line(` (consumer ${name})`, w));
    }
    return out;
}

/** The `--json` form lives in ./reportJson.ts. */
export { toJson } from "./reportJson";

export interface Report {
    readonly plan: Plan;
    readonly access: AccessMatrix;
    /** Who can read, exhaustively (plan/analysis/); absent in a preview plan. */
    readonly analysis?: Analysis;
}

export const isOk = (access: AccessMatrix, analysis?: Analysis) =>
    access.checks.every((c) => c.ok) && analysisOk(analysis);

/** Whether nothing depends on an existing resource the plan does not know (no world snapshot). */
export const isProven = (access: AccessMatrix) => access.unknownWorld === undefined;

/** The names of the checks that are as expected on what is known, but not proven (plan/world/unproven.ts). */
const unprovenChecks = (access: AccessMatrix) => new Set((access.unknownWorld?.checks ?? []).map((c) => c.check));

// ---------------------------------------------------------------------------------------------
// Documents: the policies of a stack, as registered.

interface Document {
    readonly title: string;
    readonly policy: unknown;
}

const DOCUMENT_ORDER = Object.keys(DOCUMENT_TYPES);

function documentsOf(stack: PlannedStack): Document[] {
    return stack.resources
        .filter((r) => r.type in DOCUMENT_TYPES && r.inputs[documentInput(r.type)] !== undefined)
        .sort((a, b) => DOCUMENT_ORDER.indexOf(a.type) - DOCUMENT_ORDER.indexOf(b.type))
        .map((r) => {
            const raw = r.inputs[documentInput(r.type)];
            let policy: unknown = raw;
            try {
                policy = typeof raw === "string" ? JSON.parse(raw) : raw;
            } catch {
                // Shown as registered.
            }
            return { title: DOCUMENT_TYPES[r.type](r), policy };
        });
}

const pretty = (v: unknown) =>
    v === UNKNOWN ? `${UNKNOWN} (computed from values the preview does not know)` : JSON.stringify(v, null, 2);

/** The document types and the table live in ./reportCommon.ts (the access diff reads them without this module). */
export { DOCUMENT_TYPES, documentInput, table } from "./reportCommon";
/** The notes on secure values and the world snapshot live in ./notes.ts; the summary imports them from here too. */
export { placeholderNote, worldNote } from "./notes";

export function modeOf(stack: PlannedStack): string {
    const refs = stack.references ?? (stack.reference ? [stack.reference] : []);
    return [stack.mode ?? "?", refs.map((r) => `reads ${r.stack} (${r.name})`).join(", ")].filter(Boolean).join(", ");
}

// ---------------------------------------------------------------------------------------------
// Text.

export const accessRow = (c: CheckResult, unproven: ReadonlySet<string> = new Set()) => [
    c.ok ? (unproven.has(c.name) ? "not proven" : "ok") : "FAIL",
    c.secret,
    c.who,
    c.action,
    contextText(c),
    expectedText(c),
    c.kept?.verdict ?? c.decision,
];

/** "Allowed", "Denied", or for a statement not managed here "kept, not managed here (<Sids>)[, conditional on <keys>]". */
export function expectedText(c: Pick<CheckResult, "expected" | "kept">): string {
    return c.expected === "Kept" ? keptExpectedText(c.kept) : c.expected;
}

/** The request's own context keys, short: ARNs by their last part; the derived principal keys left out. */
function contextText(c: CheckResult): string {
    const short = (v: string) => (v.startsWith("arn:") ? v.replace(/^arn:[^:]*:[^:]*:[^:]*:[^:]*:(secret:)?/, "") : v);
    return Object.entries(c.context)
        .filter(([k]) => !/^aws:Principal(Arn|Account)$/.test(k))
        .map(([k, v]) => `${k.replace(/^[a-z]+:/, "")}=${(Array.isArray(v) ? v : [v]).map(short).join("|")}`)
        .join(" ");
}

export function failures(access: AccessMatrix): string[] {
    return access.checks.filter((c) => !c.ok).map((c) => `failed: ${c.name}: ${c.reason ?? "not as expected"}`);
}

export function summary(access: AccessMatrix): string {
    const unprovenNames = unprovenChecks(access);
    const failed = access.checks.filter((c) => !c.ok).length;
    const asExpected = access.checks.filter((c) => c.ok && !unprovenNames.has(c.name)).length;
    const kept = access.checks.filter((c) => c.expected === "Kept").length;
    const unproven = access.notProvenInPreview;
    return (
        `access${unproven ? " (preview)" : ""}: ${access.checks.length + (unproven?.length ?? 0)} checks, ${asExpected} as expected` +
        (failed ? `, ${failed} FAILED` : "") +
        (access.unknownWorld
            ? `, ${access.checks.filter((c) => c.ok && unprovenNames.has(c.name)).length} NOT PROVEN ` +
              `(with ${access.unknownWorld.limits.length} limit checks: they depend on ${access.unknownWorld.resources.length} ` +
              `existing resources unknown without a world snapshot)`
            : "") +
        (unproven?.length
            ? `, ${unproven.length} not proven in preview (they use values unknown until the first \`pulumi up\`)`
            : "") +
        (kept ? `; ${kept} kept from statements not managed here` : "") +
        (access.notProven.length ? `; ${access.notProven.length} grant(s) not proven (stacks not planned)` : "")
    );
}

/** One line per warning, e.g. a role that an external account may assume. */
export const warningLines = (access: AccessMatrix) => (access.warnings ?? []).map((w) => `warning: ${w}`);

/** The first line of every text form: the project, its stacks and what the plan is (and is not). */
export const planHeading = (plan: Report["plan"]) =>
    `secretshare ${plan.preview ? "preview plan" : "plan"} of project ${plan.project}: ${plan.stacks.map((s) => s.name).join(", ")} ` +
    `(offline: Pulumi mock runtime, no AWS, no Pulumi engine` +
    (plan.preview ? `; as a first \`pulumi preview\` sees each stack)` : ")");

export function toText(report: Report): string {
    const { plan, access, analysis } = report;
    const out: string[] = [];
    out.push(planHeading(plan));
    const snapshot = worldNote(plan);
    if (snapshot) out.push(`note: ${snapshot}`);
    for (const s of plan.stacks) {
        out.push("", rule(`stack ${s.name} (${modeOf(s)})`));
        for (const note of [placeholderNote(s), previewNote(plan, s)]) if (note) out.push(`note: ${note}`);
        out.push(
            "",
            table(
                ["TYPE", "NAME", "ACCOUNT", "REGION", "ORIGIN", ...(plan.preview ? ["ID"] : [])],
                s.resources.map((r) => [
                    r.type,
                    r.name,
                    r.provider?.accountId ?? "-",
                    r.provider?.region ?? "-",
                    originOf(s, r),
                    ...(plan.preview ? [idOf(r)] : []),
                ]),
            ),
        );
        const watched = watchLines(s);
        if (watched.length) out.push("", ...watched);
        const keys = keyLines(s);
        if (keys.length) out.push("", ...keys);
        out.push("", "exports:");
        for (const [k, v] of Object.entries(s.outputs)) out.push(`  ${k}: ${JSON.stringify(v)}`);
        for (const d of documentsOf(s)) out.push("", `${d.title}:`, indent(pretty(d.policy), "  "));
    }
    if (analysis)
        out.push("", rule("who can read (every principal the documents let in)"), ...whoCanReadText(analysis, table));
    out.push("", rule("access matrix (@cloud-copilot/iam-simulate)"), "");
    // A preview may prove none of them: then only the lines that say why.
    if (access.checks.length || !access.notProvenInPreview) {
        out.push(
            table(
                ["OK", "SECRET", "PRINCIPAL", "ACTION", "CONTEXT", "EXPECTED", "DECISION"],
                access.checks.map((c) => accessRow(c, unprovenChecks(access))),
            ),
        );
    }
    for (const n of access.notProven) out.push(`not proven: ${n.secret} for ${n.reader}: ${n.reason}`);
    out.push(...notProvenInPreviewLines(access.notProvenInPreview ?? []));
    if (access.unknownWorld) out.push("", ...unknownWorldLines(access.unknownWorld, plan.dir));
    const warned = warningLines(access);
    if (warned.length) out.push("", ...warned);
    const failed = failures(access);
    if (failed.length) out.push("", ...failed);
    out.push("", summary(access));
    return out.join("\n") + "\n";
}

export const rule = (title: string) => `== ${title} ${"=".repeat(Math.max(3, 96 - title.length))}`;

const indent = (text: string, by: string) =>
    text
        .split("\n")
        .map((l) => by + l)
        .join("\n");

// ---------------------------------------------------------------------------------------------
// Markdown.

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
function mdTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
    return [
        `| ${header.map(cell).join(" | ")} |`,
        `| ${header.map(() => "---").join(" | ")} |`,
        ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    ].join("\n");
}
const code = (s: string) => (s ? `\`${s.replace(/`/g, "'")}\`` : "");

/** Above this many checks, the Markdown form lists only the failing ones. */
export const MARKDOWN_ROWS = 300;

export function toMarkdown(report: Report): string {
    const { plan, access, analysis } = report;
    const ok = isOk(access, analysis);
    const out: string[] = [];
    const mark = !ok ? "❌" : isProven(access) ? "✅" : "❔";
    out.push(`## secretshare ${plan.preview ? "preview plan" : "plan"}: ${mark} ${summary(access)}`, "");
    out.push(
        `Project \`${plan.project}\`, stacks ${plan.stacks.map((s) => `\`${s.name}\``).join(", ")}. ` +
            "Planned offline under Pulumi's mock runtime" +
            (plan.preview ? ", each stack as its first `pulumi preview` sees it" : "") +
            "; access simulated with `@cloud-copilot/iam-simulate`" +
            (worldNote(plan) ? `; ${worldNote(plan)}.` : "."),
    );
    const failed = failures(access);
    if (failed.length) out.push("", "### Failures", "", ...failed.map((f) => `- ${f}`));
    const warned = warningLines(access);
    if (warned.length) out.push("", ...warned.map((w) => `> **Warning:** ${w.slice("warning: ".length)}`));
    out.push("", "### Access matrix", "");
    // A PR comment holds 65,536 characters: past a few hundred rows, the failures (above) and
    // a count per secret; the whole matrix stays in --json and the text form.
    const rows = access.checks.length <= MARKDOWN_ROWS ? access.checks : access.checks.filter((c) => !c.ok);
    if (rows.length < access.checks.length) {
        const bySecret = new Map<string, { checks: number; ok: number }>();
        for (const c of access.checks) {
            const n = bySecret.get(c.secret) ?? { checks: 0, ok: 0 };
            bySecret.set(c.secret, { checks: n.checks + 1, ok: n.ok + (c.ok ? 1 : 0) });
        }
        out.push(
            `${access.checks.length} checks: the failing ones below, and a count per secret ` +
                "(the whole matrix: `npm start -- --json`).",
            "",
            mdTable(
                ["secret", "checks", "as expected"],
                [...bySecret].map(([secret, n]) => [secret, String(n.checks), String(n.ok)]),
            ),
            "",
        );
    }
    if (rows.length) {
        out.push(
            mdTable(
                ["", "secret", "principal", "action", "context", "expected", "decision"],
                rows.map((c) => {
                    const [mark, ...rest] = accessRow(c, unprovenChecks(access));
                    return [
                        mark === "ok" ? "✅" : mark === "FAIL" ? "❌" : "❔",
                        rest[0],
                        rest[1],
                        code(rest[2]),
                        code(rest[3]),
                        rest[4],
                        rest[5],
                    ];
                }),
            ),
        );
    }
    for (const n of access.notProven) out.push("", `> not proven: ${n.secret} for ${n.reader}: ${n.reason}`);
    if (analysis) out.push(...whoCanReadMarkdown(analysis, mdTable));
    for (const line of notProvenInPreviewLines(access.notProvenInPreview ?? [])) out.push("", `> ${line}`);
    if (access.unknownWorld) {
        // One quoted block; the commands keep their line (two trailing spaces: a Markdown line break).
        out.push("", ...unknownWorldLines(access.unknownWorld, plan.dir).map((l) => `> ${l}  `));
    }
    for (const s of plan.stacks) {
        out.push("", `### Stack \`${s.name}\` (${modeOf(s)})`, "");
        for (const note of [placeholderNote(s), previewNote(plan, s)]) if (note) out.push(`> **Note:** ${note}`, "");
        out.push(
            mdTable(
                ["type", "name", "account", "region", "origin", ...(plan.preview ? ["id"] : [])],
                s.resources.map((r) => [
                    code(r.type),
                    code(r.name),
                    r.provider?.accountId ?? "",
                    r.provider?.region ?? "",
                    originOf(s, r),
                    ...(plan.preview ? [code(idOf(r))] : []),
                ]),
            ),
        );
        const watched = watchLines(s);
        if (watched.length) out.push("", ...watched.map((l) => `> ${l}`));
        out.push("", "<details><summary>exports</summary>", "", "```json", pretty(s.outputs), "```", "", "</details>");
        for (const d of documentsOf(s)) {
            out.push(
                "",
                `<details><summary>${d.title}</summary>`,
                "",
                "```json",
                pretty(d.policy),
                "```",
                "",
                "</details>",
            );
        }
    }
    return out.join("\n") + "\n";
}

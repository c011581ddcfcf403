import { keyLines } from "./keyLines";
import type { CheckResult } from "./proof";
import { analysisFailures, summaryLine } from "./analysis/report";
import { notProvenInPreviewLines, previewNote } from "./previewReport";
import { unknownWorldLines } from "./world/unproven";
import {
    planHeading,
    accessRow,
    failures,
    modeOf,
    originOf,
    placeholderNote,
    rule,
    worldNote,
    watchLines,
    summary,
    table,
    warningLines,
    type Report,
} from "./report";

/**
 * The plan's default text: what a person reads after a change. Per stack its resources counted by
 * type and origin, per secret who reads it (and each reader role, who assumes it), the warnings,
 * every failing check in full, and the count of checks. The documents, the exports and the whole
 * access matrix are in `--verbose` (report.ts: toText).
 */

const READ = new Set(["secretsmanager:GetSecretValue", "sts:AssumeRole"]);

/** "<who> (<stage or context>)" for each allowed read, by secret (or reader role), in check order. */
function readersBySecret(checks: readonly CheckResult[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const c of checks) {
        if (!READ.has(c.action) || c.decision !== "Allowed") continue;
        const stage = c.context["secretsmanager:VersionStage"];
        const how =
            c.action === "sts:AssumeRole" ? "AssumeRole" : stage === undefined ? "no stage" : [stage].flat().join("|");
        const line = `${c.who} (${how}${c.expected === "Kept" ? ", kept statement" : ""})`;
        const list = out.get(c.secret) ?? [];
        if (!list.includes(line)) list.push(line);
        out.set(c.secret, list);
    }
    return out;
}

export function toSummaryText(report: Report): string {
    const { plan, access, analysis } = report;
    const out: string[] = [];
    out.push(
        planHeading(plan),
        "summary: every resource, export, policy document and check with `npm start -- --verbose`",
    );
    const snapshot = worldNote(plan);
    if (snapshot) out.push(`note: ${snapshot}`);
    for (const s of plan.stacks) {
        out.push("", rule(`stack ${s.name} (${modeOf(s)})`));
        for (const note of [placeholderNote(s), previewNote(plan, s)]) if (note) out.push(`note: ${note}`);
        const counts = new Map<string, number>();
        for (const r of s.resources) {
            const key = `${r.type}\u0000${originOf(s, r)}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
        }
        out.push(
            "",
            table(
                ["TYPE", "ORIGIN", "COUNT"],
                [...counts].map(([key, n]) => [...key.split("\u0000"), String(n)]),
            ),
        );
        const watched = watchLines(s);
        if (watched.length) out.push("", ...watched);
        const keys = keyLines(s);
        if (keys.length) out.push("", ...keys);
    }
    out.push("", rule("who can read what (@cloud-copilot/iam-simulate)"), "");
    const readers = readersBySecret(access.checks);
    if (!readers.size) out.push("nobody: no check allows a read");
    for (const [secret, who] of readers) out.push(`${secret}: ${who.join(", ")}`);
    for (const n of access.notProven) out.push(`not proven: ${n.secret} for ${n.reader}: ${n.reason}`);
    out.push(...notProvenInPreviewLines(access.notProvenInPreview ?? []));
    // Who reads what above is decided on stand-ins for these: none of it is proven.
    if (access.unknownWorld) out.push("", ...unknownWorldLines(access.unknownWorld, plan.dir));
    const warned = warningLines(access);
    if (warned.length) out.push("", ...warned);
    const failing = access.checks.filter((c) => !c.ok);
    if (failing.length) {
        out.push(
            "",
            table(
                ["OK", "SECRET", "PRINCIPAL", "ACTION", "CONTEXT", "EXPECTED", "DECISION"],
                failing.map((c) => accessRow(c)),
            ),
            "",
            ...failures(access),
        );
    }
    // The exhaustive analysis (plan/analysis/): its failures and summary line; its tables with --verbose.
    if (analysis) {
        const failed = analysisFailures(analysis);
        out.push(
            "",
            ...failed.map((f) => `failed (who can read): ${f}`),
            ...(failed.length ? [""] : []),
            summaryLine(analysis),
        );
    }
    out.push("", summary(access));
    return out.join("\n") + "\n";
}

import { table } from "../reportCommon";
import { isEmpty, type AccessChange, type DocumentChange, type PlanDiff, type StatementChange } from "./diff";
import { mermaid, type Picture } from "./mermaid";

/**
 * The access diff's text and Markdown forms (its `--json` form is the PlanDiff itself). The
 * Markdown form fits a pull request comment: GitHub refuses a comment over 65,536 characters,
 * so past `maxChars` it lists fewer rows and says how many it left out; the full report goes to
 * the job summary (`--full-report`).
 * https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
 */

export const COMMENT_LIMIT = 65_536;
/** Room under the limit for what the workflow adds around the report (its marker, a heading). */
export const DEFAULT_MAX_CHARS = 60_000;

const short = (a: string) => a.replace(/^secretsmanager:/, "");

function headline(d: PlanDiff): string {
    const s = d.summary;
    return (
        `${s.gained} gained, ${s.lost} lost; ${s.documents} document(s) changed (${s.statements} statement(s)); ` +
        `${s.resources} resource change(s); ${s.risks} risk flag(s)`
    );
}

/** A statement's leaves as "<path> = <value>" (an array's elements each under the array's path). */
function leaves(value: unknown, at: string): string[] {
    if (Array.isArray(value)) return value.flatMap((v) => leaves(v, at));
    if (value && typeof value === "object") {
        return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => leaves(v, at ? `${at}.${k}` : k));
    }
    return [`${at} = ${String(value)}`];
}

/** What a changed statement gains and loses, leaf by leaf: "+ Condition.ArnEquals.aws:PrincipalArn = arn:...". */
export function statementDelta(s: StatementChange): string[] {
    const [a, b] = [new Set(leaves(s.before ?? {}, "")), new Set(leaves(s.after ?? {}, ""))];
    return [
        ...[...a].filter((l) => !b.has(l)).map((l) => `- ${l}`),
        ...[...b].filter((l) => !a.has(l)).map((l) => `+ ${l}`),
    ];
}

/** One line per statement change: "+ Sid: Allow kms:Decrypt for <principal>", "~ Sid: Condition changed". */
export function statementLine(s: StatementChange): string {
    const body = s.after ?? s.before ?? {};
    const who = body.Principal ?? body.NotPrincipal;
    const principal = who === undefined ? "the identity it is attached to" : JSON.stringify(who);
    const what = `${String(body.Effect)} ${[body.Action ?? body.NotAction].flat().join(",")} for ${principal}`;
    if (s.change === "changed") return `~ ${s.sid} (${what}): ${(s.fields ?? []).join(", ")} changed`;
    return `${s.change === "added" ? "+" : "-"} ${s.sid}: ${what}`;
}

const accessCells = (c: AccessChange) => [
    c.change === "gained" ? "+" : "-",
    c.secret,
    c.who,
    c.account ?? "-",
    short(c.action),
    c.context || "-",
    c.documents.join("; ") || "-",
];

export function diffText(d: PlanDiff): string {
    const out = [`access diff of ${d.project}: ${d.base.label} -> ${d.head.label}`, headline(d)];
    if (!d.base.ok || !d.head.ok) {
        out.push(
            `note: a plan has failing checks (base ${d.base.ok ? "ok" : "FAILED"}, head ${d.head.ok ? "ok" : "FAILED"})`,
        );
    }
    if (isEmpty(d)) return [...out, "", "no change in access, documents or resources"].join("\n") + "\n";
    if (d.risks.length) out.push("", ...d.risks.map((r) => `risk (${r.kind}): ${r.message}`));
    if (d.access.length) {
        out.push(
            "",
            "== who gains, who loses ==",
            "",
            table(["", "SECRET", "PRINCIPAL", "ACCOUNT", "ACTION", "CONTEXT", "CHANGED BY"], d.access.map(accessCells)),
        );
    }
    if (d.documents.length) {
        out.push("", "== documents ==");
        for (const doc of d.documents) {
            out.push("", `${doc.title} [${doc.change}] (stack ${doc.stack}, account ${doc.account ?? "-"})`);
            for (const s of doc.statements) {
                out.push(`  ${statementLine(s)}`);
                if (s.change === "changed") out.push(...statementDelta(s).map((l) => `      ${l}`));
            }
        }
    }
    if (d.resources.length) {
        out.push(
            "",
            "== resources ==",
            "",
            table(
                ["CHANGE", "STACK", "TYPE", "NAME", "ACCOUNT", "WHAT IT DOES"],
                d.resources.map((r) => [r.change, r.stack, r.type, r.name, r.account ?? "-", r.note]),
            ),
        );
    }
    return out.join("\n") + "\n";
}

const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const mdTable = (header: readonly string[], rows: readonly (readonly string[])[]) =>
    [
        `| ${header.join(" | ")} |`,
        `| ${header.map(() => "---").join(" | ")} |`,
        ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    ].join("\n");
const code = (s: string) => (s && s !== "-" ? `\`${s.replace(/`/g, "'")}\`` : s);

function documentBlock(doc: DocumentChange, full: boolean): string[] {
    const out = [`- **${doc.title}** (${doc.change}; stack \`${doc.stack}\`, account ${doc.account ?? "-"})`];
    for (const s of doc.statements) {
        out.push(`  - ${code(statementLine(s))}`);
        if (s.change === "changed") out.push(...statementDelta(s).map((l) => `    - ${code(l)}`));
        else if (full) {
            const body = s.change === "removed" ? s.before : s.after;
            out.push(
                "",
                "    ```json",
                ...JSON.stringify(body, null, 2)
                    .split("\n")
                    .map((l) => `    ${l}`),
                "    ```",
            );
        }
    }
    return out;
}

function render(d: PlanDiff, picture: Picture | undefined, rows: number, full: boolean): string {
    const mark = d.summary.lost || d.summary.gained || d.risks.length ? "🔶" : "✅";
    const out = [`## secretshare access diff: ${mark} ${headline(d)}`, "", `\`${d.base.label}\` → \`${d.head.label}\``];
    if (!d.base.ok || !d.head.ok) {
        out.push(
            "",
            `> **A plan has failing checks**: base ${d.base.ok ? "ok" : "❌"}, head ${d.head.ok ? "ok" : "❌"}.`,
        );
    }
    if (isEmpty(d)) return [...out, "", "No change in access, documents or resources."].join("\n") + "\n";
    if (d.risks.length) out.push("", ...d.risks.map((r) => `> ⚠️ **${r.kind}**: ${r.message}`));
    const left = (n: number) =>
        n > 0 ? ["", `…and ${n} more (the full report is in the job summary: \`--full-report\`).`] : [];
    if (d.access.length) {
        out.push(
            "",
            "### Who gains and who loses",
            "",
            mdTable(
                ["", "secret", "principal", "account", "action", "context", "changed by"],
                d.access.slice(0, rows).map((c) => {
                    const [sign, ...rest] = accessCells(c);
                    return [
                        sign === "+" ? "🟢 gained" : "🔴 lost",
                        rest[0],
                        rest[1],
                        rest[2],
                        code(rest[3]),
                        code(rest[4]),
                        rest[5],
                    ];
                }),
            ),
            ...left(d.access.length - rows),
        );
    }
    if (picture) out.push("", "```mermaid", mermaid(picture, full ? 400 : 60), "```");
    if (d.documents.length) {
        const docs = d.documents.slice(0, rows);
        out.push("", "<details><summary>Policy statements changed</summary>", "");
        for (const doc of docs) out.push(...documentBlock(doc, full));
        out.push(...left(d.documents.length - docs.length), "", "</details>");
    }
    if (d.resources.length) {
        out.push(
            "",
            "### Resources",
            "",
            mdTable(
                ["change", "stack", "type", "name", "account", "what it does"],
                d.resources
                    .slice(0, rows)
                    .map((r) => [r.change, code(r.stack), code(r.type), code(r.name), r.account ?? "-", r.note]),
            ),
            ...left(d.resources.length - rows),
        );
    }
    return out.join("\n") + "\n";
}

/** The Markdown form; `maxChars` 0: everything (a job summary), otherwise at most that many characters. */
export function diffMarkdown(d: PlanDiff, picture?: Picture, maxChars = DEFAULT_MAX_CHARS): string {
    const all = Math.max(d.access.length, d.documents.length, d.resources.length);
    if (!maxChars) return render(d, picture, all, true);
    let text = render(d, picture, all, true);
    for (let rows = all; text.length > maxChars && rows > 0; rows = Math.floor(rows / 2)) {
        text = render(d, picture, rows, false);
    }
    if (text.length > maxChars) text = render(d, undefined, 0, false);
    return text;
}

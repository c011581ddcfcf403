import type { Analysis } from "./confirm";
import type { Entry, Subject } from "./whoCanRead";

/**
 * The "who can read" section of the plan's report, in its three forms: for each secret, who can
 * `GetSecretValue` it (by stage) and decrypt it through Secrets Manager; for each reader role
 * created here, who can assume it; as what (configured reader, the owner account's principals,
 * kept from others, or UNINTENDED) and because of which statement.
 */

/** Every analysis failure: a principal outside intent, a reader that cannot read, a disagreement of the engines. */
export function analysisFailures(a: Analysis | undefined): string[] {
    if (!a) return [];
    return [
        ...[...a.secrets, ...a.roles].flatMap((s) => s.failures.map((f) => `${s.name}: ${f.text}`)),
        ...a.agreement.disagreements.map((d) => `the two engines disagree: ${d}`),
    ];
}

export const analysisOk = (a: Analysis | undefined) => analysisFailures(a).length === 0;

const AS: Record<Entry["as"], string> = {
    reader: "configured reader",
    owner: "owner account (administrators)",
    kept: "kept, not managed here",
    assumedBy: "assumedBy",
    unintended: "UNINTENDED",
};

const ACTION: Record<string, string> = {
    "secretsmanager:GetSecretValue": "GetSecretValue",
    "kms:Decrypt": "kms:Decrypt via Secrets Manager",
    "sts:AssumeRole": "sts:AssumeRole",
};

/** One row per entry: action, who, values, as, because. */
export function rows(s: Subject): string[][] {
    return s.actions.flatMap((a) =>
        a.entries.map((e) => [
            ACTION[a.action] ?? a.action,
            e.who + (e.ownPolicies && e.as !== "reader" ? " (if its own IAM policies allow)" : ""),
            e.values ?? "",
            AS[e.as] + (e.conditions.length ? `, when ${e.conditions.join("; ")}` : ""),
            e.via.sid ? `${e.via.sid} (${e.via.document})` : e.via.document,
        ]),
    );
}

export const HEADER = ["ACTION", "WHO", "VALUES", "AS", "BECAUSE"];

function lines(s: Subject): string[] {
    return [
        ...s.notProven.map((n) => `not proven: ${n}`),
        ...s.notes.map((n) => `note: ${n} is not subtracted: the sets above may be larger than AWS allows`),
    ];
}

export function summaryLine(a: Analysis): string {
    const failed = analysisFailures(a).length;
    const notProven = [...a.secrets, ...a.roles].reduce((n, s) => n + s.notProven.length, 0);
    const { simulated, reused, crossChecked } = a.agreement;
    return (
        `who can read: ${a.secrets.length} secrets, ${a.roles.length} reader roles` +
        (failed ? `, ${failed} FAILED` : notProven ? "" : ", every set as intended") +
        (notProven ? `; ${notProven} not proven` : "") +
        `; confirmed by the simulator: ${simulated + reused} principals (${reused} from the access matrix), ${crossChecked} matrix checks decided alike`
    );
}

/** The text section (without its rule line): a table per secret and role. */
export function whoCanReadText(
    a: Analysis,
    table: (h: readonly string[], r: readonly (readonly string[])[]) => string,
): string[] {
    const out: string[] = [];
    for (const s of [...a.secrets, ...a.roles]) {
        out.push(
            "",
            `${s.name}${s.reads ? ` (reads ${s.reads.join(", ")})` : ""}:`,
            table(HEADER, rows(s)),
            ...lines(s),
        );
    }
    const failed = analysisFailures(a);
    if (failed.length) out.push("", ...failed.map((f) => `failed (who can read): ${f}`));
    out.push("", summaryLine(a));
    return out;
}

/** The Markdown section. */
export function whoCanReadMarkdown(
    a: Analysis,
    mdTable: (h: readonly string[], r: readonly (readonly string[])[]) => string,
): string[] {
    const out: string[] = ["", "### Who can read", "", summaryLine(a)];
    const failed = analysisFailures(a);
    if (failed.length) out.push("", ...failed.map((f) => `- ❌ ${f}`));
    // A PR comment has room for the failures and a few secrets: past that, the JSON has them all.
    const subjects = [...a.secrets, ...a.roles];
    const shown = subjects.length <= 20 ? subjects : subjects.filter((s) => s.failures.length || s.notProven.length);
    for (const s of shown) {
        out.push(
            "",
            `**${s.name}**${s.reads ? ` (reads ${s.reads.join(", ")})` : ""}`,
            "",
            mdTable(
                HEADER.map((h) => h.toLowerCase()),
                rows(s),
            ),
        );
        for (const l of lines(s)) out.push("", `> ${l}`);
    }
    if (shown.length < subjects.length)
        out.push("", `${subjects.length - shown.length} more, each as intended: \`npm start -- --json\`.`);
    return out;
}

/** The `--json` field `whoCanRead` (stable fields: docs/plan.md). */
export function whoCanReadJson(a: Analysis): unknown {
    const subject = (s: Subject) => ({
        name: s.name,
        arn: s.arn,
        ...(s.reads && { reads: s.reads }),
        actions: s.actions.map((x) => ({
            action: x.action,
            resource: x.resource,
            entries: x.entries.map((e) => ({
                who: e.who,
                ...(e.values !== undefined && { values: e.values }),
                as: e.as,
                document: e.via.document,
                sid: e.via.sid ?? null,
                ownPolicies: e.ownPolicies,
                conditions: e.conditions,
                instance: e.instance ?? null,
            })),
        })),
        failures: s.failures.map((f) => ({
            text: f.text,
            action: f.action,
            resource: f.resource,
            instance: f.point ?? null,
        })),
        notProven: s.notProven,
        notes: s.notes,
    });
    return {
        ok: analysisOk(a),
        secrets: a.secrets.map(subject),
        roles: a.roles.map(subject),
        agreement: a.agreement,
    };
}

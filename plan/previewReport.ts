import type { RegisteredResource } from "./mocks";
import type { Plan, PlannedStack } from "./plan";
import type { NotProvenInPreview } from "./proof";
import { UNKNOWN } from "./runtime";

/** What the report adds for a preview plan (`npm start -- --preview`); see plan/report.ts. */

/** In a preview plan, where a consumer's owner exports come from. */
export function previewNote(plan: Plan, stack: PlannedStack): string | undefined {
    if (!plan.preview || !stack.reference) return undefined;
    const owners = (stack.references ?? [stack.reference]).map((r) => r.stack);
    const many = owners.length > 1;
    return (
        `previewed against the exports of ${owners.join(", ")} as ${many ? "their" : "its"} first \`pulumi up\` leaves them ` +
        `(a StackReference needs its owner${many ? "s" : ""} deployed); what ${many ? "their" : `${owners[0]}'s`} first preview ` +
        `does not know is ${UNKNOWN}`
    );
}

/** The resource's ID as the preview knows it: "-" for a component, the stack or a provider. */
export const idOf = (r: RegisteredResource) => (r.custom && !r.type.startsWith("pulumi:") ? r.id : "-");

/** Checks not proven in preview, one line per secret (or role): how many, and what they wait for. */
export function notProvenInPreviewLines(unproven: readonly NotProvenInPreview[]): string[] {
    const bySecret = new Map<string, { checks: number; unknown: Set<string> }>();
    for (const u of unproven) {
        const n = bySecret.get(u.secret) ?? { checks: 0, unknown: new Set<string>() };
        n.checks++;
        u.unknown.forEach((x) => n.unknown.add(x));
        bySecret.set(u.secret, n);
    }
    return [...bySecret].map(([secret, n]) => {
        const what = [...n.unknown].sort();
        const shown = what.length > 4 ? [...what.slice(0, 4), `${what.length - 4} more`] : what;
        return (
            `not proven in preview: ${n.checks} check${n.checks > 1 ? "s" : ""} of ${secret}: ` +
            `${n.checks > 1 ? "they use" : "it uses"} ${shown.join(", ")}, unknown until the first \`pulumi up\``
        );
    });
}

import type { Plan, PlannedStack } from "./plan";
import { isFormedPlaceholder, SECURE_PLACEHOLDER } from "./stackFiles";

/** The report's notes on what the plan could not see: secure config values, and where existing resources come from. */

export function placeholderNote(stack: PlannedStack): string | undefined {
    const plain = stack.placeholders.filter((p) => !isFormedPlaceholder(p));
    const formed = stack.placeholders.filter(isFormedPlaceholder);
    const notes = [
        ...(plain.length
            ? [
                  `secure config ${plain.join(", ")} cannot be decrypted offline: ` +
                      `planned with the placeholder "${SECURE_PLACEHOLDER}"`,
              ]
            : []),
        // The stand-ins are not printed: a reader might take one for the address configured.
        ...(formed.length
            ? [
                  `secure config ${formed.join(", ")} cannot be decrypted offline: accepted, and planned with a stand-in ` +
                      `address of the expected form (not shown); its own form is checked when Pulumi decrypts it (pulumi preview)`,
              ]
            : []),
    ];
    return notes.length ? notes.join("\nnote: ") : undefined;
}

/** Which world snapshot the existing resources come from, if any. */
export function worldNote(plan: Plan): string | undefined {
    const w = plan.world;
    if (!w?.file) return undefined;
    const at = w.snapshot?.recorded?.at;
    return `existing resources as the world snapshot ${w.file} recorded them${at ? ` (${at})` : ""}`;
}

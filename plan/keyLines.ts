import { LIMITS } from "../aws/limits";
import type { PlannedStack } from "./plan";

/**
 * What the stack's customer managed KMS keys cost and how full their key policies are: each key
 * is 1 USD a month (prorated hourly; rotation adds no charge from the third rotation on, and the
 * request charges come on top). https://aws.amazon.com/kms/pricing/
 */
export const KEY_MONTHLY_USD = 1;

interface KeyRow {
    readonly name: string;
    readonly bytes: number;
}

/** The keys a stack creates (or adopts, or writes a policy on), with their policy's size. */
export function keysOf(stack: PlannedStack): KeyRow[] {
    return stack.resources
        .filter((r) => r.type === "aws:kms/key:Key" || r.type === "aws:kms/keyPolicy:KeyPolicy")
        .map((r) => ({
            name: r.name,
            bytes: typeof r.inputs.policy === "string" ? Buffer.byteLength(r.inputs.policy, "utf8") : 0,
        }));
}

/** "keys: 3 customer managed (3 USD a month); key policies 97%, 96%, 41% full (largest share-key 31,790 of 32,768 bytes)" */
export function keyLines(stack: PlannedStack): string[] {
    const keys = keysOf(stack).filter((k) => !k.name.endsWith("-key-policy") || k.bytes > 0);
    const created = stack.resources.filter((r) => r.type === "aws:kms/key:Key").length;
    if (!keys.length) return [];
    const pct = (b: number) => `${Math.round((100 * b) / LIMITS.keyPolicy.size)}%`;
    const largest = [...keys].sort((a, b) => b.bytes - a.bytes)[0];
    const fills = keys.map((k) => pct(k.bytes));
    const shown = fills.length > 12 ? [...fills.slice(0, 12), `... (${fills.length - 12} more)`] : fills;
    return [
        `keys: ${created} customer managed key${created === 1 ? "" : "s"} in the stack (${created * KEY_MONTHLY_USD} USD a month); ` +
            `key policies ${shown.join(", ")} full (largest ${largest.name} ${largest.bytes.toLocaleString("en-US")} of ` +
            `${LIMITS.keyPolicy.size.toLocaleString("en-US")} bytes)`,
    ];
}

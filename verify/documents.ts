import type { Deps } from "./deps";
import type { Outputs } from "./outputs";
import type { Target } from "./targets";

/** The documents the program writes for the secrets verify checks. */
export interface ProgramDocuments {
    readonly secretPolicies: Record<string, unknown>;
    readonly keyPolicies: readonly { id: string; secrets: readonly string[]; policy: unknown }[];
    readonly identities: readonly { reader: string; policy: unknown }[];
}

/**
 * The documents the program writes, from the owner stack's committed config and the outputs:
 * the same pure functions (policies/layout.ts, policies/documents.ts) the components use.
 * Loaded lazily: they pull in @pulumi/pulumi, which the consumer's checks do not need.
 */
export async function programDocuments(
    deps: Pick<Deps, "root">,
    ownerStack: string,
    targets: readonly Target[],
    outputs: Outputs | undefined,
): Promise<ProgramDocuments> {
    const { readStackFile } = await import("../plan/stackFiles");
    const { parseConfig } = await import("../config");
    const { ownerLayout } = await import("../policies/layout");
    const { identityPolicy } = await import("../policies/documents");
    const file = readStackFile(deps.root, ownerStack);
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(file.config))
        if (k.startsWith("secretshare:")) raw[k.slice("secretshare:".length)] = v;
    const config = parseConfig(ownerStack, raw);
    if (config.mode === "consumer")
        throw new Error(`stack ${ownerStack} is a consumer stack; pass the owner stack with --owner-stack`);
    const layout = ownerLayout(config.owner, outputs?.keyIds);
    const names = new Set(targets.map((t) => t.name));
    const identities: { reader: string; policy: unknown }[] = [];
    for (const account of Object.values(layout.grants)) {
        for (const r of account.readers) {
            const mine = r.secrets.filter((s) => names.has(s));
            if (mine.length === 0) continue;
            const grants = mine.map((s) => ({
                secretArn: targets.find((t) => t.name === s)?.secretArn ?? "",
                keyArn: targets.find((t) => t.name === s)?.keyArn ?? outputs?.keyArns[s] ?? "",
            }));
            if (grants.some((g) => !g.keyArn)) continue;
            identities.push({ reader: r.arn, policy: identityPolicy({ region: config.owner.account.region, grants }) });
        }
    }
    return {
        secretPolicies: layout.secretPolicies,
        keyPolicies: layout.keys.filter((k) => k.secrets.some((s) => names.has(s))),
        identities,
    };
}

/** JSON with object keys sorted and one-element lists as their element: how IAM compares. */
export function canonical(v: unknown): unknown {
    if (Array.isArray(v)) {
        const items = v.map(canonical);
        if (items.length === 1) return items[0];
        return items.every((i) => typeof i === "string") ? [...items].sort() : items;
    }
    if (!!v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        return Object.fromEntries(
            Object.keys(o)
                .sort()
                .map((k) => [k, canonical(o[k])]),
        );
    }
    return v;
}

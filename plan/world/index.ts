import * as fs from "fs";
import * as path from "path";
import type { StackConfig } from "../../config/types";
import type { ExistingWorld } from "../existingWorld";
import { namedExisting } from "./named";
import { readWorld, type WorldSnapshot } from "./schema";
import { standInWorld, type UnknownResource } from "./standIn";
import { checkRecorded, quotasOf, worldOf } from "./world";

/**
 * The world the offline plan runs in: a snapshot (`--world FILE`, or `world.json` next to the
 * stack files), or, without one, stand-ins for the existing resources the config names, each
 * listed as unknown so that what depends on it is reported as not proven (docs/existing.md).
 */

export { WORLD_FORMAT, WORLD_VERSION, parseWorld, readWorld, serializeWorld, type WorldSnapshot } from "./schema";
export type { UnknownResource } from "./standIn";

/** The snapshot file the plan uses without `--world`, when it sits next to the stack files. */
export const WORLD_FILE = "world.json";

/** What the plan says about the world it planned in. */
export interface PlanWorld {
    /** The snapshot file planned against, if any. */
    readonly file?: string;
    readonly snapshot?: WorldSnapshot;
    /** Existing resources planned with stand-ins (no snapshot): everything that depends on them is not proven. */
    readonly unknown: readonly UnknownResource[];
}

export interface ResolvedWorld {
    readonly world: ExistingWorld;
    readonly plan: PlanWorld;
    /** The attached-policies quota a snapshot recorded for an account, for the preflight. */
    readonly attachedPolicies: (accountId: string, kind: "user" | "role") => number | undefined;
}

export function planWorld(
    dir: string,
    file: string | undefined,
    stacks: readonly { readonly name: string; readonly config?: StackConfig }[],
): ResolvedWorld {
    const named = namedExisting(stacks);
    const beside = path.join(dir, WORLD_FILE);
    const chosen = file ?? (fs.existsSync(beside) ? beside : undefined);
    if (chosen === undefined) {
        const { world, unknown } = standInWorld(named);
        return { world, plan: { unknown }, attachedPolicies: () => undefined };
    }
    const snapshot = readWorld(chosen);
    checkRecorded(snapshot, chosen, named);
    return {
        world: worldOf(snapshot),
        plan: { file: chosen, snapshot, unknown: [] },
        attachedPolicies: (accountId, kind) => {
            const q = quotasOf(snapshot, accountId);
            return kind === "user" ? q?.attachedPoliciesPerUserQuota : q?.attachedPoliciesPerRoleQuota;
        },
    };
}

import * as fs from "fs";
import { parseConfig } from "../../config/parse";
import { NAMESPACE } from "../../config/problems";
import type { Plan } from "../plan";
import { readStackFile } from "../stackFiles";
import type { OwnerIntent } from "./checks";

/**
 * What the checks expect that the exports do not say: the owner's config, read from its stack
 * file with the program's own parser (so its defaults too). Only `acceptDefaultStage` today:
 * whether a read that names no version stage must be Allowed. A planned stack whose file cannot
 * be read here (a plan built by hand) has the defaults.
 */
export function ownerIntents(plan: Plan): Map<string, OwnerIntent> {
    const out = new Map<string, OwnerIntent>();
    for (const stack of plan.stacks) {
        if (!fs.existsSync(stack.file)) continue;
        const raw: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(readStackFile(plan.dir, stack.name).config)) {
            if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
        }
        // The program ran with this config: it parses (a stack it refused never gets here).
        const config = parseConfig(stack.name, raw);
        if (config.mode !== "consumer") {
            out.set(stack.name, { acceptDefaultStage: config.owner.secretPolicy.acceptDefaultStage });
        }
    }
    return out;
}

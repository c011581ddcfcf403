import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { currentStackRef } from "./ownerReference";

/** The `keyIds` export: key id by secret name. */
const keyIdsSchema = z.record(z.string(), z.string());

/**
 * Where the last run of this stack placed each secret: its own `keyIds` export, read through a
 * StackReference to the running stack, which yields the outputs of its last update (nothing on
 * the first deploy). The packing keeps those placements (policies/keyPacking.ts), so that adding
 * or removing a secret never moves another to another key. An export of another form (an older
 * version of the program) counts as no previous placement.
 * https://www.pulumi.com/docs/iac/concepts/stacks/#stackreferences
 * https://github.com/pulumi/pulumi/issues/3722
 */
export async function previousKeyIds(): Promise<Record<string, string> | undefined> {
    const self = new pulumi.StackReference("previous-layout", { name: currentStackRef() });
    const details = await self.getOutputDetails("keyIds");
    const parsed = keyIdsSchema.safeParse(details.value ?? details.secretValue);
    return parsed.success ? parsed.data : undefined;
}

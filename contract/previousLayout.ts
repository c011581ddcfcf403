import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { currentStackRef } from "./ownerReference";
import { FIRST_KEY, packedKeyOrdinal } from "../policies/keyPacking";

/** The `keyIds` export: key id by secret name. */
const keyIdsSchema = z.record(z.string(), z.string());
/** The `keyAliases` export (key id to alias) and `secretArns` (secret name to ARN). */
const namesSchema = z.record(z.string(), z.unknown());

/**
 * Where the last run of this stack placed each secret: its own `keyIds` export, read through a
 * StackReference to the running stack, which yields the outputs of its last update (nothing on
 * the first deploy). The packing keeps those placements (policies/keyPacking.ts), so that adding
 * or removing a secret never moves another to another key.
 *
 * Without a usable `keyIds` the other exports decide. A stack whose `keyAliases` name only the
 * first key (a stack of an older version of the program, which kept every secret on one key)
 * had every secret of `secretArns` there; keys named after secrets were one per secret, which
 * the packing leaves on purpose. A stack that exports packed keys but no placements
 * cannot be repacked afresh without moving secrets between keys (each move re-encrypts the
 * secret and changes the key ARN its readers' policies name), so the run stops and says why.
 * https://www.pulumi.com/docs/iac/concepts/stacks/#stackreferences
 * https://github.com/pulumi/pulumi/issues/3722
 */
export async function previousKeyIds(): Promise<Record<string, string> | undefined> {
    const stack = currentStackRef();
    const self = new pulumi.StackReference("previous-layout", { name: stack });
    const read = async (name: string): Promise<unknown> => {
        const details = await self.getOutputDetails(name);
        const value: unknown = details.value ?? details.secretValue;
        return value;
    };
    return placementsFrom(stack, await read("keyIds"), await read("keyAliases"), await read("secretArns"));
}

/** The placements of the last run from its exports (see previousKeyIds); exported for the tests. */
export function placementsFrom(
    stack: string,
    keyIds: unknown,
    keyAliases: unknown,
    secretArns: unknown,
): Record<string, string> | undefined {
    const parsed = keyIdsSchema.safeParse(keyIds);
    if (parsed.success) return parsed.data;
    const aliases = namesSchema.safeParse(keyAliases);
    if (keyIds === undefined && !aliases.success) return undefined;
    const ids = aliases.success ? Object.keys(aliases.data) : [];
    const secrets = namesSchema.safeParse(secretArns);
    if (keyIds === undefined && ids.length === 1 && ids[0] === FIRST_KEY && secrets.success) {
        return Object.fromEntries(Object.keys(secrets.data).map((s) => [s, FIRST_KEY]));
    }
    // Keys of one secret each: leaving perSecret moves every secret on purpose (docs/scale.md).
    if (keyIds === undefined && ids.some((id) => packedKeyOrdinal(id) === undefined)) return undefined;
    throw new pulumi.RunError(
        `stack ${stack} ${keyIds === undefined ? "has no output keyIds" : "exports keyIds of an unexpected form"} ` +
            `but exports the keys ${ids.length ? ids.join(", ") : "(none readable)"}: without the key of each secret, ` +
            "packing afresh could move secrets to other keys (re-encrypting them and changing the key ARN their readers' policies name). " +
            "Put back the stack's last good state (pulumi stack export --version <update> > state.json; pulumi stack import --file state.json), " +
            "or set secretshare:key.perSecret: true to give each secret its own key on purpose.",
    );
}

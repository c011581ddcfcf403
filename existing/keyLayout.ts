import * as kms from "@pulumi/aws/kms";
import type * as pulumi from "@pulumi/pulumi";
import type { OwnerConfig } from "../config/types";
import { invokeReason } from "./invokeError";
import { bounded, READ_TIMEOUT_MS } from "./settle";

/**
 * `secretshare:key.perSecret` decides how many keys a stack creates: one shared key (logical
 * name `share-key`, alias `alias/<alias>`) or one per secret (`share-<secret>-key`, alias
 * `alias/<alias>/<secret>`). Changing it makes the old key(s) leave the stack, and a protected
 * key cannot leave: Pulumi refuses the delete at the end of the update, after the new keys were
 * created and the secrets moved to them, so the update fails halfway and every later one too.
 * https://www.pulumi.com/docs/iac/concepts/options/protect/
 *
 * Config alone cannot tell a change from a stack that always had this setting; AWS can. The
 * alias of the other layout (the shared alias with perSecret, the first secret's alias
 * without) pointing at a key this program created (its description starts with DESCRIPTION)
 * means the stack had the other layout until now. Read only while protection is on, for created
 * keys: kms:ListAliases (the provider's alias data source lists aliases) and kms:DescribeKey.
 */

/** How every key this program creates describes itself (components/secretOwner.ts). */
export const DESCRIPTION = "secretshare: encrypts ";

/**
 * pulumi-aws 7 has no data source that lists aliases, and its alias data source fails when the
 * alias is missing, with the provider's own text on the second line of the engine's error:
 * `reading KMS Alias (alias/x): couldn't find resource` (findAliasByName's NotFoundError; newer
 * versions assert a single result: `empty result`), and `reading KMS Key (...): couldn't find
 * resource` when the alias points at a key pending deletion (findKeyByID); the key data source
 * passes KMS's NotFoundException on. Those, anywhere in the
 * whole message, mean "no such alias"; any other failure is a problem to report.
 * https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/kms/alias_data_source.go
 */
const notFound = (e: unknown) =>
    /reading KMS (Alias|Key) \([^)\n]*\): (couldn't find resource|empty result|[^\n]*NotFoundException)/.test(
        e instanceof Error ? e.message : String(e),
    );
const reason = invokeReason;

/** The refusal when `owner.key.perSecret` changed while protection is on, else undefined. */
export async function keyLayoutProblem(
    owner: OwnerConfig,
    opts: pulumi.InvokeOptions,
    timeoutMs = READ_TIMEOUT_MS,
): Promise<string | undefined> {
    const created = owner.secrets.filter((s) => !s.existing).map((s) => s.name);
    if (owner.key.existing || !owner.protection.protect || created.length === 0) return undefined;
    const other = owner.key.perSecret ? `alias/${owner.key.alias}` : `alias/${owner.key.alias}/${created[0]}`;
    const key = `secretshare:key.perSecret = ${owner.key.perSecret}`;
    let target: string;
    try {
        target = (await bounded(kms.getAlias({ name: other }, opts), `the KMS alias ${other}`, timeoutMs)).targetKeyArn;
    } catch (e) {
        if (notFound(e)) return undefined;
        return `${key}: cannot tell whether this stack used ${owner.key.perSecret ? "one shared key" : "one key per secret"} until now (${reason(e)}); this stack's credentials need kms:ListAliases and kms:DescribeKey, in preview too.`;
    }
    let found: kms.GetKeyResult;
    try {
        found = await bounded(kms.getKey({ keyId: target }, opts), `the key of ${other}`, timeoutMs);
    } catch (e) {
        if (notFound(e)) return undefined;
        return `${key}: cannot read the key of ${other} (${reason(e)}); this stack's credentials need kms:DescribeKey, in preview too.`;
    }
    if (!found.description.startsWith(DESCRIPTION) || found.keyState === "PendingDeletion") return undefined;
    const before = owner.key.perSecret ? "one shared key" : "one key per secret";
    const now = owner.key.perSecret ? "one key per secret" : "one shared key";
    return (
        `${key}: this stack has used ${before} until now (${other} is its key ${found.arn}, which encrypts ${found.description.slice(DESCRIPTION.length)}). ` +
        `Changing to ${now} creates new keys, moves the secrets to them and deletes the old key${owner.key.perSecret ? "" : "s"}; ` +
        `secretshare:protection.protect = true makes Pulumi refuse that delete, so the update would fail halfway. ` +
        `To change it: (1) set secretshare:protection.protect: false and run pulumi up (only the flag changes); ` +
        `(2) change key.perSecret and run pulumi up: the secrets move to the new key(s), and the old key is kept in AWS ` +
        `(protection.retainOnDelete: true) or scheduled for deletion after key.deletionWindowInDays; ` +
        `(3) set protect: true again and run pulumi up. Or keep key.perSecret = ${!owner.key.perSecret}.`
    );
}

import { WorldError } from "../../common/errors";
import type { ExistingWorld } from "../existingWorld";
import {
    describeNamed,
    needsDocuments,
    type Named,
    type NamedIdentity,
    type NamedKey,
    type NamedSecret,
} from "./named";
import type { IamQuotas, WorldIdentity, WorldKey, WorldSecret, WorldSnapshot } from "./schema";

/**
 * A snapshot as the mocks' world (plan/existingWorld.ts): the program's reads of existing keys,
 * secrets and identities are answered from it, as AWS answered the recording calls. It is a
 * closed world: an identity it does not record does not exist, and a resource it records as
 * absent is "not found" as AWS says it. A resource the config needs whose snapshot says nothing
 * (neither recorded nor absent) stops the plan (`unrecorded`), naming it: the snapshot is older
 * than the config.
 */

const fields = (arn: string) => {
    const [, partition, service, region, account, ...rest] = arn.split(":");
    return { partition, service, region, account, resource: rest.join(":") };
};
const secretName = (arn: string) =>
    fields(arn)
        .resource.replace(/^secret:/, "")
        .replace(/-[A-Za-z0-9]{6}$/, "");
const identityName = (arn: string) => arn.slice(arn.lastIndexOf("/") + 1);
const identityKind = (arn: string) => fields(arn).resource.split("/")[0];

export function worldOf(snapshot: WorldSnapshot): ExistingWorld {
    const absentIdentities = snapshot.absent
        .filter((a) => fields(a).service === "iam")
        .map((a) => `${identityKind(a)}/${identityName(a)}`);
    return {
        keys: snapshot.keys.map((k) => ({
            arn: k.arn,
            aliases: k.aliases,
            keyManager: k.keyManager,
            keyState: k.keyState,
            ...(k.deletionDate !== undefined && { deletionDate: k.deletionDate }),
            keyUsage: k.keyUsage,
            keySpec: k.keySpec,
            description: k.description,
            policy: k.policy,
        })),
        secrets: snapshot.secrets.map((s) => ({
            arn: s.arn,
            ...(s.kmsKeyId !== undefined && { kmsKeyId: s.kmsKeyId }),
            description: s.description,
            ...(s.policy !== undefined && { policy: s.policy }),
            tags: s.tags,
        })),
        identities: snapshot.identities.map((i) => i.arn),
        missingIdentities: absentIdentities,
        onlyListedIdentities: true,
        identityTags: Object.fromEntries(snapshot.identities.map((i) => [i.arn, i.tags])),
        identityPolicies: snapshot.identities.map((i) => ({ identity: i.arn, inline: i.inline, attached: i.attached })),
    };
}

/** The recorded key the config's reference names, in its account and Region. */
export function recordedKey(snapshot: WorldSnapshot, n: NamedKey): WorldKey | undefined {
    const alias = n.ref.includes("alias/") ? n.ref.slice(n.ref.indexOf("alias/")) : undefined;
    return snapshot.keys.find((k) => {
        const f = fields(k.arn);
        if (f.account !== n.accountId || f.region !== n.region) return false;
        return alias ? k.aliases.includes(alias) : k.arn === n.ref || f.resource === `key/${n.ref}`;
    });
}

export function recordedSecret(snapshot: WorldSnapshot, n: NamedSecret): WorldSecret | undefined {
    return snapshot.secrets.find((s) => {
        const f = fields(s.arn);
        if (f.account !== n.accountId || f.region !== n.region) return false;
        return n.by === "arn" ? s.arn === n.ref : secretName(s.arn) === n.ref;
    });
}

/** IAM names are unique without regard to case; the path is not part of the lookup. */
export function recordedIdentity(snapshot: WorldSnapshot, n: NamedIdentity): WorldIdentity | undefined {
    return snapshot.identities.find(
        (i) =>
            fields(i.arn).account === n.accountId &&
            identityKind(i.arn) === n.identity &&
            identityName(i.arn).toLowerCase() === n.name.toLowerCase(),
    );
}

/** The ARN form under which a snapshot records that `n` does not exist. */
export function absentArn(n: Named): string {
    if (n.kind === "identity") return `arn:${n.partition}:iam::${n.accountId}:${n.identity}/${n.name}`;
    if (n.kind === "secret") {
        return n.by === "arn" ? n.ref : `arn:${n.partition}:secretsmanager:${n.region}:${n.accountId}:secret:${n.ref}`;
    }
    if (n.ref.startsWith("arn:")) return n.ref;
    return `arn:${n.partition}:kms:${n.region}:${n.accountId}:${n.ref.startsWith("alias/") ? n.ref : `key/${n.ref}`}`;
}

function isAbsent(snapshot: WorldSnapshot, n: Named): boolean {
    const arn = absentArn(n);
    if (n.kind !== "identity") return snapshot.absent.includes(arn);
    return snapshot.absent.some((a) => a.toLowerCase() === arn.toLowerCase());
}

export function isRecorded(snapshot: WorldSnapshot, n: Named): boolean {
    if (isAbsent(snapshot, n)) return true;
    if (n.kind === "key") return recordedKey(snapshot, n) !== undefined;
    if (n.kind === "secret") return recordedSecret(snapshot, n) !== undefined;
    return recordedIdentity(snapshot, n) !== undefined;
}

/**
 * Stops the plan when the snapshot says nothing about a resource whose current documents the plan
 * needs (the key, the secrets, the existing readers), naming each. A created reader it does not
 * record is planned as not existing, as a snapshot records every reader the config named then.
 */
export function checkRecorded(snapshot: WorldSnapshot, file: string, named: readonly Named[]): void {
    const missing = named.filter((n) => needsDocuments(n) && !isRecorded(snapshot, n));
    if (!missing.length) return;
    throw new WorldError(
        `world snapshot ${file} records nothing about ${missing.length === 1 ? "a resource" : `${missing.length} resources`} ` +
            `the config names, so the plan cannot tell what they hold (the snapshot is older than the config?):\n` +
            missing.map((n) => `  - ${describeNamed(n)}`).join("\n") +
            `\nRecord the snapshot again with the owner's and the consumers' credentials: ` +
            `npm run verify -- --snapshot ${file} --dir <project> --owner-profile <name> --consumer-profile <name> (docs/existing.md)`,
    );
}

/** IAM's quotas of an account as recorded, for the preflight. */
export function quotasOf(snapshot: WorldSnapshot | undefined, accountId: string): IamQuotas | undefined {
    return snapshot?.accounts[accountId]?.iam;
}

import * as kms from "@pulumi/aws/kms";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import { ExistingResourceError } from "../common/errors";
import type { OwnerConfig } from "../config/types";
import {
    isSecretsManagerAwsKey,
    resolveExisting,
    type ExistingResources,
    type KeyFacts,
    type SecretFacts,
} from "./resolve";
import type { OwnerLayout } from "../policies/layout";
import { bounded, settle, READ_TIMEOUT_MS } from "./settle";
import { keyLayoutProblem } from "./keyLayout";

/**
 * Reads what already exists in the owner account (an existing key, existing secrets) and
 * decides the documents to write into them, before any resource is registered: a refusal
 * (AWS managed key, unusable key, lock-out, size) stops the run with every reason at once, and
 * the documents are plain values, so the component and the plan write exactly what was checked.
 * Runs at every preview and update, so the merge always starts from the live documents. Every
 * read gives up after `timeoutMs` without an answer, naming what it was reading.
 */

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

/** Why a key or secret was not read: it does not exist, or the read got no answer in time. */
const notRead = (what: string, where: string, e: unknown) =>
    /no answer within/.test(reason(e))
        ? `cannot read this ${what} in ${where} (${reason(e)})`
        : `no such ${what} in ${where} (${reason(e)})`;

/**
 * Undefined when config names nothing existing. `name` prefixes the read resource (the key
 * policy is read with `kms.KeyPolicy.get`: @pulumi/aws 7.48 has no key policy data source).
 * Also refuses, before anything is registered, a change of `key.perSecret` that the engine
 * would fail halfway (existing/keyLayout.ts).
 */
export async function readExisting(
    stack: string,
    name: string,
    owner: OwnerConfig,
    layout: OwnerLayout,
    provider: pulumi.ProviderResource,
    timeoutMs = READ_TIMEOUT_MS,
): Promise<ExistingResources | undefined> {
    const opts: pulumi.InvokeOptions = { provider };
    const layoutProblem = await keyLayoutProblem(owner, opts, timeoutMs);
    if (layoutProblem) throw new ExistingResourceError(stack, [layoutProblem]);
    const existingSecrets = owner.secrets.filter((s) => s.existing);
    if (!owner.key.existing && existingSecrets.length === 0) return undefined;
    const problems: string[] = [];
    const where = `account ${owner.account.accountId}, ${owner.account.region}`;

    const readKey = async (): Promise<KeyFacts | undefined> => {
        const ex = owner.key.existing;
        if (!ex) return undefined;
        let k: kms.GetKeyResult;
        try {
            // DescribeKey takes every form config accepts: key ARN, key ID, alias name, alias ARN.
            k = await bounded(kms.getKey({ keyId: ex.ref }, opts), `the key ${ex.ref}`, timeoutMs);
        } catch (e) {
            problems.push(`secretshare:key.existing = "${ex.ref}": ${notRead("key", where, e)}`);
            return undefined;
        }
        const facts: KeyFacts = {
            ref: ex.ref,
            arn: k.arn,
            keyId: k.id,
            keyManager: k.keyManager,
            keyState: k.keyState,
            keyUsage: k.keyUsage,
            keySpec: k.keySpec,
            description: k.description,
            ...(k.deletionDate && { deletionDate: k.deletionDate }),
        };
        // An AWS managed key, or a key that is not Enabled, is refused by resolveExisting with a
        // message of its own; its policy is not read. The provider's key-policy read treats a key
        // pending deletion as not found, which would hide that message behind a failed read.
        if (k.keyManager !== "CUSTOMER" || k.keyState !== "Enabled") return facts;
        // kms:GetKeyPolicy (and the provider's kms:GetKeyRotationStatus, kms:ListResourceTags).
        const current = kms.KeyPolicy.get(`${name}-key-current`, k.id, undefined, { provider });
        try {
            return { ...facts, policy: await settle(current.policy, `the key policy of ${k.arn}`, timeoutMs) };
        } catch (e) {
            problems.push(
                `secretshare:key.existing = "${ex.ref}": cannot read the key policy of ${k.arn} (${reason(e)})`,
            );
            return undefined;
        }
    };

    const readSecret = async (s: OwnerConfig["secrets"][number], i: number): Promise<[string, SecretFacts]> => {
        const ex = s.existing as NonNullable<typeof s.existing>;
        let r: secretsmanager.GetSecretResult;
        try {
            r = await bounded(
                secretsmanager.getSecret(ex.by === "arn" ? { arn: ex.ref } : { name: ex.ref }, opts),
                `the secret ${ex.ref}`,
                timeoutMs,
            );
        } catch (e) {
            problems.push(`secretshare:secrets[${i}] = ${JSON.stringify(ex.ref)}: ${notRead("secret", where, e)}`);
            return [s.name, undefined as unknown as SecretFacts];
        }
        let kmsKey: SecretFacts["kmsKey"];
        if (!isSecretsManagerAwsKey(r.kmsKeyId)) {
            try {
                const k = await bounded(kms.getKey({ keyId: r.kmsKeyId }, opts), `the key ${r.kmsKeyId}`, timeoutMs);
                kmsKey = { arn: k.arn, keyManager: k.keyManager };
            } catch {
                // Not readable with these credentials: compared by the KmsKeyId as given.
                kmsKey = undefined;
            }
        }
        return [
            s.name,
            {
                name: r.name,
                arn: r.arn,
                kmsKeyId: r.kmsKeyId,
                description: r.description,
                policy: r.policy,
                ...(kmsKey && { kmsKey }),
            },
        ];
    };

    const [key, secretEntries] = await Promise.all([
        readKey(),
        Promise.all(
            owner.secrets.map((s, i) => (s.existing ? readSecret(s, i) : undefined)).filter((p) => p !== undefined),
        ),
    ]);
    if (problems.length) throw new ExistingResourceError(stack, problems);
    const resolved = resolveExisting(owner, layout, {
        ...(key && { key }),
        secrets: Object.fromEntries(secretEntries),
    });
    if (resolved.problems.length) throw new ExistingResourceError(stack, resolved.problems);
    return resolved.resources;
}

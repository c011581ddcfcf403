import { SID_PREFIX, type PolicyDocument } from "../policies/documents";
import { LIMITS, measure, type SizeReport } from "../aws/limits";
import { PolicyReadError } from "../common/errors";
import {
    lockoutMessage,
    isOwnStatement,
    lockedOutAdmins,
    mergeOwnStatements,
    parsePolicy,
    requiredKeyAdmins,
    type LiveDocument,
} from "./merge";

/**
 * Decisions about resources that exist before this program runs (the walk-through's "I already have an
 * existing KMS key and secret"): how config names them, what the program may do with each,
 * and which live facts make sharing impossible. Pure; the reads happen in existing/read.ts.
 */

// Key ID forms: https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const MRK = "mrk-[0-9a-f]{32}";
const KEY_ID = `(?:${UUID}|${MRK})`;
const ALIAS_NAME = "alias/[A-Za-z0-9/_-]{1,250}";
const ARN_HEAD = "arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\\d{12}):";

export type KeyRefForm = "key-arn" | "key-id" | "alias-name" | "alias-arn";

export interface KeyRef {
    readonly form: KeyRefForm;
    /** As config gave it: what DescribeKey is called with. */
    readonly ref: string;
    /** Account and region, when the form says them (ARNs). */
    readonly accountId?: string;
    readonly region?: string;
    /** "alias/<name>" for the alias forms. */
    readonly alias?: string;
}

export const KEY_REF_FORMS =
    "a key ARN (arn:aws:kms:<region>:<account>:key/<key id>), a key ID (1234abcd-12ab-34cd-56ef-1234567890ab or mrk-...), " +
    "an alias name (alias/MyKey) or an alias ARN (arn:aws:kms:<region>:<account>:alias/MyKey)";

/** Reads a key reference; a string of no known form gives a message naming the forms. */
export function parseKeyRef(value: string): KeyRef | { error: string } {
    let m = new RegExp(`^${ARN_HEAD}key/(${KEY_ID})$`).exec(value);
    if (m) return { form: "key-arn", ref: value, region: m[2], accountId: m[3] };
    if (new RegExp(`^${KEY_ID}$`).test(value)) return { form: "key-id", ref: value };
    m = new RegExp(`^${ARN_HEAD}(${ALIAS_NAME})$`).exec(value);
    if (m) return refuseAwsAlias({ form: "alias-arn", ref: value, region: m[2], accountId: m[3], alias: m[4] });
    if (new RegExp(`^${ALIAS_NAME}$`).test(value))
        return refuseAwsAlias({ form: "alias-name", ref: value, alias: value });
    if (/^[A-Za-z0-9_-]{1,250}$/.test(value) && !new RegExp(`^${KEY_ID}$`, "i").test(value)) {
        return { error: `expected ${KEY_REF_FORMS}; an alias name starts with alias/ (alias/${value}?)` };
    }
    if (new RegExp(`^${KEY_ID}$`, "i").test(value)) return { error: "a key ID is lower case: " + value.toLowerCase() };
    if (/^arn:[^:]*:kms:/.test(value) && !/:(key|alias)\//.test(value)) {
        return { error: `expected ${KEY_REF_FORMS}; a KMS ARN names key/<key id> or alias/<name>` };
    }
    return { error: `expected ${KEY_REF_FORMS}` };
}

function refuseAwsAlias(ref: KeyRef): KeyRef | { error: string } {
    if (ref.alias?.startsWith("alias/aws/")) return { error: AWS_MANAGED_KEY_NAMED };
    return ref;
}

const AWS_MANAGED_KEY_NAMED =
    "alias/aws/* names an AWS managed key: its key policy cannot be changed, and a secret encrypted with it " +
    "cannot be read from another account; name a customer managed key";

/**
 * Our statements for a key this program did not create: the reader grants only. The
 * "OwnerAdministers" statement of a created key is left out: an existing key already has its
 * administrators (kept as foreign statements and checked by the lock-out guard), and adding
 * one would grant more than the walk-through's change does.
 */
export function grantsForExistingKey(ours: PolicyDocument): PolicyDocument {
    return { ...ours, Statement: ours.Statement.filter((s) => s.Sid !== `${SID_PREFIX}OwnerAdministers`) };
}

/** The AWS managed key of Secrets Manager, as DescribeSecret may report it. */
export function isSecretsManagerAwsKey(kmsKeyId: string | undefined): boolean {
    if (!kmsKeyId) return true; // no KmsKeyId: the secret uses aws/secretsmanager
    return kmsKeyId === "alias/aws/secretsmanager" || /:alias\/aws\/secretsmanager$/.test(kmsKeyId);
}

/** What the live facts of an existing secret allow. */
export type SecretKeyVerdict =
    { readonly ok: true; readonly reencrypt: boolean } | { readonly ok: false; readonly message: string };

export interface SecretKeyFacts {
    readonly secret: string;
    /** The secret's KmsKeyId as DescribeSecret gives it ("" or undefined: aws/secretsmanager). */
    readonly kmsKeyId?: string;
    /** That key, resolved (DescribeKey): its ARN and manager; undefined for aws/secretsmanager. */
    readonly key?: { readonly arn: string; readonly keyManager: string };
    /** The key this stack grants readers on: an existing key's ARN, or undefined for a created one. */
    readonly targetKeyArn?: string;
    readonly reencrypt: boolean;
}

/**
 * Whether an existing secret can be shared with the key this stack grants on. A secret
 * encrypted with the AWS managed key aws/secretsmanager cannot be read from another account;
 * a secret under another customer managed key would need that key's policy, not ours.
 * Re-encryption is done only when config asks for it (reencrypt: true).
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
 */
export function secretKeyVerdict(f: SecretKeyFacts): SecretKeyVerdict {
    const where = `secret ${f.secret}`;
    const fix = `set reencrypt: true on the secret in secretshare:secrets to re-encrypt it under ${f.targetKeyArn ?? "this stack's key"} (Secrets Manager re-encrypts its AWSCURRENT, AWSPENDING and AWSPREVIOUS versions), or create a new secret with this program`;
    if (isSecretsManagerAwsKey(f.kmsKeyId) || f.key?.keyManager === "AWS") {
        if (f.reencrypt) return { ok: true, reencrypt: true };
        return {
            ok: false,
            message:
                `${where} is encrypted with the AWS managed key aws/secretsmanager (${f.kmsKeyId || "no KmsKeyId set"}), ` +
                `which cannot be shared: another account can never decrypt it. To share it, ${fix}.`,
        };
    }
    const arn = f.key?.arn ?? f.kmsKeyId ?? "";
    if (f.targetKeyArn && arn === f.targetKeyArn) return { ok: true, reencrypt: false };
    if (f.reencrypt) return { ok: true, reencrypt: true };
    return {
        ok: false,
        message: f.targetKeyArn
            ? `${where} is encrypted with KMS key ${arn}, not with ${f.targetKeyArn} named in secretshare:key.existing: readers would be granted the wrong key. ` +
              `Name ${arn} in secretshare:key.existing, or ${fix}.`
            : `${where} is encrypted with KMS key ${arn}, which this stack does not manage (it creates its own key). ` +
              `Name ${arn} in secretshare:key.existing to share the secret under its own key, or ${fix}.`,
    };
}

/** Refuses keys that cannot encrypt a shared secret. */
export function keyProblem(key: {
    readonly ref: string;
    readonly arn: string;
    readonly keyManager: string;
    readonly keyState: string;
    readonly keyUsage?: string;
    readonly keySpec?: string;
    readonly deletionDate?: string;
}): string | undefined {
    if (key.keyManager === "AWS") {
        return `${key.ref} (${key.arn}) is an AWS managed key: its key policy cannot be changed, and secrets encrypted with it cannot be read from another account; name a customer managed key`;
    }
    // A key pending deletion or disabled cannot encrypt or decrypt: Secrets Manager could not
    // use it, and the readers' Decrypt would fail. Cancelling a deletion leaves the key Disabled.
    // https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
    if (key.keyState === "PendingDeletion") {
        const when = key.deletionDate ? ` on ${key.deletionDate.slice(0, 10)}` : "";
        return (
            `${key.ref} (${key.arn}) is scheduled for deletion${when}: KMS refuses every use of it until then, and deletes it for good after. ` +
            `If it must stay, cancel the deletion (aws kms cancel-key-deletion --key-id ${key.arn}), which leaves it disabled, ` +
            `enable it (aws kms enable-key --key-id ${key.arn}), then run again; otherwise name another key`
        );
    }
    if (key.keyState === "Disabled") {
        return (
            `${key.ref} (${key.arn}) is disabled: Secrets Manager could not encrypt with it and readers could not decrypt. ` +
            `Enable it (aws kms enable-key --key-id ${key.arn}), then run again; or name another key`
        );
    }
    if (key.keyState !== "Enabled") {
        return `${key.ref} (${key.arn}) is in state ${key.keyState}: only an Enabled key can be shared; run again once it is Enabled, or name another key`;
    }
    if (key.keyUsage && key.keyUsage !== "ENCRYPT_DECRYPT") {
        return `${key.ref} (${key.arn}) has key usage ${key.keyUsage}; Secrets Manager needs a symmetric ENCRYPT_DECRYPT key`;
    }
    if (key.keySpec && key.keySpec !== "SYMMETRIC_DEFAULT") {
        return `${key.ref} (${key.arn}) has key spec ${key.keySpec}; Secrets Manager needs a SYMMETRIC_DEFAULT key`;
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// From live facts to the documents to write

/** What DescribeKey and GetKeyPolicy said about the existing key. */
export interface KeyFacts {
    /** As config named it. */
    readonly ref: string;
    readonly arn: string;
    /** The key ID (UUID or mrk-...). */
    readonly keyId: string;
    readonly keyManager: string;
    readonly keyState: string;
    readonly keyUsage?: string;
    readonly keySpec?: string;
    readonly description: string;
    /** When a key pending deletion goes (DescribeKey's DeletionDate). */
    readonly deletionDate?: string;
    /** The stored key policy text (undefined when it was not read, e.g. an AWS managed key). */
    readonly policy?: string;
}

/** What DescribeSecret said about an existing secret, and DescribeKey about its key. */
export interface SecretFacts {
    readonly name: string;
    readonly arn: string;
    /** "" or undefined: the AWS managed key aws/secretsmanager. */
    readonly kmsKeyId?: string;
    readonly description?: string;
    /** The stored resource policy text ("" when it has none). */
    readonly policy?: string;
    /** The secret's KMS key resolved, when it has a customer managed one. */
    readonly kmsKey?: { readonly arn: string; readonly keyManager: string };
}

export interface LiveFacts {
    readonly key?: KeyFacts;
    /** By secret name (config's name). */
    readonly secrets: Readonly<Record<string, SecretFacts>>;
}

export interface ResolvedKey {
    /** Layout key id ("shared"). */
    readonly id: string;
    readonly origin: "adopted" | "policy-only";
    readonly arn: string;
    readonly keyId: string;
    /** "alias/<name>" when config named the key by alias. */
    readonly alias?: string;
    readonly description: string;
    /** The document as it was read; undefined for none. */
    readonly current?: LiveDocument;
    /** The document to write: foreign statements kept, ours replaced. */
    readonly policy: LiveDocument;
}

export interface ResolvedSecret {
    readonly name: string;
    readonly origin: "adopted" | "policy-only";
    readonly arn: string;
    /** The secret's KmsKeyId as read (kept as is when adopted without reencrypt). */
    readonly kmsKeyId?: string;
    readonly description?: string;
    /** Put it under the stack's key (adopted, kmsKeyId managed). */
    readonly reencrypt: boolean;
    readonly current?: LiveDocument;
    readonly policy: LiveDocument;
}

export interface ExistingResources {
    /** By layout key id. */
    readonly keys: Readonly<Record<string, ResolvedKey>>;
    /** By secret name. */
    readonly secrets: Readonly<Record<string, ResolvedSecret>>;
    /** Sizes of the merged documents, checked against their limits. */
    readonly sizes: readonly SizeReport[];
}

/** Minimal views of the config and layout that resolving needs. */
export interface ResolveConfig {
    readonly account: { readonly partition: string; readonly accountId: string };
    readonly key: { readonly existing?: ExistingKeyRef; readonly admins?: readonly string[] };
    readonly secrets: readonly {
        readonly name: string;
        readonly readers: readonly string[];
        readonly existing?: ExistingSecretRef;
    }[];
}
interface ExistingKeyRef {
    readonly ref: string;
    readonly form: KeyRefForm;
    readonly adopt: boolean;
}
interface ExistingSecretRef {
    readonly ref: string;
    readonly adopt: boolean;
    readonly reencrypt: boolean;
}
export interface ResolveLayout {
    readonly keys: readonly { readonly id: string; readonly policy: PolicyDocument }[];
    readonly keyOf: Readonly<Record<string, string>>;
    readonly secretPolicies: Readonly<Record<string, PolicyDocument>>;
}

/**
 * Decides, from what AWS said, the documents to write into existing resources, and every
 * reason not to: an AWS managed or unusable key, a secret under a key readers would not be
 * granted, a key policy that would lock its administrators out, a merged document over its
 * size limit. Returns all problems at once. Pure.
 */
export function resolveExisting(
    owner: ResolveConfig,
    layout: ResolveLayout,
    facts: LiveFacts,
): { resources: ExistingResources; problems: string[] } {
    const problems: string[] = [];
    const sizes: SizeReport[] = [];
    const keys: Record<string, ResolvedKey> = {};
    const secrets: Record<string, ResolvedSecret> = {};
    const read = (text: string | undefined, what: string): LiveDocument | undefined => {
        try {
            return parsePolicy(text, what);
        } catch (e) {
            if (e instanceof PolicyReadError) {
                problems.push(e.message);
                return undefined;
            }
            throw e;
        }
    };
    const sized = (what: string, doc: LiveDocument, limit: "keyPolicy" | "secretPolicy") => {
        const report = measure(what, doc as unknown as PolicyDocument, limit);
        sizes.push(report);
        if (report.size > report.max) {
            problems.push(
                `${what} would be ${report.size} of ${report.max} ${LIMITS[limit].unit} with this program's statements added to the ` +
                    `${doc.Statement.filter((s) => !isOwnStatement(s)).length} already there: remove statements nobody needs from it, or share fewer secrets/readers through it.`,
            );
        }
    };

    const ex = owner.key.existing;
    let targetKeyArn: string | undefined;
    if (ex && facts.key) {
        const k = facts.key;
        const layoutKey = layout.keys[0];
        const problem = keyProblem(k);
        if (problem) problems.push(`secretshare:key.existing = "${ex.ref}": ${problem}`);
        else {
            targetKeyArn = k.arn;
            const what = `key policy of ${ex.ref}`;
            const current = read(k.policy, `the ${what}`);
            const policy = mergeOwnStatements(current, grantsForExistingKey(layoutKey.policy));
            const admins = requiredKeyAdmins(owner.account.partition, owner.account.accountId, owner.key.admins);
            const out = lockedOutAdmins(policy, admins);
            if (out.length) problems.push(lockoutMessage(ex.ref, out));
            sized(what, policy, "keyPolicy");
            keys[layoutKey.id] = {
                id: layoutKey.id,
                origin: ex.adopt ? "adopted" : "policy-only",
                arn: k.arn,
                keyId: k.keyId,
                ...(ex.form === "alias-name" || ex.form === "alias-arn"
                    ? { alias: ex.ref.slice(ex.ref.indexOf("alias/")) }
                    : {}),
                description: k.description,
                ...(current && { current }),
                policy,
            };
        }
    }

    owner.secrets.forEach((s, i) => {
        const sx = s.existing;
        const f = facts.secrets[s.name];
        if (!sx || !f) return;
        const where = `secretshare:secrets[${i}] (${s.name})`;
        if (f.name !== s.name) {
            problems.push(`${where}: ${sx.ref} is the secret ${f.name}; give that name, or the ARN alone`);
            return;
        }
        const verdict = secretKeyVerdict({
            secret: s.name,
            kmsKeyId: f.kmsKeyId,
            key: f.kmsKey,
            targetKeyArn: ex ? targetKeyArn : undefined,
            reencrypt: sx.reencrypt,
        });
        if (ex && !targetKeyArn) return; // the key itself was refused: nothing sound to compare with
        if (!verdict.ok) {
            problems.push(`${where}: ${verdict.message}`);
            return;
        }
        const what = `resource policy of secret ${s.name}`;
        const current = read(f.policy, `the ${what}`);
        // No readers left: all of ours go, the foreign statements stay (revoking the share).
        const mine = s.readers.length
            ? layout.secretPolicies[s.name]
            : { Version: "2012-10-17" as const, Statement: [] };
        const policy = mergeOwnStatements(current, mine);
        if (policy.Statement.length === 0) {
            problems.push(
                `${where}: its resource policy would be left with no statement (AWS refuses an empty policy). ` +
                    `Delete it (aws secretsmanager delete-resource-policy --secret-id ${f.arn}), then remove the secret from secretshare:secrets.`,
            );
            return;
        }
        sized(what, policy, "secretPolicy");
        secrets[s.name] = {
            name: s.name,
            origin: sx.adopt || sx.reencrypt ? "adopted" : "policy-only",
            arn: f.arn,
            ...(f.kmsKeyId && { kmsKeyId: f.kmsKeyId }),
            ...(f.description !== undefined && { description: f.description }),
            reencrypt: verdict.reencrypt,
            ...(current && { current }),
            policy,
        };
    });
    return { resources: { keys, secrets, sizes }, problems };
}

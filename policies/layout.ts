import { LimitError } from "../common/errors";
import type { OwnerConfig, Reader, ReaderKind } from "../config/types";
import type { Grants } from "../contract/ownerExports";
import { placeholderKeyArn, placeholderSecretArn, secretArnPattern } from "../aws/arn";
import { identityPolicy, keyPolicy, secretResourcePolicy, type IdentityGrant, type PolicyDocument } from "./documents";
import { LIMITS, MAX_ATTACHED_POLICIES, measure, sizeOf, type SizeReport } from "../aws/limits";
import { FIRST_KEY, packKeys } from "./keyPacking";
import { longestFit } from "./fit";

/**
 * Decides, from config alone, every document the owner writes and how each reader's identity
 * policy is packed, and checks every size against its AWS limit. Pure: runs before any
 * resource is registered, in the program, the tests and the offline plan alike.
 */

export interface KeyPlan {
    /** "shared", "shared-2"... for packed keys, or the secret's name with one key per secret. */
    readonly id: string;
    readonly alias: string;
    readonly secrets: readonly string[];
    readonly policy: PolicyDocument;
}

export interface OwnerLayout {
    readonly keys: readonly KeyPlan[];
    /** Key id by secret name. */
    readonly keyOf: Readonly<Record<string, string>>;
    readonly secretPolicies: Readonly<Record<string, PolicyDocument>>;
    readonly grants: Grants;
    readonly sizes: readonly SizeReport[];
    /** Secrets that a kept key had to give up because its policy no longer fit (policies/keyPacking.ts). */
    readonly moved: readonly string[];
}

const num = (n: number) => n.toLocaleString("en-US");

/** KMS alias names, alias/ included, are at most 256 characters. */
const MAX_ALIAS = 256;

/** "32,806 bytes, over the 32,768 AWS allows for a KMS key policy" */
const over = (r: SizeReport) =>
    `${num(r.size)} ${LIMITS[r.limit].unit}, over the ${num(r.max)} AWS allows for a ${LIMITS[r.limit].what}`;

const plural = (n: number, noun: string) => `${num(n)} ${noun}${n === 1 ? "" : "s"}`;

/**
 * `previous`: the key id of each secret at the last run (the stack's `keyIds` export), so that
 * packed keys keep their secrets (policies/keyPacking.ts); ignored with one key per secret or an
 * existing key.
 */
export function ownerLayout(owner: OwnerConfig, previous?: Readonly<Record<string, string>>): OwnerLayout {
    const { partition, region, accountId } = owner.account;
    const readers = new Map<string, Reader>();
    for (const c of Object.values(owner.consumers)) for (const r of c.readers) readers.set(r.id, r);
    const specs = new Map(owner.secrets.map((s) => [s.name, s]));

    const policyOf = (names: readonly string[]) => {
        const byReader = new Map<string, string[]>();
        for (const name of names) {
            const s = specs.get(name) as (typeof owner.secrets)[number];
            for (const r of s.readers) {
                const arn = (readers.get(r) as Reader).arn;
                const list = byReader.get(arn) ?? [];
                list.push(secretArnPattern(partition, region, accountId, s.name));
                byReader.set(arn, list);
            }
        }
        const policy = keyPolicy({
            partition,
            region,
            ownerAccountId: accountId,
            grants: [...byReader].map(([readerArn, secretArns]) => ({ readerArn, secretArns })),
            principalForm: owner.secretPolicy.principalForm,
            grantDescribeKey: owner.key.grantDescribeKey,
        });
        return { policy, readerCount: byReader.size };
    };

    let keyIds: readonly string[];
    let keyOf: Record<string, string> = {};
    let moved: readonly string[] = [];
    if (owner.key.perSecret) {
        keyIds = owner.secrets.map((s) => s.name);
        for (const s of owner.secrets) keyOf[s.name] = s.name;
    } else if (owner.key.existing || owner.secrets.length === 0) {
        // One existing key holds every secret: it cannot be split.
        keyIds = [FIRST_KEY];
        for (const s of owner.secrets) keyOf[s.name] = FIRST_KEY;
    } else {
        const packing = packKeys(
            owner.secrets.map((s) => s.name),
            (names) => sizeOf(policyOf(names).policy, "keyPolicy") <= LIMITS.keyPolicy.size,
            previous,
            // Secrets with the same readers share a Decrypt statement: keep them together.
            (name) =>
                [...new Set((specs.get(name) as (typeof owner.secrets)[number]).readers)]
                    .map((r) => (readers.get(r) as Reader).arn)
                    .sort()
                    .join(" "),
        );
        keyIds = packing.keyIds;
        keyOf = { ...packing.keyOf };
        moved = packing.moved;
    }

    const problems: string[] = [];
    const sizes: SizeReport[] = [];
    const keys: KeyPlan[] = keyIds.map((id) => {
        const secrets = owner.secrets.filter((s) => keyOf[s.name] === id);
        const { policy, readerCount } = policyOf(secrets.map((s) => s.name));
        const alias = owner.key.perSecret || id !== FIRST_KEY ? `${owner.key.alias}/${id}` : owner.key.alias;
        // config/key.ts checks the aliases of one key per secret; a packed key's suffix is known only here.
        // https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html
        if (!owner.key.perSecret && !owner.key.existing && `alias/${alias}`.length > MAX_ALIAS) {
            problems.push(
                `secretshare:key.alias = "${owner.key.alias}": packed key ${id} would get the alias alias/${alias}, ` +
                    `${num(alias.length + 6)} characters, and KMS allows at most ${MAX_ALIAS}; ` +
                    `shorten key.alias (by ${alias.length + 6 - MAX_ALIAS} characters at least).`,
            );
        }
        const report = measure(`key policy of alias/${alias}`, policy, "keyPolicy");
        sizes.push(report);
        if (report.size > report.max) {
            problems.push(
                secrets.length === 1
                    ? `${report.document} (secret ${secrets[0].name}) would be ${over(report)}: it names ${plural(readerCount, "reader")}. ` +
                          "Let fewer identities read the secret (e.g. one role that several workloads assume)" +
                          (owner.key.grantDescribeKey
                              ? ", or set secretshare:key.grantDescribeKey: false (each reader is then named once, not twice)."
                              : ".")
                    : `${report.document} would be ${over(report)}: ${plural(secrets.length, "secret")} and ${plural(readerCount, "reader")} share the existing key. ` +
                          "Split the secrets across several owner stacks, or leave secretshare:key.existing out (the stack then creates as many keys as the secrets need).",
            );
        }
        return { id, alias, secrets: secrets.map((s) => s.name), policy };
    });

    const secretPolicies: Record<string, PolicyDocument> = {};
    for (const s of owner.secrets) {
        const doc = secretResourcePolicy({
            partition,
            readerArns: s.readers.map((r) => (readers.get(r) as Reader).arn),
            principalForm: owner.secretPolicy.principalForm,
            acceptDefaultStage: owner.secretPolicy.acceptDefaultStage,
        });
        const report = measure(`resource policy of secret ${s.name}`, doc, "secretPolicy");
        sizes.push(report);
        if (report.size > report.max) {
            problems.push(
                `${report.document} would be ${over(report)}: it names ${plural(s.readers.length, "reader")}. ` +
                    "Let fewer identities read the secret (e.g. one role that several workloads assume)" +
                    (owner.secretPolicy.acceptDefaultStage
                        ? ", or set secretshare:secretPolicy.acceptDefaultStage: false (each reader is then named once, not twice)."
                        : "."),
            );
        }
        secretPolicies[s.name] = doc;
    }

    const grants: Grants = {};
    for (const [name, c] of Object.entries(owner.consumers)) {
        grants[name] = {
            accountId: c.account.accountId,
            readers: c.readers.map((r) => ({
                kind: r.kind,
                name: r.name,
                path: r.path,
                existing: r.existing,
                arn: r.arn,
                ...(r.assumedBy && { assumedBy: r.assumedBy }),
                secrets: owner.secrets.filter((s) => s.readers.includes(r.id)).map((s) => s.name),
            })),
        };
    }

    // Check identity policies here too, so the owner learns before deploying that a consumer
    // stack could not write them. Placeholder ARNs have the exact length of real ones.
    const keyIndex = new Map(keyIds.map((id, i) => [id, i]));
    for (const [name, g] of Object.entries(grants)) {
        for (const r of g.readers) {
            try {
                packIdentityPolicy(
                    `${name}/${r.name}`,
                    r.kind,
                    region,
                    r.secrets.map((s) => ({
                        secretArn: placeholderSecretArn(partition, region, accountId, s),
                        keyArn: placeholderKeyArn(partition, region, accountId, keyIndex.get(keyOf[s]) ?? 0),
                    })),
                    sizes,
                );
            } catch (e) {
                if (e instanceof LimitError) problems.push(...e.problems);
                else throw e;
            }
        }
    }
    if (problems.length) throw new LimitError(problems);
    return { keys, keyOf, secretPolicies, grants, sizes, moved };
}

export interface IdentityPacking {
    /** "inline": one inline policy; "managed": customer managed policies, attached. */
    readonly mode: "inline" | "managed";
    /** Indices into the grants, one list per policy document. */
    readonly chunks: readonly (readonly number[])[];
}

/**
 * Packs a reader's grants into its identity policy. Inline when it fits the identity's inline
 * limit (user 2,048, role 10,240); otherwise customer managed policies of at most 6,144
 * characters each, attached to the identity, at most 10 of them. Grants are packed in the
 * order given (callers sort them), so the packing is stable.
 */
export function packIdentityPolicy(
    who: string,
    kind: ReaderKind,
    region: string,
    grants: readonly IdentityGrant[],
    sizes?: SizeReport[],
): IdentityPacking {
    const inlineLimit = kind === "user" ? "userInline" : "roleInline";
    const whole = measure(`${kind} inline policy of ${who}`, identityPolicy({ region, grants }), inlineLimit);
    if (whole.size <= whole.max) {
        sizes?.push(whole);
        return { mode: "inline", chunks: [grants.map((_, i) => i)] };
    }
    // Each document takes the grants in order while they fit, and at least one. A document only
    // grows as grants are added (a grant adds a resource, a key or a Region's statement, never
    // removes one), so the run that fits is found by doubling and halving its length (./fit.ts):
    // the same documents as adding the grants one at a time, from a few builds each.
    const fits = (from: number, n: number) =>
        sizeOf(identityPolicy({ region, grants: grants.slice(from, from + n) }), "managedPolicy") <=
        LIMITS.managedPolicy.size;
    const chunks: number[][] = [];
    for (let start = 0; start < grants.length;) {
        const lo = longestFit(grants.length - start, (n) => fits(start, n), 1);
        chunks.push(Array.from({ length: lo }, (_, k) => start + k));
        start += lo;
    }
    chunks.forEach((c, i) =>
        sizes?.push(
            measure(
                `managed policy ${i + 1} of ${who}`,
                identityPolicy({ region, grants: c.map((j) => grants[j]) }),
                "managedPolicy",
            ),
        ),
    );
    if (chunks.length > MAX_ATTACHED_POLICIES) {
        const keys = new Set(grants.map((g) => g.keyArn)).size;
        throw new LimitError([
            `${kind} ${who} reads ${plural(grants.length, "secret")}: its ${LIMITS[inlineLimit].what} would be ${over(whole)}, ` +
                `and as customer managed policies (at most ${num(LIMITS.managedPolicy.size)} characters each) it needs ${chunks.length}, ` +
                `over the ${MAX_ATTACHED_POLICIES} IAM attaches to one ${kind}. ` +
                "Split its secrets across several identities" +
                (keys > 1
                    ? `, or encrypt them with one key (secretshare:key.perSecret: false): it names ${plural(keys, "key")}.`
                    : "."),
        ]);
    }
    return { mode: "managed", chunks };
}

import {
    accountOfArn,
    identityArn,
    parseArn,
    parseIdentityArn,
    secretsManagerService,
    type IdentityArn,
} from "../../aws/arn";
import { ownerExportsSchema, type ReaderGrant } from "../../contract/ownerExports";
import type { Plan, PlannedStack } from "../plan";
import { keptChecks, type KeptInfo } from "./kept";
import { PreviewJudge, previewUnknowns, type NotProvenInPreview } from "./preview";
import { lookalikes, otherPrincipal, unrelatedAccount } from "./principals";
import { Registry, type SecretInfo } from "./registry";
import { rotationChecks, secretInfo } from "./rotation";
import { ANONYMOUS, isServicePrincipal, type PolicyRef, type SimulationRequest } from "./simulator";
import { externalTrustWarnings, trustChecks, trustOrderWarnings } from "./trust";

/**
 * What must hold comes from each owner stack's exports (contract/ownerExports.ts): each reader of
 * each secret gets the whole cross-account chain (GetSecretValue on the secret, kms:Decrypt via
 * Secrets Manager on its key), and a set of probes that must be denied: another version stage,
 * Decrypt outside Secrets Manager, the writes, another secret on the same key, another principal
 * of the reader's account or an unrelated account with the reader's policy, a look-alike of the
 * reader's ARN wherever a character of it would be a wildcard, and anyone at all. With
 * `secretPolicy.acceptDefaultStage`, a read that names no stage is Allowed and one by version ID
 * Denied. Each reader role the plan creates gets its trust checks (./trust.ts), and each principal
 * a statement kept from others lets read a secret, decrypt with its key or change who reads is
 * listed (./kept.ts).
 */

/**
 * "Kept": a statement not managed here lets the principal in. Such a check shows what AWS
 * decides, conditional on the statement's own conditions where it has them, and never fails
 * because of them: the statement is someone else's to change (./judge.ts, judgeKept).
 */
export type Expectation = "Allowed" | "Denied" | "Kept";

export interface Check extends SimulationRequest {
    /** A stable name for the line, e.g. "MySecret: secondary/Stuart GetSecretValue AWSCURRENT". */
    readonly name: string;
    /** The secret the check is about, or `role <account>/<role>` for a trust check. */
    readonly secret: string;
    /** `<consumer account>/<reader>`, or who the probe is. */
    readonly who: string;
    readonly expected: Expectation;
    /** For "Kept": the statements not managed here that let the principal in, and on what (./kept.ts). */
    readonly kept?: KeptInfo;
    /** For a trust check: the reader role (`<account>/<role>`) whose trust policy it proves. */
    readonly role?: string;
}

/** A grant that no check can prove, because the stack that provisions the reader was not planned. */
export interface NotProven {
    readonly secret: string;
    readonly reader: string;
    readonly reason: string;
}

/** What the checks read of an owner stack's exports: all absent for a consumer stack. */
const proofExportsSchema = ownerExportsSchema
    .pick({ ownerAccountId: true, secretArns: true, keyArns: true, grants: true })
    .partial();

interface ProofExports {
    readonly ownerAccountId?: string;
    readonly secretArns: Readonly<Record<string, string>>;
    readonly keyArns: Readonly<Record<string, string>>;
    /** By consumer account name. */
    readonly grants: readonly {
        readonly account: string;
        readonly accountId: string;
        readonly readers: readonly ReaderGrant[];
    }[];
}

/** The owner stack's exports the plan must prove, read with the contract's schema. */
export function exportsOf(stack: PlannedStack): ProofExports {
    const { ownerAccountId, secretArns, keyArns, grants } = stack.outputs;
    const parsed = proofExportsSchema.safeParse({ ownerAccountId, secretArns, keyArns, grants });
    if (!parsed.success) {
        const paths = parsed.error.issues.map((i) => i.path.join("."));
        throw new Error(`the exports of stack ${stack.name} do not fit the owner contract: ${paths.join(", ")}`);
    }
    return {
        ...(parsed.data.ownerAccountId !== undefined && { ownerAccountId: parsed.data.ownerAccountId }),
        secretArns: parsed.data.secretArns ?? {},
        keyArns: parsed.data.keyArns ?? {},
        grants: Object.entries(parsed.data.grants ?? {}).map(([account, g]) => ({
            account,
            accountId: g.accountId,
            readers: g.readers,
        })),
    };
}

/** A reader's ARN, read; it must be an IAM user or role, as `simulate` requires of a principal. */
function readerIdentity(reader: ReaderGrant): IdentityArn {
    const id = parseIdentityArn(reader.arn);
    if (!id) throw new Error(`not an IAM user or role ARN: ${reader.arn}`);
    return id;
}

/**
 * Builds every check of the plan, in a stable order. `intents`: by owner stack name (default: none).
 * A preview plan has the checks of its stacks' first `up`, less those that use a value the
 * preview does not know: these are `notProvenInPreview` (./preview.ts), not simulated.
 */
export function buildChecks(plan: Plan): {
    checks: Check[];
    notProven: NotProven[];
    warnings: string[];
    notProvenInPreview?: NotProvenInPreview[];
} {
    if (plan.preview) {
        const { preview, ...up } = plan;
        const built = buildChecks({ ...up, stacks: preview.up });
        const judge = new PreviewJudge(previewUnknowns(preview.up, plan.stacks));
        const checks: Check[] = [];
        const notProvenInPreview: NotProvenInPreview[] = [];
        for (const c of built.checks) {
            const unknown = judge.unknownsOf(c);
            if (!unknown.length) checks.push(c);
            else notProvenInPreview.push({ check: c.name, secret: c.secret, who: c.who, action: c.action, unknown });
        }
        return { ...built, checks, notProvenInPreview };
    }
    const reg = new Registry(plan.stacks, plan.world?.snapshot);
    const checks: Check[] = [];
    const notProven: NotProven[] = [];
    const warnings: string[] = [];
    const owners = plan.stacks.map((stack) => ({ stack, exports: exportsOf(stack) }));
    const allReaders = owners.flatMap((o) => o.exports.grants.flatMap((g) => g.readers));
    const used = new Set([
        ...reg.accounts,
        ...allReaders.map((r) => accountOfArn(r.arn)),
        ...allReaders.flatMap((r) => (r.assumedBy ?? []).filter((p) => !isServicePrincipal(p)).map(accountOfArn)),
    ]);
    const stranger = unrelatedAccount(used);
    const trusted = new Set<string>();
    const keysListed = new Set<string>();
    const trustOrder = trustOrderWarnings(plan.stacks);

    for (const { stack, exports } of owners) {
        const { secretArns, keyArns } = exports;
        // The owner's intent, from its config as the program parsed it (a plan built by hand: defaults).
        const acceptDefaultStage =
            stack.config !== undefined && stack.config.mode !== "consumer"
                ? stack.config.owner.secretPolicy.acceptDefaultStage
                : false;
        const grants = [...exports.grants].sort((a, b) => a.account.localeCompare(b.account));
        const readerArns = new Set(grants.flatMap((g) => g.readers.map((r) => r.arn)));
        const inside = new Set([
            ...(exports.ownerAccountId !== undefined ? [exports.ownerAccountId] : []),
            ...grants.map((g) => g.accountId),
        ]);
        // Secrets encrypted by each key, to probe that a reader of one cannot decrypt another.
        const byKey = new Map<string, SecretInfo[]>();
        for (const [name, arn] of Object.entries(secretArns)) {
            const keyArn = reg.secrets.get(arn)?.keyArn ?? keyArns[name];
            const s = { name, arn, ...(keyArn && { keyArn }), stack: stack.name };
            if (keyArn) byKey.set(keyArn, [...(byKey.get(keyArn) ?? []), s]);
        }
        const anonymousDone = new Set<string>();
        // Every secret of the stack with the documents its checks use (rotation roles are probed on the others).
        const infoOf = (name: string) => secretInfo(reg, name, secretArns[name], keyArns[name]);

        for (const secretName of Object.keys(secretArns).sort()) {
            const secretArn = secretArns[secretName];
            const secret = reg.secrets.get(secretArn);
            const region = parseArn(secretArn)?.region ?? "";
            // An existing secret is not registered: its key is then the one the owner exports.
            const keyArn = secret?.keyArn ?? keyArns[secretName] ?? `(no key for ${secretName})`;
            const secretPolicy = reg.secretPolicies.get(secretArn);
            const keyPolicy = reg.keyPolicies.get(keyArn);
            const viaSecretsManager = {
                "kms:ViaService": secretsManagerService(region),
                "kms:EncryptionContext:SecretARN": secretArn,
            };
            const current = { "secretsmanager:VersionStage": "AWSCURRENT" };
            const get = (who: string, principal: string, identityPolicies: readonly PolicyRef[]) => ({
                who,
                principal,
                identityPolicies,
                resource: secretArn,
                ...(secretPolicy && { resourcePolicy: secretPolicy }),
            });
            const decrypt = (who: string, principal: string, identityPolicies: readonly PolicyRef[]) => ({
                who,
                principal,
                identityPolicies,
                action: "kms:Decrypt",
                resource: keyArn,
                ...(keyPolicy && { resourcePolicy: keyPolicy }),
            });
            const add = (probe: string, check: Omit<Check, "name" | "secret">) =>
                checks.push({ name: `${secretName}: ${check.who} ${probe}`, secret: secretName, ...check });

            for (const g of grants) {
                for (const reader of [...g.readers].sort((a, b) => a.name.localeCompare(b.name))) {
                    if (!reader.secrets.includes(secretName)) continue;
                    const who = `${g.account}/${reader.name}`;
                    const readerAccount = accountOfArn(reader.arn);
                    const elsewhere = plan.unplanned.find((u) => u.consumerAccountId === readerAccount);
                    if (!reg.accounts.has(readerAccount) && elsewhere) {
                        notProven.push({
                            secret: secretName,
                            reader: who,
                            reason: `its identity policy is written by stack ${elsewhere.name}, which is not in this plan`,
                        });
                        continue;
                    }
                    const readerId = readerIdentity(reader);
                    const id = reg.identityOf(reader);
                    const arn = id.arn ?? reader.arn;
                    const idp = id.policies;

                    add("GetSecretValue AWSCURRENT", {
                        ...get(who, arn, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: current,
                        expected: "Allowed",
                    });
                    add("kms:Decrypt via Secrets Manager", {
                        ...decrypt(who, arn, idp),
                        context: viaSecretsManager,
                        expected: "Allowed",
                    });
                    add("GetSecretValue AWSPREVIOUS", {
                        ...get(who, arn, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: { "secretsmanager:VersionStage": "AWSPREVIOUS" },
                        expected: "Denied",
                    });
                    if (reg.rotations.has(secretArn)) {
                        // Rotation: the version being made is not the readers' until finishSecret.
                        add("GetSecretValue AWSPENDING", {
                            ...get(who, arn, idp),
                            action: "secretsmanager:GetSecretValue",
                            context: { "secretsmanager:VersionStage": "AWSPENDING" },
                            expected: "Denied",
                        });
                    }
                    add("kms:Decrypt not via Secrets Manager", {
                        ...decrypt(who, arn, idp),
                        context: { "kms:EncryptionContext:SecretARN": secretArn },
                        expected: "Denied",
                    });
                    for (const action of ["PutResourcePolicy", "DeleteSecret", "UpdateSecret", "PutSecretValue"]) {
                        add(action, {
                            ...get(who, arn, idp),
                            action: `secretsmanager:${action}`,
                            context: {},
                            expected: "Denied",
                        });
                    }
                    if (acceptDefaultStage) {
                        // secretPolicy.acceptDefaultStage: a call that names no stage and no version
                        // ID gets AWSCURRENT and is let in; one by version ID (no stage) is not.
                        add("GetSecretValue default (no stage, no version ID)", {
                            ...get(who, arn, idp),
                            action: "secretsmanager:GetSecretValue",
                            context: {},
                            expected: "Allowed",
                        });
                        add("GetSecretValue by VersionId (no stage)", {
                            ...get(who, arn, idp),
                            action: "secretsmanager:GetSecretValue",
                            context: { "secretsmanager:VersionId": VERSION_ID },
                            expected: "Denied",
                        });
                    }
                    // Another secret on the same key: the encryption context must stop the reader.
                    const other = (byKey.get(keyArn) ?? [])
                        .filter((s) => !reader.secrets.includes(s.name))
                        .sort((a, b) => a.name.localeCompare(b.name))[0];
                    if (other) {
                        add(`kms:Decrypt for ${other.name} (same key, not granted)`, {
                            ...decrypt(who, arn, idp),
                            context: { ...viaSecretsManager, "kms:EncryptionContext:SecretARN": other.arn },
                            expected: "Denied",
                        });
                    }

                    const sibling = otherPrincipal(reader, readerId, readerArns);
                    const siblingWho = `other ${reader.kind} in ${readerAccount}, ${reader.name}'s policy`;
                    add("GetSecretValue AWSCURRENT", {
                        ...get(siblingWho, sibling, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: current,
                        expected: "Denied",
                    });
                    add("kms:Decrypt via Secrets Manager", {
                        ...decrypt(siblingWho, sibling, idp),
                        context: viaSecretsManager,
                        expected: "Denied",
                    });
                    if (acceptDefaultStage) {
                        add("GetSecretValue default (no stage, no version ID)", {
                            ...get(siblingWho, sibling, idp),
                            action: "secretsmanager:GetSecretValue",
                            context: {},
                            expected: "Denied",
                        });
                    }
                    for (const look of lookalikes(reader.arn)) {
                        const lookWho = `look-alike ${look.arn} ("${look.char}" in ${reader.name}'s ARN), ${reader.name}'s policy`;
                        add("GetSecretValue AWSCURRENT", {
                            ...get(lookWho, look.arn, idp),
                            action: "secretsmanager:GetSecretValue",
                            context: current,
                            expected: "Denied",
                        });
                        add("kms:Decrypt via Secrets Manager", {
                            ...decrypt(lookWho, look.arn, idp),
                            context: viaSecretsManager,
                            expected: "Denied",
                        });
                    }
                    const strangerArn = identityArn(readerId.partition, stranger, reader.kind, "/", reader.name);
                    const strangerWho = `${reader.kind} in unrelated ${stranger}, ${reader.name}'s policy`;
                    add("GetSecretValue AWSCURRENT", {
                        ...get(strangerWho, strangerArn, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: current,
                        expected: "Denied",
                    });
                    add("kms:Decrypt via Secrets Manager", {
                        ...decrypt(strangerWho, strangerArn, idp),
                        context: viaSecretsManager,
                        expected: "Denied",
                    });
                }
            }
            if (!anonymousDone.has(secretArn)) {
                anonymousDone.add(secretArn);
                add("GetSecretValue AWSCURRENT", {
                    ...get(ANONYMOUS, ANONYMOUS, []),
                    action: "secretsmanager:GetSecretValue",
                    context: current,
                    expected: "Denied",
                });
                add("kms:Decrypt via Secrets Manager", {
                    ...decrypt(ANONYMOUS, ANONYMOUS, []),
                    context: viaSecretsManager,
                    expected: "Denied",
                });
            }

            // The rotation function's role, and who may invoke the function (./rotation.ts).
            const others = Object.keys(secretArns)
                .sort()
                .filter((n) => n !== secretName)
                .map(infoOf);
            const owner = exports.ownerAccountId ?? accountOfArn(secretArn);
            for (const r of rotationChecks(reg, infoOf(secretName), others, region, owner, warnings)) {
                add(r.probe, r.check);
            }

            // Who the statements kept from others let read this secret, decrypt it with its key, or
            // change who may: each with its own request (./kept.ts).
            for (const k of keptChecks(secretPolicy, keyPolicy, secretArn, keyArn, stranger, keysListed)) {
                const { probe, ...check } = k;
                add(probe, check);
            }
        }

        // Who can assume each reader role the plan creates (once per role, whichever owner grants it).
        for (const g of grants) {
            for (const reader of [...g.readers].sort((a, b) => a.name.localeCompare(b.name))) {
                warnings.push(...externalTrustWarnings(g.account, reader, inside), ...trustOrder(g.account, reader));
                if (reader.kind !== "role" || reader.existing) continue;
                const identity = reg.identityOf(reader);
                // Not created by a planned stack: its grants are listed as not proven above.
                if (!identity.arn || trusted.has(identity.arn)) continue;
                trusted.add(identity.arn);
                const role = `${g.account}/${reader.name}`;
                const taken = new Set([...readerArns, ...(reader.assumedBy ?? [])]);
                for (const t of trustChecks({ account: g.account, reader, identity, stranger, taken, inside })) {
                    const { probe, ...check } = t;
                    checks.push({
                        ...check,
                        name: `trust of ${role}: ${check.who} ${probe}`,
                        secret: `role ${role}`,
                        role,
                    });
                }
            }
        }
    }
    return { checks, notProven, warnings: [...new Set(warnings)] };
}

/** A version ID for the "by version ID" probe: any ID, as Secrets Manager's are UUIDs. */
const VERSION_ID = "00000000-0000-4000-8000-000000000001";

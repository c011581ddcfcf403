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
import { Registry, type SecretInfo } from "./registry";
import { ANONYMOUS, type PolicyRef, type SimulationRequest } from "./simulator";

/**
 * What must hold comes from each owner stack's exports (contract/ownerExports.ts): each reader of
 * each secret gets the whole cross-account chain (GetSecretValue on the secret, kms:Decrypt via
 * Secrets Manager on its key), and a set of probes that must be denied: another version stage,
 * Decrypt outside Secrets Manager, the writes, another secret on the same key, another principal
 * of the reader's account or an unrelated account with the reader's policy, and anyone at all.
 */

export type Expectation = "Allowed" | "Denied";

export interface Check extends SimulationRequest {
    /** A stable name for the line, e.g. "MySecret: secondary/Stuart GetSecretValue AWSCURRENT". */
    readonly name: string;
    readonly secret: string;
    /** `<consumer account>/<reader>`, or who the probe is. */
    readonly who: string;
    readonly expected: Expectation;
}

/** A grant that no check can prove, because the stack that provisions the reader was not planned. */
export interface NotProven {
    readonly secret: string;
    readonly reader: string;
    readonly reason: string;
}

/** What the checks read of an owner stack's exports: all absent for a consumer stack. */
const proofExportsSchema = ownerExportsSchema.pick({ secretArns: true, keyArns: true, grants: true }).partial();

interface ProofExports {
    readonly secretArns: Readonly<Record<string, string>>;
    readonly keyArns: Readonly<Record<string, string>>;
    /** By consumer account name. */
    readonly grants: readonly { readonly account: string; readonly readers: readonly ReaderGrant[] }[];
}

/** The owner stack's exports the plan must prove, read with the contract's schema. */
function exportsOf(stack: PlannedStack): ProofExports {
    const { secretArns, keyArns, grants } = stack.outputs;
    const parsed = proofExportsSchema.safeParse({ secretArns, keyArns, grants });
    if (!parsed.success) {
        const paths = parsed.error.issues.map((i) => i.path.join("."));
        throw new Error(`the exports of stack ${stack.name} do not fit the owner contract: ${paths.join(", ")}`);
    }
    return {
        secretArns: parsed.data.secretArns ?? {},
        keyArns: parsed.data.keyArns ?? {},
        grants: Object.entries(parsed.data.grants ?? {}).map(([account, g]) => ({ account, readers: g.readers })),
    };
}

/** A reader's ARN, read; it must be an IAM user or role, as `simulate` requires of a principal. */
function readerIdentity(reader: ReaderGrant): IdentityArn {
    const id = parseIdentityArn(reader.arn);
    if (!id) throw new Error(`not an IAM user or role ARN: ${reader.arn}`);
    return id;
}

/** An account ID no planned stack uses, for the "unrelated account" probe. */
function unrelatedAccount(used: ReadonlySet<string>): string {
    for (let n = 999999999999; ; n--) if (!used.has(String(n))) return String(n);
}

/** Another principal of the reader's kind and path in the reader's account, not itself a reader. */
function otherPrincipal(reader: ReaderGrant, id: IdentityArn, readerArns: ReadonlySet<string>): string {
    for (let i = 1; ; i++) {
        const arn = identityArn(id.partition, id.accountId, id.kind, id.path, `${reader.name}-other${i > 1 ? i : ""}`);
        if (!readerArns.has(arn)) return arn;
    }
}

/** Builds every check of the plan, in a stable order. */
export function buildChecks(plan: Plan): { checks: Check[]; notProven: NotProven[] } {
    const reg = new Registry(plan.stacks);
    const checks: Check[] = [];
    const notProven: NotProven[] = [];
    const owners = plan.stacks.map((stack) => ({ stack, exports: exportsOf(stack) }));
    const used = new Set([
        ...reg.accounts,
        ...owners.flatMap((o) => o.exports.grants.flatMap((g) => g.readers.map((r) => accountOfArn(r.arn)))),
    ]);
    const stranger = unrelatedAccount(used);

    for (const { stack, exports } of owners) {
        const { secretArns, keyArns } = exports;
        const grants = [...exports.grants].sort((a, b) => a.account.localeCompare(b.account));
        const readerArns = new Set(grants.flatMap((g) => g.readers.map((r) => r.arn)));
        // Secrets encrypted by each key, to probe that a reader of one cannot decrypt another.
        const byKey = new Map<string, SecretInfo[]>();
        for (const [name, arn] of Object.entries(secretArns)) {
            const keyArn = reg.secrets.get(arn)?.keyArn ?? keyArns[name];
            const s = { name, arn, ...(keyArn && { keyArn }), stack: stack.name };
            if (keyArn) byKey.set(keyArn, [...(byKey.get(keyArn) ?? []), s]);
        }
        const anonymousDone = new Set<string>();

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
        }
    }
    return { checks, notProven };
}

import { parseConfig, type OwnerStackConfig } from "../config";
import { accountRootArn, identityArn, placeholderKeyArn, placeholderSecretArn } from "../aws/arn";
import type { IdentityGrant, PolicyDocument, Statement } from "../policies/documents";
import { LimitError } from "../common/errors";
import { ownerLayout, packIdentityPolicy } from "../policies/layout";
import { LIMITS, sizeOf } from "../aws/limits";
import { parseCommandLine } from "../common/args";

/**
 * How much fits in one document: readers on one secret, secrets on one user or role, secrets
 * on one shared key. Measured with this program's own layout (every size check it makes before
 * deploying), against the walk-through's form written out per principal. Pure; prints a Markdown table.
 *
 *   ts-node bench/capacity.ts [--json]
 *
 * Names as bench/scale.ts generates them: roles svc-0001-reader (15 characters), secrets
 * svc-0001/database (17), 12-digit accounts, us-east-1. Longer names fit fewer.
 */

const PARTITION = "aws";
const REGION = "us-east-1";
const OWNER = "111111111111";
const CONSUMER = (a: number) => (222200000001 + a).toString();
const pad = (n: number) => n.toString().padStart(4, "0");
const roleName = (j: number) => `svc-${pad(j)}-reader`;
const secretName = (i: number) => `svc-${pad(i)}/database`;

// ---------------------------------------------------------------------------------------------
// The per-principal form, for comparison only: one statement per principal in the key and
// secret policies, and one statement per secret and per key in the identity policy, as the
// hand-made walk-through writes them, repeated for each reader or secret.

/** The per-principal secret resource policy: one statement per reader, the reader's ARN as Principal. */
export function perPrincipalSecretPolicy(readerArns: readonly string[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: readerArns.map((arn) => ({
            Effect: "Allow",
            Principal: { AWS: arn },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
            Condition: { "ForAnyValue:StringEquals": { "secretsmanager:VersionStage": "AWSCURRENT" } },
        })),
    };
}

/** The per-principal key policy: the default owner statement, then "AllowUseOfTheKey" per reader. */
export function perPrincipalKeyPolicy(
    ownerAccountId: string,
    keyArn: string,
    readerArns: readonly string[],
): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "Enable IAM User Permissions",
                Effect: "Allow",
                Principal: { AWS: accountRootArn(PARTITION, ownerAccountId) },
                Action: "kms:*",
                Resource: "*",
            },
            ...readerArns.map((arn, i): Statement => ({
                Sid: `AllowUseOfTheKey${i + 1}`,
                Effect: "Allow",
                Principal: { AWS: arn },
                Action: ["kms:Decrypt", "kms:DescribeKey"],
                Resource: keyArn,
            })),
        ],
    };
}

/** The per-principal identity policy: GetSecretValue per secret and Decrypt per key, one statement each. */
export function perPrincipalIdentityPolicy(grants: readonly IdentityGrant[]): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            ...grants.map((g): Statement => ({
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: g.secretArn,
            })),
            ...[...new Set(grants.map((g) => g.keyArn))].map((keyArn): Statement => ({
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: keyArn,
            })),
        ],
    };
}

// ---------------------------------------------------------------------------------------------

/** The largest n >= 0 with fits(n), for fits true up to some n and false after. */
export function largest(fits: (n: number) => boolean): number {
    let lo = 0;
    let hi = 1;
    while (fits(hi)) {
        lo = hi;
        hi *= 2;
    }
    while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (fits(mid)) lo = mid;
        else hi = mid;
    }
    return lo;
}

export interface OwnerOptions {
    readonly accounts?: number;
    readonly grantDescribeKey?: boolean;
    readonly acceptDefaultStage?: boolean;
    readonly principalForm?: "account-root" | "principal-arn";
    readonly perSecret?: boolean;
}

/**
 * An owner config with `secrets` secrets and `readers` roles spread over `accounts` accounts;
 * `readersOf(i)` picks secret i's readers (default: all of them).
 */
export function ownerConfig(
    secrets: number,
    readers: number,
    o: OwnerOptions = {},
    readersOf: (i: number) => readonly number[] = () => Array.from({ length: readers }, (_, j) => j),
): OwnerStackConfig {
    const accounts = Math.min(o.accounts ?? 1, readers);
    const consumers: Record<string, unknown> = {};
    for (let a = 0; a < accounts; a++) {
        const roles = Array.from({ length: readers }, (_, j) => j).filter((j) => j % accounts === a);
        consumers[`workload-${a + 1}`] = {
            accountId: CONSUMER(a),
            readers: roles.map((j) => ({
                role: roleName(j),
                // AWS refuses a policy that names a principal that does not exist yet, so config
                // accepts the principal-arn form only for readers that exist already.
                ...(o.principalForm === "principal-arn" && { existing: true }),
            })),
        };
    }
    const config = parseConfig("capacity", {
        mode: "owner",
        owner: { accountId: OWNER, region: REGION },
        consumers,
        secrets: Array.from({ length: secrets }, (_, i) => ({
            name: secretName(i),
            username: "app",
            readers: readersOf(i).map((j) => `workload-${(j % accounts) + 1}/${roleName(j)}`),
        })),
        key: {
            alias: "capacity",
            perSecret: o.perSecret ?? false,
            grantDescribeKey: o.grantDescribeKey ?? true,
        },
        secretPolicy: {
            principalForm: o.principalForm ?? "account-root",
            acceptDefaultStage: o.acceptDefaultStage ?? false,
        },
    });
    return config as OwnerStackConfig;
}

/** Whether the owner layout accepts the config; the first problem when not. */
export function layoutFits(config: OwnerStackConfig): { ok: boolean; problem?: string } {
    try {
        ownerLayout(config.owner);
        return { ok: true };
    } catch (e) {
        if (e instanceof LimitError) return { ok: false, problem: e.problems[0] };
        throw e;
    }
}

export interface Row {
    readonly what: string;
    readonly ours: number;
    readonly perPrincipal?: number;
    /** The document that refuses one more. */
    readonly boundBy: string;
}

const readerArns = (n: number, accounts = 1) =>
    Array.from({ length: n }, (_, j) => identityArn(PARTITION, CONSUMER(j % accounts), "role", "/", roleName(j)));

const grants = (n: number, perSecretKey: boolean): IdentityGrant[] =>
    Array.from({ length: n }, (_, i) => ({
        secretArn: placeholderSecretArn(PARTITION, REGION, OWNER, secretName(i)),
        keyArn: placeholderKeyArn(PARTITION, REGION, OWNER, perSecretKey ? i : 0),
    }));

/** Which document refuses: the start of the layout's message ("key policy of alias/capacity"). */
const boundBy = (problem: string | undefined) => (problem ?? "").split(" would be")[0].replace(/ \(secret .*\)$/, "");

function readersOnOneSecret(what: string, o: OwnerOptions, perPrincipal?: number): Row {
    const ours = largest((n) => n === 0 || layoutFits(ownerConfig(1, n, o)).ok);
    return { what, ours, perPrincipal, boundBy: boundBy(layoutFits(ownerConfig(1, ours + 1, o)).problem) };
}

function perPrincipalReadersOnOneSecret(accounts: number): number {
    const key = placeholderKeyArn(PARTITION, REGION, OWNER);
    return largest(
        (n) =>
            sizeOf(perPrincipalSecretPolicy(readerArns(n, accounts)), "secretPolicy") <= LIMITS.secretPolicy.size &&
            sizeOf(perPrincipalKeyPolicy(OWNER, key, readerArns(n, accounts)), "keyPolicy") <= LIMITS.keyPolicy.size,
    );
}

function secretsOnOneIdentity(kind: "user" | "role", managed: boolean, perSecretKey: boolean): number {
    return largest((m) => {
        if (m === 0) return true;
        try {
            const p = packIdentityPolicy(`capacity/${kind}`, kind, REGION, grants(m, perSecretKey));
            return managed || p.mode === "inline";
        } catch (e) {
            if (e instanceof LimitError) return false;
            throw e;
        }
    });
}

function perPrincipalSecretsOnOneIdentity(kind: "user" | "role", perSecretKey: boolean): number {
    const limit = kind === "user" ? "userInline" : "roleInline";
    return largest((m) => sizeOf(perPrincipalIdentityPolicy(grants(m, perSecretKey)), limit) <= LIMITS[limit].size);
}

export function capacity(): Row[] {
    const perPrincipal1 = perPrincipalReadersOnOneSecret(1);
    const perPrincipal10 = perPrincipalReadersOnOneSecret(10);
    const rows: Row[] = [
        readersOnOneSecret("readers on one secret (defaults)", {}, perPrincipal1),
        readersOnOneSecret("readers on one secret, over 10 accounts", { accounts: 10 }, perPrincipal10),
        readersOnOneSecret(
            "readers on one secret, grantDescribeKey: false",
            { grantDescribeKey: false },
            perPrincipal1,
        ),
        readersOnOneSecret(
            "readers on one secret, acceptDefaultStage: true",
            { acceptDefaultStage: true },
            perPrincipal1,
        ),
        readersOnOneSecret(
            "readers on one secret, principalForm: principal-arn",
            { principalForm: "principal-arn" },
            perPrincipal1,
        ),
    ];
    for (const kind of ["user", "role"] as const) {
        const inline = LIMITS[kind === "user" ? "userInline" : "roleInline"].what;
        for (const perSecretKey of [false, true]) {
            const keys = perSecretKey ? "a key per secret" : "one shared key";
            const perPrincipal = perPrincipalSecretsOnOneIdentity(kind, perSecretKey);
            rows.push({
                what: `secrets on one ${kind}, inline, ${keys}`,
                ours: secretsOnOneIdentity(kind, false, perSecretKey),
                perPrincipal,
                boundBy: inline,
            });
            rows.push({
                what: `secrets on one ${kind}, managed fallback, ${keys}`,
                ours: secretsOnOneIdentity(kind, true, perSecretKey),
                perPrincipal,
                boundBy: "10 customer managed policies",
            });
        }
    }
    // How many secrets one shared key can carry: its policy lists each secret's ARN pattern.
    const sameReaders = largest((m) => m === 0 || layoutFits(ownerConfig(m, 3, {}, () => [0, 1, 2])).ok);
    rows.push({
        what: "secrets on one shared key, all read by the same 3 roles",
        ours: sameReaders,
        boundBy: boundBy(layoutFits(ownerConfig(sameReaders + 1, 3, {}, () => [0, 1, 2])).problem),
    });
    const ownReader = largest((m) => m === 0 || layoutFits(ownerConfig(m, m, {}, (i) => [i])).ok);
    rows.push({
        what: "secrets on one shared key, each read by its own role",
        ours: ownReader,
        boundBy: boundBy(layoutFits(ownerConfig(ownReader + 1, ownReader + 1, {}, (i) => [i])).problem),
    });
    return rows;
}

export function markdown(rows: readonly Row[]): string {
    const lines = [
        "| capacity | this program | per-principal form | ratio | one more is refused by |",
        "|---|--:|--:|--:|---|",
        ...rows.map(
            (r) =>
                `| ${r.what} | ${r.ours} | ${r.perPrincipal ?? "n/a"} | ${r.perPrincipal ? `${(r.ours / r.perPrincipal).toFixed(1)}x` : ""} | ${r.boundBy} |`,
        ),
    ];
    return lines.join("\n");
}

if (require.main === module) {
    const { values } = parseCommandLine(process.argv.slice(2), { json: { type: "boolean" } });
    const rows = capacity();
    console.log(values.json ? JSON.stringify(rows, null, 2) : markdown(rows));
}

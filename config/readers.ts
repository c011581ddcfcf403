import { z } from "zod";
import { accountOfArn, identityArn } from "../aws/arn";
import { LIMITS, sizeOf } from "../aws/limits";
import { iamPathProblems } from "../aws/names";
import { KNOWN_SERVICES, roleTrustPolicy, SERVICE_TRUST } from "../policies/documents";
import { account, accountId, accountName, accountShape, checkCredentials, formerNames } from "./accounts";
import { show } from "./errors";
import { NAMESPACE } from "./problems";
import type { Account, ConsumerAccount, Reader } from "./types";

/**
 * `secretshare:consumers`: the consumer accounts of an owner stack and, in each, the IAM users
 * and roles that read secrets (`readers`, with `assumedBy` for a role this program creates, and
 * `externalAccounts` for the accounts outside the share that `assumedBy` may name).
 */

const SERVICE_FORM = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$/;

// IAM user and role names: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;
const iamName = z.string().superRefine((s, ctx) => {
    if (s.includes("*") || s.includes("?")) {
        ctx.addIssue({ code: "custom", message: "wildcards are not allowed: name one exact user or role" });
    } else if (!IAM_NAME.test(s)) {
        ctx.addIssue({ code: "custom", message: "expected 1 to 64 characters of [A-Za-z0-9+=,.@_-]" });
    }
});
// A path is part of the reader's ARN, which the owner's policies match with ArnEquals: a "*" or
// "?" there is a wildcard and "${" a policy variable, so the grant would reach other identities.
// IAM's own rules (printable ASCII between slashes, at most 512 characters) are in aws/names.ts.
const iamPath = z.string().superRefine((p, ctx) => {
    const problems = iamPathProblems(p);
    if (problems.length)
        ctx.addIssue({ code: "custom", message: `${problems.join("; ")}; expected an exact path such as /apps/` });
});

export const reader = z
    .strictObject({
        user: iamName.optional(),
        role: iamName.optional(),
        path: iamPath.default("/"),
        existing: z.boolean().default(false),
        /**
         * Who may assume a role this program creates: service principals (e.g. ecs-tasks.amazonaws.com)
         * and exact IAM role or user ARNs. Default: the role's own account (its IAM policies decide).
         */
        assumedBy: z
            .array(
                z
                    .string()
                    .regex(
                        /^([a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com|arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]+)$/,
                        "expected a service principal such as ecs-tasks.amazonaws.com, or an exact IAM role or user ARN (no wildcards)",
                    )
                    // IAM refuses a service principal it does not know, and each service needs
                    // its own actions in the trust policy (policies/documents.ts, SERVICE_TRUST).
                    .refine((p) => !SERVICE_FORM.test(p) || Object.hasOwn(SERVICE_TRUST, p), {
                        message: `not a service principal this program knows the trust needs of; expected one of ${KNOWN_SERVICES.join(", ")}, or an exact IAM role or user ARN`,
                    }),
            )
            .min(1, "expected at least one principal, or leave assumedBy out")
            .optional(),
        /**
         * Accounts outside the share (neither the owner's nor a consumer account) whose principals
         * `assumedBy` names: each must be listed here, so that trusting one is a decision in config.
         */
        externalAccounts: z
            .array(accountId)
            .min(1, "expected at least one account ID, or leave externalAccounts out")
            .optional(),
    })
    .superRefine((r, ctx) => {
        if ((r.user === undefined) === (r.role === undefined)) {
            ctx.addIssue({ code: "custom", message: "expected exactly one of user: <name> or role: <name>" });
        }
        if (r.assumedBy && (r.user !== undefined || r.existing)) {
            ctx.addIssue({
                code: "custom",
                path: ["assumedBy"],
                message:
                    "assumedBy sets the trust policy of a role this program creates; a user or an existing role has none here",
            });
        }
        if (r.externalAccounts && !r.assumedBy) {
            ctx.addIssue({
                code: "custom",
                path: ["externalAccounts"],
                message: "externalAccounts names the accounts of assumedBy principals; without assumedBy it has no use",
            });
        }
    });

const TRUST_LENGTH = LIMITS.trustPolicy;
const TRUST_LENGTH_FORM =
    `expected a whole number of characters from ${TRUST_LENGTH.size.toLocaleString("en-US")} to ${TRUST_LENGTH.raisedMax.toLocaleString("en-US")}: ` +
    `this account's IAM quota "Role trust policy length" (Service Quotas), once AWS has raised it above the default ${TRUST_LENGTH.size.toLocaleString("en-US")}`;

/** A consumer account in the owner's config: where it is and which of its identities read. */
export const consumerAccount = z
    .strictObject({
        ...accountShape,
        readers: z.array(reader).min(1, "expected at least one reader"),
        formerNames,
        /** The raised IAM quota on a role trust policy's length in this account, if AWS raised it. */
        roleTrustPolicyLength: z
            .number({ error: TRUST_LENGTH_FORM })
            .int(TRUST_LENGTH_FORM)
            .min(TRUST_LENGTH.size, TRUST_LENGTH_FORM)
            .max(TRUST_LENGTH.raisedMax, TRUST_LENGTH_FORM)
            .optional(),
    })
    .superRefine(checkCredentials);

/** `secretshare:consumers`: consumer accounts by name. */
export const consumers = z.record(accountName, consumerAccount);

/** A reader as a secret's `readers` list names it: `<consumer account name>/<user or role name>`. */
export const readerId = z
    .string()
    .regex(/^[\w.-]+\/[\w+=,.@-]+$/, "expected <consumer account name>/<user or role name>, e.g. secondary/Stuart");

/**
 * The consumer accounts and their readers, checked against each other and the owner: each
 * consumer is another account than the owner's and than every other consumer's, and each reader
 * is declared once. Adds a line to `problems` for each that is not.
 */
export function consumerAccounts(
    raw: Readonly<Record<string, z.output<typeof consumerAccount>>>,
    owner: Account,
    problems: string[],
): { consumers: Record<string, ConsumerAccount>; readersById: Map<string, Reader> } {
    const consumers: Record<string, ConsumerAccount> = {};
    const readersById = new Map<string, Reader>();
    const seenAccounts = new Map<string, string>();
    // Accounts inside the share: a role's trust may name principals there without more ado.
    const inside = new Set([owner.accountId, ...Object.values(raw).map((c) => c.accountId)]);
    for (const name of Object.keys(raw).sort()) {
        const c = raw[name];
        const where = `${NAMESPACE}:consumers.${name}`;
        if (c.accountId === owner.accountId) {
            problems.push(
                `${where}.accountId = ${show(c.accountId)}: this is the owner's account; a consumer must be another account (same-account access needs no sharing)`,
            );
        }
        const twin = seenAccounts.get(c.accountId);
        if (twin)
            problems.push(
                `${where}.accountId = ${show(c.accountId)}: already used by consumer "${twin}"; give each account one entry`,
            );
        seenAccounts.set(c.accountId, name);
        const acct = account(name, c, c.region ?? owner.region);
        const readers: Reader[] = [];
        c.readers.forEach((r, i) => {
            const kind = r.user !== undefined ? "user" : "role";
            const idName = (r.user ?? r.role) as string;
            const id = `${name}/${idName}`;
            if (readersById.has(id)) {
                problems.push(
                    `${where}.readers[${i}] = ${show(idName)}: ${id} is declared twice; name each user or role once per account`,
                );
                return;
            }
            problems.push(...trustProblems(r, `${where}.readers[${i}]`, inside));
            if (kind === "role" && !r.existing && r.assumedBy) {
                problems.push(
                    ...trustSizeProblems(owner.partition, c.accountId, idName, r.assumedBy, {
                        where: `${where}.readers[${i}].assumedBy`,
                        setting: `${where}.roleTrustPolicyLength`,
                        stated: c.roleTrustPolicyLength,
                    }),
                );
            }
            const reader: Reader = {
                id,
                account: name,
                accountId: c.accountId,
                kind,
                name: idName,
                path: r.path,
                existing: r.existing,
                arn: identityArn(owner.partition, c.accountId, kind, r.path, idName),
                ...(r.assumedBy && { assumedBy: [...new Set(r.assumedBy)].sort() }),
                ...(r.externalAccounts && { externalAccounts: [...new Set(r.externalAccounts)].sort() }),
            };
            readersById.set(id, reader);
            readers.push(reader);
        });
        (c.formerNames ?? []).forEach((former, j) => {
            if (former === name || raw[former])
                problems.push(
                    `${where}.formerNames[${j}] = ${show(former)}: ${former === name ? "this is its current name" : "another consumer has this name now"}; list only names this account had before`,
                );
        });
        consumers[name] = {
            account: acct,
            readers: readers.sort((a, b) => a.id.localeCompare(b.id)),
            ...(c.formerNames && { formerNames: c.formerNames }),
            ...(c.roleTrustPolicyLength !== undefined && { roleTrustPolicyLength: c.roleTrustPolicyLength }),
        };
    }
    return { consumers, readersById };
}

/**
 * A role's `assumedBy` may name principals of the owner's and the consumer accounts; a principal
 * of any other account can assume the role and read its secrets, so its account must be named in
 * the reader's `externalAccounts` (and the plan prints a warning for it). An entry there that no
 * `assumedBy` principal uses, or that is inside the share, is refused: it would say nothing.
 */
function trustProblems(
    r: Pick<z.output<typeof reader>, "assumedBy" | "externalAccounts">,
    where: string,
    inside: ReadonlySet<string>,
): string[] {
    const problems: string[] = [];
    const external = new Set(r.externalAccounts ?? []);
    const used = new Set<string>();
    (r.assumedBy ?? []).forEach((p, j) => {
        if (!p.startsWith("arn:")) return;
        const acct = accountOfArn(p);
        if (inside.has(acct)) return;
        used.add(acct);
        if (!external.has(acct)) {
            problems.push(
                `${where}.assumedBy[${j}] = ${show(p)}: account ${acct} is neither the owner's nor a consumer account, ` +
                    `so its principals could assume this role and read its secrets; if that is intended, ` +
                    `name the account in ${where}.externalAccounts: [${show(acct)}]`,
            );
        }
    });
    (r.externalAccounts ?? []).forEach((acct, j) => {
        if (inside.has(acct)) {
            problems.push(
                `${where}.externalAccounts[${j}] = ${show(acct)}: this is the owner's or a consumer account, not an external one; remove it`,
            );
        } else if (!used.has(acct)) {
            problems.push(
                `${where}.externalAccounts[${j}] = ${show(acct)}: no assumedBy principal is in this account; remove it`,
            );
        }
    });
    return problems;
}

/**
 * The trust policy of a role created here is decided by config alone (roleTrustPolicy is pure):
 * one over IAM's role trust policy length would fail CreateRole in the consumer account after
 * the owner's resources were created, so it is refused here. IAM does not count whitespace.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
function trustSizeProblems(
    partition: string,
    accountId: string,
    role: string,
    assumedBy: readonly string[],
    at: { where: string; setting: string; stated: number | undefined },
): string[] {
    const size = sizeOf(roleTrustPolicy(partition, accountId, [...new Set(assumedBy)].sort()), "trustPolicy");
    const max = at.stated ?? TRUST_LENGTH.size;
    if (size <= max) return [];
    const num = (n: number) => n.toLocaleString("en-US");
    const quota =
        at.stated === undefined
            ? `the ${num(max)} IAM allows by default (${TRUST_LENGTH.what} length)`
            : `the ${num(max)} of ${at.setting}`;
    const raise =
        max < TRUST_LENGTH.raisedMax
            ? `, or have AWS raise the quota "Role trust policy length" of account ${accountId} (up to ${num(TRUST_LENGTH.raisedMax)}) and set ${at.setting} to it`
            : "";
    return [
        `${at.where} = ${show(assumedBy)}: the trust policy of role ${role} would be ${num(size)} characters (whitespace not counted), ` +
            `over ${quota}; name fewer principals (e.g. one role that the workloads assume in turn)${raise}`,
    ];
}

/** A problem line for each declared reader that no secret lists (`used`: the reader ids secrets name). */
export function unusedReaders(readerIds: Iterable<string>, used: ReadonlySet<string>): string[] {
    const out: string[] = [];
    for (const id of readerIds) {
        if (!used.has(id)) {
            out.push(`${NAMESPACE}:consumers: reader ${id} reads no secret; add it to a secret's readers or remove it`);
        }
    }
    return out;
}

import { accountOfArn, identityArn, parseIdentityArn, type IdentityArn } from "../../aws/arn";
import type { ReaderGrant } from "../../contract/ownerExports";
import { globMatches, instanceOf, type ConditionEntry } from "./conditions";
import { isServicePrincipal } from "./simulator";

/**
 * The principals the probes try besides the readers: one of an unrelated account, another
 * identity of the reader's account, look-alikes of the reader's ARN, and the principals that a
 * statement kept from others names.
 */

/** An account ID no planned stack uses, for the "unrelated account" probe. */
export function unrelatedAccount(used: ReadonlySet<string>): string {
    for (let n = 999999999999; ; n--) if (!used.has(String(n))) return String(n);
}

/** Another principal of the reader's kind and path in the reader's account, not itself a reader. */
export function otherPrincipal(reader: ReaderGrant, id: IdentityArn, readerArns: ReadonlySet<string>): string {
    for (let i = 1; ; i++) {
        const arn = identityArn(id.partition, id.accountId, id.kind, id.path, `${reader.name}-other${i > 1 ? i : ""}`);
        if (!readerArns.has(arn)) return arn;
    }
}

/**
 * Principals that differ from `arn` only where a character of its path or name is one that
 * ArnEquals and ArnLike read as a wildcard (`*`, `?`) or that opens a policy variable (`${`):
 * each such character (or variable) replaced by "X". Config refuses these characters; if one ever
 * slipped through, a grant to `role/app?/reader` would also let `role/appX/reader` in, and the
 * probes of these look-alikes fail the plan.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 */
export function lookalikes(arn: string): { arn: string; char: string }[] {
    const id = parseIdentityArn(arn);
    if (!id) return [];
    const tail = `${id.path}${id.name}`;
    const out: { arn: string; char: string }[] = [];
    const seen = new Set([arn]);
    const push = (start: number, end: number, char: string) => {
        const replaced = `${tail.slice(0, start)}X${tail.slice(end)}`;
        const slash = replaced.lastIndexOf("/");
        const sibling = identityArn(
            id.partition,
            id.accountId,
            id.kind,
            replaced.slice(0, slash + 1),
            replaced.slice(slash + 1),
        );
        if (!seen.has(sibling)) out.push({ arn: sibling, char });
        seen.add(sibling);
    };
    for (let i = 0; i < tail.length; i++) {
        if (tail[i] === "*" || tail[i] === "?") push(i, i + 1, tail[i]);
        if (tail.startsWith("${", i)) {
            const close = tail.indexOf("}", i);
            push(i, close < 0 ? tail.length : close + 1, "${");
        }
    }
    return out;
}

/** A principal a kept statement lets in, to simulate, and who it stands for, in words. */
export interface StatementPrincipal {
    /** An IAM user or role ARN (a stand-in for "any" or for a pattern), or a service principal. */
    readonly principal: string;
    readonly who: string;
}

const POSITIVE = /^(String|Arn)(Equals|Like)(IgnoreCase)?$/i;
const values = (entries: readonly ConditionEntry[], key: string) =>
    entries
        .filter((e) => e.key.toLowerCase() === key.toLowerCase() && POSITIVE.test(e.base))
        .flatMap((e) => e.values)
        .filter((v) => !v.includes("${"));

/**
 * A concrete IAM user or role for an `aws:PrincipalArn` pattern: a wildcard account becomes one
 * of `accounts` it matches (or `stranger`: anyone's), each other wildcard one "x". None when the
 * pattern is not a user or role (an account root, a wildcard kind).
 */
function instantiate(pattern: string, accounts: readonly string[], stranger: string): string[] {
    const m = /^arn:([^:]+):iam::([^:]*):(.+)$/.exec(pattern);
    if (!m) return [];
    const [, partition, account, rest] = m;
    const candidates = /[*?]/.test(account)
        ? (accounts.length ? accounts : [stranger]).filter((a) => globMatches(account, a))
        : [account];
    return candidates
        .map((a) => instanceOf(`arn:${partition}:iam::${a}:${rest}`))
        .filter((arn) => parseIdentityArn(arn) !== undefined);
}

const anyIn = (partition: string, account: string) => `arn:${partition}:iam::${account}:role/any-principal`;

/**
 * The principals a kept Allow statement names, narrowed as AWS narrows them: an account root
 * (or a bare account ID) is every principal of that account its own IAM policies allow, and
 * `Principal "*"` is anyone, unless the statement's `aws:PrincipalArn` or `aws:PrincipalAccount`
 * condition narrows it, to a principal instantiated from the pattern (`role/ci-*` as
 * `role/ci-x`) or to any principal of the account. `stranger`: an account no planned stack uses.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous
 */
export function statementPrincipals(
    s: Readonly<Record<string, unknown>>,
    entries: readonly ConditionEntry[],
    partition: string,
    stranger: string,
): StatementPrincipal[] {
    const anyone = `arn:${partition}:iam::${stranger}:role/anyone`;
    if (s.NotPrincipal !== undefined)
        return [{ principal: anyone, who: "anyone but the principals of its NotPrincipal" }];
    const p = s.Principal;
    const arns = values(entries, "aws:PrincipalArn");
    const accounts = values(entries, "aws:PrincipalAccount").filter((a) => /^\d{12}$/.test(a));
    const out: StatementPrincipal[] = [];
    const star = () => {
        const narrowed = arns.flatMap((a) => instantiate(a, accounts, stranger).map((principal) => ({ principal, a })));
        if (narrowed.length)
            for (const { principal, a } of narrowed)
                out.push({ principal, who: `${a} (Principal "*", aws:PrincipalArn)` });
        else if (accounts.length) {
            for (const a of accounts) {
                out.push({
                    principal: anyIn(partition, a),
                    who: `any principal of ${a} its own IAM policies allow (Principal "*", aws:PrincipalAccount)`,
                });
            }
        } else out.push({ principal: anyone, who: 'anyone (Principal "*")' });
    };
    if (p === "*") star();
    if (!p || typeof p !== "object") return out;
    const toList = (v: unknown): string[] =>
        typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
    for (const v of toList((p as Record<string, unknown>).AWS)) {
        if (v === "*") {
            star();
            continue;
        }
        const root = /^\d{12}$/.test(v) ? v : /^arn:[^:]+:iam::(\d{12}):root$/.exec(v)?.[1];
        if (root) {
            const within = arns.flatMap((a) => instantiate(a, [root], stranger).map((principal) => ({ principal, a })));
            const here = within.filter((w) => accountOfArn(w.principal) === root);
            if (here.length) for (const { principal, a } of here) out.push({ principal, who: a });
            else
                out.push({
                    principal: anyIn(partition, root),
                    who: `any principal of ${root} its own IAM policies allow`,
                });
            continue;
        }
        if (parseIdentityArn(v)) {
            out.push({ principal: v, who: v });
            continue;
        }
        // A role session: the role it is a session of.
        const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(v);
        if (session) out.push({ principal: `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`, who: v });
    }
    for (const service of toList((p as Record<string, unknown>).Service)) {
        if (isServicePrincipal(service)) out.push({ principal: service, who: `service ${service}` });
    }
    return out;
}

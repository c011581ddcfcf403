import { identityArn, parseIdentityArn, type IdentityArn } from "../../aws/arn";
import type { ReaderGrant } from "../../contract/ownerExports";

/**
 * The principals the probes try besides the readers: one of an unrelated account, another
 * identity of the reader's account, and look-alikes of the reader's ARN.
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

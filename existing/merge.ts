import { accountRootArn } from "../aws/arn";
import { PolicyReadError } from "../common/errors";
import { SID_PREFIX, type PolicyDocument } from "../policies/documents";

/**
 * Writing into documents this program does not own: an existing key's key policy and an
 * existing secret's resource policy. Each is ONE document per resource, so writing ours must
 * keep every statement somebody else put there. Pure: no Pulumi, no AWS; the component, the
 * tests and the offline plan call the same functions.
 */

/** A statement as it is stored in AWS: any shape IAM accepts (NotPrincipal, NotAction, ...). */
export type LiveStatement = Record<string, unknown> & { Sid?: unknown };

/** A policy document as it is stored in AWS: `Id` and other top-level keys are kept as found. */
export interface LiveDocument {
    readonly Version?: string;
    readonly Id?: string;
    readonly Statement: readonly LiveStatement[];
    readonly [key: string]: unknown;
}

/**
 * Parses a stored policy. No policy at all (a secret without a resource policy: the provider
 * gives "" or "{}") is `undefined`. A single statement object is accepted as IAM accepts it.
 */
export function parsePolicy(text: string | undefined, what: string): LiveDocument | undefined {
    if (text === undefined || text.trim() === "" || text.trim() === "{}" || text.trim() === "null") return undefined;
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch (e) {
        throw new PolicyReadError(`${what} is not valid JSON (${(e as Error).message}); fix it in AWS first`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new PolicyReadError(`${what} is not a JSON object; fix it in AWS first`);
    }
    const doc = value as Record<string, unknown>;
    const st = doc.Statement;
    if (st === undefined) return { ...doc, Statement: [] };
    const list = Array.isArray(st) ? (st as unknown[]) : [st];
    if (list.some((s) => !s || typeof s !== "object" || Array.isArray(s))) {
        throw new PolicyReadError(`${what} has a Statement that is not a JSON object; fix it in AWS first`);
    }
    return { ...doc, Statement: list as LiveStatement[] };
}

/** A statement this program wrote: its Sid starts with SID_PREFIX ("SecretShare"). */
export function isOwnStatement(s: LiveStatement): boolean {
    return typeof s.Sid === "string" && s.Sid.startsWith(SID_PREFIX);
}

/**
 * The document to write: every foreign statement of `current` kept verbatim and in place, and
 * this program's statements (Sid prefix SID_PREFIX) replaced by `ours`. Ours go where the first
 * of ours was, or after the foreign ones when there were none yet, so that writing the result
 * and merging again gives the same document (no diff on the next run), and a statement that
 * somebody appends after ours later stays after ours. `Version`, `Id` and any other top-level
 * key of `current` are kept; "2012-10-17" is used when there is no current document.
 * Throws when `ours` holds a statement without our prefix: it would become foreign next run.
 */
export function mergeOwnStatements(current: LiveDocument | undefined, ours: PolicyDocument): LiveDocument {
    const stray = ours.Statement.filter((s) => !isOwnStatement(s as unknown as LiveStatement));
    if (stray.length) {
        throw new Error(
            `statements to merge must have a Sid starting with ${SID_PREFIX}: ${stray.map((s) => JSON.stringify(s.Sid ?? null)).join(", ")}`,
        );
    }
    const mine = ours.Statement.map((s) => ({ ...s }));
    if (!current) return { Version: ours.Version, Statement: mine };
    const out: LiveStatement[] = [];
    let placed = false;
    for (const s of current.Statement) {
        if (!isOwnStatement(s)) out.push(s);
        else if (!placed) {
            out.push(...mine);
            placed = true;
        }
    }
    if (!placed) out.push(...mine);
    return { ...current, Version: current.Version ?? ours.Version, Statement: out };
}

// ---------------------------------------------------------------------------------------------
// Lock-out guard

/** The principals that must keep kms:PutKeyPolicy: configured admins, else the owner account root. */
export function requiredKeyAdmins(partition: string, ownerAccountId: string, admins?: readonly string[]): string[] {
    return admins && admins.length ? [...admins] : [accountRootArn(partition, ownerAccountId)];
}

const list = (v: unknown): string[] =>
    typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];

/** IAM action patterns: case-insensitive, `*` any run, `?` one character. */
function actionMatches(pattern: string, action: string): boolean {
    const re = new RegExp(
        "^" +
            pattern
                .split("")
                .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
                .join("") +
            "$",
        "i",
    );
    return re.test(action);
}

function coversAction(s: LiveStatement, action: string): boolean {
    if (s.Action !== undefined) return list(s.Action).some((p) => actionMatches(p, action));
    if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => actionMatches(p, action));
    return false;
}

/** The AWS principals a Principal/NotPrincipal element names; "*" for everyone. */
function principals(v: unknown): string[] {
    if (v === "*") return ["*"];
    if (v && typeof v === "object" && !Array.isArray(v)) return list((v as Record<string, unknown>).AWS);
    return [];
}

/**
 * Whether a principal list names `arn`: the ARN itself, everyone ("*"), or the root of its
 * account (as an ARN or a bare account ID). A key policy that names an account root delegates
 * to that account's IAM policies, so the account can always grant the key back to itself.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
 */
function names(listed: readonly string[], arn: string): boolean {
    const parts = arn.split(":");
    const account = parts[4] ?? "";
    const root = `arn:${parts[1]}:iam::${account}:root`;
    return listed.some((p) => p === "*" || p === arn || p === root || p === account);
}

function appliesTo(s: LiveStatement, arn: string): boolean {
    if (s.Principal !== undefined) return names(principals(s.Principal), arn);
    if (s.NotPrincipal !== undefined) return !names(principals(s.NotPrincipal), arn);
    return false;
}

const conditional = (s: LiveStatement) =>
    s.Condition !== undefined && !(typeof s.Condition === "object" && Object.keys(s.Condition ?? {}).length === 0);

/**
 * Which of `admins` would be locked out of the key by `doc`: those that no unconditional Allow
 * grants kms:PutKeyPolicy, or that an unconditional Deny refuses it. A conditional Allow is not
 * counted (it may not hold when the key needs fixing); a conditional Deny is not counted either
 * (organisation guards such as "deny unless aws:PrincipalOrgID" are common and cannot be
 * decided without a request). Resource is not checked: in a key policy it is always this key.
 * A direct reading of the statements, not a simulation: this answers exactly "is there an
 * unconditional path to PutKeyPolicy", with no request context to invent.
 */
export function lockedOutAdmins(doc: LiveDocument, admins: readonly string[]): string[] {
    const action = "kms:PutKeyPolicy";
    return admins.filter((arn) => {
        const relevant = doc.Statement.filter((s) => coversAction(s, action) && appliesTo(s, arn) && !conditional(s));
        const allowed = relevant.some((s) => s.Effect === "Allow");
        const denied = relevant.some((s) => s.Effect === "Deny");
        return !allowed || denied;
    });
}

/** Why a key policy that would lock its administrators out is refused, and what to keep instead. */
export function lockoutMessage(keyName: string, lockedOut: readonly string[]): string {
    return (
        `refusing to write the key policy of ${keyName}: it would no longer allow kms:PutKeyPolicy to ${lockedOut.join(", ")}, ` +
        "so nobody could change the key policy again. Keep a statement (with a Sid that does not start with " +
        `${SID_PREFIX}) that allows kms:PutKeyPolicy, or kms:*, to the owner account root or the key's administrators, ` +
        "and name those administrators in secretshare:key.admins."
    );
}

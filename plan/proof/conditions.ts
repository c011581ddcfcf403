/**
 * Reading the Condition element of a statement kept from others, to probe it as AWS would: does
 * a request context meet a condition, and which value of a key would meet it. Only what the
 * access matrix needs: string, ARN, Bool, Null, numeric and IP address operators; anything else
 * (dates, binary, policy variables) is "cannot tell", which the matrix shows as conditional.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */

export interface ConditionEntry {
    /** As written, e.g. "ForAnyValue:StringLikeIfExists". */
    readonly operator: string;
    /** Without set qualifier and IfExists, e.g. "StringLike". */
    readonly base: string;
    readonly key: string;
    readonly values: readonly string[];
    readonly ifExists: boolean;
}

export type Context = Readonly<Record<string, string | readonly string[]>>;

const list = (v: unknown): string[] =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean"
        ? [String(v)]
        : Array.isArray(v)
          ? v.filter((x) => ["string", "number", "boolean"].includes(typeof x)).map(String)
          : [];

/** Every (operator, key, values) of a statement's Condition element. */
export function conditionEntries(statement: Record<string, unknown>): ConditionEntry[] {
    const condition = statement.Condition;
    if (!condition || typeof condition !== "object") return [];
    const out: ConditionEntry[] = [];
    for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
        if (!block || typeof block !== "object") continue;
        const plain = operator.replace(/^(ForAnyValue|ForAllValues):/i, "");
        const ifExists = /IfExists$/i.test(plain);
        const base = plain.replace(/IfExists$/i, "");
        for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
            out.push({ operator, base, key, values: list(value), ifExists });
        }
    }
    return out;
}

/** Negated operators hold when the key is absent. */
export const isNegated = (e: ConditionEntry) =>
    /^(String|Arn)Not|^NumericNotEquals$|^DateNotEquals$|^NotIpAddress$/i.test(e.base);

/** A value written with a policy variable (`${aws:username}`): its value depends on the request. */
const hasVariable = (v: string) => v.includes("${");

const globs = new Map<string, RegExp>();

/**
 * IAM's wildcard match: `*` any run of characters, `?` one. Each pattern's regex is built once
 * (the probes test the same patterns for every reader); it has no g or y flag, so `test` keeps no
 * state between calls.
 */
export function globMatches(pattern: string, value: string, ignoreCase = false): boolean {
    const key = `${ignoreCase ? "i" : "s"}${pattern}`;
    let re = globs.get(key);
    if (!re) {
        const source = pattern
            .split("")
            .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
            .join("");
        re = new RegExp(`^${source}$`, ignoreCase ? "i" : "");
        if (globs.size >= 50_000) globs.clear();
        globs.set(key, re);
    }
    return re.test(value);
}

/** A value that matches a pattern: each wildcard stands for one "x". */
export const instanceOf = (pattern: string) => pattern.replace(/[*?]/g, "x");

function matchOne(base: string, pattern: string, value: string): boolean | undefined {
    if (hasVariable(pattern)) return undefined;
    const b = base.replace(/^(String|Arn)Not/i, "$1");
    if (/^StringEquals$/i.test(b)) return pattern === value;
    if (/^StringEqualsIgnoreCase$/i.test(b)) return pattern.toLowerCase() === value.toLowerCase();
    // ArnEquals and ArnLike behave alike: `*` and `?` are wildcards in both.
    if (/^(StringLike|ArnEquals|ArnLike)$/i.test(b)) return globMatches(pattern, value);
    if (/^Bool$/i.test(b)) return pattern.toLowerCase() === value.toLowerCase();
    return undefined;
}

/**
 * Whether `context` meets the entry: true, false, or undefined when this reading cannot tell
 * (an operator it does not evaluate, or a policy variable).
 */
export function holds(e: ConditionEntry, context: Context): boolean | undefined {
    const raw = Object.entries(context).find(([k]) => k.toLowerCase() === e.key.toLowerCase())?.[1];
    if (/^Null$/i.test(e.base)) return e.values.some((v) => v.toLowerCase() === String(raw === undefined));
    // A negated operator, IfExists, and ForAllValues (over no values) hold for an absent key.
    if (raw === undefined) return isNegated(e) || e.ifExists || /^ForAllValues:/i.test(e.operator);
    const present = typeof raw === "string" ? [raw] : [...raw];
    const negated = isNegated(e);
    const results = present.map((v) => {
        const m = e.values.map((p) => matchOne(e.base, p, v));
        if (m.some((x) => x === true)) return !negated;
        if (m.some((x) => x === undefined)) return undefined;
        return negated;
    });
    if (results.some((r) => r === undefined)) return undefined;
    return /^ForAllValues:/i.test(e.operator) ? results.every(Boolean) : results.some(Boolean);
}

/**
 * A value for the entry's key that meets it, where the statement gives one as a literal
 * (e.g. `aws:PrincipalOrgID` of StringEquals): what a request that the statement lets in carries.
 * Undefined when no single literal does (a negated operator, a policy variable, a date).
 */
export function satisfyingValue(e: ConditionEntry): string | undefined {
    const literal = e.values.find((v) => !hasVariable(v));
    if (literal === undefined || isNegated(e)) return undefined;
    if (/^(String|Arn)(Equals|Like)(IgnoreCase)?$/i.test(e.base) || /^Bool$/i.test(e.base)) return instanceOf(literal);
    if (/^IpAddress$/i.test(e.base)) return literal.split("/")[0];
    if (/^Numeric(Equals|LessThanEquals|GreaterThanEquals)$/i.test(e.base)) return literal;
    const n = Number(literal);
    if (/^NumericLessThan$/i.test(e.base) && Number.isFinite(n)) return String(n - 1);
    if (/^NumericGreaterThan$/i.test(e.base) && Number.isFinite(n)) return String(n + 1);
    return undefined;
}

/**
 * For an entry that holds (e.g. a Deny's `StringNotEquals aws:PrincipalOrgID o-abc`, which holds
 * for a request with no organization), a value that makes it not hold: the negated operator's
 * own literal. Undefined when there is none.
 */
export function defeatingValue(e: ConditionEntry): string | undefined {
    if (!isNegated(e) || !/^(String|Arn)Not/i.test(e.base)) return undefined;
    const literal = e.values.find((v) => !hasVariable(v));
    return literal === undefined ? undefined : instanceOf(literal);
}

/**
 * Patterns over one string, as IAM reads the values of a policy: a sequence of tokens, each one
 * character of a class, or any run (`*`) of characters of a class. The classes are sets of
 * characters or their complements, so that the three ways IAM compares strings fit one form:
 *
 * - `StringEquals` and the Principal element: every character literal, case-sensitive;
 * - `StringLike`: `*` any run, `?` any one character; `StringEqualsIgnoreCase`: literal, either case;
 * - `ArnLike` and `ArnEquals` (alike): the six colon-separated parts of the ARN are compared one by
 *   one, so that a `*` or `?` in the first five parts never matches a colon, and in the sixth
 *   (the resource) it may.
 *
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */

export interface Token {
    /** The class: the characters of `chars`, or with `negated`, every character not in it. */
    readonly chars: string;
    readonly negated: boolean;
    /** Any run (zero or more) of characters of the class, instead of exactly one. */
    readonly star: boolean;
}

export interface Pattern {
    readonly tokens: readonly Token[];
    /** The value as the document writes it, to say where a constraint comes from. */
    readonly source: string;
    /** The one string it matches, when it has no wildcard and no case folding. */
    readonly exact?: string;
    /** How a report names what it matches, when not by its source (e.g. "any principal of 333333333333"). */
    readonly label?: string;
}

const one = (chars: string, negated = false): Token => ({ chars, negated, star: false });
const run = (chars: string, negated = true): Token => ({ chars, negated, star: true });
const ANY = "";
const NO_COLON = ":";

const letter = (c: string, ignoreCase: boolean) => {
    if (!ignoreCase) return one(c);
    const both = [...new Set([c.toLowerCase(), c.toUpperCase(), c])].join("");
    return one(both);
};

const memo = new Map<string, Pattern | undefined>();
/** Built once per distinct value: a document names the same values over and over. */
function once<T extends Pattern | undefined>(key: string, build: () => T): T {
    if (memo.has(key)) return memo.get(key) as T;
    const p = build();
    if (memo.size > 100_000) memo.clear();
    memo.set(key, p);
    return p;
}

/** Exactly `value`, every character literal. */
export function exact(value: string): Pattern {
    return once(`e\0${value}`, () => ({ tokens: [...value].map((c) => one(c)), source: value, exact: value }));
}

/** Exactly `value` without regard to case (`StringEqualsIgnoreCase`): `*` and `?` are literal characters. */
export function exactIgnoreCase(value: string): Pattern {
    return once(`i\0${value}`, () => ({
        tokens: [...value].map((c) => letter(c, true)),
        source: value,
        ...(value.toLowerCase() === value.toUpperCase() ? { exact: value } : {}),
    }));
}

/** IAM's wildcard value (`*`, `?`), optionally without regard to case, wildcards crossing colons. */
export function glob(value: string, ignoreCase = false, source = value): Pattern {
    return once(`g\0${ignoreCase}\0${value}\0${source}`, () => ({
        tokens: globTokens(value, ignoreCase, ANY),
        source,
        ...exactOf(value, ignoreCase),
    }));
}

function exactOf(value: string, ignoreCase: boolean): { exact?: string } {
    return /[*?]/.test(value) || (ignoreCase && value.toLowerCase() !== value.toUpperCase()) ? {} : { exact: value };
}

function globTokens(value: string, ignoreCase: boolean, notIn: string): Token[] {
    return [...value].map((c) => (c === "*" ? run(notIn) : c === "?" ? one(notIn, true) : letter(c, ignoreCase)));
}

/**
 * An `ArnLike`/`ArnEquals` value: undefined when it has fewer than six parts, which no ARN
 * matches that way (the analysis then says it cannot decide, rather than guess).
 */
export function arnGlob(value: string): Pattern | undefined {
    return once(`a\0${value}`, () => buildArnGlob(value));
}

function buildArnGlob(value: string): Pattern | undefined {
    const parts = value.split(":");
    if (parts.length < 6) return undefined;
    const head = parts.slice(0, 5);
    const resource = parts.slice(5).join(":");
    const tokens: Token[] = [];
    head.forEach((p) => tokens.push(...globTokens(p, false, NO_COLON), one(":")));
    tokens.push(...globTokens(resource, false, ANY));
    return { tokens, source: value, ...exactOf(value, false) };
}

/** An account-ID value (`aws:PrincipalAccount`, `kms:CallerAccount`) as a pattern on the principal's ARN. */
export function accountOfPrincipal(value: string, ignoreCase: boolean, wildcards: boolean, source = value): Pattern {
    return once(`p\0${ignoreCase}\0${wildcards}\0${value}\0${source}`, () =>
        buildAccount(value, ignoreCase, wildcards, source),
    );
}

function buildAccount(value: string, ignoreCase: boolean, wildcards: boolean, source: string): Pattern {
    const account = wildcards ? globTokens(value, ignoreCase, NO_COLON) : [...value].map((c) => letter(c, ignoreCase));
    // arn:<partition>:<service>::<account>:<anything>; a principal's ARN has no region.
    const tokens: Token[] = [
        ...[..."arn:"].map((c) => one(c)),
        run(NO_COLON),
        one(":"),
        run(NO_COLON),
        one(":"),
        one(":"),
        ...account,
        one(":"),
        run(ANY),
    ];
    return { tokens, source, label: `any principal of ${value}` };
}

/** Built from tokens, for the domains of principals (./solver.ts). */
export function fromTokens(tokens: readonly Token[], source: string): Pattern {
    return { tokens, source };
}
export const tokens = { one, run, letter, ANY, NO_COLON };

const inClass = (t: Token, c: string) => t.chars.includes(c) !== t.negated;

/** The positions of a pattern a matcher can be at: a sorted list, closed over empty runs. */
export type Positions = readonly number[];

export function start(p: Pattern): Positions {
    return close(p, [0]);
}

function close(p: Pattern, at: readonly number[]): number[] {
    const out = new Set<number>();
    for (let i of at) {
        out.add(i);
        while (i < p.tokens.length && p.tokens[i].star) out.add(++i);
    }
    return [...out].sort((a, b) => a - b);
}

export function step(p: Pattern, at: Positions, c: string): Positions {
    const next: number[] = [];
    for (const i of at) {
        const t = p.tokens[i];
        if (!t || !inClass(t, c)) continue;
        next.push(t.star ? i : i + 1);
    }
    return next.length ? close(p, next) : [];
}

export const accepts = (p: Pattern, at: Positions) => at.includes(p.tokens.length);

const compiled = new WeakMap<Pattern, RegExp>();
const escape = (c: string) => c.replace(/[\\\]^-]/g, "\\$&");

/** The pattern as a regular expression (the same language), compiled once: matching is native. */
function regexOf(p: Pattern): RegExp {
    let re = compiled.get(p);
    if (!re) {
        const source = p.tokens
            .map((t) => {
                const cls =
                    t.chars === ""
                        ? t.negated
                            ? "[^]"
                            : "[]"
                        : `[${t.negated ? "^" : ""}${[...t.chars].map(escape).join("")}]`;
                return t.star ? `${cls}*` : cls;
            })
            .join("");
        re = new RegExp(`^${source}$`, "u");
        compiled.set(p, re);
    }
    return re;
}

/** Whether `value` matches. */
export function matches(p: Pattern, value: string): boolean {
    if (p.exact !== undefined) return p.exact === value;
    return regexOf(p).test(value);
}

/** Every character a pattern names (in a class or a complement): the rest all behave alike. */
export function namedChars(p: Pattern): string {
    return [...new Set(p.tokens.map((t) => t.chars).join(""))].join("");
}

import { expect } from "chai";
import * as fc from "fast-check";
import type { LiveStatement } from "../../../existing/merge";
import { candidates } from "../../../plan/analysis/candidates";
import { arnGlob, exact, exactIgnoreCase, glob, matches, type Pattern } from "../../../plan/analysis/glob";
import { combine, decide, sideOf, statementsOf, type Document, type Service } from "../../../plan/analysis/reach";
import { type Cube, type Point } from "../../../plan/analysis/solver";
import { and, PRINCIPAL, translate, type Frame, type Translated } from "../../../plan/analysis/statements";

/**
 * The analysis reads a statement once per shape of frame (plan/analysis/statements.ts, `prepare`)
 * and `decide` reads only the statements that can hold the principal (plan/analysis/candidates.ts).
 * Both must give what reading every statement of the document afresh for each frame gives: the
 * reference below is that reading, as the analysis did it before, compared on random documents
 * whose conditions mix keys the request fixes (in any order), modelled keys, keys kept as written
 * and what cannot be read.
 */

const OWNER = "111111111111";
const KEY = `arn:aws:kms:us-east-1:${OWNER}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9`;
const SECRETS = ["db-Ab12Cd", "app/api-Xy34Zw", "app/web-Qr56St"].map(
    (s) => `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:${s}`,
);
const VIA = ["secretsmanager.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com"];
const PRINCIPALS = [
    `arn:aws:iam::222222222222:role/app/reader`,
    `arn:aws:iam::222222222222:user/Stuart`,
    `arn:aws:iam::333333333333:role/ops`,
    `arn:aws:iam::${OWNER}:role/admin`,
];

// --- the reference: every statement read afresh for each frame ---------------------------------

const list = (v: unknown): string[] =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean"
        ? [String(v)]
        : Array.isArray(v)
          ? v.filter((x) => ["string", "number", "boolean"].includes(typeof x)).map(String)
          : [];
const POSITIVE = /^(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$/i;
const NEGATED = /^(StringNotEquals|StringNotEqualsIgnoreCase|StringNotLike|ArnNotEquals|ArnNotLike)$/i;

function patternOf(base: string, value: string): Pattern | string {
    if (value.includes("${")) return "variable";
    const op = base.replace(/^(String|Arn)Not/i, "$1").toLowerCase();
    const ignoreCase = op === "stringequalsignorecase";
    const wild = op === "stringlike" || op === "arnlike" || op === "arnequals";
    if (op.startsWith("arn")) return arnGlob(value) ?? "not an ARN";
    return wild ? glob(value) : ignoreCase ? exactIgnoreCase(value) : exact(value);
}

function fixedHolds(operator: string, values: readonly string[], value: string | undefined): boolean | undefined {
    if (/^For(Any|All)Values:/i.test(operator)) return undefined;
    const ifExists = /IfExists$/i.test(operator);
    const base = operator.replace(/IfExists$/i, "");
    if (/^Null$/i.test(base)) return values.some((v) => v.toLowerCase() === String(value === undefined));
    const negated = NEGATED.test(base);
    if (!negated && !POSITIVE.test(base)) return undefined;
    if (value === undefined) return negated || ifExists;
    const patterns: Pattern[] = [];
    for (const v of values) {
        const p = patternOf(base, v);
        if (typeof p === "string") return undefined;
        patterns.push(p);
    }
    const any = patterns.some((p) => matches(p, value));
    return negated ? !any : any;
}

/** The frame read at once, condition by condition: `translate` of the frame with no fixed key. */
function referenceTranslate(s: LiveStatement, frame: Frame): Translated {
    const unfixed = translate(withoutCondition(s), { ...frame, fixed: {} });
    if (!unfixed.applies || unfixed.notProven) return unfixed;
    let alts = unfixed.parts.map((p) => ({ cube: p.cube, accountLevel: p.accountLevel }));
    const conditions: string[] = [];
    for (const [operator, block] of Object.entries((s.Condition ?? {}) as Record<string, Record<string, unknown>>)) {
        for (const [rawKey, raw] of Object.entries(block)) {
            const key = rawKey.toLowerCase();
            const values = list(raw);
            const written = `${rawKey} ${operator} ${values.join(", ")}`;
            if (key in frame.fixed) {
                const holds = fixedHolds(operator, values, frame.fixed[key]);
                if (holds === undefined)
                    return { applies: true, parts: [], notProven: `${written}: the operator is not read` };
                if (!holds) return { applies: true, parts: [] };
                continue;
            }
            // One condition alone, on a statement for anyone, read by `translate` in a frame that
            // fixes nothing: its alternatives, kept as written, or why it cannot be read.
            const one = translate(
                {
                    Effect: "Allow",
                    Principal: "*",
                    Action: s.Action,
                    Resource: "*",
                    Condition: { [operator]: { [rawKey]: raw } },
                },
                { ...frame, fixed: {} },
            );
            if (one.notProven) return one;
            if (one.parts.some((p) => p.conditions.includes(written))) {
                conditions.push(written);
                continue;
            }
            const options: Cube[] = one.parts.map((p) => p.cube);
            alts = alts.flatMap((a) =>
                options.flatMap((o) => {
                    const cube = and(a.cube, o);
                    return cube ? [{ cube, accountLevel: a.accountLevel }] : [];
                }),
            );
        }
    }
    return { applies: true, parts: alts.map((a) => ({ ...a, conditions })) };
}

const withoutCondition = (s: LiveStatement): LiveStatement => {
    const rest: Record<string, unknown> = { ...s };
    delete rest.Condition;
    return rest;
};

/** `decide`'s side, over every statement of every document, each translated afresh. */
function referenceSide(docs: readonly Document[], frame: Frame, point: Point) {
    const all = docs.flatMap((d) => statementsOf(d.policy));
    return sideOf(
        all.map((s) => ({ effect: s.Effect, translated: translate(s, frame) })),
        point,
    );
}

function referenceDecide(
    resource: Document | undefined,
    identity: readonly Document[],
    frame: Frame,
    service: Service,
    account: string,
    point: Point,
): string {
    // Only the reading of statements is under test: both sides are combined as decide() does.
    const res = referenceSide(resource ? [resource] : [], frame, point);
    const id = referenceSide(identity, frame, point);
    return combine(res, id, point[PRINCIPAL] ?? "", service, account);
}

// --- random documents -----------------------------------------------------------------------

const secretValue = fc.constantFrom(
    ...SECRETS,
    `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:app/*`,
    `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:db-??????`,
    "arn:aws:secretsmanager:*:*:secret:${aws:username}-*",
    "not-an-arn",
);
const condition = fc.oneof(
    fc
        .tuple(
            fc.constantFrom(
                "StringLike",
                "StringEquals",
                "ArnLike",
                "StringNotLike",
                "ArnNotEquals",
                "StringLikeIfExists",
            ),
            fc.array(secretValue, { minLength: 1, maxLength: 3 }),
        )
        .map(([op, v]) => ({ [op]: { "kms:EncryptionContext:SecretARN": v } })),
    fc
        .tuple(
            fc.constantFrom("StringEquals", "StringNotEquals", "ForAnyValue:StringEquals", "NumericEquals"),
            fc.constantFrom(...VIA),
        )
        .map(([op, v]) => ({ [op]: { "kms:ViaService": v } })),
    fc.constantFrom("true", "false").map((v) => ({ Null: { "kms:ViaService": v } })),
    fc
        .tuple(
            fc.constantFrom("ArnEquals", "ArnLike", "StringNotEquals"),
            fc.constantFrom(...PRINCIPALS, "arn:aws:iam::222222222222:role/*"),
        )
        .map(([op, v]) => ({ [op]: { "aws:PrincipalArn": v } })),
    fc
        .constantFrom("StringEquals", "ForAllValues:StringLike")
        .map((op) => ({ [op]: { "aws:PrincipalArn": "${aws:username}" } })),
    fc.constant({ StringEquals: { "aws:PrincipalOrgID": "o-abc123" } }),
);
const principal = fc.oneof(
    fc.constantFrom(...PRINCIPALS).map((p) => ({ AWS: p })),
    fc.array(fc.constantFrom(...PRINCIPALS), { minLength: 1, maxLength: 3 }).map((p) => ({ AWS: p })),
    fc.constantFrom("222222222222", `arn:aws:iam::${OWNER}:root`).map((a) => ({ AWS: a })),
    fc.constant("*"),
    fc.constant({ Service: "secretsmanager.amazonaws.com" }),
    fc.constant({ Federated: "cognito-identity.amazonaws.com" }),
);
const statement = fc
    .record({
        Effect: fc.constantFrom("Allow", "Allow", "Allow", "Deny"),
        Principal: principal,
        Action: fc.constantFrom("kms:Decrypt", "kms:*", "kms:Encrypt", ["kms:Decrypt", "kms:DescribeKey"]),
        // Several conditions in one operator block as well as across blocks, in random order.
        conditions: fc.array(condition, { maxLength: 4 }),
    })
    .map(({ conditions, ...s }) => {
        const Condition: Record<string, Record<string, unknown>> = {};
        for (const c of conditions)
            for (const [op, block] of Object.entries(c) as [string, Record<string, unknown>][])
                Condition[op] = { ...Condition[op], ...block };
        return { ...s, Resource: "*", ...(conditions.length && { Condition }) };
    });

/** Statements the analysis reads without "not proven" (as in a packed key policy), for long documents. */
const readable = fc
    .record({
        Effect: fc.constantFrom("Allow", "Allow", "Allow", "Deny"),
        Principal: fc.oneof(
            fc.constantFrom(...PRINCIPALS).map((p) => ({ AWS: p })),
            fc.array(fc.constantFrom(...PRINCIPALS), { minLength: 1, maxLength: 3 }).map((p) => ({ AWS: p })),
            fc.constantFrom("222222222222", `arn:aws:iam::${OWNER}:root`).map((a) => ({ AWS: a })),
        ),
        Action: fc.constantFrom("kms:Decrypt", "kms:Encrypt"),
        secrets: fc.option(fc.array(fc.constantFrom(...SECRETS), { minLength: 1, maxLength: 2 }), { nil: undefined }),
        via: fc.option(fc.constantFrom(...VIA), { nil: undefined }),
    })
    .map(({ secrets, via, ...s }): LiveStatement => {
        const Condition: Record<string, Record<string, unknown>> = {};
        if (secrets) Condition.StringLike = { "kms:EncryptionContext:SecretARN": secrets };
        if (via) Condition.StringEquals = { "kms:ViaService": via };
        return { ...s, Resource: "*", ...(Object.keys(Condition).length && { Condition }) };
    });

/** Frames of one or two shapes: the encryption context's value varies, and one lacks kms:ViaService. */
const frames = (secret: string, via: string | undefined): Frame => ({
    action: "kms:Decrypt",
    resource: KEY,
    fixed: {
        ...(via !== undefined && { "kms:viaservice": via }),
        "kms:encryptioncontext:secretarn": secret,
    },
    vars: {},
});

describe("plan/analysis: a statement read once per shape of frame, and decide over candidates", function () {
    this.timeout(120_000);

    it("translate gives, frame after frame, what reading each frame afresh gives", () => {
        fc.assert(
            fc.property(
                fc.array(statement, { minLength: 1, maxLength: 6 }),
                fc.array(fc.tuple(fc.constantFrom(...SECRETS), fc.constantFrom(...VIA, undefined)), {
                    minLength: 1,
                    maxLength: 6,
                }),
                (statements, cases) => {
                    for (const [secret, via] of cases) {
                        const frame = frames(secret, via);
                        for (const s of statements) {
                            expect(translate(s, frame), JSON.stringify({ s, frame })).to.deep.equal(
                                referenceTranslate(s, frame),
                            );
                        }
                    }
                },
            ),
            { numRuns: 300 },
        );
    });

    it("decide gives the decision of reading every statement, for any principal, and both outcomes occur", () => {
        const seen = new Set<string>();
        fc.assert(
            fc.property(
                // Long enough, often, to be indexed (plan/analysis/candidates.ts reads a short one
                // whole), and not always "not proven" for everyone.
                fc
                    .tuple(
                        fc.array(readable, { maxLength: 30, size: "max" }),
                        fc.array(statement, { maxLength: 2 }),
                        fc.nat(),
                    )
                    .map(([many, few, at]) => [
                        ...many.slice(0, at % (many.length + 1)),
                        ...few,
                        ...many.slice(at % (many.length + 1)),
                    ]),
                // The identity side: often allowing, so that the key policy decides.
                fc.oneof(
                    fc.constant([{ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }]),
                    fc.array(statement, { maxLength: 3 }),
                ),
                fc.array(
                    fc.tuple(
                        fc.constantFrom(...SECRETS),
                        fc.constantFrom(...VIA, undefined),
                        fc.constantFrom(
                            ...PRINCIPALS,
                            "arn:aws:iam::444444444444:role/other",
                            "secretsmanager.amazonaws.com",
                        ),
                    ),
                    { minLength: 1, maxLength: 6 },
                ),
                (keyStatements, identityStatements, cases) => {
                    const key: Document = { name: "key", policy: { Version: "2012-10-17", Statement: keyStatements } };
                    const identity: Document[] = [
                        {
                            name: "identity",
                            policy: {
                                Version: "2012-10-17",
                                Statement: identityStatements.map((s) => withoutPrincipal(s)),
                            },
                        },
                    ];
                    for (const [secret, via, who] of cases) {
                        const frame = frames(secret, via);
                        const point = { [PRINCIPAL]: who };
                        const expected = referenceDecide(key, identity, frame, "kms", OWNER, point);
                        expect(decide(key, identity, frame, "kms", OWNER, point)).to.equal(expected);
                        seen.add(expected);
                    }
                },
            ),
            { numRuns: 300 },
        );
        expect([...seen].sort()).to.include.members(["Allowed", "ImplicitlyDenied", "ExplicitlyDenied", "unknown"]);
    });

    it("candidates leave out, for a principal, only statements whose cubes all name another principal", () => {
        const policy = {
            Statement: [
                { Effect: "Allow", Principal: { AWS: PRINCIPALS[0] }, Action: "kms:Decrypt", Resource: "*" },
                {
                    Effect: "Allow",
                    Principal: { AWS: [PRINCIPALS[1], PRINCIPALS[2]] },
                    Action: "kms:Decrypt",
                    Resource: "*",
                },
                { Effect: "Allow", Principal: { AWS: "222222222222" }, Action: "kms:Decrypt", Resource: "*" },
                { Effect: "Allow", Principal: { AWS: PRINCIPALS[0] }, Action: "kms:Encrypt", Resource: "*" },
                {
                    Effect: "Deny",
                    Principal: "*",
                    Action: "kms:*",
                    Resource: "*",
                    Condition: { "ForAnyValue:StringEquals": { "kms:ViaService": VIA[1] } },
                },
                // Long enough to be indexed: statements that never apply.
                ...Array.from({ length: 12 }, () => ({
                    Effect: "Allow",
                    Principal: { AWS: PRINCIPALS[3] },
                    Action: "kms:Encrypt",
                    Resource: "*",
                })),
            ],
        };
        const frame = frames(SECRETS[0], VIA[0]);
        const c = candidates(policy, () => statementsOf(policy), frame);
        const sids = (l: readonly { statement: LiveStatement }[] | undefined) =>
            (l ?? []).map((x) => policy.Statement.indexOf(x.statement as never));
        // The account and the statement it cannot read are read for anyone; Encrypt never applies.
        expect(sids(c.general)).to.deep.equal([2, 4]);
        expect(sids(c.byPrincipal.get(PRINCIPALS[0]))).to.deep.equal([0]);
        expect(sids(c.byPrincipal.get(PRINCIPALS[2]))).to.deep.equal([1]);
        expect(c.byPrincipal.has(PRINCIPALS[3])).to.equal(false);
        // Kept per document and shape: another secret's frame reuses them, another shape does not.
        expect(candidates(policy, () => statementsOf(policy), frames(SECRETS[1], VIA[1]))).to.equal(c);
        expect(candidates(policy, () => statementsOf(policy), frames(SECRETS[1], undefined))).to.not.equal(c);
    });
});

const withoutPrincipal = (s: LiveStatement): LiveStatement => {
    const rest: Record<string, unknown> = { ...s };
    delete rest.Principal;
    return rest;
};

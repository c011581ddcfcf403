import { expect } from "chai";
import fc from "fast-check";
import {
    accountOfArn,
    accountRootArn,
    identityArn,
    placeholderKeyArn,
    placeholderSecretArn,
    secretArnPattern,
} from "../../aws/arn";
import { LIMITS, MAX_ATTACHED_POLICIES, sizeOf, type SizeReport } from "../../aws/limits";
import { LimitError } from "../../common/errors";
import { parseConfig, type OwnerStackConfig } from "../../config";
import type { ReaderKind } from "../../config/types";
import {
    identityPolicy,
    keyPolicy,
    type IdentityGrant,
    type KeyGrant,
    type PolicyDocument,
    type PrincipalForm,
    type Statement,
} from "../../policies/documents";
import { ownerLayout, packIdentityPolicy, type OwnerLayout } from "../../policies/layout";

/**
 * Properties of the packing and grouping in policies/layout.ts and the key policy it writes,
 * over generated inputs where the examples in packing.test.ts cannot cover the space: every
 * granted (reader, secret) pair is allowed by exactly one statement or policy and no other pair
 * is, no document exceeds its AWS limit, the result is the same for the same input (and, where
 * the code promises it, for the same input in another order), and an identity's grants go to
 * customer managed policies only when its inline policy would not fit. fast-check draws a new
 * seed each run and prints it with the smallest failing input it finds (rerun that input with
 * `{ seed, path }` in the property's parameters); `numRuns` bounds the inputs each property tries.
 */

const PARTITION = "aws";
const REGION = "us-east-1";
const OWNER = "111111111111";
const CONSUMERS = { apps: "222222222222", data: "333333333333", ops: "444444444444" } as const;

/** One element or a list, as a policy writes it, as a list. */
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const pair = (reader: string, secret: string) => `${reader} -> ${secret}`;

/** The (reader, secret) pairs granted by `grants`, each once. */
function grantedPairs(grants: readonly KeyGrant[]): string[] {
    return [...new Set(grants.flatMap((g) => g.secretArns.map((s) => pair(g.readerArn, s))))].sort();
}

const decryptStatements = (doc: PolicyDocument): Statement[] => doc.Statement.filter((s) => s.Action === "kms:Decrypt");

/** The readers a key or secret policy statement names, in either principal form. */
function readersOf(s: Statement, form: PrincipalForm): string[] {
    const aws = list(typeof s.Principal === "object" ? s.Principal.AWS : undefined);
    if (form === "principal-arn") {
        expect(s.Condition?.ArnEquals, "principal-arn: no ArnEquals condition").to.equal(undefined);
        return aws;
    }
    const readers = list(s.Condition?.ArnEquals?.["aws:PrincipalArn"]);
    // The Principal is the readers' account roots, exactly: the condition narrows it to the readers.
    const roots = [...new Set(readers.map((r) => accountRootArn(PARTITION, accountOfArn(r))))].sort();
    expect(aws, "account-root: Principal is the readers' account roots").to.deep.equal(roots);
    return readers;
}

/**
 * Every (reader, secret) pair the key policy lets decrypt, one entry per statement that allows
 * it, after checking each Decrypt statement's fixed parts (Allow, through Secrets Manager only).
 */
function decryptPairs(doc: PolicyDocument, form: PrincipalForm): string[] {
    const out: string[] = [];
    for (const s of decryptStatements(doc)) {
        expect([s.Effect, s.Resource]).to.deep.equal(["Allow", "*"]);
        expect(s.Condition?.StringEquals).to.deep.equal({ "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com` });
        const secrets = list(s.Condition?.StringLike?.["kms:EncryptionContext:SecretARN"]);
        for (const r of readersOf(s, form)) for (const sec of secrets) out.push(pair(r, sec));
    }
    return out.sort();
}

const alphanumeric = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789");

/**
 * `min` to `max` names: the prefix, a distinct number, then up to `maxLength` lower-case letters
 * and digits. Unique, and valid as IAM and secret names. The counts and lengths are drawn
 * uniformly (not fast-check's default bias to small sizes), so long lists and names come up.
 */
const names = (prefix: string, min: number, max: number, maxLength = 24) =>
    fc
        .integer({ min, max })
        .chain((n) =>
            fc.array(
                fc
                    .integer({ min: 0, max: maxLength })
                    .chain((len) => fc.string({ unit: alphanumeric, minLength: len, maxLength: len })),
                { minLength: n, maxLength: n },
            ),
        )
        .map((xs) => xs.map((x, i) => `${prefix}${i}${x}`));

/** A random order of `xs`. */
const permutation = <T>(xs: readonly T[]) =>
    fc.array(fc.double({ noNaN: true }), { minLength: xs.length, maxLength: xs.length }).map((keys) =>
        xs
            .map((x, i) => ({ x, k: keys[i] }))
            .sort((a, b) => a.k - b.k)
            .map(({ x }) => x),
    );

// ---------------------------------------------------------------------------------------------
// The key policy's Decrypt statements: grouped by reader or by secret, whichever is smaller.

interface KeyCase {
    readonly grants: KeyGrant[];
    readonly form: PrincipalForm;
    readonly describe: boolean;
}

const readerArns = names("r", 1, 12).chain((rs) =>
    fc.tuple(
        ...rs.map((name) =>
            fc
                .record({
                    account: fc.constantFrom(...Object.values(CONSUMERS)),
                    kind: fc.constantFrom<ReaderKind>("user", "role"),
                    path: fc.constantFrom("/", "/apps/", "/team/data/"),
                })
                .map(({ account, kind, path }) => identityArn(PARTITION, account, kind, path, name)),
        ),
    ),
);

const keyCase: fc.Arbitrary<KeyCase> = fc.tuple(readerArns, names("s", 1, 12, 40)).chain(([readers, secrets]) =>
    fc.record({
        // Each reader's secrets: any subset, empty included (a reader with no grant on this key).
        grants: fc.tuple(
            ...readers.map((readerArn) =>
                fc.subarray(secrets).map((s) => ({
                    readerArn,
                    secretArns: s.map((n) => secretArnPattern(PARTITION, REGION, OWNER, n)),
                })),
            ),
        ),
        form: fc.constantFrom<PrincipalForm>("account-root", "principal-arn"),
        describe: fc.boolean(),
    }),
);

const keyArgs = (c: KeyCase, grants: readonly KeyGrant[] = c.grants) => ({
    partition: PARTITION,
    region: REGION,
    ownerAccountId: OWNER,
    grants,
    principalForm: c.form,
    grantDescribeKey: c.describe,
});

/** Code-unit order, as the policy builders sort. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

interface Group {
    readonly readers: readonly string[];
    readonly secrets: readonly string[];
}

/** Groups `members` by the set each maps to; each group as (keys, that set), sorted by the secrets. */
function groupBy(of: Map<string, Set<string>>, flip: boolean): Group[] {
    const groups = new Map<string, { keys: string[]; members: string[] }>();
    for (const [key, set] of of) {
        const members = [...set].sort(byText);
        const g = groups.get(members.join("\n")) ?? { keys: [], members };
        g.keys.push(key);
        groups.set(members.join("\n"), g);
    }
    return [...groups.values()]
        .map(({ keys, members }) =>
            flip ? { readers: members, secrets: keys.sort(byText) } : { readers: keys.sort(byText), secrets: members },
        )
        .sort((a, b) => byText(a.secrets.join("\n"), b.secrets.join("\n")));
}

/**
 * The two exact groupings of the granted pairs, each as the statements keyPolicy writes for it:
 * a statement for one group is the Decrypt statement of a key policy that grants that group alone.
 */
function candidateStatements(c: KeyCase): { byReader: Statement[]; bySecret: Statement[] } {
    const secretsOf = new Map<string, Set<string>>();
    const readersOf = new Map<string, Set<string>>();
    for (const g of c.grants) {
        for (const s of g.secretArns) {
            secretsOf.set(g.readerArn, (secretsOf.get(g.readerArn) ?? new Set()).add(s));
            readersOf.set(s, (readersOf.get(s) ?? new Set()).add(g.readerArn));
        }
    }
    const statements = (groups: Group[]) =>
        groups.map((g) => {
            const alone = keyPolicy({
                ...keyArgs(
                    c,
                    g.readers.map((readerArn) => ({ readerArn, secretArns: g.secrets })),
                ),
                grantDescribeKey: false,
            });
            const [decrypt] = decryptStatements(alone);
            return decrypt;
        });
    return { byReader: statements(groupBy(secretsOf, false)), bySecret: statements(groupBy(readersOf, true)) };
}

describe("property: the key policy's Decrypt grants", () => {
    it("allow every granted (reader, secret) pair through exactly one statement, and no other pair", () => {
        fc.assert(
            fc.property(keyCase, (c) => {
                const doc = keyPolicy(keyArgs(c));
                expect(decryptPairs(doc, c.form)).to.deep.equal(grantedPairs(c.grants));
                const sids = doc.Statement.map((s) => s.Sid);
                expect(new Set(sids).size, "Sids are unique").to.equal(sids.length);
                expect(doc.Statement[0]).to.deep.include({
                    Sid: "SecretShareOwnerAdministers",
                    Principal: { AWS: accountRootArn(PARTITION, OWNER) },
                    Action: "kms:*",
                });
            }),
            { numRuns: 60 },
        );
    });

    it("group by reader or by secret, whichever is smaller (by reader on a tie)", () => {
        fc.assert(
            fc.property(keyCase, (c) => {
                const { byReader, bySecret } = candidateStatements(c);
                const size = (s: Statement[]) => JSON.stringify(s).length;
                const smaller = size(bySecret) < size(byReader) ? bySecret : byReader;
                expect(decryptStatements(keyPolicy(keyArgs(c)))).to.deep.equal(smaller);
            }),
            { numRuns: 60 },
        );
    });

    it("are the same document whatever the order of readers and secrets, or how a reader's grants are split", () => {
        const reordered = keyCase.chain((c) =>
            fc.tuple(
                fc.constant(c),
                permutation(c.grants).chain((gs) =>
                    fc.tuple(
                        ...gs.map((g) =>
                            fc.tuple(permutation(g.secretArns), fc.boolean()).map(([secretArns, split]) =>
                                // One reader named in two grants, half of its secrets in each.
                                split && secretArns.length > 1
                                    ? [
                                          { readerArn: g.readerArn, secretArns: secretArns.slice(0, 1) },
                                          { readerArn: g.readerArn, secretArns: secretArns.slice(1) },
                                      ]
                                    : [{ readerArn: g.readerArn, secretArns }],
                            ),
                        ),
                    ),
                ),
            ),
        );
        fc.assert(
            fc.property(reordered, ([c, split]) => {
                expect(JSON.stringify(keyPolicy(keyArgs(c, split.flat())))).to.equal(
                    JSON.stringify(keyPolicy(keyArgs(c))),
                );
            }),
            { numRuns: 60 },
        );
    });

    it("let exactly the readers with a grant describe the key, when grantDescribeKey is set", () => {
        fc.assert(
            fc.property(keyCase, (c) => {
                const describe = keyPolicy(keyArgs(c)).Statement.filter((s) => s.Action === "kms:DescribeKey");
                const readers = [...new Set(c.grants.filter((g) => g.secretArns.length).map((g) => g.readerArn))];
                if (!c.describe || !readers.length) {
                    expect(describe).to.deep.equal([]);
                } else {
                    expect(describe).to.have.length(1);
                    expect(readersOf(describe[0], c.form)).to.deep.equal(readers.sort());
                }
            }),
            { numRuns: 60 },
        );
    });
});

// ---------------------------------------------------------------------------------------------
// A reader's identity policy: inline when it fits, else customer managed policies.

interface IdentityCase {
    readonly kind: ReaderKind;
    readonly grants: IdentityGrant[];
}

/**
 * Up to 200 grants with names up to 500 characters: enough for both inline limits, for several
 * managed policies, and for more than the 10 IAM attaches to one identity. A name is a distinct
 * number, a few random characters and a run of "x" (the size counts, not the letters).
 */
const identityCase: fc.Arbitrary<IdentityCase> = fc.record({
    kind: fc.constantFrom<ReaderKind>("user", "role"),
    grants: fc
        .tuple(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 4 }))
        .chain(([n, longest, keys]) =>
            fc.tuple(
                fc.array(
                    fc.tuple(fc.string({ unit: alphanumeric, maxLength: 4 }), fc.integer({ min: 0, max: longest })),
                    { minLength: n, maxLength: n },
                ),
                fc.array(fc.nat({ max: keys - 1 }), { minLength: n, maxLength: n }),
                fc.boolean(),
            ),
        )
        .map(([secrets, keyIndex, perSecret]) =>
            secrets.map(([tag, length], i) => ({
                secretArn: placeholderSecretArn(PARTITION, REGION, OWNER, `s${i}${tag}${"x".repeat(length)}`),
                keyArn: placeholderKeyArn(PARTITION, REGION, OWNER, perSecret ? i : keyIndex[i]),
            })),
        ),
});

const inlineLimit = (kind: ReaderKind) => (kind === "user" ? "userInline" : "roleInline");
const docOf = (grants: readonly IdentityGrant[]) => identityPolicy({ region: REGION, grants });
const managedSize = (grants: readonly IdentityGrant[]) => sizeOf(docOf(grants), "managedPolicy");

/** packIdentityPolicy's result, or its LimitError; with the size reports it made either way. */
function pack(c: IdentityCase) {
    const sizes: SizeReport[] = [];
    try {
        return { packing: packIdentityPolicy("apps/reader", c.kind, REGION, c.grants, sizes), sizes };
    } catch (e) {
        if (e instanceof LimitError) return { error: e, sizes };
        throw e;
    }
}

describe("property: packing an identity policy", () => {
    it("puts each grant in exactly one document, in the order given, and each document within its limit", () => {
        fc.assert(
            fc.property(identityCase, (c) => {
                const { packing, sizes } = pack(c);
                if (!packing) return;
                expect(packing.chunks.flat()).to.deep.equal(c.grants.map((_, i) => i));
                expect(packing.chunks.every((chunk) => chunk.length > 0)).to.equal(true);
                expect(sizes).to.have.length(packing.chunks.length);
                for (const [i, chunk] of packing.chunks.entries()) {
                    const limit = packing.mode === "inline" ? inlineLimit(c.kind) : "managedPolicy";
                    const size = sizeOf(docOf(chunk.map((j) => c.grants[j])), limit);
                    expect(sizes[i]).to.deep.include({ limit, size, max: LIMITS[limit].size });
                    expect(size).to.be.at.most(LIMITS[limit].size);
                }
                if (packing.mode === "managed") expect(packing.chunks.length).to.be.at.most(MAX_ATTACHED_POLICIES);
            }),
            { numRuns: 60 },
        );
    });

    it("falls back to managed policies only when the inline policy would not fit", () => {
        fc.assert(
            fc.property(identityCase, (c) => {
                const fits = sizeOf(docOf(c.grants), inlineLimit(c.kind)) <= LIMITS[inlineLimit(c.kind)].size;
                const { packing } = pack(c);
                if (fits) expect(packing).to.deep.equal({ mode: "inline", chunks: [c.grants.map((_, i) => i)] });
                else if (packing) expect(packing.mode).to.equal("managed");
            }),
            { numRuns: 60 },
        );
    });

    it("fills each managed policy before it starts the next: the next grant would not have fit", () => {
        fc.assert(
            fc.property(identityCase, (c) => {
                const { packing } = pack(c);
                if (packing?.mode !== "managed") return;
                const chunks = packing.chunks.map((chunk) => chunk.map((j) => c.grants[j]));
                for (let i = 0; i + 1 < chunks.length; i++) {
                    expect(managedSize([...chunks[i], chunks[i + 1][0]])).to.be.above(LIMITS.managedPolicy.size);
                }
            }),
            { numRuns: 60 },
        );
    });

    it("refuses, naming the identity, only when it needs more managed policies than IAM attaches", () => {
        fc.assert(
            fc.property(identityCase, (c) => {
                const { error, sizes } = pack(c);
                if (!error) return;
                expect(sizeOf(docOf(c.grants), inlineLimit(c.kind))).to.be.above(LIMITS[inlineLimit(c.kind)].size);
                const managed = sizes.filter((r) => r.limit === "managedPolicy");
                expect(managed.length).to.be.above(MAX_ATTACHED_POLICIES);
                expect(managed.every((r) => r.size <= r.max)).to.equal(true);
                expect(error.problems).to.have.length(1);
                expect(error.problems[0]).to.match(new RegExp(`^${c.kind} apps/reader reads `));
            }),
            { numRuns: 60 },
        );
    });

    it("gives the same packing for the same grants; whether it is inline does not depend on their order", () => {
        const reordered = identityCase.chain((c) => fc.tuple(fc.constant(c), permutation(c.grants)));
        fc.assert(
            fc.property(reordered, ([c, shuffled]) => {
                const once = pack(c);
                expect(pack({ ...c, grants: [...c.grants] })).to.deep.equal(once);
                expect(pack({ ...c, grants: shuffled }).packing?.mode === "inline").to.equal(
                    once.packing?.mode === "inline",
                );
            }),
            { numRuns: 30 },
        );
    });
});

// ---------------------------------------------------------------------------------------------
// The owner's whole layout, from generated configs.

interface ReaderSpec {
    readonly consumer: keyof typeof CONSUMERS;
    readonly kind: ReaderKind;
    readonly name: string;
    readonly path: string;
}

interface OwnerCase {
    readonly readers: readonly ReaderSpec[];
    /** Secret name to the indices of its readers (at least one). */
    readonly secrets: readonly { readonly name: string; readonly readers: readonly number[] }[];
    readonly perSecret: boolean;
    readonly grantDescribeKey: boolean;
    readonly form: PrincipalForm;
    readonly acceptDefaultStage: boolean;
}

const ownerCase: fc.Arbitrary<OwnerCase> = fc
    .tuple(names("r", 1, 10), names("s", 1, 10, 30))
    .chain(([readerNames, secretNames]) =>
        fc.record({
            readers: fc.tuple(
                ...readerNames.map((name) =>
                    fc.record({
                        consumer: fc.constantFrom<keyof typeof CONSUMERS>("apps", "data", "ops"),
                        kind: fc.constantFrom<ReaderKind>("user", "role"),
                        name: fc.constant(name),
                        path: fc.constantFrom("/", "/apps/"),
                    }),
                ),
            ),
            secrets: fc.tuple(
                ...secretNames.map((name) =>
                    fc.record({
                        name: fc.constant(name),
                        readers: fc.subarray(
                            readerNames.map((_, i) => i),
                            { minLength: 1 },
                        ),
                    }),
                ),
            ),
            perSecret: fc.boolean(),
            grantDescribeKey: fc.boolean(),
            form: fc.constantFrom<PrincipalForm>("account-root", "principal-arn"),
            acceptDefaultStage: fc.boolean(),
        }),
    );

const readerId = (r: ReaderSpec) => `${r.consumer}/${r.name}`;
const readerArnOf = (r: ReaderSpec) => identityArn(PARTITION, CONSUMERS[r.consumer], r.kind, r.path, r.name);

/** The readers some secret names: config refuses a declared reader that reads nothing. */
const usedReaders = (c: OwnerCase) => c.readers.filter((_, i) => c.secrets.some((s) => s.readers.includes(i)));

/** The owner's `secretshare:*` values, in the order `c` gives them. */
function ownerValues(c: OwnerCase): Record<string, unknown> {
    const consumers: Record<string, { accountId: string; readers: Record<string, unknown>[] }> = {};
    for (const r of usedReaders(c)) {
        consumers[r.consumer] ??= { accountId: CONSUMERS[r.consumer], readers: [] };
        // principal-arn names readers that already exist (config refuses it for readers it creates).
        consumers[r.consumer].readers.push({
            [r.kind]: r.name,
            path: r.path,
            ...(c.form === "principal-arn" && { existing: true }),
        });
    }
    return {
        mode: "owner",
        owner: { accountId: OWNER, region: REGION },
        consumers,
        secrets: c.secrets.map((s) => ({
            name: s.name,
            username: "app",
            readers: s.readers.map((i) => readerId(c.readers[i])),
        })),
        key: { alias: "MyKey", perSecret: c.perSecret, grantDescribeKey: c.grantDescribeKey },
        secretPolicy: { principalForm: c.form, acceptDefaultStage: c.acceptDefaultStage },
    };
}

function layoutOf(c: OwnerCase): OwnerLayout {
    return ownerLayout((parseConfig("platform", ownerValues(c)) as OwnerStackConfig).owner);
}

/** The same config, its lists in another order: secrets, each secret's readers, each consumer's readers. */
const reorderedOwner = (c: OwnerCase): fc.Arbitrary<OwnerCase> =>
    fc
        .tuple(
            permutation(c.readers.map((_, i) => i)),
            permutation(c.secrets),
            fc.tuple(...c.secrets.map((s) => permutation(s.readers))),
        )
        .map(([readerOrder, secrets, secretReaders]) => {
            const at = new Map(readerOrder.map((old, i) => [old, i]));
            const readersBySecret = new Map(c.secrets.map((s, i) => [s.name, secretReaders[i]]));
            return {
                ...c,
                readers: readerOrder.map((old) => c.readers[old]),
                secrets: secrets.map((s) => ({
                    name: s.name,
                    readers: (readersBySecret.get(s.name) ?? []).map((old) => at.get(old) ?? -1),
                })),
            };
        });

describe("property: the owner's layout", function () {
    // Each run parses a config and builds every document of the owner.
    this.timeout(60_000);

    it("grants each reader exactly the secrets that name it, in its key's policy and in the contract", () => {
        fc.assert(
            fc.property(ownerCase, (c) => {
                const layout = layoutOf(c);
                const readers = usedReaders(c);
                // The contract the consumers read: each reader with exactly its secrets.
                for (const r of readers) {
                    const granted = layout.grants[r.consumer].readers.find((g) => g.name === r.name);
                    const expected = c.secrets.filter((s) => s.readers.some((i) => c.readers[i] === r));
                    expect(granted?.arn).to.equal(readerArnOf(r));
                    expect([...(granted?.secrets ?? [])].sort()).to.deep.equal(expected.map((s) => s.name).sort());
                }
                // Each secret on exactly one key, one key per secret when perSecret.
                expect(layout.keys.flatMap((k) => k.secrets).sort()).to.deep.equal(c.secrets.map((s) => s.name).sort());
                expect(layout.keys).to.have.length(c.perSecret ? c.secrets.length : 1);
                // Each key policy lets decrypt exactly the pairs of its secrets.
                for (const k of layout.keys) {
                    const pairs = c.secrets
                        .filter((s) => k.secrets.includes(s.name))
                        .flatMap((s) =>
                            s.readers.map((i) =>
                                pair(readerArnOf(c.readers[i]), secretArnPattern(PARTITION, REGION, OWNER, s.name)),
                            ),
                        );
                    expect(decryptPairs(k.policy, c.form)).to.deep.equal([...new Set(pairs)].sort());
                }
                // Each secret's resource policy names exactly its readers, in every statement.
                for (const s of c.secrets) {
                    const arns = [...new Set(s.readers.map((i) => readerArnOf(c.readers[i])))].sort();
                    const statements = layout.secretPolicies[s.name].Statement;
                    expect(statements).to.have.length(c.acceptDefaultStage ? 2 : 1);
                    for (const st of statements) expect(readersOf(st, c.form)).to.deep.equal(arns);
                }
            }),
            { numRuns: 40 },
        );
    });

    it("keeps every document within its limit, each identity inline unless that would not fit", () => {
        fc.assert(
            fc.property(ownerCase, (c) => {
                const layout = layoutOf(c);
                for (const r of layout.sizes) expect(r.size, r.document).to.be.at.most(r.max);
                for (const r of usedReaders(c)) {
                    const mine = layout.sizes.filter((s) => s.document.endsWith(` of ${readerId(r)}`));
                    const grants = c.secrets
                        .filter((s) => s.readers.some((i) => c.readers[i] === r))
                        .map((s) => ({
                            secretArn: placeholderSecretArn(PARTITION, REGION, OWNER, s.name),
                            keyArn: placeholderKeyArn(
                                PARTITION,
                                REGION,
                                OWNER,
                                layout.keys.findIndex((k) => k.secrets.includes(s.name)),
                            ),
                        }));
                    const inline = inlineLimit(r.kind);
                    const fits = sizeOf(docOf(grants), inline) <= LIMITS[inline].size;
                    expect(mine.map((s) => s.limit)).to.satisfy((limits: string[]) =>
                        fits ? limits.length === 1 && limits[0] === inline : limits.every((l) => l === "managedPolicy"),
                    );
                }
            }),
            { numRuns: 40 },
        );
    });

    it("is the same for the same config, and its key and secret policies for any order of the config's lists", () => {
        fc.assert(
            fc.property(
                ownerCase.chain((c) => fc.tuple(fc.constant(c), reorderedOwner(c))),
                ([c, reordered]) => {
                    const layout = layoutOf(c);
                    expect(layoutOf(c)).to.deep.equal(layout);
                    const other = layoutOf(reordered);
                    const keyPolicies = (l: OwnerLayout) =>
                        Object.fromEntries(l.keys.map((k) => [k.id, JSON.stringify(k.policy)]));
                    expect(keyPolicies(other)).to.deep.equal(keyPolicies(layout));
                    expect(JSON.stringify(other.secretPolicies)).to.equal(JSON.stringify(layout.secretPolicies));
                },
            ),
            { numRuns: 25 },
        );
    });
});

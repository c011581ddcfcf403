import { expect } from "chai";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { parseConfig, type OwnerStackConfig } from "../../config";
import {
    identityArn,
    placeholderKeyArn,
    placeholderSecretArn,
    secretArnPattern,
    secretsManagerService,
} from "../../aws/arn";
import {
    identityPolicy,
    keyPolicy,
    secretResourcePolicy,
    type IdentityGrant,
    type PolicyDocument,
} from "../../policies/documents";
import { LimitError } from "../../common/errors";
import { ownerLayout, packIdentityPolicy, type OwnerLayout } from "../../policies/layout";
import { LIMITS, sizeOf } from "../../aws/limits";
import { largest } from "../../bench/capacity";
import { generate, type GeneratedSet } from "../../bench/scale";
import { AwsMocks, errorOf, ofType, policyOf, resource, runStack, type StackRun } from "../mocks";

/**
 * Packing at AWS's size limits, built from configs whose documents hit a limit exactly: the
 * sizes are computed from the documents (padding one name by the exact remainder), then
 * asserted, so a change in any document's form shows up here. Then ordering stability, and the
 * program's stacks for role-only accounts, existing roles and two consumer stacks.
 */

const REGION = "us-east-1";
const OWNER = "111111111111";
const APPS = "222222222222";
const DATA = "333333333333";
const OWNER_STACK = "platform";
const OWNER_REF = `organization/secretshare/${OWNER_STACK}`;
/** Runs of the whole program under the mock runtime: a guard against a hang, not a timing. */
const PROGRAM_TIMEOUT = 120_000;

const KEY = "aws:kms/key:Key";
const SECRET = "aws:secretsmanager/secret:Secret";
const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy";
const USER = "aws:iam/user:User";
const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const MANAGED_POLICY = "aws:iam/policy:Policy";
const USER_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment";

interface ReaderSpec {
    readonly user?: string;
    readonly role?: string;
    readonly path?: string;
    readonly existing?: boolean;
}

interface Spec {
    readonly consumers: Record<string, { accountId: string; readers: ReaderSpec[] }>;
    readonly secrets: { name: string; readers: string[] }[];
    readonly key?: Record<string, unknown>;
    readonly secretPolicy?: Record<string, unknown>;
}

/** The owner's `secretshare:*` values (without the namespace), as parseConfig takes them. */
function ownerValues(spec: Spec): Record<string, unknown> {
    return {
        mode: "owner",
        owner: { accountId: OWNER, region: REGION },
        consumers: spec.consumers,
        secrets: spec.secrets.map((s) => ({ ...s, username: "app" })),
        key: { alias: "MyKey", ...spec.key },
        ...(spec.secretPolicy && { secretPolicy: spec.secretPolicy }),
    };
}

function ownerOf(spec: Spec): OwnerStackConfig {
    return parseConfig(OWNER_STACK, ownerValues(spec)) as OwnerStackConfig;
}

const layoutOf = (spec: Spec): OwnerLayout => ownerLayout(ownerOf(spec).owner);

/** The layout's problems, or [] when it fits. */
function problemsOf(spec: Spec): readonly string[] {
    try {
        layoutOf(spec);
        return [];
    } catch (e) {
        if (e instanceof LimitError) return e.problems;
        throw e;
    }
}

/** The size of `document` in the layout of `spec`; Infinity when the layout refuses it. */
function sizeOrInfinity(spec: Spec, document: string): number {
    try {
        return sizeIn(layoutOf(spec), document);
    } catch (e) {
        if (e instanceof LimitError) return Infinity;
        throw e;
    }
}

function sizeIn(layout: OwnerLayout, document: string): number {
    const found = layout.sizes.filter((r) => r.document === document);
    expect(found, `${document} among ${layout.sizes.map((r) => r.document).join(", ")}`).to.have.length(1);
    return found[0].size;
}

const num = (n: number) => n.toLocaleString("en-US");
const pad = (n: number) => n.toString().padStart(4, "0");
const roleArn = (account: string, name: string, path = "/") => identityArn("aws", account, "role", path, name);

/** `n` roles r-0000... in account "apps"; the first named with `extra` more characters. */
function roles(n: number, extra = 0): string[] {
    return Array.from({ length: n }, (_, j) => `r-${pad(j)}${j === 0 ? "x".repeat(extra) : ""}`);
}

/** One secret `secret` read by `names` (roles of account "apps"). */
function oneSecret(names: readonly string[], secret: string, more: Partial<Spec> = {}): Spec {
    return {
        consumers: { apps: { accountId: APPS, readers: names.map((role) => ({ role })) } },
        secrets: [{ name: secret, readers: names.map((n) => `apps/${n}`) }],
        ...more,
    };
}

describe("packing: the secret resource policy at 20,480 characters", () => {
    // grantDescribeKey: false names each reader once in the key policy, so the secret policy binds first.
    const key = { grantDescribeKey: false };
    const secretSize = (names: string[]) =>
        sizeOrInfinity(oneSecret(names, "db", { key }), "resource policy of secret db");
    const n = largest((k) => secretSize(roles(k)) <= LIMITS.secretPolicy.size);
    const extra = LIMITS.secretPolicy.size - secretSize(roles(n));

    it(`exactly 20,480 characters (${n} readers) passes`, () => {
        expect(extra).to.be.within(0, 64 - 6);
        const layout = layoutOf(oneSecret(roles(n, extra), "db", { key }));
        expect(sizeIn(layout, "resource policy of secret db")).to.equal(20480);
    });

    it("one more reader fails, naming the secret, the document, its size, the limit and what to do", () => {
        const names = roles(n + 1, extra);
        const size = sizeOf(
            secretResourcePolicy({
                partition: "aws",
                readerArns: names.map((r) => roleArn(APPS, r)),
                principalForm: "account-root",
                acceptDefaultStage: false,
            }),
            "secretPolicy",
        );
        expect(size).to.be.greaterThan(20480);
        expect(problemsOf(oneSecret(names, "db", { key }))).to.deep.equal([
            `resource policy of secret db would be ${num(size)} characters, over the 20,480 AWS allows for a secret resource policy: ` +
                `it names ${n + 1} readers. Let fewer identities read the secret (e.g. one role that several workloads assume).`,
        ]);
    });

    it("with acceptDefaultStage, says that turning it off names each reader once", () => {
        const [problem] = problemsOf(
            oneSecret(roles(n + 1), "db", { key, secretPolicy: { acceptDefaultStage: true } }),
        );
        expect(problem).to.match(/^resource policy of secret db would be [\d,]+ characters/);
        expect(problem).to.match(
            /, or set secretshare:secretPolicy.acceptDefaultStage: false \(each reader is then named once, not twice\)\.$/,
        );
    });

    it("the program refuses it before registering any resource", async () => {
        const mocks = new AwsMocks();
        const config = stackConfig(ownerValues(oneSecret(roles(n + 1, extra), "db", { key })));
        const message = await errorOf(() => runStack({ stack: OWNER_STACK, config, mocks }));
        expect(message).to.include("resource policy of secret db would be");
        expect(message).to.include("over the 20,480 AWS allows for a secret resource policy");
        expect(mocks.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")).to.deep.equal([]);
    }).timeout(PROGRAM_TIMEOUT);
});

describe("packing: the key policy at 32,768 bytes", () => {
    // With the default grantDescribeKey, each reader's ARN is in the key policy twice (Decrypt and
    // DescribeKey), the secret's ARN pattern once: pad the reader by half, the secret by the rest.
    const keySize = (names: string[], secret = "db", more: Partial<Spec> = {}) =>
        sizeOrInfinity(oneSecret(names, secret, more), "key policy of alias/MyKey");
    const n = largest((k) => keySize(roles(k)) <= LIMITS.keyPolicy.size);
    const slack = LIMITS.keyPolicy.size - keySize(roles(n));
    const names = roles(n, Math.floor(slack / 2));
    const secret = `db${"x".repeat(slack % 2)}`;
    const pattern = (s: string) => secretArnPattern("aws", REGION, OWNER, s);

    it(`exactly 32,768 bytes (${n} readers) passes`, () => {
        expect(slack).to.be.within(0, 2 * (64 - 6) + 1);
        expect(keySize(names, secret)).to.equal(32768);
    });

    it("one more reader fails, naming the key, its secret, size, limit and what to do", () => {
        const more = roles(n + 1, Math.floor(slack / 2));
        const size = sizeOf(
            keyPolicy({
                partition: "aws",
                region: REGION,
                ownerAccountId: OWNER,
                grants: more.map((r) => ({ readerArn: roleArn(APPS, r), secretArns: [pattern(secret)] })),
                principalForm: "account-root",
                grantDescribeKey: true,
            }),
            "keyPolicy",
        );
        expect(problemsOf(oneSecret(more, secret))).to.deep.equal([
            `key policy of alias/MyKey (secret ${secret}) would be ${num(size)} bytes, over the 32,768 AWS allows for a KMS key policy: ` +
                `it names ${n + 1} readers. Let fewer identities read the secret (e.g. one role that several workloads assume), ` +
                "or set secretshare:key.grantDescribeKey: false (each reader is then named once, not twice).",
        ]);
    });

    const withExtraSecret = (key?: Record<string, unknown>): Spec => ({
        ...oneSecret(names, secret),
        secrets: [
            { name: secret, readers: names.map((r) => `apps/${r}`) },
            { name: "extra", readers: [`apps/${names[0]}`] },
        ],
        ...(key && { key }),
    });

    it("one more secret than one key holds: two keys, the second with its own alias", () => {
        const size = sizeOf(
            keyPolicy({
                partition: "aws",
                region: REGION,
                ownerAccountId: OWNER,
                grants: names.map((r, j) => ({
                    readerArn: roleArn(APPS, r),
                    secretArns: j === 0 ? [pattern(secret), pattern("extra")] : [pattern(secret)],
                })),
                principalForm: "account-root",
                grantDescribeKey: true,
            }),
            "keyPolicy",
        );
        // One key for both would not fit...
        expect(size).to.be.greaterThan(32768);
        const layout = layoutOf(withExtraSecret());
        // ... so they go to two keys: "extra" first (its readers' ARNs sort first), then the
        // secret whose policy alone is exactly full.
        expect(layout.keys.map((k) => [k.id, k.alias, k.secrets])).to.deep.equal([
            ["shared", "MyKey", ["extra"]],
            ["shared-2", "MyKey/shared-2", [secret]],
        ]);
        expect(layout.keyOf).to.deep.equal({ [secret]: "shared-2", extra: "shared" });
        expect(sizeIn(layout, "key policy of alias/MyKey/shared-2")).to.equal(32768);
        expect(sizeIn(layout, "key policy of alias/MyKey")).to.be.below(2000);
    });

    it("an existing key cannot be split: more secrets than it holds fail, naming the key and what to do", () => {
        const problems = problemsOf({ ...withExtraSecret(), key: { existing: "alias/MyKey" } });
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(
            /^key policy of alias\/MyKey would be [\d,]+ bytes, over the 32,768 AWS allows for a KMS key policy: 2 secrets and \d+ readers share the existing key\. Split the secrets across several owner stacks, or leave secretshare:key\.existing out/,
        );
    });

    it("... and with key.perSecret: true the same secrets fit, the first key exactly at the limit", () => {
        const layout = layoutOf(withExtraSecret({ alias: "MyKey", perSecret: true }));
        expect(sizeIn(layout, `key policy of alias/MyKey/${secret}`)).to.equal(32768);
        expect(sizeIn(layout, "key policy of alias/MyKey/extra")).to.be.below(2000);
    });
});

describe("packing: identity policies (user 2,048 and role 10,240 inline, then managed)", () => {
    /** One identity of `kind` in account "apps" reading `secrets`. */
    const reading = (kind: "user" | "role", secrets: readonly string[], key?: Record<string, unknown>): Spec => ({
        consumers: { apps: { accountId: APPS, readers: [{ [kind]: "reader" }] } },
        secrets: secrets.map((name) => ({ name, readers: ["apps/reader"] })),
        ...(key && { key }),
    });
    /**
     * `m` secrets s-0000...; the first with `extra` more characters (its ARN is in the policy
     * once), put before the hyphen: a name may not end in "-" and six characters.
     */
    const secretNames = (m: number, extra = 0) =>
        Array.from({ length: m }, (_, i) => `s${i === 0 ? "x".repeat(extra) : ""}-${pad(i)}`);
    const grantsOf = (names: readonly string[], perSecretKey = false): IdentityGrant[] =>
        [...names].sort().map((s, i) => ({
            secretArn: placeholderSecretArn("aws", REGION, OWNER, s),
            keyArn: placeholderKeyArn("aws", REGION, OWNER, perSecretKey ? i : 0),
        }));
    const inlineSize = (names: readonly string[]) =>
        sizeOf(identityPolicy({ region: REGION, grants: grantsOf(names) }), "userInline");

    for (const kind of ["user", "role"] as const) {
        const limit = kind === "user" ? LIMITS.userInline : LIMITS.roleInline;
        const m = largest((k) => inlineSize(secretNames(k)) <= limit.size);
        const extra = limit.size - inlineSize(secretNames(m));
        const document = `${kind} inline policy of apps/reader`;

        it(`${kind}: exactly ${num(limit.size)} characters (${m} secrets) stays inline`, () => {
            const layout = layoutOf(reading(kind, secretNames(m, extra)));
            expect(sizeIn(layout, document)).to.equal(limit.size);
            expect(layout.sizes.map((r) => r.document)).to.not.include("managed policy 1 of apps/reader");
        });

        it(`${kind}: one more secret falls back to customer managed policies, each full before the next`, () => {
            const names = secretNames(m + 1, extra);
            const grants = grantsOf(names);
            const layout = layoutOf(reading(kind, names));
            expect(layout.sizes.map((r) => r.document)).to.not.include(document);
            const packed = packIdentityPolicy("apps/reader", kind, REGION, grants);
            expect(packed.mode).to.equal("managed");
            // Every grant once, in order; each policy within 6,144 and unable to take the next grant.
            expect(packed.chunks.flat()).to.deep.equal(grants.map((_, i) => i));
            expect(packed.chunks).to.have.length(kind === "user" ? 1 : 2);
            packed.chunks.forEach((chunk, i) => {
                const size = (idx: readonly number[]) =>
                    sizeOf(identityPolicy({ region: REGION, grants: idx.map((j) => grants[j]) }), "managedPolicy");
                expect(sizeIn(layout, `managed policy ${i + 1} of apps/reader`)).to.equal(size(chunk));
                expect(size(chunk)).to.be.at.most(6144);
                if (i + 1 < packed.chunks.length) expect(size([...chunk, packed.chunks[i + 1][0]])).to.be.above(6144);
            });
        });
    }

    it("the program attaches the managed policy to the user instead of an inline one", async () => {
        const m = largest((k) => inlineSize(secretNames(k)) <= LIMITS.userInline.size);
        const spec = reading("user", secretNames(m + 1));
        const owner = await runStack({ stack: OWNER_STACK, config: stackConfig(ownerValues(spec)) });
        const apps = await runStack({
            stack: "apps",
            config: consumerConfig("apps", APPS),
            stacks: { [OWNER_REF]: owner.outputs },
        });
        expect(ofType(apps, USER_POLICY)).to.deep.equal([]);
        const policy = resource(apps, MANAGED_POLICY, "apps-reader-read-1");
        // Named after the stack that writes it: sha256("organization/secretshare/apps"), 8 hex.
        expect(policy.inputs.name).to.equal("secretshare-read-d62f9988-reader-1");
        expect(policy.provider?.accountId).to.equal(APPS);
        const secretArns = owner.outputs.secretArns as Record<string, string>;
        expect(policyOf(policy).Statement[0].Resource).to.deep.equal(Object.values(secretArns).sort());
        const attachment = resource(apps, USER_ATTACHMENT, "apps-reader-read-1");
        expect(attachment.inputs).to.deep.equal({ user: "reader", policyArn: policy.state.arn });
        expect(resource(apps, USER, "apps-reader").inputs.name).to.equal("reader");
    }).timeout(PROGRAM_TIMEOUT);

    it("a managed policy of exactly 6,144 characters holds its secrets; one character more moves one on", () => {
        const q = largest(
            (k) =>
                sizeOf(identityPolicy({ region: REGION, grants: grantsOf(secretNames(k)) }), "managedPolicy") <= 6144,
        );
        const extra =
            6144 - sizeOf(identityPolicy({ region: REGION, grants: grantsOf(secretNames(q)) }), "managedPolicy");
        // q secrets fill the first policy exactly; the (q+1)th, named to sort last, needs a second.
        const names = [...secretNames(q, extra), "z-last"];
        const packed = packIdentityPolicy("apps/reader", "user", REGION, grantsOf(names));
        expect(packed.chunks.map((c) => c.length)).to.deep.equal([q, 1]);
        const first = grantsOf(names).slice(0, q);
        expect(sizeOf(identityPolicy({ region: REGION, grants: first }), "managedPolicy")).to.equal(6144);
        const over = [...secretNames(q, extra + 1), "z-last"];
        expect(
            packIdentityPolicy("apps/reader", "user", REGION, grantsOf(over)).chunks.map((c) => c.length),
        ).to.deep.equal([q - 1, 2]);
    });

    describe("at most 10 managed policies", () => {
        // Secret names of one length, so every full policy holds the same number q of secrets.
        const q = largest(
            (k) =>
                sizeOf(identityPolicy({ region: REGION, grants: grantsOf(secretNames(k)) }), "managedPolicy") <= 6144,
        );

        it(`10 full managed policies (${10 * q} secrets) pass`, () => {
            const packed = packIdentityPolicy("apps/reader", "role", REGION, grantsOf(secretNames(10 * q)));
            expect(packed.mode).to.equal("managed");
            expect(packed.chunks.map((c) => c.length)).to.deep.equal(Array(10).fill(q));
        });

        it("one more secret fails, naming the identity, its sizes, the limits and what to do", () => {
            const grants = grantsOf(secretNames(10 * q + 1));
            const inline = sizeOf(identityPolicy({ region: REGION, grants }), "roleInline");
            let message = "";
            try {
                packIdentityPolicy("apps/reader", "role", REGION, grants);
            } catch (e) {
                expect(e).to.be.instanceOf(LimitError);
                message = (e as Error).message;
            }
            expect(message).to.equal(
                `role apps/reader reads ${num(10 * q + 1)} secrets: its role inline policy would be ${num(inline)} characters, ` +
                    "over the 10,240 AWS allows for a role inline policy, and as customer managed policies (at most 6,144 characters each) " +
                    "it needs 11, over the 10 IAM attaches to one role. Split its secrets across several identities.",
            );
        });

        it("the owner stack refuses such a reader (a key per secret: it also says that one key is smaller)", () => {
            // With one shared key the key policy would refuse first (it would list every secret).
            const names = secretNames(Math.ceil((10 * q) / 2));
            const problems = problemsOf(reading("role", names, { alias: "MyKey", perSecret: true }));
            expect(problems).to.have.length(1);
            expect(problems[0]).to.match(/^role apps\/reader reads [\d,]+ secrets: its role inline policy would be/);
            expect(problems[0]).to.match(
                /it needs 1\d, over the 10 IAM attaches to one role\. Split its secrets across several identities, or encrypt them with one key \(secretshare:key\.perSecret: false\): it names [\d,]+ keys\.$/,
            );
        });
    });
});

/** A deterministic shuffle (mulberry32), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
    let s = seed >>> 0;
    const rand = () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
}

interface GeneratedOwner {
    consumers: Record<string, { accountId: string; readers: unknown[] }>;
    secrets: { name: string; readers: string[] }[];
}

/** The generated owner config with every list and map in another order. */
function shuffledOwner(set: GeneratedSet, seed: number): Record<string, string> {
    const values = { ...set.owner.values } as Record<string, unknown>;
    const consumers = values["secretshare:consumers"] as GeneratedOwner["consumers"];
    const secrets = values["secretshare:secrets"] as GeneratedOwner["secrets"];
    values["secretshare:consumers"] = Object.fromEntries(
        shuffled(Object.entries(consumers), seed).map(([name, c], i) => [
            name,
            { ...c, readers: shuffled(c.readers, seed + i + 1) },
        ]),
    );
    values["secretshare:secrets"] = shuffled(secrets, seed + 100).map((s, i) => ({
        ...s,
        readers: shuffled(s.readers, seed + 200 + i),
    }));
    return stackConfig(values);
}

/** `secretshare:*` values of a stack config, without the namespace (as parseConfig takes them). */
const unprefixed = (config: Record<string, string>) =>
    Object.fromEntries(
        Object.entries(config)
            .filter(([k]) => k.startsWith("secretshare:"))
            .map(([k, v]) => [k.slice("secretshare:".length), v]),
    );

describe("packing: ordering stability", () => {
    for (const shape of [
        { secrets: 10, readers: 5, accounts: 2 },
        { secrets: 100, readers: 20, accounts: 5 },
    ]) {
        const set = generate(shape);
        const expected = ownerLayout(
            (parseConfig(OWNER_STACK, unprefixed(set.owner.config)) as OwnerStackConfig).owner,
        );

        it(`${set.label}: config in any order gives identical documents, grants and sizes`, () => {
            expect(JSON.stringify(shuffledOwner(set, 1))).to.not.equal(JSON.stringify(set.owner.config));
            for (const seed of [1, 2, 3, 4, 5]) {
                const config = parseConfig(OWNER_STACK, unprefixed(shuffledOwner(set, seed))) as OwnerStackConfig;
                expect(JSON.stringify(ownerLayout(config.owner)), `seed ${seed}`).to.equal(JSON.stringify(expected));
            }
        });
    }

    it("10x5x2: the program registers the same resources with the same inputs, and exports the same", async () => {
        const set = generate({ secrets: 10, readers: 5, accounts: 2 });
        const view = (r: StackRun) => JSON.stringify([r.resources.map((x) => [x.type, x.name, x.inputs]), r.outputs]);
        const a = await runStack({ stack: OWNER_STACK, config: set.owner.config });
        const b = await runStack({ stack: OWNER_STACK, config: shuffledOwner(set, 7) });
        expect(view(b)).to.equal(view(a));
    }).timeout(PROGRAM_TIMEOUT);
});

describe("packing: the key policy's Decrypt statements bind each reader to exactly its secrets", () => {
    /** Simulates kms:Decrypt via Secrets Manager for every reader and every secret of the layout. */
    async function matrix(spec: Spec): Promise<{ layout: OwnerLayout; wrong: string[]; checks: number }> {
        const config = ownerOf(spec).owner;
        const layout = ownerLayout(config);
        const key = layout.keys[0];
        const keyArn = placeholderKeyArn("aws", REGION, OWNER);
        const wrong: string[] = [];
        let checks = 0;
        for (const c of Object.values(config.consumers)) {
            for (const r of c.readers) {
                const identity: PolicyDocument = identityPolicy({
                    region: REGION,
                    grants: [{ secretArn: placeholderSecretArn("aws", REGION, OWNER, "any"), keyArn }],
                });
                for (const s of config.secrets) {
                    const result = await runSimulation(
                        {
                            request: {
                                principal: r.arn,
                                action: "kms:Decrypt",
                                resource: { resource: keyArn, accountId: OWNER },
                                contextVariables: {
                                    "aws:PrincipalArn": r.arn,
                                    "aws:PrincipalAccount": r.accountId,
                                    "kms:ViaService": secretsManagerService(REGION),
                                    "kms:EncryptionContext:SecretARN": placeholderSecretArn(
                                        "aws",
                                        REGION,
                                        OWNER,
                                        s.name,
                                    ),
                                },
                            },
                            identityPolicies: [{ name: "reader", policy: identity }],
                            serviceControlPolicies: [],
                            resourceControlPolicies: [],
                            resourcePolicy: key.policy,
                        },
                        {},
                    );
                    checks++;
                    if (result.resultType !== "single") throw new Error(JSON.stringify(result));
                    const expected = s.readers.includes(r.id) ? "Allowed" : "ImplicitlyDenied";
                    if (result.overallResult !== expected || result.result.ignoredContextKeys?.length) {
                        wrong.push(`${r.id} ${s.name}: ${result.overallResult}, expected ${expected}`);
                    }
                }
            }
        }
        return { layout, wrong, checks };
    }

    const decryptStatements = (layout: OwnerLayout) =>
        layout.keys[0].policy.Statement.filter((s) => s.Action === "kms:Decrypt").map((s) => {
            const arns = s.Condition?.ArnEquals["aws:PrincipalArn"] ?? [];
            const secrets = s.Condition?.StringLike["kms:EncryptionContext:SecretARN"] ?? [];
            return [[arns].flat().length, [secrets].flat().length];
        });

    it("grouped by secret (10x5x2: 5 reader sets of 3, each for 2 secrets)", async () => {
        const set = generate({ secrets: 10, readers: 5, accounts: 2 });
        const values = unprefixed(set.owner.config);
        const spec: Spec = {
            consumers: JSON.parse(values.consumers) as Spec["consumers"],
            secrets: (JSON.parse(values.secrets) as { name: string; readers: string[] }[]).map(({ name, readers }) => ({
                name,
                readers,
            })),
        };
        const { layout, wrong, checks } = await matrix(spec);
        expect(decryptStatements(layout)).to.deep.equal(Array(5).fill([3, 2]));
        expect(checks).to.equal(50);
        expect(wrong).to.deep.equal([]);
    }).timeout(PROGRAM_TIMEOUT);

    it("grouped by reader (a chain: A reads s1 s2, B reads s2 s3)", async () => {
        const spec: Spec = {
            consumers: { apps: { accountId: APPS, readers: [{ role: "A" }, { role: "B" }] } },
            secrets: [
                { name: "s1", readers: ["apps/A"] },
                { name: "s2", readers: ["apps/A", "apps/B"] },
                { name: "s3", readers: ["apps/B"] },
            ],
        };
        const { layout, wrong, checks } = await matrix(spec);
        expect(decryptStatements(layout)).to.deep.equal([
            [1, 2],
            [1, 2],
        ]);
        expect(checks).to.equal(6);
        expect(wrong).to.deep.equal([]);
    });
});

/** Stack config as the CLI hands it over: namespaced keys, objects as JSON. */
function stackConfig(values: Record<string, unknown>): Record<string, string> {
    const config: Record<string, string> = { "pulumi:disable-default-providers": '["aws"]' };
    for (const [k, v] of Object.entries(values)) {
        const key = k.includes(":") ? k : `secretshare:${k}`;
        config[key] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return config;
}

function consumerConfig(name: string, accountId: string): Record<string, string> {
    return stackConfig({
        mode: "consumer",
        ownerStack: OWNER_REF,
        consumer: { name, accountId, region: REGION },
    });
}

describe("packing: consumer stacks", () => {
    const spec: Spec = {
        consumers: {
            apps: {
                accountId: APPS,
                readers: [
                    { role: "app-reader", path: "/apps/" },
                    { role: "legacy-reader", path: "/team/", existing: true },
                ],
            },
            data: { accountId: DATA, readers: [{ user: "etl" }, { role: "analyst" }] },
        },
        secrets: [
            { name: "api-token", readers: ["apps/legacy-reader"] },
            { name: "db", readers: ["apps/app-reader", "apps/legacy-reader", "data/etl"] },
            { name: "warehouse", readers: ["data/analyst", "data/etl"] },
        ],
    };
    let owner: StackRun;
    let apps: StackRun;
    let data: StackRun;

    before(async function () {
        this.timeout(PROGRAM_TIMEOUT);
        owner = await runStack({ stack: OWNER_STACK, config: stackConfig(ownerValues(spec)) });
        apps = await runStack({
            stack: "apps",
            config: consumerConfig("apps", APPS),
            stacks: { [OWNER_REF]: owner.outputs },
            // The existing role really lives under /team/: the consumer stack checks that.
            mocks: new AwsMocks(
                { [OWNER_REF]: owner.outputs },
                { identities: [`arn:aws:iam::${APPS}:role/team/legacy-reader`] },
            ),
        });
        data = await runStack({
            stack: "data",
            config: consumerConfig("data", DATA),
            stacks: { [OWNER_REF]: owner.outputs },
        });
    });

    const arnOf = (name: string) => (owner.outputs.secretArns as Record<string, string>)[name];
    const keyArn = () => resource(owner, KEY, "share-key").state.arn;

    it("a consumer account with only roles: roles and role policies, no user, all in its account", () => {
        expect(ofType(apps, USER)).to.deep.equal([]);
        expect(ofType(apps, USER_POLICY)).to.deep.equal([]);
        expect(ofType(apps, ROLE).map((r) => r.name)).to.deep.equal(["apps-app-reader"]);
        expect(ofType(apps, ROLE_POLICY).map((r) => [r.name, r.inputs.role])).to.have.deep.members([
            ["apps-app-reader-read", "app-reader"],
            ["apps-legacy-reader-read", "legacy-reader"],
        ]);
        for (const r of apps.resources.filter((x) => x.type.startsWith("aws:iam/"))) {
            expect(r.provider?.accountId, `${r.type} ${r.name}`).to.equal(APPS);
        }
        expect(apps.outputs.readerArns).to.deep.equal({
            "app-reader": roleArn(APPS, "app-reader", "/apps/"),
            "legacy-reader": roleArn(APPS, "legacy-reader", "/team/"),
        });
    });

    it("an existing role referenced by name: no Role resource, its policy attached by name, its ARN (with path) granted", () => {
        const legacy = roleArn(APPS, "legacy-reader", "/team/");
        expect(ofType(apps, ROLE).map((r) => r.inputs.name)).to.not.include("legacy-reader");
        const policy = resource(apps, ROLE_POLICY, "apps-legacy-reader-read");
        expect(policy.inputs.role).to.equal("legacy-reader");
        expect(policyOf(policy).Statement[0].Resource).to.deep.equal([arnOf("api-token"), arnOf("db")]);
        expect(policyOf(policy).Statement[1].Resource).to.equal(keyArn());
        const grant = policyOf(resource(owner, SECRET_POLICY, "share-api-token-policy")).Statement[0];
        expect(grant.Principal).to.deep.equal({ AWS: `arn:aws:iam::${APPS}:root` });
        expect(grant.Condition).to.deep.include({ ArnEquals: { "aws:PrincipalArn": legacy } });
    });

    it("two consumer stacks read the one owner stack, each creating only its own readers in its own account", () => {
        expect(apps.mocks.stackReads).to.deep.equal([OWNER_REF]);
        expect(data.mocks.stackReads).to.deep.equal([OWNER_REF]);
        expect(ofType(data, USER).map((r) => [r.name, r.provider?.accountId])).to.deep.equal([["data-etl", DATA]]);
        expect(ofType(data, ROLE).map((r) => [r.name, r.provider?.accountId])).to.deep.equal([["data-analyst", DATA]]);
        expect(policyOf(resource(data, USER_POLICY, "data-etl-read")).Statement[0].Resource).to.deep.equal([
            arnOf("db"),
            arnOf("warehouse"),
        ]);
        expect(policyOf(resource(data, ROLE_POLICY, "data-analyst-read")).Statement[0].Resource).to.equal(
            arnOf("warehouse"),
        );
        const names = (r: StackRun) => r.resources.filter((x) => x.type.startsWith("aws:iam/")).map((x) => x.name);
        expect(names(apps).filter((n) => names(data).includes(n))).to.deep.equal([]);
        // Both read the ARNs the owner registered, not values of their own.
        expect(
            ofType(owner, SECRET)
                .map((s) => s.state.arn)
                .sort(),
        ).to.deep.equal([arnOf("api-token"), arnOf("db"), arnOf("warehouse")].sort());
    });
});

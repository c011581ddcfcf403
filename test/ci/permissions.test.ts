import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
    actionsFor,
    ASSUME_ROLE,
    NO_AWS_CALLS,
    PERMISSIONS,
    permissionOf,
    type Side,
    type Use,
} from "../../aws/permissions";
import { DOC_ACCOUNTS, docMarker, rolePolicy, withRolePolicies, type RolePolicy } from "../../aws/ciRoles";
import { AwsMocks } from "../../plan/mocks";
import { plan } from "../../plan/plan";
import { runStack } from "../../plan/runtime";
import {
    EXAMPLE_KEY_ARN,
    EXAMPLE_SECRET_ARN,
    EXAMPLE_STUART_POLICIES,
    EXAMPLE_WORLD,
    type ExistingWorld,
} from "../../plan/existingWorld";
import { ROOT, stackConfig } from "../mocks";

/**
 * aws/permissions.ts is the one list of the AWS calls the program makes. These tests plan the
 * committed stacks and the examples (and a few configs that reach every other code path), record
 * every registration, read, import, invoke and provider under the mock runtime, and fail when one
 * has no entry for its side; the CI role policies of docs/ci-setup.md must be the list's.
 */

interface Observed {
    readonly token: string;
    readonly use: Use;
    /** From the provider the call went through: "owner", or "consumer-<name>[-<region>]". */
    readonly side?: Side;
    readonly where: string;
}

/** The name of a provider from its reference, `<urn>::<id>` (the URN ends with `::<name>`). */
function providerName(ref: string | undefined): string | undefined {
    if (!ref) return undefined;
    const parts = ref.split("::");
    return parts[parts.length - 2];
}

/** index.ts names the owner account's provider "owner" and each consumer account's "consumer-<name>". */
function sideOf(name: string | undefined): Side | undefined {
    if (name === "owner") return "owner";
    if (name?.startsWith("consumer-")) return "consumer";
    return undefined;
}

/** Every call `fn` makes through AwsMocks (any instance), tagged with `where`. */
async function observe(where: string, fn: () => Promise<unknown>): Promise<Observed[]> {
    const seen: Observed[] = [];
    const proto = AwsMocks.prototype;
    // The prototype's own functions, called with each instance as `this`, and put back after.
    const original = (name: "newResource" | "call") => Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
    type Of<K extends "newResource" | "call"> = (
        this: AwsMocks,
        ...a: Parameters<AwsMocks[K]>
    ) => ReturnType<AwsMocks[K]>;
    const newResource = original("newResource") as Of<"newResource">;
    const call = original("call") as Of<"call">;
    proto.newResource = function (this: AwsMocks, args: pulumi.runtime.MockResourceArgs) {
        const [reads, resources] = [this.reads.length, this.resources.length];
        let result: ReturnType<AwsMocks["newResource"]>;
        try {
            result = newResource.call(this, args);
        } catch (e) {
            // A read of something missing fails, but it was a call all the same.
            if (args.id) seen.push({ token: args.type, use: "read", side: sideOf(providerName(args.provider)), where });
            throw e;
        }
        const provider = args.type.startsWith("pulumi:providers:");
        let use: Use | undefined;
        if (provider) use = "configure";
        else if (this.reads.length > reads) use = "read";
        else if (this.resources.length > resources || args.type === "pulumi:pulumi:StackReference") {
            use = args.id ? "import" : "register";
        }
        if (use && args.custom !== false) {
            seen.push({
                token: args.type,
                use,
                side: sideOf(provider ? args.name : providerName(args.provider)),
                where,
            });
        }
        return result;
    };
    proto.call = function (this: AwsMocks, args: pulumi.runtime.MockCallArgs) {
        // Recorded first: a lookup of something missing fails, but it was a call all the same.
        seen.push({ token: args.token, use: "invoke", side: sideOf(providerName(args.provider)), where });
        return call.call(this, args);
    };
    try {
        await fn();
    } finally {
        proto.newResource = newResource;
        proto.call = call;
    }
    return seen;
}

/** What is wrong with the observed calls, by the list: each problem names the token and side. */
function undeclared(observed: readonly Observed[]): string[] {
    const problems = new Set<string>();
    for (const o of observed) {
        if (o.token in NO_AWS_CALLS) continue;
        const entry = permissionOf(o.token);
        if (!o.side) problems.add(`${o.token} (${o.use}, ${o.where}): no owner or consumer provider`);
        else if (!entry) problems.add(`${o.token}: ${o.use} on the ${o.side} side (${o.where}) has no entry`);
        else if (!(entry.uses[o.side] ?? []).includes(o.use)) {
            problems.add(`${o.token}: ${o.use} on the ${o.side} side (${o.where}) is not declared for that side`);
        }
    }
    return [...problems].sort();
}

/** A copy of a project directory's Pulumi.yaml and one stack file, for a stack kept elsewhere. */
function projectWith(stackFile: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-permissions-"));
    fs.copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
    fs.copyFileSync(stackFile, path.join(dir, path.basename(stackFile)));
    return dir;
}

/** The committed stacks, examples/existing, examples/rotation and the sandbox, each planned as `npm start -- --dir` does. */
async function plannedExamples(): Promise<Observed[]> {
    const dirs: [string, string][] = [
        ["committed stacks", ROOT],
        ["examples/existing", path.join(ROOT, "examples", "existing")],
        ["examples/rotation", path.join(ROOT, "examples", "rotation")],
        ["examples/Pulumi.sandbox.yaml", projectWith(path.join(ROOT, "examples", "Pulumi.sandbox.yaml"))],
    ];
    const all: Observed[] = [];
    for (const [where, dir] of dirs) {
        const seen = await observe(where, () => plan({ dir }));
        expect(seen.length, where).to.be.greaterThan(0);
        all.push(...seen);
    }
    return all;
}

const OWNER = "111111111111";
const APPS = "222222222222";
/**
 * `n` secret names of 158 characters: long names fill an identity policy with fewer secrets, and
 * each secret costs the program run its resources (60 read by BigRole are over a role's 10,240
 * inline characters, 40 read by Big over a user's 2,048).
 */
const secrets = (n: number) =>
    Array.from({ length: n }, (_, i) => `app-${String(i).padStart(3, "0")}-${"x".repeat(150)}`);

/**
 * The code paths the examples do not reach: created roles, managed policies (a user over its
 * 2,048 inline characters, a role over 10,240), an existing role with policies of its own, the
 * consumer side of the watch, and adopting a key and a secret.
 */
async function otherPaths(): Promise<Observed[]> {
    const many = secrets(60);
    // Big and Worker were created by this stack before, then removed: adopted back by import.
    const retained = [`arn:aws:iam::${APPS}:user/Big`, `arn:aws:iam::${APPS}:role/Worker`];
    const world: ExistingWorld = {
        ...EXAMPLE_WORLD,
        identities: [...(EXAMPLE_WORLD.identities ?? []), ...retained],
        identityTags: Object.fromEntries(
            retained.map((arn) => [arn, { "secretshare:createdBy": "organization/secretshare/paths" }]),
        ),
        identityPolicies: [
            EXAMPLE_STUART_POLICIES,
            {
                identity: `arn:aws:iam::${APPS}:role/Ops`,
                inline: {
                    Legacy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] },
                },
                attached: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            },
        ],
    };
    const all = {
        "secretshare:mode": "all",
        "secretshare:owner": { accountId: OWNER, region: "us-east-1" },
        "secretshare:key": { alias: "PathsKey" },
        "secretshare:consumers": {
            apps: {
                accountId: APPS,
                readers: [
                    { user: "Big" },
                    { role: "Worker" },
                    { role: "BigRole" },
                    { role: "Ops", existing: true },
                    { user: "Stuart", existing: true },
                ],
            },
        },
        "secretshare:secrets": many.map((name, i) => ({
            name,
            username: "app",
            readers: [
                "apps/BigRole",
                ...(i < 40 ? ["apps/Big"] : []),
                ...(i === 0 ? ["apps/Worker", "apps/Ops", "apps/Stuart"] : []),
            ],
        })),
        "secretshare:watch": { consumerSide: true, subscribers: [{ email: "team@example.com" }] },
    };
    const adopt = {
        "secretshare:key": { existing: EXAMPLE_KEY_ARN, adopt: true },
        "secretshare:secrets": [{ arn: EXAMPLE_SECRET_ARN, adopt: true, readers: ["secondary/Stuart"] }],
    };
    return [
        ...(await observe("roles, managed policies, consumer-side watch", () =>
            runStack({ stack: "paths", config: stackConfig("primary", all), world }),
        )),
        ...(await observe("adopted key and secret", () =>
            runStack({ stack: "adopt", config: stackConfig("primary", adopt) }),
        )),
    ];
}

const key = (token: string, side: Side, use: Use) => `${token} ${use} (${side} side)`;

describe("aws/permissions.ts: every AWS call of the program, in one list", function () {
    // Plans of several stacks and one of 150 secrets under the mock runtime; a guard, not a timing.
    this.timeout(180_000);
    let examples: Observed[];
    let paths: Observed[];
    before(async () => {
        examples = await plannedExamples();
        paths = await otherPaths();
    });

    it("has an entry, for the right side, for every call the committed stacks and examples make", () => {
        expect(undeclared(examples)).to.deep.equal([]);
        // The plan of the committed stacks registers the types the docs talk about.
        const tokens = new Set(examples.map((o) => `${o.token} ${o.use}`));
        for (const t of [
            "aws:kms/keyPolicy:KeyPolicy read",
            "aws:iam/userPoliciesExclusive:UserPoliciesExclusive read",
            "aws:iam/getUser:getUser invoke",
            "aws:secretsmanager/secretVersion:SecretVersion register",
        ]) {
            expect(tokens, t).to.include(t);
        }
    });

    it("has an entry, for the right side, for every call of the other code paths", () => {
        expect(undeclared(paths)).to.deep.equal([]);
    });

    it("declares nothing that no planned config makes", () => {
        const made = new Set(
            [...examples, ...paths].filter((o) => o.side).map((o) => key(o.token, o.side as Side, o.use)),
        );
        const declared = PERMISSIONS.flatMap((p) =>
            (Object.entries(p.uses) as [Side, Use[]][]).flatMap(([side, uses]) =>
                uses.map((u) => key(p.token, side, u)),
            ),
        );
        expect(declared.filter((d) => !made.has(d))).to.deep.equal([]);
    });

    it("fails on a call that has no entry, naming its token and side", () => {
        const made: Observed[] = [
            { token: "aws:s3/bucket:Bucket", use: "register", side: "owner", where: "a test" },
            { token: "aws:kms/alias:Alias", use: "register", side: "consumer", where: "a test" },
            { token: "aws:kms/key:Key", use: "import", side: "consumer", where: "a test" },
            { token: "aws:kms/key:Key", use: "register", where: "a test" },
        ];
        expect(undeclared(made)).to.deep.equal([
            "aws:kms/alias:Alias: register on the consumer side (a test) is not declared for that side",
            "aws:kms/key:Key (register, a test): no owner or consumer provider",
            "aws:kms/key:Key: import on the consumer side (a test) is not declared for that side",
            "aws:s3/bucket:Bucket: register on the owner side (a test) has no entry",
        ]);
    });

    it("preview reads only: the key policy's read with its rotation and tags, existing readers, never a value", () => {
        expect(actionsFor("owner", "preview")).to.deep.equal([
            "kms:DescribeKey",
            "kms:GetKeyPolicy",
            "kms:GetKeyRotationStatus",
            "kms:ListAliases",
            "kms:ListResourceTags",
            "secretsmanager:DescribeSecret",
            "secretsmanager:GetResourcePolicy",
            "sts:GetCallerIdentity",
        ]);
        expect(actionsFor("consumer", "preview")).to.deep.equal([
            "iam:GetRole",
            "iam:GetRolePolicy",
            "iam:GetUser",
            "iam:GetUserPolicy",
            "iam:ListAttachedRolePolicies",
            "iam:ListAttachedUserPolicies",
            "iam:ListRolePolicies",
            "iam:ListRoles",
            "iam:ListUserPolicies",
            "iam:ListUsers",
            "sts:GetCallerIdentity",
        ]);
    });

    it("deploy includes preview (up previews first), and what the provider's create and read call", () => {
        for (const side of ["owner", "consumer"] as const) {
            expect(actionsFor(side, "deploy"), side).to.include.members(actionsFor(side, "preview"));
        }
        // SecretVersion's Read is GetSecretValue; a policy update makes a new default version.
        expect(actionsFor("owner", "deploy")).to.include.members([
            "secretsmanager:PutSecretValue",
            "secretsmanager:GetSecretValue",
            "kms:GenerateDataKey",
            "kms:TagResource",
            "kms:CreateKey",
        ]);
        expect(actionsFor("consumer", "deploy")).to.include.members([
            "iam:CreatePolicyVersion",
            "iam:SetDefaultPolicyVersion",
            "iam:TagUser",
        ]);
        expect(actionsFor("owner", "deploy")).not.to.include.members(["iam:CreateUser"]);
        expect(actionsFor("consumer", "deploy")).not.to.include("secretsmanager:GetSecretValue");
    });

    it("names the provider's source for every entry", () => {
        for (const p of PERMISSIONS) expect(p.source, p.token).to.match(/^https:\/\/github\.com\/hashicorp\//);
    });
});

/** The JSON block after each marker of docs/ci-setup.md. */
function documented(markdown: string): Map<string, RolePolicy[]> {
    const out = new Map<string, RolePolicy[]>();
    const re = /<!-- permissions: (\w+) (\w+) -->\s*```json\n([\s\S]*?)```/g;
    for (const m of markdown.matchAll(re)) {
        const k = `${m[1]} ${m[2]}`;
        out.set(k, [...(out.get(k) ?? []), JSON.parse(m[3]) as RolePolicy]);
    }
    return out;
}

/** Actions missing from a documented policy, and documented actions the list does not have. */
function actionProblems(label: string, doc: RolePolicy, side: Side, phase: "preview" | "deploy"): string[] {
    const inDoc = new Set(doc.Statement.flatMap((s) => ([] as string[]).concat(s.Action)));
    const listed = actionsFor(side, phase);
    return [
        ...listed.filter((a) => !inDoc.has(a)).map((a) => `${label}: missing ${a}`),
        ...[...inDoc].filter((a) => !listed.includes(a)).map((a) => `${label}: ${a} is not in aws/permissions.ts`),
    ];
}

describe("docs/ci-setup.md: the CI role policies are aws/permissions.ts's", () => {
    const text = fs.readFileSync(path.join(ROOT, "docs", "ci-setup.md"), "utf8");
    const doc = documented(text);

    for (const phase of ["preview", "deploy"] as const) {
        for (const side of ["owner", "consumer"] as const) {
            it(`the ${phase} role of the ${side} account: every action, no other (${docMarker(phase, side)})`, () => {
                const blocks = doc.get(`${phase} ${side}`) ?? [];
                expect(blocks, "one JSON block after the marker").to.have.length(1);
                expect(actionProblems(`${phase} ${side}`, blocks[0], side, phase)).to.deep.equal([]);
                // The whole document, as `npx ts-node --swc aws/ciRoles.ts --write docs/ci-setup.md` writes it.
                expect(blocks[0]).to.deep.equal(rolePolicy(side, phase, DOC_ACCOUNTS[side]));
            });
        }
    }

    it("is what `npx ts-node --swc aws/ciRoles.ts --write docs/ci-setup.md` writes, to the character", () => {
        expect(withRolePolicies(text)).to.equal(text);
    });

    it("says that assumeRole needs sts:AssumeRole in the job's own role, which no account's policy grants", () => {
        expect(text).to.contain(
            `also needs \`${ASSUME_ROLE}\`\n  on that role ARN, in the policy of the role the job runs as`,
        );
        for (const blocks of doc.values()) {
            expect(blocks[0].Statement.flatMap((x) => x.Action)).not.to.include(ASSUME_ROLE);
        }
    });

    it("has no other permissions block", () => {
        expect([...doc.keys()].sort()).to.deep.equal([
            "deploy consumer",
            "deploy owner",
            "preview consumer",
            "preview owner",
        ]);
    });

    it("names a missing or an extra action", () => {
        const good = rolePolicy("owner", "preview", DOC_ACCOUNTS.owner);
        const bad: RolePolicy = {
            ...good,
            Statement: good.Statement.map((s) =>
                s.Sid === "Kms"
                    ? { ...s, Action: [...s.Action.filter((a) => a !== "kms:GetKeyRotationStatus"), "kms:Decrypt"] }
                    : s,
            ),
        };
        expect(actionProblems("preview owner", bad, "owner", "preview")).to.deep.equal([
            "preview owner: missing kms:GetKeyRotationStatus",
            "preview owner: kms:Decrypt is not in aws/permissions.ts",
        ]);
    });
});

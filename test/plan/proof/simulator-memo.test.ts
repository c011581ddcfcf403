import * as fs from "fs";
import Module from "module";
import * as path from "path";
import * as vm from "vm";
import { expect } from "chai";
import * as fc from "fast-check";
import * as warm from "@cloud-copilot/iam-simulate";

/**
 * The speed part of patches/@cloud-copilot+iam-simulate+0.1.173.patch memoizes the simulator's
 * pure string functions (docs/simulator.md). A memo must answer exactly what the function
 * computes: here the simulator this process has used all along (its memos full of earlier
 * answers, as in a plan) is compared with a fresh copy of the same module tree, whose memos are
 * empty, over random requests and documents with wildcards, policy variables and regex
 * metacharacters; and a memoized regex must not be shared mutable state.
 */

const CJS = path.dirname(require.resolve("@cloud-copilot/iam-simulate"));

/** Each module file of the simulator compiled once: its CommonJS wrapper function. */
const wrappers = new Map<string, ModuleWrapper>();
type ModuleWrapper = (
    exports: unknown,
    require: NodeJS.Require,
    module: { exports: unknown },
    f: string,
    d: string,
) => void;
const wrapperOf = (file: string): ModuleWrapper => {
    let w = wrappers.get(file);
    if (!w) {
        w = vm.runInThisContext(Module.wrap(fs.readFileSync(file, "utf8")), { filename: file }) as ModuleWrapper;
        wrappers.set(file, w);
    }
    return w;
};

/**
 * A new instance of the simulator's CommonJS modules (its libraries stay shared), memos empty:
 * every module of its tree evaluated again, as `require` would after its cache is emptied, from
 * code compiled once (calling a module's wrapper again runs its body anew, with state of its own).
 */
function fresh<T>(file = "index.js"): T {
    const instances = new Map<string, { exports: unknown }>();
    const load = (filename: string): unknown => {
        const known = instances.get(filename);
        if (known) return known.exports;
        const m = { exports: {} as unknown };
        instances.set(filename, m);
        const outside = Module.createRequire(filename);
        const inside = ((id: string) => {
            const resolved = outside.resolve(id);
            return resolved.startsWith(CJS + path.sep) && resolved.endsWith(".js")
                ? load(resolved)
                : (outside(id) as unknown);
        }) as NodeJS.Require;
        wrapperOf(filename).call(m.exports, m.exports, inside, m, filename, path.dirname(filename));
        return m.exports;
    };
    return load(path.join(CJS, file)) as T;
}

interface Util {
    convertIamString(
        value: string,
        request: unknown,
        options?: { replaceWildcards?: boolean; convertToRegex?: boolean },
    ): string | { pattern: RegExp; errors?: string[] };
}
interface RequestModule {
    AwsRequestImpl: new (principal: string, resource: object, action: string, context: unknown, w: boolean) => unknown;
}
interface ContextModule {
    RequestContextImpl: new (values: Record<string, string | string[]>) => unknown;
}

// The instances the simulator itself uses (loaded with it, before any fresh copy).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const util = require(path.join(CJS, "util.js")) as Util;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AwsRequestImpl } = require(path.join(CJS, "request", "request.js")) as RequestModule;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { RequestContextImpl } = require(path.join(CJS, "requestContext.js")) as ContextModule;

const requestWith = (context: Record<string, string | string[]>) =>
    new AwsRequestImpl(
        "arn:aws:iam::222222222222:user/alice",
        { resource: "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf", accountId: "111111111111" },
        "secretsmanager:GetSecretValue",
        new RequestContextImpl(context),
        false,
    );

const shown = (r: ReturnType<Util["convertIamString"]>) =>
    typeof r === "string" ? r : { source: r.pattern.source, flags: r.pattern.flags, errors: r.errors ?? [] };

const PIECES = [
    "a",
    "B",
    "db-",
    ":",
    "/",
    ".",
    "*",
    "?",
    "(",
    "]",
    "\\",
    "$",
    "{",
    "${aws:username}",
    "${aws:PrincipalTag/team, 'ops'}",
    "${aws:userid}",
    "${*}",
    "${?}",
    "${$}",
];
const iamString = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((p) => p.join(""));
const contextArb = fc.record(
    {
        "aws:username": fc.constantFrom("alice", "bob", "a.*b"),
        "aws:PrincipalTag/team": fc.constantFrom("dev", "ops"),
        "aws:userid": fc.constant<string[]>(["AIDA1", "AIDA2"]),
    },
    { requiredKeys: [] },
);
const optionsArb = fc.option(
    fc.record({ replaceWildcards: fc.boolean(), convertToRegex: fc.boolean() }, { requiredKeys: [] }),
    { nil: undefined },
);

describe("the simulator's memos (patches/@cloud-copilot+iam-simulate+0.1.173.patch)", function () {
    this.timeout(120_000);

    it("convertIamString answers from its memo what a fresh copy computes, for any value, context and options", () => {
        fc.assert(
            fc.property(
                fc.array(fc.tuple(iamString, contextArb, optionsArb), { minLength: 1, maxLength: 8 }),
                (calls) => {
                    const unmemoized = fresh<Util>("util.js");
                    for (const [value, context, options] of calls) {
                        const request = requestWith(context);
                        expect(shown(util.convertIamString(value, request, options)), value).to.deep.equal(
                            shown(unmemoized.convertIamString(value, request, options)),
                        );
                    }
                },
            ),
            { numRuns: 300 },
        );
    });

    it("a memoized regex is frozen, keeps no state between tests, and a value with a variable is read per request", () => {
        const value = "arn:aws:secretsmanager:*:111111111111:secret:db-??????";
        const first = util.convertIamString(value, requestWith({}));
        const again = util.convertIamString(value, requestWith({ "aws:username": "bob" }));
        if (typeof first === "string" || typeof again === "string") throw new Error("expected a regex");
        expect(again).to.equal(first);
        expect(Object.isFrozen(first)).to.equal(true);
        expect(first.pattern.flags).to.not.match(/[gy]/);
        const yes = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";
        const no = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-AbCdEf";
        for (let i = 0; i < 3; i++) {
            expect(first.pattern.test(yes)).to.equal(true);
            expect(first.pattern.test(no)).to.equal(false);
        }
        expect(first.pattern.lastIndex).to.equal(0);
        const own = "arn:aws:secretsmanager:*:*:secret:${aws:username}-*";
        const forAlice = util.convertIamString(own, requestWith({ "aws:username": "alice" }));
        const forBob = util.convertIamString(own, requestWith({ "aws:username": "bob" }));
        if (typeof forAlice === "string" || typeof forBob === "string") throw new Error("expected a regex");
        const alices = "arn:aws:secretsmanager:us-east-1:111111111111:secret:alice-AbCdEf";
        expect([forAlice.pattern.test(alices), forBob.pattern.test(alices)]).to.deep.equal([true, false]);
    });

    it("each fresh copy starts with memos of its own, empty: neither the warm simulator's nor another copy's", () => {
        // A memoized regex is returned again as the same frozen object: which object a copy answers
        // shows which memo it read. Were a copy's module state shared (a cached instance, a memo
        // outside the module), the properties above would compare the memo with itself.
        const value = "arn:aws:secretsmanager:*:111111111111:secret:fresh-??????";
        const request = requestWith({});
        const warmAnswer = util.convertIamString(value, request);
        const [a, b] = [fresh<Util>("util.js"), fresh<Util>("util.js")];
        const fromA = a.convertIamString(value, request);
        expect(a.convertIamString(value, request)).to.equal(fromA);
        expect(fromA).to.not.equal(warmAnswer);
        expect(b.convertIamString(value, request)).to.not.equal(fromA);
        expect(shown(fromA)).to.deep.equal(shown(warmAnswer));
    });

    it("runSimulation decides as a fresh copy of the simulator, over random documents and requests", async () => {
        const OWNER = "111111111111";
        const SECRETS = ["db-AbCdEf", "app/api-Xy34Zw", "alice-Qr56St"].map(
            (s) => `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:${s}`,
        );
        const KEY = `arn:aws:kms:us-east-1:${OWNER}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9`;
        const resourcePattern = fc.constantFrom(
            ...SECRETS,
            KEY,
            "*",
            `arn:aws:secretsmanager:us-*:${OWNER}:secret:db-*`,
            `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:\${aws:username}-*`,
            `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:\${aws:username}-*`,
            `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:\${aws:username}-??????`,
            `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:app/api-??????`,
            `arn:aws:kms:*:${OWNER}:key/*`,
            `arn:aws:secretsmanager:us-east-1:${OWNER}:secret`,
        );
        const conditionArb = fc.oneof(
            fc
                .tuple(
                    fc.constantFrom("StringLike", "StringEquals", "ArnLike", "StringNotLike"),
                    fc.array(fc.constantFrom(...SECRETS, "arn:aws:secretsmanager:*:*:secret:${aws:username}-*"), {
                        minLength: 1,
                        maxLength: 3,
                    }),
                )
                .map(([op, v]) => ({ [op]: { "kms:EncryptionContext:SecretARN": v } })),
            fc
                .constantFrom("secretsmanager.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com")
                .map((v) => ({ StringEquals: { "kms:ViaService": v } })),
            fc.constantFrom("AWSCURRENT", "AWS*").map((v) => ({ StringLike: { "secretsmanager:VersionStage": v } })),
            fc.constantFrom("true", "false").map((v) => ({ Null: { "secretsmanager:VersionStage": v } })),
            fc.constant({ "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["SecretARN"] } }),
            fc.constant({ StringEquals: { "aws:ResourceTag/team": "dev" } }),
        );
        const statementArb = fc
            .record({
                Effect: fc.constantFrom("Allow", "Allow", "Deny"),
                Action: fc.constantFrom(
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:Get?ecretValue",
                    "secretsmanager:*",
                    "kms:Decrypt",
                    "kms:De*",
                    ["kms:Decrypt", "secretsmanager:GetSecretValue"],
                ),
                Resource: fc.array(resourcePattern, { minLength: 1, maxLength: 3 }),
                conditions: fc.array(conditionArb, { maxLength: 2 }),
            })
            .map(({ conditions, ...s }) => ({
                ...s,
                ...(conditions.length && { Condition: Object.assign({}, ...conditions) as Record<string, unknown> }),
            }));
        const requestArb = fc.record({
            principal: fc.constantFrom(
                "arn:aws:iam::222222222222:user/alice",
                `arn:aws:sts::222222222222:assumed-role/reader/session`,
                `arn:aws:iam::${OWNER}:user/admin`,
            ),
            target: fc.constantFrom(
                ...SECRETS.map((r) => ["secretsmanager:GetSecretValue", r]),
                ["kms:Decrypt", KEY],
                ["kms:Encrypt", KEY],
                // Each memo's every input matters: another action on the same resource (other
                // context keys), an action with no resource type (wildcard only), an action on a
                // resource of another type.
                ["kms:DescribeKey", KEY],
                ["kms:ListKeys", "*"],
                ["secretsmanager:ListSecrets", "*"],
                ["kms:Decrypt", SECRETS[0]],
                ["secretsmanager:GetSecretValue", KEY],
                // One action, resources of two types (with other context keys).
                ["kms:CreateAlias", KEY],
                ["kms:CreateAlias", `arn:aws:kms:us-east-1:${OWNER}:alias/db`],
            ),
            context: fc.record(
                {
                    "aws:username": fc.constantFrom("alice", "bob"),
                    "kms:ViaService": fc.constant("secretsmanager.us-east-1.amazonaws.com"),
                    "kms:EncryptionContext:SecretARN": fc.constantFrom(...SECRETS),
                    "secretsmanager:VersionStage": fc.constantFrom("AWSCURRENT", "AWSPENDING"),
                    // The same key in another case: the encryption context's key is the caller's.
                    "kms:encryptioncontext:secretarn": fc.constantFrom(...SECRETS),
                    // A key of many values, read as such only if its type is known.
                    "kms:EncryptionContextKeys": fc.constantFrom<string[]>(["SecretARN"], ["SecretARN", "Other"]),
                    "aws:ResourceTag/team": fc.constant("dev"),
                },
                { requiredKeys: ["aws:username"] },
            ),
        });
        const decisions = new Set<string>();
        await fc.assert(
            fc.asyncProperty(
                fc.array(statementArb, { minLength: 1, maxLength: 3 }),
                fc.array(statementArb, { minLength: 1, maxLength: 3 }),
                fc.boolean(),
                fc.array(fc.tuple(requestArb, requestArb), { minLength: 1, maxLength: 6 }),
                async (identity, resource, openToConsumer, requests) => {
                    const unmemoized = fresh<typeof warm>();
                    for (const [{ principal, target, context }, primer] of requests) {
                        const simulationOf = (contextVariables: typeof context, who = principal): warm.Simulation => ({
                            request: {
                                principal: who,
                                action: target[0],
                                resource: { resource: target[1], accountId: OWNER },
                                contextVariables,
                            },
                            identityPolicies: [
                                { name: "identity", policy: { Version: "2012-10-17", Statement: identity } },
                            ],
                            serviceControlPolicies: [],
                            resourceControlPolicies: [],
                            resourcePolicy: {
                                Version: "2012-10-17",
                                Statement: [
                                    ...resource.map((s) => ({ ...s, Principal: { AWS: "222222222222" } })),
                                    // Often open to the consumer account: the identity side then decides.
                                    ...(openToConsumer
                                        ? [
                                              {
                                                  Effect: "Allow",
                                                  Principal: { AWS: "222222222222" },
                                                  Action: "*",
                                                  Resource: "*",
                                              },
                                          ]
                                        : []),
                                ],
                            },
                        });
                        const simulation = simulationOf(context);
                        // The same documents first for another caller and context: what the memos
                        // then hold was computed for another request.
                        await warm.runSimulation(simulationOf(primer.context, primer.principal), {});
                        const summary = (r: Awaited<ReturnType<typeof warm.runSimulation>>, m: typeof warm) =>
                            r.resultType === "error"
                                ? r.errors
                                : {
                                      overall: r.overallResult,
                                      results: (r.resultType === "single" ? [r.result] : r.results).map((x) => ({
                                          ignored: x.ignoredContextKeys,
                                          denied: m.getDenialReasons(x.analysis),
                                      })),
                                  };
                        const a = summary(await warm.runSimulation(simulation, {}), warm);
                        const b = summary(await unmemoized.runSimulation(simulation, {}), unmemoized);
                        expect(a, JSON.stringify(simulation)).to.deep.equal(b);
                        decisions.add(JSON.stringify((a as { overall?: string }).overall ?? "error"));
                    }
                },
            ),
            { numRuns: 60 },
        );
        // Not vacuous: the requests were decided every way.
        expect([...decisions].sort()).to.include.members(['"Allowed"', '"ExplicitlyDenied"', '"ImplicitlyDenied"']);
    });

    it("a key of many values is read as such after keys of one value (each key's type is its own)", async () => {
        const OWNER = "111111111111";
        const simulation = (contextVariables: Record<string, string | string[]>): warm.Simulation => ({
            request: {
                principal: "arn:aws:iam::222222222222:user/alice",
                action: "kms:Decrypt",
                resource: {
                    resource: `arn:aws:kms:us-east-1:${OWNER}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9`,
                    accountId: OWNER,
                },
                contextVariables,
            },
            identityPolicies: [
                {
                    name: "identity",
                    policy: {
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Allow",
                                Action: "kms:Decrypt",
                                Resource: "*",
                                Condition: {
                                    "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["SecretARN"] },
                                },
                            },
                        ],
                    },
                },
            ],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: {
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { AWS: "222222222222" }, Action: "*", Resource: "*" }],
            },
        });
        const decisions = [];
        for (const keys of [["SecretARN"], ["SecretARN", "Other"]]) {
            await warm.runSimulation(simulation({ "aws:username": "alice", "kms:ViaService": "x" }), {});
            const r = await warm.runSimulation(
                simulation({ "aws:username": "alice", "kms:EncryptionContextKeys": keys }),
                {},
            );
            decisions.push(r.resultType === "error" ? r.errors.message : r.overallResult);
        }
        expect(decisions).to.deep.equal(["Allowed", "ImplicitlyDenied"]);
    });
});

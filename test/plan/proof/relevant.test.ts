import { expect } from "chai";
import * as fc from "fast-check";
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { generate, parseShape } from "../../../bench/scale";
import { parseConfig, type OwnerStackConfig } from "../../../config";
import { ownerLayout } from "../../../policies/layout";
import { relevantIdentityStatements, relevantStatements } from "../../../plan/proof/relevant";
import { principalContext } from "../../../plan/proof/simulator";

/**
 * plan/proof/relevant.ts leaves out of a resource policy the statements that cannot apply to a
 * request. The simulator must decide exactly as over the whole document: checked here for every
 * reader of a generated owner against its real, packed key policy, for its own secrets, others'
 * secrets, and other actions.
 */

const set = generate(parseShape("100x20x5"));
const raw = Object.fromEntries(
    Object.entries(set.owner.config)
        .filter(([k]) => k.startsWith("secretshare:"))
        .map(([k, v]) => [k.slice("secretshare:".length), v]),
);
const layout = ownerLayout((parseConfig("owner", raw) as OwnerStackConfig).owner);
const KEY = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000";
const secretArn = (s: string) => `arn:aws:secretsmanager:us-east-1:111111111111:secret:${s}-AbCdEf`;

async function decide(principal: string, action: string, secret: string, policy: unknown): Promise<string> {
    const { caller, context } = principalContext(principal);
    const result = await runSimulation(
        {
            request: {
                principal: caller,
                action,
                resource: { resource: KEY, accountId: "111111111111" },
                contextVariables: {
                    ...context,
                    "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                    "kms:EncryptionContext:SecretARN": secretArn(secret),
                },
            },
            identityPolicies: [
                {
                    name: "reader",
                    policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] },
                },
            ],
            serviceControlPolicies: [],
            resourceControlPolicies: [],
            resourcePolicy: policy,
        },
        {},
    );
    return result.resultType === "error" ? `error ${result.errors.message}` : result.overallResult;
}

describe("plan/proof/relevant.ts", function () {
    this.timeout(120_000);

    it("the simulator decides as over the whole key policy, for every reader, secret and action tried", async () => {
        const policy = layout.keys[0].policy;
        const readers = Object.values(layout.grants).flatMap((g) => g.readers);
        const secrets = Object.keys(layout.keyOf).slice(0, 4);
        const principals = [...readers.map((r) => r.arn), "arn:aws:iam::111111111111:role/owner-admin"];
        let allowed = 0;
        for (const principal of principals) {
            const { caller } = principalContext(principal);
            for (const action of ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt"]) {
                const trimmed = relevantStatements(policy, principal, caller, action);
                for (const s of secrets) {
                    const whole = await decide(principal, action, s, policy);
                    expect(await decide(principal, action, s, trimmed), `${principal} ${action} ${s}`).to.equal(whole);
                    if (whole === "Allowed") allowed++;
                }
            }
        }
        // Both outcomes occur: the comparison is not vacuous.
        expect(allowed).to.be.above(0);
        expect(allowed).to.be.below(principals.length * 3 * secrets.length);
    });

    it("keeps Deny statements, wildcards and other principal types; leaves out only what cannot match", () => {
        const reader = "arn:aws:iam::222222222222:role/app";
        const doc = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "Other",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::333333333333:root" },
                    Action: "kms:Decrypt",
                },
                { Sid: "OtherAction", Effect: "Allow", Principal: { AWS: reader }, Action: "kms:Encrypt" },
                {
                    Sid: "Mine",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::222222222222:root" },
                    Action: "kms:Decrypt",
                },
                {
                    Sid: "Deny",
                    Effect: "Deny",
                    Principal: { AWS: "arn:aws:iam::333333333333:root" },
                    Action: "kms:Decrypt",
                },
                { Sid: "Wild", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*" },
                { Sid: "Service", Effect: "Allow", Principal: { Service: "x.amazonaws.com" }, Action: "kms:Decrypt" },
                { Sid: "Not", Effect: "Allow", NotPrincipal: { AWS: reader }, Action: "kms:Decrypt" },
            ],
        };
        const { caller } = principalContext(reader);
        const kept = relevantStatements(doc, reader, caller, "kms:Decrypt") as { Statement: { Sid: string }[] };
        expect(kept.Statement.map((s) => s.Sid)).to.deep.equal(["Mine", "Deny", "Wild", "Service", "Not"]);
        const none = relevantStatements(
            { Version: "2012-10-17", Statement: [doc.Statement[0]] },
            reader,
            caller,
            "kms:Decrypt",
        );
        expect(none).to.deep.equal({ Version: "2012-10-17", Statement: [doc.Statement[0]] });
    });

    it("a key policy: the simulator decides as over the whole document, for random principals written every way", async () => {
        // Principal values the simulator matches to a caller other than by equality: a role's
        // session matches its role by name (any case, accents, path); a root ARN of any partition
        // is its account.
        const values = [
            "arn:aws:iam::222222222222:role/app",
            "arn:aws:iam::222222222222:role/APP",
            "arn:aws:iam::222222222222:role/team/app",
            "arn:aws:iam::222222222222:role/\u00e4pp",
            "arn:aws:iam::222222222222:role/other",
            "arn:aws:iam::333333333333:role/app",
            "arn:aws:iam::222222222222:user/app",
            "arn:aws:iam::222222222222:user/App",
            "arn:aws:sts::222222222222:assumed-role/app/secretshare-plan",
            "arn:aws:iam::222222222222:root",
            "arn:aws-cn:iam::222222222222:root",
            "arn:aws:iam::333333333333:root",
            "222222222222",
            "333333333333",
            "arn:aws:iam::222222222222:role/a*",
            "*",
        ];
        const statement = fc.record({
            Effect: fc.constantFrom("Allow", "Allow", "Deny"),
            Principal: fc.oneof(
                fc.constantFrom(...values).map((v) => ({ AWS: v })),
                fc.array(fc.constantFrom(...values), { minLength: 1, maxLength: 3 }).map((v) => ({ AWS: v })),
            ),
            Action: fc.constantFrom("kms:Decrypt", "kms:Encrypt", "KMS:decrypt", "kms:*"),
            Resource: fc.constant("*"),
        });
        const seen = new Set<string>();
        await fc.assert(
            fc.asyncProperty(
                fc.array(statement, { minLength: 1, maxLength: 4 }),
                fc.constantFrom(
                    "arn:aws:iam::222222222222:role/app",
                    "arn:aws:iam::222222222222:role/team/app",
                    "arn:aws:iam::222222222222:user/app",
                ),
                async (statements, principal) => {
                    const doc = { Version: "2012-10-17", Statement: statements };
                    const { caller } = principalContext(principal);
                    const whole = await decide(principal, "kms:Decrypt", "db", doc);
                    const trimmed = relevantStatements(doc, principal, caller, "kms:Decrypt");
                    expect(await decide(principal, "kms:Decrypt", "db", trimmed), JSON.stringify(doc)).to.equal(whole);
                    seen.add(whole);
                },
            ),
            { numRuns: 300 },
        );
        expect([...seen].sort()).to.deep.equal(["Allowed", "ExplicitlyDenied", "ImplicitlyDenied"]);
    });

    it("an identity policy: the simulator decides as over the whole document, for random documents and requests", async () => {
        const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf";
        // Look-alikes of the requested ARNs: other case by part, other secrets, wildcards,
        // variables, short ARNs and parts the simulator reads as regexes.
        const resources = [
            SECRET,
            "arn:AWS:SecretsManager:US-EAST-1:111111111111:secret:db-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:111111111111:secret:DB-AbCdEf",
            "xyz:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:111111111111:secret:db-*",
            "arn:aws:secretsmanager:us-east-?:111111111111:secret:db-AbCdEf",
            "arn:aws:secretsmanager:us.east.1:111111111111:secret:db-AbCdEf",
            "arn:aws:secretsmanager:us-east-1:111111111111:secret:${aws:username}",
            "arn:aws:secretsmanager:us-east-1:111111111111:secret",
            "arn:aws:secretsmanager:us-east-1:111111111111",
            KEY,
            "arn:aws:kms:us-east-1:111111111111:key/other",
            "*",
        ];
        const statement = fc
            .record({
                Effect: fc.constantFrom("Allow", "Allow", "Deny"),
                Action: fc.constantFrom(
                    "secretsmanager:GetSecretValue",
                    "kms:Decrypt",
                    "kms:*",
                    ["kms:Decrypt", "secretsmanager:GetSecretValue"],
                    "secretsmanager:DescribeSecret",
                    // Service and action names compare without regard to case; wildcards.
                    "SecretsManager:getsecretvalue",
                    "KMS:DECRYPT",
                    "secretsmanager:Get*",
                    "secretsmanager:GetSecretValu?",
                    "*",
                ),
                Resource: fc.oneof(
                    fc.constantFrom(...resources),
                    fc.array(fc.constantFrom(...resources), { minLength: 1, maxLength: 4 }),
                ),
                // NotAction and NotResource statements are kept whole.
                not: fc.constantFrom<string[]>([], [], ["Action"], ["Resource"], ["Action", "Resource"]),
                Condition: fc.constantFrom(
                    undefined,
                    { StringEquals: { "aws:username": "db-AbCdEf" } },
                    {
                        StringEquals: { "aws:username": "other" },
                    },
                ),
            })
            .map(({ not, Condition, ...s }) => {
                const out: Record<string, unknown> = { Effect: s.Effect, ...(Condition && { Condition }) };
                out[not.includes("Action") ? "NotAction" : "Action"] = s.Action;
                out[not.includes("Resource") ? "NotResource" : "Resource"] = s.Resource;
                return out;
            });
        const simulateWith = async (identity: unknown, action: string, resource: string) => {
            const result = await runSimulation(
                {
                    request: {
                        principal: "arn:aws:iam::111111111111:user/admin",
                        action,
                        resource: { resource, accountId: "111111111111" },
                        contextVariables: { "aws:username": "db-AbCdEf" },
                    },
                    identityPolicies: [{ name: "reader", policy: identity }],
                    serviceControlPolicies: [],
                    resourceControlPolicies: [],
                },
                {},
            );
            if (result.resultType === "error") return `error ${result.errors.message}`;
            const results = result.resultType === "single" ? [result.result] : result.results;
            return JSON.stringify([result.overallResult, results.map((r) => r.ignoredContextKeys)]);
        };
        const seen = new Set<string>();
        await fc.assert(
            fc.asyncProperty(
                fc.array(statement, { minLength: 1, maxLength: 4 }),
                fc.constantFrom(
                    ["secretsmanager:GetSecretValue", SECRET],
                    ["kms:Decrypt", KEY],
                    [
                        "secretsmanager:GetSecretValue",
                        "arn:aws:secretsmanager:us-east-1:111111111111:secret:app-AbCdEf",
                    ],
                ),
                async (statements, [action, resource]) => {
                    const doc = { Version: "2012-10-17", Statement: statements };
                    const whole = await simulateWith(doc, action, resource);
                    const trimmed = relevantIdentityStatements(doc, action, resource);
                    expect(await simulateWith(trimmed, action, resource), JSON.stringify(doc)).to.equal(whole);
                    seen.add(whole.split(",")[0]);
                },
            ),
            { numRuns: 400 },
        );
        expect([...seen].sort()).to.deep.equal(['["Allowed"', '["ExplicitlyDenied"', '["ImplicitlyDenied"']);
        // It does leave out: another action's statement and the values that are other resources.
        const doc = {
            Version: "2012-10-17",
            Statement: [
                { Effect: "Allow", Action: "kms:Decrypt", Resource: KEY },
                {
                    Effect: "Allow",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: [resources[4], SECRET, resources[5]],
                },
            ],
        };
        expect(relevantIdentityStatements(doc, "secretsmanager:GetSecretValue", SECRET)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: [SECRET, resources[5]] }],
        });
    });
});

import { expect } from "chai";
import * as fc from "fast-check";
import { decide, grantsAt, reach, spaceOf, type Service } from "../../../plan/analysis/reach";
import { PRINCIPAL, type Frame } from "../../../plan/analysis/statements";
import { simulate } from "../../../plan/proof/simulator";

/**
 * The two engines on random cases: random resource policies (principals, wildcard patterns under
 * each operator, account and stage conditions, Deny statements), random principals, actions and
 * contexts. The analysis's decision, and whether the principal is in the set it computes, must be
 * the simulator's decision. A disagreement is a bug in one of them.
 */

const OWNER = "111111111111";
const ACCOUNTS = [OWNER, "222222222222", "333333333333"];
// Role names are unique in an account whatever their path (a session's ARN names the role without
// it, and IAM resolves a role in a policy by name): one name per path here.
const NAMES = ["role/app/reader", "role/appX/worker", "role/App/batch", "user/Stuart", "role/ops"];
const SECRET = `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:db-Ab12Cd`;
const KEY = `arn:aws:kms:us-east-1:${OWNER}:key/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9`;
const ROLE = `arn:aws:iam::${OWNER}:role/target`;

const arnOf = (account: string, name: string) => `arn:aws:iam::${account}:${name}`;
const principalArb = fc.tuple(fc.constantFrom(...ACCOUNTS), fc.constantFrom(...NAMES)).map(([a, n]) => arnOf(a, n));

/** A value for a pattern: a principal's ARN with some characters made wildcards or changed in case. */
const patternArb = fc
    .tuple(principalArb, fc.array(fc.tuple(fc.nat(60), fc.constantFrom("*", "?", "case")), { maxLength: 2 }))
    .map(([arn, edits]) => {
        const chars = [...arn];
        for (const [i, e] of edits) {
            const at = i % chars.length;
            // Keep "arn" and the colons: the simulator and AWS read an ARN by its six parts.
            if (at < 4 || chars[at] === ":") continue;
            chars[at] =
                e === "case"
                    ? chars[at] === chars[at].toUpperCase()
                        ? chars[at].toLowerCase()
                        : chars[at].toUpperCase()
                    : e;
        }
        return chars.join("");
    });

const OPERATORS = [
    "ArnLike",
    "ArnEquals",
    "ArnNotLike",
    "StringLike",
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnLikeIfExists",
];

const conditionArb = fc.oneof(
    fc.tuple(fc.constantFrom(...OPERATORS), fc.array(patternArb, { minLength: 1, maxLength: 2 })).map(([op, v]) => ({
        [op]: { "aws:PrincipalArn": v },
    })),
    fc
        .tuple(
            fc.constantFrom("StringEquals", "StringLike", "StringNotEquals"),
            fc.constantFrom(...ACCOUNTS, "2222*", "?11111111111"),
        )
        .map(([op, v]) => ({ [op]: { "aws:PrincipalAccount": v } })),
    fc
        .tuple(
            fc.constantFrom("StringEquals", "StringLike", "StringNotEquals"),
            fc.constantFrom("AWSCURRENT", "AWS*", "AWSPREVIOUS"),
        )
        .map(([op, v]) => ({ [op]: { "secretsmanager:VersionStage": v } })),
    fc.constantFrom(
        { Null: { "secretsmanager:VersionStage": "true" } },
        { Null: { "secretsmanager:VersionStage": "false" } },
    ),
    fc.constantFrom(...ACCOUNTS).map((a) => ({ StringEquals: { "aws:SourceAccount": a } })),
);

const principalElement = fc.oneof(
    fc.constant("*"),
    fc.constantFrom(...ACCOUNTS).map((a) => ({ AWS: `arn:aws:iam::${a}:root` })),
    fc.constantFrom(...ACCOUNTS).map((a) => ({ AWS: a })),
    principalArb.map((p) => ({ AWS: p })),
    fc.constant({ Service: "ecs-tasks.amazonaws.com" }),
);

const statementArb = (action: string) =>
    fc
        .record({
            Effect: fc.constantFrom("Allow", "Allow", "Deny"),
            Principal: principalElement,
            Action: fc.constantFrom(action, action.split(":")[0] + ":*", "*", "secretsmanager:DescribeSecret"),
            conditions: fc.array(conditionArb, { maxLength: 2 }),
        })
        .map(({ conditions, ...s }) => ({
            ...s,
            Resource: "*",
            ...(conditions.length && { Condition: Object.assign({}, ...conditions) as Record<string, unknown> }),
        }));

const CASES: { service: Service; action: string; resource: string; frame: (ctx: Record<string, string>) => Frame }[] = [
    {
        service: "secretsmanager",
        action: "secretsmanager:GetSecretValue",
        resource: SECRET,
        frame: () => ({
            action: "secretsmanager:GetSecretValue",
            resource: SECRET,
            fixed: {},
            vars: { "secretsmanager:versionstage": "stage", "secretsmanager:versionid": "versionId" },
        }),
    },
    {
        service: "kms",
        action: "kms:Decrypt",
        resource: KEY,
        frame: () => ({ action: "kms:Decrypt", resource: KEY, fixed: {}, vars: {} }),
    },
    {
        service: "sts",
        action: "sts:AssumeRole",
        resource: ROLE,
        frame: () => ({
            action: "sts:AssumeRole",
            resource: ROLE,
            fixed: {},
            vars: { "aws:sourceaccount": "sourceAccount" },
        }),
    },
];

/**
 * Values one character away from principals, where a wildcard matching one character too many or
 * too few (`?` as a run, `*` as one character) or a case rule read wrong changes the answer:
 * random edits rarely land there, so every operator meets every one of them.
 */
const NEAR = [
    "arn:aws:iam::222222222222:user/Stuar?",
    "arn:aws:iam::222222222222:user/Stuart?",
    "arn:aws:iam::222222222222:user/Stuart*",
    "arn:aws:iam::222222222222:user/stuart",
    "arn:aws:iam::22222222222?:user/Stu*t",
    "arn:aws:iam::*:user/S?uart",
    "arn:aws:iam::2222222222*:user/Stuart",
];
const NEAR_PRINCIPALS = ["user/Stuart", "user/Stuarts", "user/Stuar"].map((n) => arnOf("222222222222", n));

describe("two engines: the analysis and the simulator agree on random cases", function () {
    this.timeout(300000);

    it("near misses: every operator on values one character away from the principal", async () => {
        const frame = CASES[0].frame({});
        const identity = [
            {
                name: "own",
                policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
            },
        ];
        let allowed = 0;
        for (const op of OPERATORS)
            for (const value of NEAR)
                for (const principal of NEAR_PRINCIPALS) {
                    const policy = {
                        Version: "2012-10-17",
                        Statement: [
                            {
                                Effect: "Allow",
                                Principal: "*",
                                Action: "secretsmanager:GetSecretValue",
                                Resource: "*",
                                Condition: { [op]: { "aws:PrincipalArn": value } },
                            },
                        ],
                    };
                    const doc = { name: "resource policy", policy };
                    const mine = decide(doc, identity, frame, "secretsmanager", OWNER, { [PRINCIPAL]: principal });
                    const sim = await simulate({
                        principal,
                        action: "secretsmanager:GetSecretValue",
                        resource: SECRET,
                        context: {},
                        identityPolicies: identity,
                        resourcePolicy: doc,
                    });
                    expect(sim.error, `${op} ${value} ${principal}`).to.equal(undefined);
                    expect(mine, `${op} ${value} ${principal}`).to.equal(sim.decision);
                    if (mine === "Allowed") allowed++;
                }
        expect(allowed).to.be.greaterThan(10);
    });

    for (const c of CASES) {
        it(`${c.action}: random policies, principals and contexts`, async () => {
            const seen = { compared: 0, allowed: 0, inSet: 0 };
            await fc.assert(
                fc.asyncProperty(
                    fc.array(statementArb(c.action), { minLength: 1, maxLength: 3 }),
                    fc.oneof(principalArb, fc.constant("ecs-tasks.amazonaws.com")),
                    fc.constantFrom(undefined, "AWSCURRENT", "AWSPREVIOUS", "custom"),
                    fc.constantFrom(undefined, ...ACCOUNTS),
                    fc.boolean(),
                    async (Statement, principal, stage, sourceAccount, identityAllows) => {
                        const policy = { Version: "2012-10-17", Statement };
                        const context: Record<string, string> = {};
                        if (c.service === "secretsmanager" && stage) context["secretsmanager:VersionStage"] = stage;
                        if (c.service === "sts" && sourceAccount) context["aws:SourceAccount"] = sourceAccount;
                        const isService = !principal.startsWith("arn:");
                        const identity = isService
                            ? []
                            : [
                                  {
                                      name: "own",
                                      policy: {
                                          Version: "2012-10-17",
                                          Statement: [
                                              {
                                                  Effect: identityAllows ? "Allow" : "Deny",
                                                  Action: c.action,
                                                  Resource: "*",
                                              },
                                          ],
                                      },
                                  },
                              ];
                        const frame = c.frame(context);
                        const point = {
                            [PRINCIPAL]: principal,
                            ...(context["secretsmanager:VersionStage"] && {
                                stage: context["secretsmanager:VersionStage"],
                            }),
                            ...(context["aws:SourceAccount"] && { sourceAccount: context["aws:SourceAccount"] }),
                        };
                        const doc = { name: "resource policy", policy };
                        const mine = decide(doc, identity, frame, c.service, OWNER, point);
                        const sim = await simulate({
                            principal,
                            action: c.action,
                            resource: c.resource,
                            context,
                            identityPolicies: identity,
                            resourcePolicy: doc,
                        });
                        const why = JSON.stringify({
                            policy,
                            principal,
                            context,
                            identityAllows,
                            sim: sim.decision,
                            error: sim.error,
                        });
                        if (mine === "unknown" || sim.error || sim.ignoredContextKeys.length) return;
                        expect(mine === "Allowed", `decision: ${why}`).to.equal(sim.decision === "Allowed");
                        seen.compared++;
                        if (mine === "Allowed") seen.allowed++;
                        // The symbolic set holds the point exactly when a principal whose own policies allow is let in.
                        if (identityAllows || isService) {
                            const r = reach(doc, frame, c.service, OWNER, spaceOf(frame, "aws"));
                            if (r.notProven.length || r.unapplied.length) return;
                            const inSet = grantsAt(r, point).some((g) => !g.conditions.length);
                            expect(inSet, `set membership: ${why}`).to.equal(mine === "Allowed");
                            if (inSet) seen.inSet++;
                        }
                    },
                ),
                { numRuns: c.service === "secretsmanager" ? 150 : 250 },
            );
            // The cases must exercise both answers, or agreeing would prove little.
            expect(seen.compared, JSON.stringify(seen)).to.be.greaterThan(100);
            expect(seen.allowed, JSON.stringify(seen)).to.be.greaterThan(5);
            expect(seen.inSet, JSON.stringify(seen)).to.be.greaterThan(5);
        });
    }
});

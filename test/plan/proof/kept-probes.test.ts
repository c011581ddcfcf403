import { expect } from "chai";
import { conditionEntries, holds, satisfyingValue } from "../../../plan/proof/conditions";
import { judge } from "../../../plan/proof/judge";
import { keptChecks, keptExpectedText } from "../../../plan/proof/kept";
import { simulate } from "../../../plan/proof/simulator";
import { publicReason, publicSecretPolicyProblems } from "../../../plan/publicPolicy";
import type { RegisteredResource } from "../../../plan/mocks";

/**
 * The kept rows one by one, through the simulator and the judge, without a plan: each row's
 * request, its EXPECTED and DECISION words, and whether it fails. And the public-statement rule
 * the preflight applies to a secret policy written with blockPublicPolicy.
 */

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf";
const KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000";
const R = "arn:aws:iam::333333333333:role/r";
const allow = (Sid: string, extra: Record<string, unknown> = {}) => ({
    Sid,
    Effect: "Allow",
    Principal: { AWS: R },
    Action: "secretsmanager:GetSecretValue",
    Resource: "*",
    ...extra,
});

interface Row {
    who: string;
    action: string;
    context: Record<string, string>;
    expected: string;
    decision: string;
    ok: boolean;
    reason?: string;
}

async function rows(secretStatements: unknown[], keyStatements?: unknown[]): Promise<Row[]> {
    const doc = (Statement: unknown[] | undefined) =>
        Statement && { name: "policy", policy: { Version: "2012-10-17", Statement } };
    const out: Row[] = [];
    for (const c of keptChecks(doc(secretStatements), doc(keyStatements), SECRET_ARN, KEY_ARN, "999999999999")) {
        const { probe, ...check } = c;
        const r = judge({ ...check, name: probe, secret: "MySecret" }, await simulate(check));
        out.push({
            who: r.who,
            action: r.action,
            context: { ...(r.context as Record<string, string>) },
            expected: keptExpectedText(r.kept),
            decision: r.kept?.verdict ?? r.decision,
            ok: r.ok,
            ...(r.reason && { reason: r.reason }),
        });
    }
    return out;
}

describe("kept rows: requests, words and verdicts", function () {
    this.timeout(30000);
    const stage = { "secretsmanager:VersionStage": "AWSCURRENT" };

    it("a Deny outside an organization: the read is conditional on aws:PrincipalOrgID, shown Allowed with it", async () => {
        const deny = {
            Sid: "DenyOutsideOrg",
            Effect: "Deny",
            Principal: "*",
            Action: "*",
            Resource: "*",
            Condition: { StringNotEquals: { "aws:PrincipalOrgID": "o-abc" } },
        };
        expect(await rows([allow("A"), deny])).to.deep.equal([
            {
                who: R,
                action: "secretsmanager:GetSecretValue",
                context: { ...stage, "aws:PrincipalOrgID": "o-abc" },
                expected: "kept, not managed here (A), conditional on aws:PrincipalOrgID",
                decision: "Allowed",
                ok: true,
            },
        ]);
    });

    it("a Deny the probe cannot lift (no VPC endpoint): conditional, not a plain denial", async () => {
        const deny = {
            Sid: "DenyNoVpce",
            Effect: "Deny",
            Principal: "*",
            Action: "*",
            Resource: "*",
            Condition: { Null: { "aws:SourceVpce": "true" } },
        };
        const [row] = await rows([allow("A"), deny]);
        expect([row.expected, row.decision, row.ok]).to.deep.equal([
            "kept, not managed here (A), conditional on aws:SourceVpce",
            "conditional (not met by this probe: aws:SourceVpce)",
            true,
        ]);
    });

    it("an unconditional Deny of the principal: ExplicitlyDenied, as AWS decides", async () => {
        const deny = { Sid: "DenyR", Effect: "Deny", Principal: { AWS: R }, Action: "*", Resource: "*" };
        const [row] = await rows([allow("A"), deny]);
        expect([row.expected, row.decision, row.ok]).to.deep.equal([
            "kept, not managed here (A)",
            "ExplicitlyDenied",
            true,
        ]);
    });

    it("each stage a statement names is probed; a negated stage is conditional", async () => {
        const both = allow("Both", {
            Condition: { "ForAnyValue:StringEquals": { "secretsmanager:VersionStage": ["AWSCURRENT", "AWSPREVIOUS"] } },
        });
        expect((await rows([both])).map((r) => [r.context["secretsmanager:VersionStage"], r.decision])).to.deep.equal([
            ["AWSCURRENT", "Allowed"],
            ["AWSPREVIOUS", "Allowed"],
        ]);
        const notCurrent = allow("NotCurrent", {
            Condition: { StringNotEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } },
        });
        const [row] = await rows([notCurrent]);
        expect([row.expected, row.decision, row.ok]).to.deep.equal([
            "kept, not managed here (NotCurrent), conditional on secretsmanager:VersionStage",
            "conditional (not met by this probe: secretsmanager:VersionStage)",
            true,
        ]);
    });

    it("a key the simulator does not know never fails the row: conditional, not met", async () => {
        const [row] = await rows([
            allow("Odd", { Condition: { StringEquals: { "kms:CallerAccount": "333333333333" } } }),
        ]);
        expect(row.context).to.deep.equal({ ...stage, "kms:CallerAccount": "333333333333" });
        expect([row.decision, row.ok]).to.deep.equal(["conditional (not met by this probe: kms:CallerAccount)", true]);
    });

    it("a service principal with aws:SourceAccount: simulated with the account", async () => {
        const svc = {
            Sid: "Lambda",
            Effect: "Allow",
            Principal: { Service: "lambda.amazonaws.com" },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
        };
        const [row] = await rows([svc]);
        expect([row.who, row.context["aws:SourceAccount"], row.decision]).to.deep.equal([
            "service lambda.amazonaws.com",
            "123456789012",
            "Allowed",
        ]);
    });

    it("wildcards: secretsmanager:* can rewrite the secret's policy; kms:Create* can create grants", async () => {
        const secret = await rows([allow("All", { Action: "secretsmanager:*" })]);
        expect(secret.map((r) => [r.action, r.expected, r.decision])).to.deep.equal([
            ["secretsmanager:GetSecretValue", "kept, not managed here (All)", "Allowed"],
            ["secretsmanager:PutResourcePolicy", "kept, not managed here (All), can change who reads", "Allowed"],
        ]);
        const key = await rows(
            [],
            [{ Sid: "Admins", Effect: "Allow", Principal: { AWS: R }, Action: "kms:Create*", Resource: "*" }],
        );
        expect(key.map((r) => [r.action, r.decision])).to.deep.equal([["kms:CreateGrant", "Allowed"]]);
    });

    it("a key's rewrite rows are listed once, with its first secret; its Decrypt rows with each", () => {
        const key = {
            name: "k",
            policy: {
                Statement: [{ Sid: "Root", Effect: "Allow", Principal: { AWS: R }, Action: "kms:*", Resource: "*" }],
            },
        };
        const listed = new Set<string>();
        const actions = (secretArn: string) =>
            keptChecks(undefined, key, secretArn, KEY_ARN, "999999999999", listed).map((c) => c.action);
        expect(actions(SECRET_ARN)).to.deep.equal(["kms:Decrypt", "kms:PutKeyPolicy", "kms:CreateGrant"]);
        expect(actions(SECRET_ARN.replace("MySecret", "Other"))).to.deep.equal(["kms:Decrypt"]);
    });

    it("one principal under two statements with different conditions: two rows with distinct names", () => {
        const a = allow("A", { Condition: { StringEquals: { "aws:SourceVpc": "vpc-1" } } });
        const b = allow("B", { Condition: { StringEquals: { "aws:SourceVpc": "vpc-2" } } });
        const checks = keptChecks(
            { name: "p", policy: { Statement: [a, b] } },
            undefined,
            SECRET_ARN,
            KEY_ARN,
            "999999999999",
        );
        expect(checks.map((c) => [c.probe, c.context["aws:SourceVpc"]])).to.deep.equal([
            ["GetSecretValue AWSCURRENT (kept)", "vpc-1"],
            ["GetSecretValue AWSCURRENT (kept) #2", "vpc-2"],
        ]);
    });

    it("fails a row when a statement lets the principal in with no condition but the simulator denies it", async () => {
        const [c] = keptChecks({ name: "p", policy: { Statement: [allow("A")] } }, undefined, SECRET_ARN, KEY_ARN, "1");
        const { probe, ...check } = c;
        // The document simulated is not the one read: the row must not print "ok ... ImplicitlyDenied".
        const broken = { ...check, resourcePolicy: { name: "p", policy: { Statement: [] } } };
        const r = judge({ ...broken, name: probe, secret: "MySecret" }, await simulate(broken));
        expect([r.ok, r.reason]).to.deep.equal([
            false,
            `statement(s) A of the secret resource policy let ${R} in with no condition, but the simulator denies it: ` +
                "this row cannot show who the statement lets in",
        ]);
    });
});

describe("conditions: what a request meets", () => {
    const entry = (condition: Record<string, unknown>) => conditionEntries({ Condition: condition })[0];

    it("string, ARN, negated, IfExists, Null and ForAllValues over a present or absent key", () => {
        const cases: [Record<string, unknown>, Record<string, string>, boolean | undefined][] = [
            [{ StringEquals: { "aws:PrincipalOrgID": "o-1" } }, { "aws:PrincipalOrgID": "o-1" }, true],
            [{ StringEquals: { "aws:PrincipalOrgID": "o-1" } }, {}, false],
            [{ StringEqualsIfExists: { "aws:PrincipalOrgID": "o-1" } }, {}, true],
            [{ StringNotEquals: { "aws:PrincipalOrgID": "o-1" } }, {}, true],
            [{ StringNotEquals: { "aws:PrincipalOrgID": "o-1" } }, { "aws:PrincipalOrgID": "o-1" }, false],
            [
                { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::1:role/ci-*" } },
                { "aws:PrincipalArn": "arn:aws:iam::1:role/ci-x" },
                true,
            ],
            [
                { ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::1:role/ci-?" } },
                { "aws:PrincipalArn": "arn:aws:iam::1:role/ci-x" },
                true,
            ],
            [{ Null: { "aws:SourceVpce": "true" } }, {}, true],
            [{ Null: { "aws:SourceVpce": "false" } }, {}, false],
            [{ "ForAllValues:StringEquals": { "aws:TagKeys": "a" } }, {}, true],
            [{ DateLessThan: { "aws:CurrentTime": "2030-01-01" } }, { "aws:CurrentTime": "2029-01-01" }, undefined],
            [{ StringEquals: { "aws:PrincipalTag/t": "${aws:username}" } }, { "aws:PrincipalTag/t": "x" }, undefined],
        ];
        for (const [condition, context, expected] of cases) {
            expect(holds(entry(condition), context), JSON.stringify([condition, context])).to.equal(expected);
        }
    });

    it("the value that meets a condition, where the statement gives one", () => {
        const cases: [Record<string, unknown>, string | undefined][] = [
            [{ StringEquals: { "aws:PrincipalOrgID": ["o-1", "o-2"] } }, "o-1"],
            [{ StringLike: { "aws:SourceVpce": "vpce-*" } }, "vpce-x"],
            [{ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, "10.0.0.0"],
            [{ NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } }, "3599"],
            [{ Bool: { "aws:SecureTransport": "true" } }, "true"],
            [{ StringNotEquals: { "aws:PrincipalOrgID": "o-1" } }, undefined],
            [{ StringEquals: { "aws:PrincipalTag/t": "${aws:username}" } }, undefined],
            [{ DateLessThan: { "aws:CurrentTime": "2030-01-01" } }, undefined],
        ];
        for (const [condition, expected] of cases) {
            expect(satisfyingValue(entry(condition)), JSON.stringify(condition)).to.equal(expected);
        }
    });
});

describe("public statements on a secret policy written with blockPublicPolicy", () => {
    const star = (Condition?: Record<string, unknown>, Principal: unknown = "*") => ({
        Sid: "S",
        Effect: "Allow",
        Principal,
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        ...(Condition && { Condition }),
    });

    it("public: NotPrincipal, a bare '*', and '*' narrowed only by what is not a fixed account, org or source", () => {
        const publicOnes = [
            { ...star(), Principal: undefined, NotPrincipal: { AWS: "arn:aws:iam::777777777777:root" } },
            star(),
            star(undefined, { AWS: ["*"] }),
            star({ StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } }),
            star({ StringNotEquals: { "aws:PrincipalAccount": "444444444444" } }),
            star({ StringEqualsIfExists: { "aws:PrincipalAccount": "444444444444" } }),
            star({ StringEquals: { "aws:PrincipalOrgID": "${aws:PrincipalTag/org}" } }),
            star({ StringLike: { "aws:PrincipalAccount": "*" } }),
            star({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:role/ci-*" } }),
            star({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }),
        ];
        for (const s of publicOnes) expect(publicReason(s), JSON.stringify(s)).to.be.a("string");
    });

    it("not public: a named principal, a Deny, and '*' narrowed to fixed accounts, orgs, roles or sources", () => {
        const fine = [
            star(undefined, { AWS: "arn:aws:iam::444444444444:root" }),
            { ...star(), Effect: "Deny" },
            star({ StringEquals: { "aws:PrincipalAccount": "444444444444" } }),
            star({ StringEquals: { "aws:PrincipalOrgID": "o-abc123" } }),
            star({ ArnLike: { "aws:PrincipalArn": "arn:aws:iam::555555555555:role/ci-*" } }),
            star({ StringEquals: { "aws:SourceVpce": "vpce-123" } }),
            star({ StringEquals: { "aws:SourceAccount": "123456789012" } }),
        ];
        for (const s of fine) expect(publicReason(s), JSON.stringify(s)).to.equal(undefined);
    });

    it("only a secret policy written with blockPublicPolicy: true is refused", () => {
        const res = (blockPublicPolicy: unknown): RegisteredResource => ({
            type: "aws:secretsmanager/secretPolicy:SecretPolicy",
            name: "p",
            id: "p",
            custom: true,
            inputs: { secretArn: SECRET_ARN, policy: JSON.stringify({ Statement: [star()] }), blockPublicPolicy },
            state: {},
        });
        const problems = (b: unknown) => publicSecretPolicyProblems([{ stack: "primary", r: res(b) }], () => "here");
        expect(problems(true)).to.have.length(1);
        expect(problems(true)[0]).to.match(
            /^public secret policy: statement "S" kept in the resource policy of arn:aws:secretsmanager:/,
        );
        expect(problems(false)).to.deep.equal([]);
        // A statement of ours is the access matrix's to prove (a public one fails its probes).
        const ours = {
            ...res(true),
            inputs: {
                ...res(true).inputs,
                policy: JSON.stringify({ Statement: [{ ...star(), Sid: "SecretShareRead" }] }),
            },
        };
        expect(publicSecretPolicyProblems([{ stack: "primary", r: ours }], () => "here")).to.deep.equal([]);
    });
});

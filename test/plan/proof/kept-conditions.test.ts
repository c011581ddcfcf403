import * as path from "path";
import { expect } from "chai";
import type { RegisteredResource } from "../../../plan/mocks";
import { ROOT } from "../../mocks";
import { plan, planJson, type JsonReport } from "../helpers";

/**
 * The kept rows of the access matrix must show the truth about statements others wrote on an
 * existing secret or key: who they let read, under which of their conditions, at which version
 * stage, and who they let change who reads. Each case is planned on examples/existing with the
 * statement added to the secret's (or key's) stored policy, as a foreign team would have left it.
 * Before, each of these rows printed "ok ... kept ... ImplicitlyDenied" (read as "cannot read")
 * where AWS lets the principal in, or was missing.
 */

const EXISTING = path.join(ROOT, "examples", "existing");
const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy";
const KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy";

/** The plan's registered policy of `type`, with `extra` statements added as others' statements. */
const withStatements =
    (type: string, extra: readonly Record<string, unknown>[]) => (_stack: string, resources: RegisteredResource[]) =>
        resources.map((r) => {
            if (r.type !== type) return r;
            const doc = JSON.parse(r.inputs.policy as string) as { Statement: unknown[] };
            return {
                ...r,
                inputs: { ...r.inputs, policy: JSON.stringify({ ...doc, Statement: [...extra, ...doc.Statement] }) },
            };
        });

const FOREIGN: readonly Record<string, unknown>[] = [
    {
        Sid: "CiRoles",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::555555555555:role/ci-*" } },
    },
    {
        Sid: "WholeAccount",
        Effect: "Allow",
        Principal: "*",
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { StringEquals: { "aws:PrincipalAccount": "444444444444" } },
    },
    {
        Sid: "OrgRead",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::666666666666:root" },
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
    },
    {
        Sid: "UntilDate",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::777777777777:role/temp" },
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } },
    },
    {
        Sid: "PreviousOnly",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::888888888888:role/r" },
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { StringEquals: { "secretsmanager:VersionStage": "AWSPREVIOUS" } },
    },
    {
        Sid: "CanRewrite",
        Effect: "Allow",
        Principal: { AWS: "arn:aws:iam::666666666666:role/ops" },
        Action: "secretsmanager:PutResourcePolicy",
        Resource: "*",
    },
];

type Row = JsonReport["access"][number] & {
    kept?: { sids: string[]; conditionalOn?: string[]; can?: string; verdict?: string; notMet?: string[] };
};
const bySid = (report: JsonReport, sid: string) => (report.access as Row[]).filter((a) => a.kept?.sids.includes(sid));
const brief = (a: Row) => ({
    principal: a.principal,
    action: a.action,
    context: Object.fromEntries(Object.entries(a.context).filter(([k]) => !/^aws:Principal(Arn|Account)$/.test(k))),
    decision: a.decision,
    conditionalOn: a.kept?.conditionalOn ?? [],
    verdict: a.kept?.verdict,
    ok: a.ok,
});

describe("kept statements: the matrix shows who they let in, and on what", function () {
    this.timeout(120000);
    const mutate = withStatements(SECRET_POLICY, FOREIGN);
    let report: JsonReport;
    let code: number;
    let text: string;
    let md: string;
    before(async () => {
        ({ code, report } = await planJson([], EXISTING, { mutate }));
        text = (await plan(["--verbose"], EXISTING, { mutate })).stdout;
        md = (await plan(["--markdown"], EXISTING, { mutate })).stdout;
    });

    it("plans with exit 0: others' conditions never fail the plan", () => {
        expect(code).to.equal(0);
        expect((report.access as Row[]).filter((a) => !a.ok).map((a) => a.check)).to.deep.equal([]);
    });

    it('Principal "*" narrowed by aws:PrincipalArn: a role matching the pattern reads', () => {
        expect(bySid(report, "CiRoles").map(brief)).to.deep.equal([
            {
                principal: "arn:aws:iam::555555555555:role/ci-x",
                action: "secretsmanager:GetSecretValue",
                context: { "secretsmanager:VersionStage": "AWSCURRENT" },
                decision: "Allowed",
                conditionalOn: [],
                verdict: "Allowed",
                ok: true,
            },
        ]);
        expect(bySid(report, "CiRoles")[0].who).to.equal(
            'arn:aws:iam::555555555555:role/ci-* (Principal "*", aws:PrincipalArn)',
        );
    });

    it('Principal "*" narrowed by aws:PrincipalAccount: any principal of that account reads', () => {
        expect(bySid(report, "WholeAccount").map(brief)).to.deep.equal([
            {
                principal: "arn:aws:iam::444444444444:role/any-principal",
                action: "secretsmanager:GetSecretValue",
                context: { "secretsmanager:VersionStage": "AWSCURRENT" },
                decision: "Allowed",
                conditionalOn: [],
                verdict: "Allowed",
                ok: true,
            },
        ]);
    });

    it("an account root with aws:PrincipalOrgID: conditional on it, simulated with the statement's value", () => {
        expect(bySid(report, "OrgRead").map(brief)).to.deep.equal([
            {
                principal: "arn:aws:iam::666666666666:role/any-principal",
                action: "secretsmanager:GetSecretValue",
                context: { "secretsmanager:VersionStage": "AWSCURRENT", "aws:PrincipalOrgID": "o-abc123" },
                decision: "Allowed",
                conditionalOn: ["aws:PrincipalOrgID"],
                verdict: "Allowed",
                ok: true,
            },
        ]);
        expect(text).to.match(
            /^ok +MySecret +any principal of 666666666666 its own IAM policies allow +secretsmanager:GetSecretValue +VersionStage=AWSCURRENT PrincipalOrgID=o-abc123 +kept, not managed here \(OrgRead\), conditional on aws:PrincipalOrgID +Allowed$/m,
        );
    });

    it("a condition the probe cannot meet: the row says conditional, never a plain Denied", () => {
        expect(bySid(report, "UntilDate").map(brief)).to.deep.equal([
            {
                principal: "arn:aws:iam::777777777777:role/temp",
                action: "secretsmanager:GetSecretValue",
                context: { "secretsmanager:VersionStage": "AWSCURRENT" },
                decision: "ImplicitlyDenied",
                conditionalOn: ["aws:CurrentTime"],
                verdict: "conditional (not met by this probe: aws:CurrentTime)",
                ok: true,
            },
        ]);
        const line = text.split("\n").find((l) => l.includes("(UntilDate)")) ?? "";
        expect(line).to.match(
            /kept, not managed here \(UntilDate\), conditional on aws:CurrentTime +conditional \(not met by this probe: aws:CurrentTime\)$/,
        );
        expect(line).not.to.match(/Denied/);
    });

    it("a statement that allows only AWSPREVIOUS is probed at AWSPREVIOUS", () => {
        expect(bySid(report, "PreviousOnly").map(brief)).to.deep.equal([
            {
                principal: "arn:aws:iam::888888888888:role/r",
                action: "secretsmanager:GetSecretValue",
                context: { "secretsmanager:VersionStage": "AWSPREVIOUS" },
                decision: "Allowed",
                conditionalOn: [],
                verdict: "Allowed",
                ok: true,
            },
        ]);
        expect(bySid(report, "PreviousOnly")[0].check).to.equal(
            "MySecret: arn:aws:iam::888888888888:role/r GetSecretValue AWSPREVIOUS (kept)",
        );
    });

    it("who can change who reads: PutResourcePolicy on the secret, PutKeyPolicy and CreateGrant on the key", () => {
        expect(bySid(report, "CanRewrite").map((a) => [a.principal, a.action, a.decision, a.kept?.can])).to.deep.equal([
            ["arn:aws:iam::666666666666:role/ops", "secretsmanager:PutResourcePolicy", "Allowed", "change who reads"],
        ]);
        // examples/existing's key: the account root (kms:*) and the key administrators (kms:Put*, kms:Create*).
        const rewrites = (report.access as Row[])
            .filter((a) => a.kept?.can && a.action.startsWith("kms:"))
            .map((a) => [a.who, a.action, a.kept?.sids.join(), a.decision]);
        expect(rewrites).to.deep.equal([
            [
                "any principal of 111111111111 its own IAM policies allow",
                "kms:PutKeyPolicy",
                "Enable IAM User Permissions",
                "Allowed",
            ],
            [
                "arn:aws:iam::111111111111:role/KeyAdmin",
                "kms:PutKeyPolicy",
                "Allow access for Key Administrators",
                "Allowed",
            ],
            [
                "any principal of 111111111111 its own IAM policies allow",
                "kms:CreateGrant",
                "Enable IAM User Permissions",
                "Allowed",
            ],
            [
                "arn:aws:iam::111111111111:role/KeyAdmin",
                "kms:CreateGrant",
                "Allow access for Key Administrators",
                "Allowed",
            ],
        ]);
        expect(text).to.match(
            /^ok +MySecret +arn:aws:iam::666666666666:role\/ops +secretsmanager:PutResourcePolicy +kept, not managed here \(CanRewrite\), can change who reads +Allowed$/m,
        );
    });

    it("--markdown shows the conditional and rewrite rows in words", () => {
        expect(md).to.include(
            "| ✅ | MySecret | any principal of 666666666666 its own IAM policies allow | `secretsmanager:GetSecretValue` | `VersionStage=AWSCURRENT PrincipalOrgID=o-abc123` | kept, not managed here (OrgRead), conditional on aws:PrincipalOrgID | Allowed |",
        );
        expect(md).to.include(
            "| ✅ | MySecret | arn:aws:iam::777777777777:role/temp | `secretsmanager:GetSecretValue` | `VersionStage=AWSCURRENT` | kept, not managed here (UntilDate), conditional on aws:CurrentTime | conditional (not met by this probe: aws:CurrentTime) |",
        );
        expect(md).to.include(
            "| ✅ | MySecret | arn:aws:iam::666666666666:role/ops | `secretsmanager:PutResourcePolicy` |  | kept, not managed here (CanRewrite), can change who reads | Allowed |",
        );
    });
});

describe("kept statements: a public statement on a secret is refused before deploy", function () {
    this.timeout(120000);
    const firstLines = (s: string) => s.split("\n").slice(0, 3).join("\n");

    it("an Allow with NotPrincipal: exit 2, naming the secret, the Sid and what to do", async () => {
        const out = await plan([], EXISTING, {
            mutate: withStatements(SECRET_POLICY, [
                {
                    Sid: "AllButAuditors",
                    Effect: "Allow",
                    NotPrincipal: { AWS: "arn:aws:iam::777777777777:root" },
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "*",
                },
            ]),
        });
        expect(out.code, firstLines(out.stdout)).to.equal(2);
        expect(out.stderr).to.include(
            'public secret policy: statement "AllButAuditors" kept in the resource policy of ' +
                "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-Xy12Ab",
        );
        expect(out.stderr)
            .to.include("an Allow with NotPrincipal lets in everyone else")
            .and.include("blockPublicPolicy: true, which Secrets Manager refuses with PublicPolicyException")
            .and.include("Remove the statement from the secret's policy in AWS, or narrow it");
        expect(out.stderr).not.to.match(/^\s+at /m);
    });

    it('Principal "*" with no narrowing condition: exit 2; with aws:PrincipalAccount (just under): planned', async () => {
        const star = (Condition?: Record<string, unknown>) => ({
            Sid: "Everyone",
            Effect: "Allow",
            Principal: "*",
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
            ...(Condition && { Condition }),
        });
        const open = await plan([], EXISTING, {
            mutate: withStatements(SECRET_POLICY, [
                star({ StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } }),
            ]),
        });
        expect(open.code, firstLines(open.stdout)).to.equal(2);
        expect(open.stderr).to.include('statement "Everyone" kept in the resource policy of');
        const narrowed = await plan([], EXISTING, {
            mutate: withStatements(SECRET_POLICY, [star({ StringEquals: { "aws:PrincipalAccount": "444444444444" } })]),
        });
        expect(narrowed.code, narrowed.stderr).to.equal(0);
    });

    it("a public statement on a key policy is not a preflight error (KMS has no such block): its row shows anyone, and the probes fail", async () => {
        const mutate = withStatements(KEY_POLICY, [
            { Sid: "AnyoneDecrypts", Effect: "Allow", Principal: "*", Action: "kms:Decrypt", Resource: "*" },
        ]);
        const { code, report } = await planJson([], EXISTING, { mutate });
        expect(code).to.equal(1);
        expect(bySid(report, "AnyoneDecrypts").map((a) => [a.who, a.action, a.decision, a.ok])).to.deep.equal([
            ['anyone (Principal "*")', "kms:Decrypt", "Allowed", true],
        ]);
        expect(report.access.filter((a) => !a.ok).map((a) => a.check)).to.deep.equal([
            "MySecret: other user in 222222222222, Stuart's policy kms:Decrypt via Secrets Manager",
            "MySecret: user in unrelated 999999999999, Stuart's policy kms:Decrypt via Secrets Manager",
            "MySecret: anonymous kms:Decrypt via Secrets Manager",
        ]);
    });
});

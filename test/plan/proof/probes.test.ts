import * as path from "path";
import { expect } from "chai";
import type { RegisteredResource } from "../../../plan/mocks";
import { accessMatrix } from "../../../plan/proof";
import { keptPrincipals } from "../../../plan/proof/kept";
import { lookalikes } from "../../../plan/proof/principals";
import { ROOT } from "../../mocks";
import { committed, plan, planJson, tempProject, type JsonReport } from "../helpers";
import { CONSUMER, handBuilt, SECRET_ARN } from "../analysis/helpers";

/**
 * The probes that complete the matrix: look-alikes of a reader's ARN wherever a character of it
 * is a wildcard, the default-stage reads of `acceptDefaultStage`, and every principal a
 * statement kept from others lets in. Each is shown to fail (or to be missing) on the behaviour
 * it guards against.
 */

describe("probes: look-alikes of a reader's ARN where a character of it is a wildcard", function () {
    this.timeout(60000);

    it("lists one look-alike per wildcard or policy variable, none for an exact ARN", () => {
        expect(lookalikes("arn:aws:iam::222222222222:role/app?/re*der")).to.deep.equal([
            { arn: "arn:aws:iam::222222222222:role/appX/re*der", char: "?" },
            { arn: "arn:aws:iam::222222222222:role/app?/reXder", char: "*" },
        ]);
        expect(lookalikes("arn:aws:iam::222222222222:user/t/${aws:username}/Stuart")).to.deep.equal([
            { arn: "arn:aws:iam::222222222222:user/t/X/Stuart", char: "${" },
        ]);
        expect(lookalikes("arn:aws:iam::222222222222:role/apps/reader")).to.deep.equal([]);
    });

    // The case, config bypassed: ArnEquals reads "?" as any one character.
    it("a document granting role/app?/reader: the probes of role/appX/reader fail the plan", async () => {
        const matrix = await accessMatrix(handBuilt({ path: "/app?/" }), { workers: 0 });
        const failed = matrix.checks.filter((c) => !c.ok).map((c) => [c.name, c.decision]);
        const who = `look-alike arn:aws:iam::${CONSUMER}:role/appX/reader ("?" in reader's ARN), reader's policy`;
        expect(failed).to.deep.equal([
            [`db: ${who} GetSecretValue AWSCURRENT`, "Allowed"],
            [`db: ${who} kms:Decrypt via Secrets Manager`, "Allowed"],
        ]);
    });

    it("the same share at an exact path: no look-alike, every check as expected", async () => {
        const matrix = await accessMatrix(handBuilt({ path: "/app/" }), { workers: 0 });
        expect(matrix.checks.filter((c) => !c.ok)).to.deep.equal([]);
        expect(matrix.checks.filter((c) => c.who.startsWith("look-alike"))).to.deep.equal([]);
    });
});

describe("probes: acceptDefaultStage", function () {
    this.timeout(60000);

    const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy";
    const project = () =>
        tempProject({
            primary: { ...committed("primary").config, "secretshare:secretPolicy": { acceptDefaultStage: true } },
            secondary: committed("secondary").config,
        });
    /** Rewrites the statements of the secret's policy. */
    const editSecretPolicy =
        (edit: (s: { Sid: string; Condition: Record<string, Record<string, unknown>> }) => unknown) =>
        (_stack: string, resources: RegisteredResource[]) =>
            resources.map((r) => {
                if (r.type !== SECRET_POLICY) return r;
                const doc = JSON.parse(r.inputs.policy as string) as { Statement: never[] };
                const Statement = doc.Statement.map(edit).filter((s) => s !== undefined);
                return { ...r, inputs: { ...r.inputs, policy: JSON.stringify({ ...doc, Statement }) } };
            });
    const rows = (report: JsonReport) =>
        report.access
            .filter((a) => a.check.includes("no stage") || a.check.includes("VersionId"))
            .map((a) => [a.who, a.context["secretsmanager:VersionId"] ?? "-", a.expected, a.decision]);

    it("a read with no stage and no version ID is Allowed, one by VersionId Denied, another principal's Denied", async () => {
        const { code, report } = await planJson([], project());
        expect(code).to.equal(0);
        expect(rows(report)).to.deep.equal([
            ["secondary/Stuart", "-", "Allowed", "Allowed"],
            ["secondary/Stuart", "00000000-0000-4000-8000-000000000001", "Denied", "ImplicitlyDenied"],
            ["other user in 222222222222, Stuart's policy", "-", "Denied", "ImplicitlyDenied"],
        ]);
        // The committed stacks (acceptDefaultStage: false) have none of these.
        const { report: plain } = await planJson();
        expect(rows(plain)).to.deep.equal([]);
    });

    it("fails when the policy does not let a default read in (the statement for it missing)", async () => {
        const out = await plan([], project(), {
            mutate: editSecretPolicy((s) => (s.Sid === "SecretShareReadDefault" ? undefined : s)),
        });
        expect(out.code).to.equal(1);
        expect(out.stdout.split("\n").filter((l) => l.startsWith("failed: "))).to.deep.equal([
            "failed: MySecret: secondary/Stuart GetSecretValue default (no stage, no version ID): expected Allowed, got ImplicitlyDenied (denied by: resource policy)",
        ]);
    });

    it("fails when the default-read statement does not require the version ID to be absent", async () => {
        const out = await plan([], project(), {
            mutate: editSecretPolicy((s) => {
                if (s.Sid !== "SecretShareReadDefault") return s;
                return { ...s, Condition: { ...s.Condition, Null: { "secretsmanager:VersionStage": "true" } } };
            }),
        });
        expect(out.code).to.equal(1);
        expect(out.stdout.split("\n").filter((l) => l.startsWith("failed: "))).to.deep.equal([
            "failed: MySecret: secondary/Stuart GetSecretValue by VersionId (no stage): expected Denied, got Allowed",
        ]);
    });
});

describe("probes: principals that statements kept from others let in", function () {
    this.timeout(60000);
    const EXISTING = path.join(ROOT, "examples", "existing");

    it("keptPrincipals: narrowed roots, whole accounts, anyone; ours, denials and other actions left out", () => {
        const doc = {
            Statement: [
                {
                    Sid: "SecretShareReadCurrent",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::222222222222:root" },
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "*",
                },
                {
                    Sid: "Narrowed",
                    Effect: "Allow",
                    Principal: { AWS: "333333333333" },
                    Action: "secretsmanager:Get*",
                    Resource: "*",
                    Condition: { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::333333333333:role/pay-*" } },
                },
                {
                    Sid: "WholeAccount",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::444444444444:root" },
                    NotAction: "secretsmanager:PutSecretValue",
                    Resource: "*",
                },
                {
                    Sid: "Everyone",
                    Effect: "Allow",
                    Principal: "*",
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "*",
                    Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc" } },
                },
                {
                    Effect: "Allow",
                    Principal: { Service: "lambda.amazonaws.com" },
                    Action: "secretsmanager:GetSecretValue",
                    Resource: SECRET_ARN,
                },
                {
                    Sid: "Denied",
                    Effect: "Deny",
                    Principal: { AWS: "arn:aws:iam::555555555555:role/x" },
                    Action: "*",
                    Resource: "*",
                },
                {
                    Sid: "Describe",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::666666666666:role/auditor" },
                    Action: "secretsmanager:DescribeSecret",
                    Resource: "*",
                },
                {
                    Sid: "OtherSecret",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::777777777777:role/x" },
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "arn:aws:secretsmanager:us-east-1:111111111111:secret:Other-*",
                },
            ],
        };
        expect(keptPrincipals(doc, "secretsmanager:GetSecretValue", SECRET_ARN, "999999999999")).to.deep.equal([
            {
                principal: "arn:aws:iam::333333333333:role/pay-x",
                who: "arn:aws:iam::333333333333:role/pay-*",
                sids: ["Narrowed"],
            },
            {
                principal: "arn:aws:iam::444444444444:role/any-principal",
                who: "any principal of 444444444444 its own IAM policies allow",
                sids: ["WholeAccount"],
            },
            {
                principal: "arn:aws:iam::999999999999:role/anyone",
                who: 'anyone (Principal "*")',
                sids: ["Everyone"],
                supplied: { "aws:PrincipalOrgID": "o-abc" },
                conditionalOn: ["aws:PrincipalOrgID"],
            },
            { principal: "lambda.amazonaws.com", who: "service lambda.amazonaws.com", sids: ["statement 5"] },
        ]);
    });

    // examples/existing: MySecret and MyKey carry other teams' statements; before, the matrix
    // showed Stuart's 14 checks and none of the principals those statements let in.
    it("examples/existing: each kept principal in the matrix, marked kept with its Sid, in every form", async () => {
        const { code, report } = await planJson([], EXISTING);
        expect(code).to.equal(0);
        const kept = report.access
            .filter((a) => a.expected === ("Kept" as string))
            .map((a) => {
                const { sids, document, can } = (
                    a as unknown as { kept: { sids: string[]; document: string; can?: string } }
                ).kept;
                return [a.who, a.action, { sids, document, ...(can && { can }) }, a.decision];
            });
        expect(kept).to.deep.equal([
            [
                "arn:aws:iam::333333333333:role/payments",
                "secretsmanager:GetSecretValue",
                { sids: ["PaymentsTeamRead"], document: "secret resource policy" },
                "Allowed",
            ],
            [
                "any principal of 111111111111 its own IAM policies allow",
                "kms:Decrypt",
                { sids: ["Enable IAM User Permissions"], document: "key policy" },
                "Allowed",
            ],
            [
                "arn:aws:iam::111111111111:role/AppServer",
                "kms:Decrypt",
                { sids: ["Allow use of the key"], document: "key policy" },
                "Allowed",
            ],
            [
                "arn:aws:iam::333333333333:role/payments",
                "kms:Decrypt",
                { sids: ["PaymentsTeamDecrypt"], document: "key policy" },
                "Allowed",
            ],
            // Who can change who reads: the key's root statement (kms:*) and its administrators.
            ...["kms:PutKeyPolicy", "kms:CreateGrant"].flatMap((action) => [
                [
                    "any principal of 111111111111 its own IAM policies allow",
                    action,
                    { sids: ["Enable IAM User Permissions"], document: "key policy", can: "change who reads" },
                    "Allowed",
                ],
                [
                    "arn:aws:iam::111111111111:role/KeyAdmin",
                    action,
                    { sids: ["Allow access for Key Administrators"], document: "key policy", can: "change who reads" },
                    "Allowed",
                ],
            ]),
        ]);
        expect(report.summary).to.deep.equal({ checks: 22, asExpected: 22, failed: 0 });

        const text = (await plan(["--verbose"], EXISTING)).stdout;
        expect(text).to.match(
            /^ok +MySecret +arn:aws:iam::333333333333:role\/payments +secretsmanager:GetSecretValue +VersionStage=AWSCURRENT +kept, not managed here \(PaymentsTeamRead\) +Allowed$/m,
        );
        expect(text.trimEnd().split("\n").pop()).to.equal(
            "access: 22 checks, 22 as expected; 8 kept from statements not managed here",
        );
        // The merged key policy of the existing key is printed, others' statements and ours.
        const keyPolicyText = text.slice(text.indexOf("key policy share-key-policy (existing key "));
        expect(keyPolicyText).to.match(
            /^key policy share-key-policy \(existing key 0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9, merged\):\n {2}\{/,
        );
        expect(keyPolicyText.slice(0, keyPolicyText.indexOf("\n\n")))
            .to.include('"Sid": "PaymentsTeamDecrypt"')
            .and.include('"Sid": "SecretShareDescribeKey"');

        const md = (await plan(["--markdown"], EXISTING)).stdout;
        expect(md).to.include(
            "| ✅ | MySecret | arn:aws:iam::333333333333:role/payments | `secretsmanager:GetSecretValue` | `VersionStage=AWSCURRENT` | kept, not managed here (PaymentsTeamRead) | Allowed |",
        );
    });
});

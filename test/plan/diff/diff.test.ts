import { expect } from "chai";
import { diffPlans, statementChanges } from "../../../plan/diff/diff";
import type { PlanJson } from "../../../plan/diff/facts";

/** The pure diff over two plan JSONs: statements by Sid, and the risk flags read from documents. */

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf";

/** A plan with one secret policy resource of these statements. */
function withSecretPolicy(statements: Record<string, unknown>[], blockPublicPolicy = true): PlanJson {
    return {
        ok: true,
        project: "secretshare",
        stacks: [
            {
                name: "primary",
                mode: "owner",
                outputs: {},
                resources: [
                    {
                        type: "aws:secretsmanager/secretPolicy:SecretPolicy",
                        name: "share-MySecret-policy",
                        account: "111111111111",
                        origin: "created",
                        inputs: {
                            secretArn: SECRET_ARN,
                            blockPublicPolicy,
                            policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }),
                        },
                    },
                ],
            },
        ],
        access: [],
    };
}

const READ = {
    Sid: "SecretShareReadCurrent",
    Effect: "Allow",
    Principal: { AWS: "arn:aws:iam::222222222222:root" },
    Action: "secretsmanager:GetSecretValue",
    Resource: "*",
    Condition: {
        ArnEquals: { "aws:PrincipalArn": "arn:aws:iam::222222222222:user/Stuart" },
        StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" },
    },
};

describe("access diff: statements and risk flags", () => {
    it("matches statements by Sid (by position without one) and names the fields that changed", () => {
        const changes = statementChanges(
            [
                { id: "A", body: { Sid: "A", Effect: "Allow" }, text: '{"Effect":"Allow","Sid":"A"}' },
                { id: "#2", body: { Effect: "Deny" }, text: '{"Effect":"Deny"}' },
            ],
            [{ id: "A", body: { Sid: "A", Effect: "Deny" }, text: '{"Effect":"Deny","Sid":"A"}' }],
        );
        expect(changes.map((c) => [c.change, c.sid, c.fields])).to.deep.equal([
            ["changed", "A", ["Effect"]],
            ["removed", "#2", undefined],
        ]);
    });

    it("no change, no flag", () => {
        const d = diffPlans(withSecretPolicy([READ]), withSecretPolicy([READ]));
        expect([d.documents, d.risks, d.resources]).to.deep.equal([[], [], []]);
    });

    it("flags a wildcard principal, in Principal or in aws:PrincipalArn", () => {
        const open = {
            ...READ,
            Sid: "Ci",
            Condition: {
                ArnLike: { "aws:PrincipalArn": "arn:aws:iam::222222222222:role/ci-*" },
                StringEquals: READ.Condition.StringEquals,
            },
        };
        const star = { ...READ, Sid: "Star", Principal: "*" };
        const d = diffPlans(withSecretPolicy([READ]), withSecretPolicy([READ, open, star]));
        expect(d.risks.filter((r) => r.kind === "wildcard-principal").map((r) => r.message)).to.deep.equal([
            `secret resource policy share-MySecret-policy (${SECRET_ARN}): statement Ci lets in arn:aws:iam::222222222222:role/ci-* (a wildcard: any principal it matches)`,
            `secret resource policy share-MySecret-policy (${SECRET_ARN}): statement Star lets in * (a wildcard: any principal it matches)`,
        ]);
    });

    it("flags blockPublicPolicy turned off and a read without the VersionStage condition", () => {
        const { Condition, ...rest } = READ;
        const wide = { ...rest, Condition: { ArnEquals: Condition.ArnEquals } };
        const d = diffPlans(withSecretPolicy([READ]), withSecretPolicy([wide], false));
        expect(d.risks.map((r) => r.kind)).to.deep.equal([
            "block-public-policy-removed",
            "version-stage-narrowing-removed",
        ]);
        expect(d.risks[1].message).to.include(
            "statement SecretShareReadCurrent allows GetSecretValue without a secretsmanager:VersionStage condition",
        );
    });
});

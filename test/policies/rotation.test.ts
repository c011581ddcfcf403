import { expect } from "chai";
import {
    functionArn,
    logGroupArn,
    rotationNames,
    rotationRolePolicy,
    rotationRules,
    rotationTrustPolicy,
} from "../../policies/rotation";

/** The pure builders of rotation (policies/rotation.ts): documents, names, rules. */

const STACK_REF = "organization/secretshare/primary";
const SECRET = "arn:aws:secretsmanager:us-east-1:111111111111:secret:AppToken-D3IxQL";
const KEY = "arn:aws:kms:us-east-1:111111111111:key/1ee497dc-5cdd-4fea-81e6-c16da63cf949";

describe("policies: rotation", () => {
    it("the role policy: four calls on the secret, the key via Secrets Manager for it, its own log group", () => {
        const logs = logGroupArn("aws", "us-east-1", "111111111111", "/aws/lambda/f");
        expect(
            rotationRolePolicy({ region: "us-east-1", secretArn: SECRET, keyArn: KEY, logGroupArn: logs }),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "RotateItsSecret",
                    Effect: "Allow",
                    Action: [
                        "secretsmanager:DescribeSecret",
                        "secretsmanager:GetSecretValue",
                        "secretsmanager:PutSecretValue",
                        "secretsmanager:UpdateSecretVersionStage",
                    ],
                    Resource: SECRET,
                },
                {
                    Sid: "KeyViaSecretsManagerForItsSecret",
                    Effect: "Allow",
                    Action: ["kms:Decrypt", "kms:GenerateDataKey"],
                    Resource: KEY,
                    Condition: {
                        StringEquals: {
                            "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                            "kms:EncryptionContext:SecretARN": SECRET,
                        },
                    },
                },
                {
                    Sid: "WriteItsLogs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/f:log-stream:*",
                },
            ],
        });
        // For another team's function: no log group statement.
        expect(rotationRolePolicy({ region: "us-east-1", secretArn: SECRET, keyArn: KEY }).Statement).to.have.length(2);
    });

    it("the trust: Lambda alone, sts:AssumeRole, no Resource", () => {
        expect(rotationTrustPolicy()).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "LambdaAssumesRotationRole",
                    Effect: "Allow",
                    Principal: { Service: "lambda.amazonaws.com" },
                    Action: "sts:AssumeRole",
                },
            ],
        });
    });

    it("the rules: days, or an expression with its window", () => {
        expect(rotationRules({ everyDays: 30 })).to.deep.equal({ automaticallyAfterDays: 30 });
        expect(rotationRules({ schedule: "rate(10 days)" })).to.deep.equal({ scheduleExpression: "rate(10 days)" });
        expect(rotationRules({ schedule: "cron(0 2 ? * SUN *)", window: "3h" })).to.deep.equal({
            scheduleExpression: "cron(0 2 ? * SUN *)",
            duration: "3h",
        });
        expect(functionArn("aws", "us-east-1", "111111111111", "f")).to.equal(
            "arn:aws:lambda:us-east-1:111111111111:function:f",
        );
    });

    it("names fit 64 characters and Lambda's characters whatever the secret's name, and differ by stack", () => {
        const long = rotationNames(STACK_REF, `a/b+c=d.e@f-${"x".repeat(500)}`);
        expect(long.function).to.have.length(64);
        expect(long.function).to.match(/^[A-Za-z0-9_-]+$/);
        expect(long.role).to.equal(long.function);
        expect(long.logGroup).to.equal(`/aws/lambda/${long.function}`);
        expect(rotationNames(STACK_REF, "AppToken").function).to.match(/^secretshare-rotate-AppToken-[0-9a-f]{8}$/);
        expect(rotationNames("org/secretshare/other", "AppToken").function).to.not.equal(
            rotationNames(STACK_REF, "AppToken").function,
        );
        expect(rotationNames(STACK_REF, "a.b").function).to.not.equal(rotationNames(STACK_REF, "a-b").function);
    });
});

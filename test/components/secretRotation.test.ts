import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ROTATION_FUNCTION_DIR } from "../../components/secretRotation";
import { readStackFile } from "../../plan/stackFiles";
import { ROTATION_RUNTIME, rotationNames, rotationRolePolicy, rotationTrustPolicy } from "../../policies/rotation";
import { PRIMARY_ACCOUNT, ROOT, ofType, policyOf, resource, run, runStack, type StackRun } from "../mocks";

/**
 * Automatic rotation under the mock runtime (examples/rotation): for a generated password, the
 * program's own function with its role, policy, log group, invoke permission and schedule, all
 * on the owner's provider; for a function named in config, only the permission and the schedule,
 * and the policy that function's role needs as an export. The documents are exactly those of
 * policies/rotation.ts, over the real ARNs.
 */

const DIR = path.join(ROOT, "examples", "rotation");
const REGION = "us-east-1";
const STACK_REF = "organization/secretshare/primary";
const TEAM_FUNCTION = `arn:aws:lambda:${REGION}:${PRIMARY_ACCOUNT}:function:team-db-rotation`;

describe("components: SecretRotation (examples/rotation)", () => {
    let r: StackRun;
    const names = rotationNames(STACK_REF, "AppToken");
    const arnOf = (secret: string) =>
        resource(r, "aws:secretsmanager/secret:Secret", `share-${secret}`).state.arn as string;
    const keyArn = () => ofType(r, "aws:kms/key:Key").find((k) => k.name === "share-key")?.state.arn as string;

    before(async () => {
        r = await runStack({ stack: "primary", config: readStackFile(DIR, "primary").config });
    });

    it("registers one function, role, policy and log group (for AppToken only), two permissions and two schedules", () => {
        expect(ofType(r, "aws:lambda/function:Function").map((x) => x.name)).to.deep.equal([
            "rotation-AppToken-function",
        ]);
        expect(ofType(r, "aws:iam/role:Role").map((x) => x.name)).to.deep.equal(["rotation-AppToken-role"]);
        expect(ofType(r, "aws:iam/rolePolicy:RolePolicy").map((x) => x.name)).to.deep.equal([
            "rotation-AppToken-role-policy",
        ]);
        expect(ofType(r, "aws:cloudwatch/logGroup:LogGroup").map((x) => x.name)).to.deep.equal([
            "rotation-AppToken-logs",
        ]);
        expect(
            ofType(r, "aws:lambda/permission:Permission")
                .map((x) => x.name)
                .sort(),
        ).to.deep.equal(["rotation-AppToken-invoke", "rotation-DbUser-invoke"]);
        expect(
            ofType(r, "aws:secretsmanager/secretRotation:SecretRotation")
                .map((x) => x.name)
                .sort(),
        ).to.deep.equal(["rotation-AppToken-schedule", "rotation-DbUser-schedule"]);
        // Everything on the owner's provider, in the owner's account.
        for (const type of [
            "aws:lambda/function:Function",
            "aws:iam/role:Role",
            "aws:lambda/permission:Permission",
            "aws:secretsmanager/secretRotation:SecretRotation",
            "aws:cloudwatch/logGroup:LogGroup",
        ]) {
            for (const x of ofType(r, type)) {
                expect([x.provider?.name, x.provider?.accountId], `${type} ${x.name}`).to.deep.equal([
                    "owner",
                    PRIMARY_ACCOUNT,
                ]);
            }
        }
    });

    it("the function: named to fit 64 characters, the current Node.js runtime, the repository's file, its secret and length", async () => {
        const fn = resource(r, "aws:lambda/function:Function", "rotation-AppToken-function");
        expect(names.function).to.match(/^secretshare-rotate-AppToken-[0-9a-f]{8}$/);
        expect(fn.inputs).to.include({
            name: names.function,
            runtime: ROTATION_RUNTIME,
            handler: "index.handler",
            timeout: 30,
        });
        expect(fn.inputs.role).to.equal(`arn:aws:iam::${PRIMARY_ACCOUNT}:role/${names.role}`);
        expect(fn.inputs.environment).to.deep.equal({
            variables: { SECRET_ARN: arnOf("AppToken"), PASSWORD_LENGTH: "40" },
        });
        expect(fn.inputs.loggingConfig).to.deep.include({ logGroup: names.logGroup });
        // The code is the one file, as it is in the repository: no build step, nothing downloaded.
        expect(fn.inputs.code).to.be.instanceOf(pulumi.asset.FileArchive);
        expect(await (fn.inputs.code as pulumi.asset.FileArchive).path).to.equal(ROTATION_FUNCTION_DIR);
        expect(fs.readdirSync(ROTATION_FUNCTION_DIR)).to.deep.equal(["index.js"]);
        expect(fn.state.arn).to.equal(`arn:aws:lambda:${REGION}:${PRIMARY_ACCOUNT}:function:${names.function}`);
    });

    it("the role trusts Lambda only; its policy is rotationRolePolicy over the real secret, key and log group", () => {
        const role = resource(r, "aws:iam/role:Role", "rotation-AppToken-role");
        expect(role.inputs.name).to.equal(names.role);
        expect(policyOf(role, "assumeRolePolicy")).to.deep.equal(rotationTrustPolicy());
        const policy = resource(r, "aws:iam/rolePolicy:RolePolicy", "rotation-AppToken-role-policy");
        expect(policy.inputs.role).to.equal(names.role);
        expect(policyOf(policy)).to.deep.equal(
            rotationRolePolicy({
                region: REGION,
                secretArn: arnOf("AppToken"),
                keyArn: keyArn(),
                logGroupArn: `arn:aws:logs:${REGION}:${PRIMARY_ACCOUNT}:log-group:${names.logGroup}`,
            }),
        );
        // Exactly the four calls on exactly its secret; the key only via Secrets Manager, for it.
        expect(policyOf(policy).Statement[0]).to.deep.equal({
            Sid: "RotateItsSecret",
            Effect: "Allow",
            Action: [
                "secretsmanager:DescribeSecret",
                "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ],
            Resource: arnOf("AppToken"),
        });
        expect(policyOf(policy).Statement[1].Condition).to.deep.equal({
            StringEquals: {
                "kms:ViaService": `secretsmanager.${REGION}.amazonaws.com`,
                "kms:EncryptionContext:SecretARN": arnOf("AppToken"),
            },
        });
        expect(resource(r, "aws:cloudwatch/logGroup:LogGroup", "rotation-AppToken-logs").inputs).to.include({
            name: names.logGroup,
            retentionInDays: 90,
        });
    });

    it("only Secrets Manager, for the secret, in the owner's account, may invoke each function", () => {
        for (const [secret, fn] of [
            ["AppToken", `arn:aws:lambda:${REGION}:${PRIMARY_ACCOUNT}:function:${names.function}`],
            ["DbUser", TEAM_FUNCTION],
        ]) {
            expect(resource(r, "aws:lambda/permission:Permission", `rotation-${secret}-invoke`).inputs).to.deep.equal({
                action: "lambda:InvokeFunction",
                function: fn,
                principal: "secretsmanager.amazonaws.com",
                sourceAccount: PRIMARY_ACCOUNT,
                sourceArn: arnOf(secret),
            });
        }
    });

    it("the schedules: days, or a cron with its window; never at once on create; after the permission", () => {
        const app = resource(r, "aws:secretsmanager/secretRotation:SecretRotation", "rotation-AppToken-schedule");
        expect(app.inputs).to.deep.equal({
            secretId: arnOf("AppToken"),
            rotationLambdaArn: `arn:aws:lambda:${REGION}:${PRIMARY_ACCOUNT}:function:${names.function}`,
            rotationRules: { automaticallyAfterDays: 30 },
            rotateImmediately: false,
        });
        const db = resource(r, "aws:secretsmanager/secretRotation:SecretRotation", "rotation-DbUser-schedule");
        expect(db.inputs).to.deep.include({
            rotationLambdaArn: TEAM_FUNCTION,
            rotationRules: { scheduleExpression: "cron(0 2 ? * SUN *)", duration: "3h" },
        });
        const opts = r.options.get("aws:secretsmanager/secretRotation:SecretRotation::rotation-AppToken-schedule");
        expect((opts?.dependsOn as unknown[] | undefined)?.length).to.equal(3);
    });

    it("exports each rotation: our function and role, or the team's function and the policy its role needs", () => {
        const rotation = r.outputs.rotation as Record<string, Record<string, unknown>>;
        expect(rotation.AppToken).to.deep.equal({
            function: `arn:aws:lambda:${REGION}:${PRIMARY_ACCOUNT}:function:${names.function}`,
            schedule: { automaticallyAfterDays: 30 },
            role: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/${names.role}`,
        });
        expect(rotation.DbUser).to.deep.equal({
            function: TEAM_FUNCTION,
            schedule: { scheduleExpression: "cron(0 2 ? * SUN *)", duration: "3h" },
            rolePolicyToGrant: rotationRolePolicy({ region: REGION, secretArn: arnOf("DbUser"), keyArn: keyArn() }),
        });
    });

    it("the key policy lets the owner account's IAM policies grant the key, so the role's own policy is enough", () => {
        const key = resource(r, "aws:kms/key:Key", "share-key");
        expect(policyOf(key).Statement[0]).to.deep.equal({
            Sid: "SecretShareOwnerAdministers",
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${PRIMARY_ACCOUNT}:root` },
            Action: "kms:*",
            Resource: "*",
        });
    });
});

describe("components: no rotation unless config asks", () => {
    it("the committed stacks register no rotation resource and export no rotation", async () => {
        const r = await run("primary");
        for (const type of [
            "aws:lambda/function:Function",
            "aws:lambda/permission:Permission",
            "aws:secretsmanager/secretRotation:SecretRotation",
            "aws:cloudwatch/logGroup:LogGroup",
            "aws:iam/role:Role",
        ]) {
            expect(ofType(r, type), type).to.deep.equal([]);
        }
        expect(r.outputs).to.not.have.property("rotation");
    });
});

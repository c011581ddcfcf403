import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as YAML from "yaml";
import type { RegisteredResource } from "../../../plan/mocks";
import { ROOT } from "../../mocks";
import { plan, tempProject } from "../helpers";

/**
 * `npm start -- --dir examples/rotation`: exit 0, and a matrix that proves the rotation role's
 * reach and the readers' unchanged access; a weakened rotation document makes it fail, naming
 * the rows it breaks.
 */

const DIR = path.join(ROOT, "examples", "rotation");
const ROLE = /rotation role secretshare-rotate-AppToken-[0-9a-f]{8}/;

interface Doc {
    Version: string;
    Statement: { Sid?: string; Condition?: Record<string, Record<string, unknown>>; [k: string]: unknown }[];
}

/** Rewrites the `input` document of every resource of `type`. */
function edit(type: string, input: string, change: (d: Doc) => Doc) {
    let edited = 0;
    return {
        mutate: (_stack: string, resources: RegisteredResource[]) =>
            resources.map((r) => {
                if (r.type !== type) return r;
                edited++;
                const doc = JSON.parse(r.inputs[input] as string) as Doc;
                return { ...r, inputs: { ...r.inputs, [input]: JSON.stringify(change(doc)) } };
            }),
        edited: () => edited,
    };
}

const rows = (stdout: string) => stdout.split("\n").filter((l) => /^(ok|FAIL) +(AppToken|DbUser) /.test(l));

describe("plan: examples/rotation", function () {
    this.timeout(120000);

    it("plans with exit 0: the rotation role, the invoke permission and the readers are proven", async () => {
        const out = await plan(["--dir", DIR, "--verbose"], DIR);
        expect(out.code, out.stderr + out.stdout.slice(-2000)).to.equal(0);
        const lines = rows(out.stdout);
        const find = (who: RegExp | string, action: string, context: string, expected: string) =>
            lines.filter(
                (l) =>
                    (typeof who === "string" ? l.includes(who) : who.test(l)) &&
                    l.includes(` ${action} `) &&
                    l.includes(context) &&
                    new RegExp(`${expected.replace(/ +/, " +")}$`).test(l),
            );
        // The role, on its own secret: each call of the four steps, the pending stage included.
        for (const [action, context] of [
            ["secretsmanager:DescribeSecret", ""],
            ["secretsmanager:GetSecretValue", "VersionStage=AWSCURRENT"],
            ["secretsmanager:GetSecretValue", "VersionStage=AWSPENDING"],
            ["secretsmanager:PutSecretValue", ""],
            ["secretsmanager:UpdateSecretVersionStage", ""],
            ["kms:Decrypt", "ViaService=secretsmanager.us-east-1.amazonaws.com EncryptionContext:SecretARN=AppToken-"],
            [
                "kms:GenerateDataKey",
                "ViaService=secretsmanager.us-east-1.amazonaws.com EncryptionContext:SecretARN=AppToken-",
            ],
        ]) {
            expect(find(ROLE, action, context, "Allowed  Allowed"), `${action} ${context}`).to.have.length(1);
        }
        // Denied: the key outside Secrets Manager, the other secret and its key, other writes.
        for (const [who, action, context] of [
            [ROLE, "kms:Decrypt", "EncryptionContext:SecretARN=AppToken-"],
            [ROLE, "kms:GenerateDataKey", "EncryptionContext:SecretARN=AppToken-"],
            [/rotation role .*, on DbUser /, "secretsmanager:GetSecretValue", "AWSCURRENT"],
            [/rotation role .*, on DbUser /, "secretsmanager:PutSecretValue", ""],
            [/rotation role .*, on DbUser's key/, "kms:Decrypt", "SecretARN=DbUser-"],
            [ROLE, "secretsmanager:DeleteSecret", ""],
            [ROLE, "secretsmanager:PutResourcePolicy", ""],
        ] as const) {
            expect(
                find(who, action, context, "Denied    ImplicitlyDenied"),
                `${String(who)} ${action}`,
            ).to.have.length.greaterThan(0);
        }
        // Readers: AWSPENDING denied, AWSCURRENT still allowed, on both rotated secrets.
        for (const secret of ["AppToken", "DbUser"]) {
            const reader = lines.filter((l) => l.startsWith(`ok  ${secret}`) && l.includes("secondary/Stuart "));
            expect(
                reader.filter((l) => l.includes("VersionStage=AWSPENDING") && /Denied +ImplicitlyDenied$/.test(l)),
            ).to.have.length(1);
            expect(
                reader.filter((l) => l.includes("VersionStage=AWSCURRENT") && /Allowed +Allowed$/.test(l)),
            ).to.have.length(1);
            // Only Secrets Manager, for this secret, may invoke its function.
            expect(
                lines
                    .filter((l) => l.startsWith(`ok  ${secret}`) && l.includes("lambda:InvokeFunction"))
                    .map((l) => /(Allowed|Denied) +\S+$/.exec(l)?.[0]),
            ).to.deep.equal([
                "Allowed   Allowed",
                "Denied    ImplicitlyDenied",
                "Denied    ImplicitlyDenied",
                "Denied    ImplicitlyDenied",
            ]);
        }
        expect(out.stdout).to.include(
            "warning: DbUser is rotated by arn:aws:lambda:us-east-1:111111111111:function:team-db-rotation, which this plan does not create",
        );
        expect(out.stdout.trimEnd().split("\n").pop()).to.match(/^access: (\d+) checks, \1 as expected$/);
    });

    it("a rotation role policy without the encryption context: the role could use the key for another secret", async () => {
        const hook = edit("aws:iam/rolePolicy:RolePolicy", "policy", (d) => ({
            ...d,
            Statement: d.Statement.map((s) =>
                s.Sid === "KeyViaSecretsManagerForItsSecret"
                    ? {
                          ...s,
                          Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
                      }
                    : s,
            ),
        }));
        const out = await plan(["--dir", DIR], DIR, { mutate: hook.mutate });
        expect(hook.edited()).to.equal(1);
        expect(out.code).to.equal(1);
        const failed = out.stdout.split("\n").filter((l) => l.startsWith("failed: "));
        expect(failed).to.have.length(1);
        expect(failed[0]).to.match(
            /^failed: AppToken: rotation role .*, on DbUser's key kms:Decrypt for DbUser via Secrets Manager/,
        );
    });

    it("a rotation role policy on every secret: the other secret becomes readable and writable", async () => {
        const hook = edit("aws:iam/rolePolicy:RolePolicy", "policy", (d) => ({
            ...d,
            Statement: d.Statement.map((s) => (s.Sid === "RotateItsSecret" ? { ...s, Resource: "*" } : s)),
        }));
        const out = await plan(["--dir", DIR], DIR, { mutate: hook.mutate });
        expect(out.code).to.equal(1);
        const failed = out.stdout.split("\n").filter((l) => l.startsWith("failed: "));
        expect(failed.map((l) => /on DbUser (\S+ \S+)/.exec(l)?.[1])).to.deep.equal([
            "GetSecretValue AWSCURRENT",
            "PutSecretValue on",
        ]);
    });

    it("one key per secret: the rotation role is denied the other key even for its own secret; a grant on every key fails that row", async () => {
        const read = (stack: string) =>
            (
                YAML.parse(fs.readFileSync(path.join(DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
                    config: Record<string, unknown>;
                }
            ).config;
        const primary = read("primary");
        const key = primary["secretshare:key"] as Record<string, unknown>;
        const dir = tempProject(
            { primary: { ...primary, "secretshare:key": { ...key, perSecret: true } }, secondary: read("secondary") },
            fs.readFileSync(path.join(DIR, "Pulumi.yaml"), "utf8"),
        );
        const row =
            /^ok +AppToken +rotation role .*, on DbUser's key +kms:Decrypt +ViaService=\S+ EncryptionContext:SecretARN=AppToken-\S+ +Denied +ImplicitlyDenied$/;
        const good = await plan(["--dir", dir, "--verbose"], dir);
        expect(good.code, good.stdout + good.stderr).to.equal(0);
        expect(good.stdout.split("\n").filter((l) => row.test(l))).to.have.length(1);
        const hook = edit("aws:iam/rolePolicy:RolePolicy", "policy", (d) => ({
            ...d,
            Statement: d.Statement.map((s) =>
                s.Sid === "KeyViaSecretsManagerForItsSecret" ? { ...s, Resource: "*" } : s,
            ),
        }));
        const out = await plan(["--dir", dir], dir, { mutate: hook.mutate });
        expect(out.code).to.equal(1);
        const failed = out.stdout.split("\n").filter((l) => l.startsWith("failed: "));
        expect(failed).to.have.length(1);
        expect(failed[0]).to.equal(
            "failed: AppToken: rotation role secretshare-rotate-AppToken-b3dd8dcd, on DbUser's key kms:Decrypt for AppToken via Secrets Manager (rotation, another key): expected Denied, got Allowed",
        );
    });

    it("an invoke permission without the source ARN: Secrets Manager could run the function for any secret", async () => {
        let edited = 0;
        const mutate = (_stack: string, resources: RegisteredResource[]) =>
            resources.map((r) => {
                if (r.type !== "aws:lambda/permission:Permission" || r.name !== "rotation-AppToken-invoke") return r;
                edited++;
                const inputs = { ...r.inputs };
                delete inputs.sourceArn;
                return { ...r, inputs };
            });
        const out = await plan(["--dir", DIR], DIR, { mutate });
        expect(edited).to.equal(1);
        expect(out.code).to.equal(1);
        const failed = out.stdout.split("\n").filter((l) => l.startsWith("failed: "));
        expect(failed).to.have.length(1);
        expect(failed[0]).to.match(
            /^failed: AppToken: secretsmanager\.amazonaws\.com for DbUser lambda:InvokeFunction/,
        );
    });
});

import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import type { RegisteredResource } from "../../../plan/mocks";
import { ROOT } from "../../mocks";
import {
    accessLines,
    committedStacks,
    consumers,
    resourceLines,
    savedDiffJson,
    secrets,
    statementLines,
    withBob,
    type Stacks,
} from "./helpers";

/**
 * The access diff for a table of changes, in its saved-JSON form (`--against base.json`): each
 * change of config, planned before and after, with the gains, losses, statements, resources and
 * risk flags a reviewer must see. test/plan/diff/gitref.test.ts proves the git-ref form gives the
 * same diff.
 */

const KEY = "aws:kms/key:Key share-key";
const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy share-MySecret-policy";

const withOther = (s: Stacks) => {
    secrets(s).push({ name: "Other", username: "svc", recoveryWindowInDays: 30, readers: ["secondary/Stuart"] });
    return s;
};

describe("access diff: a table of changes (saved plan JSON as the base)", function () {
    this.timeout(60_000);

    it("add a reader: Bob gains GetSecretValue (AWSCURRENT) and Decrypt on MySecret, by the three documents", async () => {
        const d = await savedDiffJson(committedStacks(), withBob());
        expect(accessLines(d)).to.deep.equal([
            "gained secondary/Bob kms:Decrypt on MySecret",
            "gained secondary/Bob GetSecretValue VersionStage=AWSCURRENT on MySecret",
        ]);
        expect(d.access[1].account).to.equal("222222222222");
        expect(d.access[1].documents).to.deep.equal([
            "identity policy secondary-Bob-read (inline, user Bob)",
            "secret resource policy share-MySecret-policy (arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-YyjU5p)",
        ]);
        expect(statementLines(d)).to.deep.equal([
            `changed ${KEY} SecretShareDecrypt73534949 Condition`,
            `changed ${KEY} SecretShareDescribeKey Condition`,
            `changed ${SECRET_POLICY} SecretShareReadCurrent Condition`,
            "added aws:iam/userPolicy:UserPolicy secondary-Bob-read ReadSharedSecrets",
            "added aws:iam/userPolicy:UserPolicy secondary-Bob-read DecryptViaSecretsManager",
        ]);
        expect(resourceLines(d)).to.deep.equal([
            "created secondary aws:iam/user:User secondary-Bob",
            "created secondary aws:iam/userPolicy:UserPolicy secondary-Bob-read",
        ]);
        expect(d.risks).to.deep.equal([]);
    });

    it("remove a reader: Bob loses both, and the deployed consumer that still calls is flagged", async () => {
        const d = await savedDiffJson(withBob(), committedStacks());
        expect(accessLines(d)).to.deep.equal([
            "lost secondary/Bob kms:Decrypt on MySecret",
            "lost secondary/Bob GetSecretValue VersionStage=AWSCURRENT on MySecret",
        ]);
        expect(d.risks.map((r) => r.kind)).to.deep.equal(["reader-still-calls"]);
        expect(d.risks[0].message).to.match(/^secondary\/Bob loses MySecret .*consumer stack secondary/);
        // Users the program creates are retained when they leave the stack (components/secretConsumer.ts).
        expect(d.resources.map((r) => [r.change, r.name, r.retainOnDelete])).to.deep.equal([
            ["deleted", "secondary-Bob", true],
            ["deleted", "secondary-Bob-read", undefined],
        ]);
    });

    it("add a secret: its reader gains it; the key policy's Decrypt statement is replaced (new Sid)", async () => {
        const d = await savedDiffJson(committedStacks(), withOther(committedStacks()));
        expect(accessLines(d)).to.deep.equal([
            "gained secondary/Stuart kms:Decrypt on Other",
            "gained secondary/Stuart GetSecretValue VersionStage=AWSCURRENT on Other",
        ]);
        expect(resourceLines(d)).to.include.members([
            "created primary aws:secretsmanager/secret:Secret share-Other",
            "created primary aws:secretsmanager/secretPolicy:SecretPolicy share-Other-policy",
        ]);
        expect(statementLines(d)).to.include(`removed ${KEY} SecretShareDecrypt73534949`);
        expect(statementLines(d)).to.include(
            "changed aws:iam/userPolicy:UserPolicy secondary-Stuart-read ReadSharedSecrets Resource",
        );
    });

    it("move a secret to another key (key.perSecret): nobody gains or loses; the protected shared key's delete is flagged", async () => {
        const before = withOther(committedStacks());
        const after = structuredClone(before);
        (after.primary["secretshare:key"] as Record<string, unknown>).perSecret = true;
        const d = await savedDiffJson(before, after);
        expect(d.access).to.deep.equal([]);
        expect(resourceLines(d)).to.include.members([
            "created primary aws:kms/key:Key share-MySecret-key",
            "deleted primary aws:kms/key:Key share-key",
            "updated primary aws:secretsmanager/secret:Secret share-MySecret",
        ]);
        expect(d.resources.find((r) => r.name === "share-MySecret")?.inputs).to.deep.equal(["kmsKeyId"]);
        expect(d.risks.map((r) => r.message)).to.deep.equal([
            "primary: aws:kms/key:Key share-key is protected and this change deletes it: `pulumi up` would fail",
        ]);
    });

    it("switch principalForm: the same access, with Principal and Condition changed in each owner statement", async () => {
        const before = committedStacks();
        consumers(before).secondary.readers[0] = { user: "Stuart", existing: true };
        const after = structuredClone(before);
        after.primary["secretshare:secretPolicy"] = { principalForm: "principal-arn" };
        const d = await savedDiffJson(before, after);
        expect(d.access).to.deep.equal([]);
        expect(statementLines(d)).to.deep.equal([
            `changed ${KEY} SecretShareDecrypt73534949 Condition,Principal`,
            `changed ${KEY} SecretShareDescribeKey Condition,Principal`,
            `changed ${SECRET_POLICY} SecretShareReadCurrent Condition,Principal`,
        ]);
        const read = d.documents[1].statements[0];
        expect(read.after?.Principal).to.deep.equal({ AWS: "arn:aws:iam::222222222222:user/Stuart" });
    });

    it("turn on acceptDefaultStage: Stuart gains calls without a stage, by the new statement", async () => {
        const after = committedStacks();
        after.primary["secretshare:secretPolicy"] = { acceptDefaultStage: true };
        const d = await savedDiffJson(committedStacks(), after);
        expect(accessLines(d)).to.deep.equal(["gained secondary/Stuart GetSecretValue (no stage) on MySecret"]);
        expect(statementLines(d)).to.deep.equal([`added ${SECRET_POLICY} SecretShareReadDefault`]);
        // Still narrowed: the new statement names no stage only together with no version ID (a Null condition).
        expect(d.risks).to.deep.equal([]);
    });

    it("add a consumer account: Carol gains, and account 333333333333 is flagged as new", async () => {
        const after = committedStacks();
        consumers(after).tertiary = { accountId: "333333333333", readers: [{ user: "Carol" }] };
        secrets(after)[0].readers = ["secondary/Stuart", "tertiary/Carol"];
        after.tertiary = {
            ...structuredClone(after.secondary),
            "secretshare:consumer": { name: "tertiary", accountId: "333333333333", region: "us-east-1", profile: "t" },
        };
        const d = await savedDiffJson(committedStacks(), after);
        expect(accessLines(d)).to.deep.equal([
            "gained tertiary/Carol kms:Decrypt on MySecret",
            "gained tertiary/Carol GetSecretValue VersionStage=AWSCURRENT on MySecret",
        ]);
        expect(d.risks).to.deep.equal([
            { kind: "external-account", message: "account 333333333333 gains access for the first time (MySecret)" },
        ]);
    });

    it("rename a consumer account: no access change; the user and its policy are replaced by name", async () => {
        const after = committedStacks();
        consumers(after).partner = consumers(after).secondary;
        delete consumers(after).secondary;
        secrets(after)[0].readers = ["partner/Stuart"];
        (after.secondary["secretshare:consumer"] as Record<string, unknown>).name = "partner";
        const d = await savedDiffJson(committedStacks(), after);
        expect(d.access).to.deep.equal([]);
        expect(resourceLines(d)).to.deep.equal([
            "replaced secondary aws:iam/user:User partner-Stuart (from secondary-Stuart)",
            "replaced secondary aws:iam/userPolicy:UserPolicy partner-Stuart-read (from secondary-Stuart-read)",
        ]);
        expect(d.resources[0].note).to.include("secondary-Stuart is retained on delete");
    });

    it("change a kept foreign statement on an existing secret: the principal it now lets in gains, flagged as new", async () => {
        const dir = path.join(ROOT, "examples", "existing");
        const stacks = Object.fromEntries(
            ["primary", "secondary"].map((s) => [
                s,
                (
                    YAML.parse(fs.readFileSync(path.join(dir, `Pulumi.${s}.yaml`), "utf8")) as {
                        config: Record<string, unknown>;
                    }
                ).config,
            ]),
        );
        const foreign = (accounts: string[]) => (_stack: string, resources: RegisteredResource[]) =>
            resources.map((r) => {
                if (r.type !== "aws:secretsmanager/secretPolicy:SecretPolicy") return r;
                const doc = JSON.parse(r.inputs.policy as string) as { Statement: unknown[] };
                const statement = {
                    Sid: "PartnerRead",
                    Effect: "Allow",
                    Principal: { AWS: accounts.map((a) => `arn:aws:iam::${a}:role/reader`) },
                    Action: "secretsmanager:GetSecretValue",
                    Resource: "*",
                    Condition: { StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } },
                };
                return {
                    ...r,
                    inputs: {
                        ...r.inputs,
                        policy: JSON.stringify({ ...doc, Statement: [statement, ...doc.Statement] }),
                    },
                };
            });
        const d = await savedDiffJson(stacks, stacks, {
            mutateBase: foreign(["666666666666"]),
            mutateHead: foreign(["666666666666", "888888888888"]),
        });
        expect(accessLines(d)).to.deep.equal([
            "gained arn:aws:iam::888888888888:role/reader GetSecretValue VersionStage=AWSCURRENT on MySecret",
        ]);
        expect(statementLines(d)).to.deep.equal([
            "changed aws:secretsmanager/secretPolicy:SecretPolicy share-MySecret-policy PartnerRead Principal",
        ]);
        expect(d.risks.map((r) => r.kind)).to.deep.equal(["external-account"]);
    });
});

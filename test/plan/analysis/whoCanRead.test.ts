import { expect } from "chai";
import { accessMatrix } from "../../../plan/proof";
import { analyseAccess } from "../../../plan/analysis/confirm";
import { whoCanRead } from "../../../plan/analysis/whoCanRead";
import { CONSUMER, handBuilt, KEY_ARN, OWNER, SECRET_ARN } from "./helpers";

/**
 * The three cases no probe of the access matrix is written for, each found by the analysis with a
 * concrete principal and the statement that lets it in; and the same share as configured, where
 * the sets equal what is intended.
 */

const texts = (w: ReturnType<typeof whoCanRead>) =>
    [...w.secrets, ...w.roles].flatMap((s) => s.failures.map((f) => f.text));

describe("who can read: the analysis of every principal the documents let in", function () {
    this.timeout(60000);

    it("the share as configured: every set equals what is intended, no failure, nothing not proven", () => {
        const w = whoCanRead(handBuilt());
        expect(texts(w)).to.deep.equal([]);
        expect(w.secrets.flatMap((s) => s.notProven)).to.deep.equal([]);
        const rows = w.secrets[0].actions.map((a) =>
            a.entries.map((e) => [e.who, e.as, e.via.sid ?? e.via.document, e.values ?? ""]),
        );
        expect(rows).to.deep.equal([
            [
                [`any principal of ${OWNER}`, "owner", `IAM policies of ${OWNER}`, "any stage"],
                [`arn:aws:iam::${CONSUMER}:role/app/reader`, "reader", "SecretShareReadCurrent", "stage AWSCURRENT"],
            ],
            [
                [`any principal of ${OWNER}`, "owner", "SecretShareOwnerAdministers", ""],
                [`arn:aws:iam::${CONSUMER}:role/app/reader`, "reader", w.secrets[0].actions[1].entries[1].via.sid, ""],
            ],
        ]);
        expect(w.roles.map((r) => r.actions[0].entries.map((e) => [e.who, e.as, e.values]))).to.deep.equal([
            [["ecs-tasks.amazonaws.com", "assumedBy", `source account ${CONSUMER}`]],
        ]);
    });

    it("a reader path with a wildcard (/app?/): role/appX/reader can read db, with the statement that lets it in", () => {
        const w = whoCanRead(handBuilt({ path: "/app?/" }));
        expect(texts(w)).to.deep.equal([
            `\`arn:aws:iam::${CONSUMER}:role/appX/reader\` can read \`db\` (secretsmanager:VersionStage = AWSCURRENT) ` +
                "because of statement `SecretShareReadCurrent` of the aws:secretsmanager/secretPolicy:SecretPolicy share-db-policy " +
                "(if its own IAM policies allow)",
            `\`arn:aws:iam::${CONSUMER}:role/appX/reader\` can decrypt (kms:Decrypt via Secrets Manager) \`db\` ` +
                `because of statement \`${w.secrets[0].actions[1].entries[1].via.sid}\` of the aws:kms/key:Key share-key (if its own IAM policies allow)`,
        ]);
    });

    it("a kept foreign statement granting another account: listed as kept, not a failure; ours granting it is", () => {
        const foreign = {
            Sid: "PartnerRead",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::444444444444:root" },
            Action: "secretsmanager:GetSecretValue",
            Resource: "*",
        };
        const w = whoCanRead(handBuilt({ keptSecret: [foreign] }));
        expect(texts(w)).to.deep.equal([]);
        const kept = w.secrets[0].actions[0].entries.filter((e) => e.as === "kept");
        expect(kept.map((e) => [e.who, e.via.sid, e.values, e.ownPolicies])).to.deep.equal([
            ["any principal of 444444444444", "PartnerRead", "any stage", true],
        ]);
        // A concrete principal it lets in, as the simulator confirms it.
        expect(kept.map((e) => e.instance)).to.deep.equal([
            { principal: "arn:aws:iam::444444444444:role/X", stage: "AWSCURRENT" },
        ]);
        // The same statement, but one of ours (a SecretShare Sid): the account is a counterexample.
        const ours = whoCanRead(handBuilt({ keptSecret: [{ ...foreign, Sid: "SecretShareStray" }] }));
        expect(texts(ours)).to.deep.equal([
            "`arn:aws:iam::444444444444:role/X` can read `db` (secretsmanager:VersionStage = AWSCURRENT) because of statement `SecretShareStray` of the " +
                "aws:secretsmanager/secretPolicy:SecretPolicy share-db-policy (if its own IAM policies allow)",
        ]);
    });

    it("a kept statement on the key letting another account decrypt: kept, and the matrix's principals unchanged", () => {
        const w = whoCanRead(
            handBuilt({
                keptKey: [
                    {
                        Sid: "PartnerDecrypt",
                        Effect: "Allow",
                        Principal: { AWS: "444444444444" },
                        Action: "kms:Decrypt",
                        Resource: "*",
                        Condition: { StringEquals: { "aws:PrincipalOrgID": "o-abc123" } },
                    },
                ],
            }),
        );
        const kept = w.secrets[0].actions[1].entries.filter((e) => e.as === "kept");
        expect(kept.map((e) => [e.who, e.via.sid, e.conditions])).to.deep.equal([
            ["any principal of 444444444444", "PartnerDecrypt", ["aws:PrincipalOrgID StringEquals o-abc123"]],
        ]);
        expect(texts(w)).to.deep.equal([]);
    });

    it("a trust policy naming an outside account: a principal there can assume the reader role", () => {
        const trust = {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AssumeReaderRole",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws:iam::555555555555:root" },
                    Action: "sts:AssumeRole",
                },
            ],
        };
        const w = whoCanRead(handBuilt({ assumedBy: ["arn:aws:iam::222222222222:role/app/worker"], trust }));
        expect(texts(w)).to.deep.equal([
            "`arn:aws:iam::555555555555:role/X` can assume `role secondary/reader` because of statement `AssumeReaderRole` " +
                "of the aws:iam/role:Role secondary-reader (if its own IAM policies allow)",
            "`arn:aws:iam::222222222222:role/app/worker` (assumedBy) cannot assume role secondary/reader: ImplicitlyDenied",
        ]);
    });

    it("a Deny in a kept statement takes principals out; a statement it cannot read is not proven, not allowed", () => {
        const w = whoCanRead(
            handBuilt({
                keptSecret: [
                    {
                        Sid: "Everyone",
                        Effect: "Allow",
                        Principal: "*",
                        Action: "secretsmanager:GetSecretValue",
                        Resource: "*",
                    },
                    {
                        Sid: "NotThem",
                        Effect: "Deny",
                        Principal: "*",
                        Action: "*",
                        Resource: "*",
                        Condition: { StringNotEquals: { "aws:PrincipalAccount": ["333333333333"] } },
                    },
                    {
                        Sid: "Odd",
                        Effect: "Allow",
                        NotPrincipal: { AWS: "arn:aws:iam::666666666666:root" },
                        Action: "*",
                        Resource: "*",
                    },
                ],
            }),
        );
        const gsv = w.secrets[0].actions[0].entries;
        expect(gsv.filter((e) => e.via.sid === "Everyone").map((e) => [e.who, e.as])).to.deep.equal([
            ["any principal of 333333333333", "kept"],
        ]);
        // The reader, the owner: every principal outside 333333333333 is denied, ours included.
        expect(texts(w)).to.include(
            `configured reader \`arn:aws:iam::${CONSUMER}:role/app/reader\` cannot read \`db\` at AWSCURRENT: ExplicitlyDenied`,
        );
        expect(w.secrets[0].notProven).to.deep.equal([
            "statement Odd of the aws:secretsmanager/secretPolicy:SecretPolicy share-db-policy: NotPrincipal is not modelled",
        ]);
    });

    it("every principal found is confirmed by the simulator, and the matrix's checks are decided alike", async () => {
        for (const p of [handBuilt(), handBuilt({ path: "/app?/" })]) {
            const matrix = await accessMatrix(p, { workers: 0 });
            const a = await analyseAccess(p, matrix, { workers: 0 });
            expect(a.agreement.disagreements).to.deep.equal([]);
            expect(a.agreement.simulated + a.agreement.reused).to.be.greaterThan(4);
            expect(a.agreement.crossChecked).to.be.greaterThan(10);
        }
        void KEY_ARN;
        void SECRET_ARN;
    });
});

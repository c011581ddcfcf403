import * as path from "path";
import { expect } from "chai";
import type { RegisteredResource } from "../../../plan/mocks";
import { ROOT } from "../../mocks";
import { plan, planJson } from "../helpers";

/**
 * The "who can read" section through `npm start`: the committed stacks and examples/existing plan
 * with exit 0 and sets equal to intent, in every form; a secret policy that lets a wildcard in
 * fails the plan (exit 1) with the counterexample, though no probe of the matrix names it.
 */

interface WhoJson {
    ok: boolean;
    secrets: {
        name: string;
        actions: {
            action: string;
            entries: {
                who: string;
                values?: string;
                as: string;
                sid: string | null;
                instance: Record<string, string> | null;
            }[];
        }[];
        failures: { text: string; instance: Record<string, string> | null }[];
        notProven: string[];
    }[];
    roles: unknown[];
    agreement: { simulated: number; reused: number; crossChecked: number; disagreements: string[] };
}

const whoOf = (report: unknown) => (report as { whoCanRead: WhoJson }).whoCanRead;

/** The secret policy's reader condition widened to a pattern, as a mistaken builder would write it. */
const widen = (_stack: string, resources: RegisteredResource[]) =>
    resources.map((r) => {
        if (r.type !== "aws:secretsmanager/secretPolicy:SecretPolicy") return r;
        const policy = (r.inputs.policy as string).replace(/user\/Stuart"/g, 'user/Stu*"');
        return { ...r, inputs: { ...r.inputs, policy } };
    });

describe("who can read in the plan's report", function () {
    this.timeout(120000);

    it("the committed stacks: exit 0, every set as intended, in --json with its stable fields", async () => {
        const { code, report } = await planJson();
        expect(code).to.equal(0);
        const who = whoOf(report);
        expect(who.ok).to.equal(true);
        expect(who.agreement.disagreements).to.deep.equal([]);
        expect(who.secrets.map((s) => [s.name, s.failures, s.notProven])).to.deep.equal([["MySecret", [], []]]);
        expect(
            who.secrets[0].actions.map((a) => [
                a.action,
                a.entries.map((e) => [e.who, e.as, e.values ?? null, e.instance]),
            ]),
        ).to.deep.equal([
            [
                "secretsmanager:GetSecretValue",
                [
                    [
                        "any principal of 111111111111",
                        "owner",
                        "any stage",
                        { principal: "arn:aws:iam::111111111111:role/X", stage: "AWSCURRENT" },
                    ],
                    [
                        "arn:aws:iam::222222222222:user/Stuart",
                        "reader",
                        "stage AWSCURRENT",
                        { principal: "arn:aws:iam::222222222222:user/Stuart", stage: "AWSCURRENT" },
                    ],
                ],
            ],
            [
                "kms:Decrypt",
                [
                    ["any principal of 111111111111", "owner", null, { principal: "arn:aws:iam::111111111111:role/X" }],
                    [
                        "arn:aws:iam::222222222222:user/Stuart",
                        "reader",
                        null,
                        { principal: "arn:aws:iam::222222222222:user/Stuart" },
                    ],
                ],
            ],
        ]);
    });

    it("examples/existing: kept statements listed as kept with their Sids, exit 0", async () => {
        const { code, report } = await planJson([], path.join(ROOT, "examples", "existing"));
        expect(code).to.equal(0);
        const who = whoOf(report);
        expect(who.ok).to.equal(true);
        const kept = who.secrets[0].actions.flatMap((a) =>
            a.entries.filter((e) => e.as === "kept").map((e) => [a.action, e.who, e.sid]),
        );
        expect(kept).to.deep.equal([
            ["secretsmanager:GetSecretValue", "arn:aws:iam::333333333333:role/payments", "PaymentsTeamRead"],
            ["kms:Decrypt", "any principal of 111111111111", "Enable IAM User Permissions"],
            ["kms:Decrypt", "arn:aws:iam::111111111111:role/AppServer", "Allow use of the key"],
            ["kms:Decrypt", "arn:aws:iam::333333333333:role/payments", "PaymentsTeamDecrypt"],
        ]);
    });

    it("a secret policy that lets user/Stu* read: exit 1, the counterexample in text, Markdown and JSON", async () => {
        const out = await plan(["--verbose"], ROOT, { mutate: widen });
        expect(out.code).to.equal(1);
        const failed = out.stdout.split("\n").filter((l) => l.startsWith("failed (who can read): "));
        expect(failed).to.deep.equal([
            "failed (who can read): MySecret: `arn:aws:iam::222222222222:user/Stu` can read `MySecret` (secretsmanager:VersionStage = AWSCURRENT) " +
                "because of statement `SecretShareReadCurrent` of the aws:secretsmanager/secretPolicy:SecretPolicy share-MySecret-policy " +
                "(if its own IAM policies allow)",
        ]);
        expect(out.stdout).to.match(
            /^GetSecretValue +principals matching arn:aws:iam::222222222222:user\/Stu\* .* UNINTENDED +SecretShareReadCurrent/m,
        );
        // The default text, a summary, names it too.
        const brief = await plan([], ROOT, { mutate: widen });
        expect(brief.code).to.equal(1);
        expect(brief.stdout.split("\n").filter((l) => l.startsWith("failed (who can read): "))).to.deep.equal(failed);
        const md = (await plan(["--markdown"], ROOT, { mutate: widen })).stdout;
        expect(md)
            .to.include("### Who can read")
            .and.include("- ❌ MySecret: `arn:aws:iam::222222222222:user/Stu` can read");
        const { code, report } = await planJson([], ROOT, { mutate: widen });
        expect(code).to.equal(1);
        expect((report as unknown as { ok: boolean }).ok).to.equal(false);
        expect(whoOf(report).secrets[0].failures.map((f) => f.instance)).to.deep.equal([
            { principal: "arn:aws:iam::222222222222:user/Stu", stage: "AWSCURRENT" },
        ]);
        // The simulator confirms the counterexample: the engines agree.
        expect(whoOf(report).agreement.disagreements).to.deep.equal([]);
    });
});

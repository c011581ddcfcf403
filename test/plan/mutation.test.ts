import { expect } from "chai";
import type { RegisteredResource } from "../../plan/mocks";
import type { Statement } from "../../policies/documents";
import { plan, planJson } from "./helpers";

/**
 * Mutation tests: the plan of the committed stacks with one of the three documents taken away
 * or weakened, as if the program had registered it so. Each must make `npm start` exit 1 and
 * name exactly the checks that the weakening breaks.
 */

interface Doc {
    Version: string;
    Statement: Statement[];
}

const KEY = "aws:kms/key:Key";
const SECRET_POLICY = "aws:secretsmanager/secretPolicy:SecretPolicy";
const USER_POLICY = "aws:iam/userPolicy:UserPolicy";

/** A `mutate` hook that rewrites the `policy` input of the resource `type` named `name`. */
function editPolicy(type: string, name: string, edit: (doc: Doc) => Doc) {
    let edited = 0;
    const mutate = (_stack: string, resources: RegisteredResource[]) =>
        resources.map((r) => {
            if (r.type !== type || r.name !== name) return r;
            edited++;
            const doc = JSON.parse(r.inputs.policy as string) as Doc;
            return { ...r, inputs: { ...r.inputs, policy: JSON.stringify(edit(doc)) } };
        });
    return { mutate, edited: () => edited };
}

/** Applies several edits in turn. */
function edits(...hooks: ReturnType<typeof editPolicy>[]) {
    return {
        mutate: (stack: string, resources: RegisteredResource[]) =>
            hooks.reduce((rs, h) => h.mutate(stack, rs), resources),
        edited: () => hooks.reduce((n, h) => n + h.edited(), 0),
    };
}

const statements = (doc: Doc, keep: (s: Statement) => boolean): Doc => ({
    ...doc,
    Statement: doc.Statement.filter(keep),
});
const eachStatement = (doc: Doc, change: (s: Statement) => Statement): Doc => ({
    ...doc,
    Statement: doc.Statement.map(change),
});
const withoutCondition = (s: Statement, operator: string, key: string): Statement => {
    const condition = { ...(s.Condition ?? {}) };
    const block = { ...(condition[operator] ?? {}) };
    delete block[key];
    if (Object.keys(block).length) condition[operator] = block;
    else delete condition[operator];
    return { ...s, Condition: condition };
};

const READER = "MySecret: secondary/Stuart";
const OTHER = "MySecret: other user in 222222222222, Stuart's policy";
const UNRELATED = "MySecret: user in unrelated 999999999999, Stuart's policy";

async function expectFailures(hook: ReturnType<typeof editPolicy>, failing: string[]) {
    const out = await plan([], undefined, { mutate: hook.mutate });
    expect(hook.edited(), "the mutation found its document").to.be.greaterThan(0);
    expect(out.code, out.stderr).to.equal(1);
    const lines = out.stdout.split("\n").filter((l) => l.startsWith("failed: "));
    expect(lines.map((l) => l.slice("failed: ".length, l.indexOf(": ", "failed: MySecret: ".length)))).to.deep.equal(
        failing,
    );
    // The matrix marks the same lines.
    expect(out.stdout.split("\n").filter((l) => /^FAIL +MySecret /.test(l))).to.have.length(failing.length);
    expect(out.stdout.trimEnd().split("\n").pop()).to.equal(
        `access: 14 checks, ${14 - failing.length} as expected, ${failing.length} FAILED`,
    );
    return lines;
}

describe("mutations: each weakened document makes the plan fail, naming the check", function () {
    this.timeout(60000);

    it("key policy without the readers' Decrypt grant: the reader cannot decrypt", async () => {
        const lines = await expectFailures(
            editPolicy(KEY, "share-key", (d) => statements(d, (s) => !String(s.Sid).startsWith("SecretShareDecrypt"))),
            [`${READER} kms:Decrypt via Secrets Manager`],
        );
        expect(lines[0]).to.equal(
            `failed: ${READER} kms:Decrypt via Secrets Manager: expected Allowed, got ImplicitlyDenied (denied by: resource policy)`,
        );
    });

    it("secret policy without the VersionStage condition: AWSPREVIOUS becomes readable", async () => {
        await expectFailures(
            editPolicy(SECRET_POLICY, "share-MySecret-policy", (d) =>
                eachStatement(d, (s) => withoutCondition(s, "StringEquals", "secretsmanager:VersionStage")),
            ),
            [`${READER} GetSecretValue AWSPREVIOUS`],
        );
    });

    it("secret policy widened to the whole consumer account: another user there can read", async () => {
        await expectFailures(
            editPolicy(SECRET_POLICY, "share-MySecret-policy", (d) =>
                eachStatement(d, (s) => withoutCondition(s, "ArnEquals", "aws:PrincipalArn")),
            ),
            [`${OTHER} GetSecretValue AWSCURRENT`],
        );
    });

    it("key policy widened to the whole consumer account: another user there can decrypt", async () => {
        await expectFailures(
            editPolicy(KEY, "share-key", (d) =>
                eachStatement(d, (s) =>
                    s.Action === "kms:Decrypt" ? withoutCondition(s, "ArnEquals", "aws:PrincipalArn") : s,
                ),
            ),
            [`${OTHER} kms:Decrypt via Secrets Manager`],
        );
    });

    it("secret policy widened to everyone: other accounts and anonymous callers can read", async () => {
        await expectFailures(
            editPolicy(SECRET_POLICY, "share-MySecret-policy", (d) =>
                eachStatement(d, (s) => ({ ...withoutCondition(s, "ArnEquals", "aws:PrincipalArn"), Principal: "*" })),
            ),
            [
                `${OTHER} GetSecretValue AWSCURRENT`,
                `${UNRELATED} GetSecretValue AWSCURRENT`,
                "MySecret: anonymous GetSecretValue AWSCURRENT",
            ],
        );
    });

    it("identity policy without its GetSecretValue statement: the reader cannot read", async () => {
        await expectFailures(
            editPolicy(USER_POLICY, "secondary-Stuart-read", (d) =>
                statements(d, (s) => s.Sid !== "ReadSharedSecrets"),
            ),
            [`${READER} GetSecretValue AWSCURRENT`],
        );
    });

    it("identity policy without its Decrypt statement: the reader cannot decrypt", async () => {
        await expectFailures(
            editPolicy(USER_POLICY, "secondary-Stuart-read", (d) =>
                statements(d, (s) => s.Sid !== "DecryptViaSecretsManager"),
            ),
            [`${READER} kms:Decrypt via Secrets Manager`],
        );
    });

    it("kms:ViaService dropped from the key and the identity policy: Decrypt works outside Secrets Manager", async () => {
        const drop = (d: Doc) => eachStatement(d, (s) => withoutCondition(s, "StringEquals", "kms:ViaService"));
        await expectFailures(
            edits(editPolicy(KEY, "share-key", drop), editPolicy(USER_POLICY, "secondary-Stuart-read", drop)),
            [`${READER} kms:Decrypt not via Secrets Manager`],
        );
    });

    it("reports the failures in --json too: ok false, the failing checks with their reason", async () => {
        const hook = editPolicy(USER_POLICY, "secondary-Stuart-read", () => ({ Version: "2012-10-17", Statement: [] }));
        const { code, report } = await planJson([], undefined, { mutate: hook.mutate });
        expect(code).to.equal(1);
        expect(report.ok).to.equal(false);
        expect(report.access.filter((a) => !a.ok).map((a) => [a.check, a.decision, a.reason])).to.deep.equal([
            [
                `${READER} GetSecretValue AWSCURRENT`,
                "ImplicitlyDenied",
                "expected Allowed, got ImplicitlyDenied (denied by: identity policy)",
            ],
            [
                `${READER} kms:Decrypt via Secrets Manager`,
                "ImplicitlyDenied",
                "expected Allowed, got ImplicitlyDenied (denied by: identity policy)",
            ],
        ]);
        expect(report.summary).to.deep.equal({ checks: 14, asExpected: 12, failed: 2 });
    });
});

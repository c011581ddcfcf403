import {
    DescribeSecretCommand,
    GetSecretValueCommand,
    RotateSecretCommand,
    SecretsManagerClient,
    type GetSecretValueCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import type { Side } from "../../verify/credentials";
import type { Deps } from "../../verify/deps";
import { Report } from "../../verify/report";
import { ROTATION_WAIT, rotationChecks, type RotationSides } from "../../verify/rotation";
import type { Target } from "../../verify/targets";
import { ROOT } from "../mocks";

/**
 * `npm run verify -- --rotate` (verify/rotation.ts) against a mocked Secrets Manager client: the
 * owner rotates, the new version becomes AWSCURRENT, the consumer reads exactly it and is denied
 * AWSPENDING; each way this can go wrong fails its line; without --rotate or owner credentials
 * nothing is rotated. No AWS: aws-sdk-client-mock only.
 */

const ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:AppToken-D3IxQL";
const T: Target = { name: "AppToken", secretArn: ARN, region: "us-east-1", accountId: "111111111111" };
const OLD = "v1-old";
const NEW = "v2-new";
const VALUE = JSON.stringify({ username: "app", password: "pw-never-printed-9f8e" });

const side = (label: "owner" | "consumer"): Side => ({
    label,
    credentials: () => Promise.resolve({ accessKeyId: `AKIA${label.toUpperCase()}`, secretAccessKey: "x" }),
});

const awsError = (name: string) => Object.assign(new Error(`${name} (mocked)`), { name, $metadata: {} });

const sm = mockClient(SecretsManagerClient);

function harness() {
    const lines: string[] = [];
    const sleeps: number[] = [];
    const deps: Deps = {
        out: (l) => lines.push(l),
        sleep: (ms) => {
            sleeps.push(ms);
            return Promise.resolve();
        },
        random: () => 1,
        credentials: () => () => Promise.resolve({ accessKeyId: "x", secretAccessKey: "x" }),
        root: ROOT,
    };
    return { deps, lines, sleeps, report: new Report(deps) };
}

const sides = (over: Partial<RotationSides> = {}): RotationSides => ({
    consumer: side("consumer"),
    consumerOk: true,
    owner: side("owner"),
    ownerOk: true,
    rotate: true,
    ...over,
});

/** DescribeSecret answers in turn: before the rotation, then each poll. */
function describes(...stages: Record<string, string[]>[]) {
    let mock = sm.on(DescribeSecretCommand);
    for (const s of stages) mock = mock.resolvesOnce({ ARN, RotationEnabled: true, VersionIdsToStages: s });
}

/** The consumer's reads: AWSCURRENT gives `currentVersion`, AWSPENDING is denied (or `pending`). */
function consumerReads(currentVersion = NEW, pending?: string) {
    sm.on(GetSecretValueCommand).callsFake((input: GetSecretValueCommandInput) => {
        if (input.VersionStage === "AWSCURRENT") return { ARN, VersionId: currentVersion, SecretString: VALUE };
        if (pending) return { ARN, VersionId: pending, SecretString: VALUE };
        throw awsError("AccessDeniedException");
    });
}

describe("verify --rotate: rotation, live", () => {
    beforeEach(() => sm.reset());
    after(() => sm.restore());

    it("rotates, waits for the new AWSCURRENT, and proves the consumer reads it and is denied AWSPENDING", async () => {
        const h = harness();
        describes(
            { [OLD]: ["AWSCURRENT"] },
            { [OLD]: ["AWSCURRENT"], [NEW]: ["AWSPENDING"] },
            { [OLD]: ["AWSPREVIOUS"], [NEW]: ["AWSCURRENT", "AWSPENDING"] },
        );
        sm.on(RotateSecretCommand).resolves({ ARN, VersionId: NEW });
        consumerReads();
        await rotationChecks(h.deps, h.report, sides(), [T]);
        expect(h.lines).to.deep.equal([
            `PASS  rotation of AppToken: version ${NEW} is AWSCURRENT`,
            `PASS  after rotation, consumer reads AppToken AWSCURRENT: the new version ${NEW}`,
            "PASS  consumer is denied AppToken AWSPENDING (AccessDeniedException)",
        ]);
        expect(sm.commandCalls(RotateSecretCommand).map((c) => c.args[0].input)).to.deep.equal([{ SecretId: ARN }]);
        expect(h.sleeps).to.deep.equal([ROTATION_WAIT.intervalMs, ROTATION_WAIT.intervalMs]);
        expect(h.lines.join("\n")).to.not.include("pw-never-printed");
    });

    it("without --rotate: says how, rotates nothing, reads nothing", async () => {
        const h = harness();
        describes({ [OLD]: ["AWSCURRENT"] });
        await rotationChecks(h.deps, h.report, sides({ rotate: false }), [T]);
        expect(h.lines).to.deep.equal([
            "SKIP  rotation of AppToken: rotation is on; pass --rotate to rotate it now and prove the consumer's access after it",
        ]);
        expect(sm.commandCalls(RotateSecretCommand)).to.have.length(0);
        expect(sm.commandCalls(GetSecretValueCommand)).to.have.length(0);
    });

    it("--rotate without owner credentials: skipped with a message; without --rotate: nothing said", async () => {
        const h = harness();
        await rotationChecks(h.deps, h.report, sides({ owner: undefined, ownerOk: false }), [T]);
        expect(h.lines).to.deep.equal([
            "SKIP  rotation: --rotate needs owner credentials (--owner-profile or --owner-role-arn) to rotate the secrets and prove the consumer's access after it",
        ]);
        const quiet = harness();
        await rotationChecks(quiet.deps, quiet.report, sides({ owner: undefined, ownerOk: false, rotate: false }), [T]);
        expect(quiet.lines).to.deep.equal([]);
        expect(sm.calls()).to.have.length(0);
    });

    it("a secret whose rotation is off: nothing rotated, nothing said", async () => {
        const h = harness();
        sm.on(DescribeSecretCommand).resolves({ ARN, RotationEnabled: false });
        await rotationChecks(h.deps, h.report, sides(), [T]);
        expect(h.lines).to.deep.equal([]);
        expect(sm.commandCalls(RotateSecretCommand)).to.have.length(0);
    });

    it("a failed rotation (the version leaves AWSPENDING without becoming current) fails; the consumer is not asked", async () => {
        const h = harness();
        describes({ [OLD]: ["AWSCURRENT"] }, { [OLD]: ["AWSCURRENT"] });
        sm.on(RotateSecretCommand).resolves({ ARN, VersionId: NEW });
        await rotationChecks(h.deps, h.report, sides(), [T]);
        expect(h.lines[0]).to.equal(
            `FAIL  rotation of AppToken: version ${NEW} is neither pending nor current: the rotation failed`,
        );
        expect(sm.commandCalls(GetSecretValueCommand)).to.have.length(0);
    });

    it("a rotation still pending after the wait fails, after every poll", async () => {
        const h = harness();
        sm.on(DescribeSecretCommand)
            .resolvesOnce({ ARN, RotationEnabled: true, VersionIdsToStages: { [OLD]: ["AWSCURRENT"] } })
            .resolves({
                ARN,
                RotationEnabled: true,
                VersionIdsToStages: { [OLD]: ["AWSCURRENT"], [NEW]: ["AWSPENDING"] },
            });
        sm.on(RotateSecretCommand).resolves({ ARN, VersionId: NEW });
        await rotationChecks(h.deps, h.report, sides(), [T]);
        expect(h.sleeps).to.have.length(ROTATION_WAIT.polls);
        expect(h.lines[0]).to.equal(`FAIL  rotation of AppToken: version ${NEW} was not AWSCURRENT after 300 s`);
    });

    it("RotateSecret refused: fails with the permissions it needs", async () => {
        const h = harness();
        describes({ [OLD]: ["AWSCURRENT"] });
        sm.on(RotateSecretCommand).rejects(awsError("AccessDeniedException"));
        await rotationChecks(h.deps, h.report, sides(), [T]);
        expect(h.lines[0]).to.equal(
            "FAIL  rotation of AppToken: RotateSecret failed: AccessDeniedException: AccessDeniedException (mocked)",
        );
        expect(h.lines[1]).to.match(/secretsmanager:RotateSecret on the secret and lambda:InvokeFunction/);
    });

    it("the consumer reading the old version, or reading AWSPENDING, fails", async () => {
        const h = harness();
        describes({ [OLD]: ["AWSCURRENT"] }, { [OLD]: ["AWSPREVIOUS"], [NEW]: ["AWSCURRENT"] });
        sm.on(RotateSecretCommand).resolves({ ARN, VersionId: NEW });
        consumerReads(OLD, NEW);
        await rotationChecks(h.deps, h.report, sides(), [T]);
        expect(h.lines.slice(1)).to.deep.equal([
            `FAIL  after rotation, consumer reads AppToken AWSCURRENT: got version ${OLD}, not the new ${NEW}`,
            `FAIL  consumer can read AppToken AWSPENDING (version ${NEW}): it must be denied`,
        ]);
        expect(h.report.counts).to.deep.equal({ PASS: 1, FAIL: 2, SKIP: 0 });
    });
});

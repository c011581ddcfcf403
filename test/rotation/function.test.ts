import {
    DescribeSecretCommand,
    GetSecretValueCommand,
    PutSecretValueCommand,
    SecretsManagerClient,
    UpdateSecretVersionStageCommand,
    ResourceNotFoundException,
    type GetSecretValueCommandInput,
    type PutSecretValueCommandInput,
    type UpdateSecretVersionStageCommandInput,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { CHARSET, handler } from "../../rotation/function";

/**
 * The rotation function (rotation/function/index.js) through Secrets Manager's four steps, with
 * the client mocked by aws-sdk-client-mock over a small stateful stand-in for one secret: its
 * versions, their values and their staging labels, moved as Secrets Manager moves them
 * (PutSecretValue with AWSPENDING takes the label from any other version; moving AWSCURRENT
 * labels the old current version AWSPREVIOUS). The function then takes AWSPENDING off the new
 * current version, as AWS's rotation templates do.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
 */

const ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:AppToken-D3IxQL";
const OLD = "v1-00000000-0000-4000-8000-000000000001";
const TOKEN = "t2-00000000-0000-4000-8000-000000000002";
const OLD_PASSWORD = "old-password-that-is-32-chars-xx";

interface Version {
    value?: string;
    stages: string[];
}

/** One secret as Secrets Manager holds it, behind the mocked client. */
class FakeSecret {
    versions = new Map<string, Version>();
    rotationEnabled = true;

    constructor(current: Record<string, unknown>) {
        this.versions.set(OLD, { value: JSON.stringify(current), stages: ["AWSCURRENT"] });
    }

    /** RotateSecret's start: the new version exists, labelled AWSPENDING, with no value yet. */
    startRotation(token: string): void {
        this.take("AWSPENDING");
        this.versions.set(token, { stages: ["AWSPENDING"] });
    }

    private take(stage: string): string | undefined {
        for (const [id, v] of this.versions) {
            if (v.stages.includes(stage)) {
                v.stages = v.stages.filter((s) => s !== stage);
                return id;
            }
        }
        return undefined;
    }

    stagesOf(id: string): string[] {
        return this.versions.get(id)?.stages ?? [];
    }

    valueOf(stage: string): Record<string, unknown> {
        const v = [...this.versions.values()].find((x) => x.stages.includes(stage));
        return JSON.parse(v?.value ?? "null") as Record<string, unknown>;
    }

    describe() {
        return {
            ARN,
            RotationEnabled: this.rotationEnabled,
            VersionIdsToStages: Object.fromEntries(
                [...this.versions].filter(([, v]) => v.stages.length).map(([id, v]) => [id, [...v.stages]]),
            ),
        };
    }

    get(input: GetSecretValueCommandInput) {
        const found = [...this.versions].find(
            ([id, v]) =>
                (input.VersionId === undefined || input.VersionId === id) &&
                (input.VersionStage === undefined || v.stages.includes(input.VersionStage)),
        );
        if (!found || found[1].value === undefined) {
            throw new ResourceNotFoundException({
                message: "Secrets Manager can't find the specified secret value",
                $metadata: {},
            });
        }
        return { ARN, VersionId: found[0], SecretString: found[1].value, VersionStages: found[1].stages };
    }

    put(input: PutSecretValueCommandInput) {
        const token = input.ClientRequestToken as string;
        const existing = this.versions.get(token);
        if (existing?.value !== undefined && existing.value !== input.SecretString) {
            throw new Error("ResourceExistsException: a version with this token has another value");
        }
        for (const stage of input.VersionStages ?? []) this.take(stage);
        this.versions.set(token, { value: input.SecretString, stages: [...(input.VersionStages ?? [])] });
        return { ARN, VersionId: token };
    }

    update(input: UpdateSecretVersionStageCommandInput) {
        const from = input.RemoveFromVersionId;
        const holder = [...this.versions].find(([, v]) => v.stages.includes(input.VersionStage as string))?.[0];
        if (holder && holder !== from) throw new Error("InvalidParameterException: the label is on another version");
        this.take(input.VersionStage as string);
        if (input.VersionStage === "AWSCURRENT" && from) {
            this.take("AWSPREVIOUS");
            this.versions.get(from)?.stages.push("AWSPREVIOUS");
        }
        this.versions.get(input.MoveToVersionId as string)?.stages.push(input.VersionStage as string);
        return { ARN };
    }
}

const sm = mockClient(SecretsManagerClient);
let secret: FakeSecret;
let logs: string[];
const realLog = console.log;

const event = (Step: "createSecret" | "setSecret" | "testSecret" | "finishSecret", token = TOKEN) => ({
    Step,
    SecretId: ARN,
    ClientRequestToken: token,
});
const all = ["createSecret", "setSecret", "testSecret", "finishSecret"] as const;

async function rejection(p: Promise<unknown>): Promise<string> {
    try {
        await p;
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected the step to fail");
}

describe("rotation function: the four steps", () => {
    beforeEach(() => {
        process.env.SECRET_ARN = ARN;
        process.env.PASSWORD_LENGTH = "32";
        secret = new FakeSecret({ username: "app", password: OLD_PASSWORD, port: 5432 });
        sm.reset();
        sm.on(DescribeSecretCommand).callsFake(() => secret.describe());
        sm.on(GetSecretValueCommand).callsFake((i: GetSecretValueCommandInput) => secret.get(i));
        sm.on(PutSecretValueCommand).callsFake((i: PutSecretValueCommandInput) => secret.put(i));
        sm.on(UpdateSecretVersionStageCommand).callsFake((i: UpdateSecretVersionStageCommandInput) => secret.update(i));
        logs = [];
        console.log = (...args: unknown[]) => logs.push(args.join(" "));
    });
    afterEach(() => {
        console.log = realLog;
        delete process.env.SECRET_ARN;
        delete process.env.PASSWORD_LENGTH;
    });

    it("first rotation: a new AWSCURRENT with the same username and keys, a new password of the length and set", async () => {
        secret.startRotation(TOKEN);
        for (const step of all) await handler(event(step));
        expect(secret.stagesOf(TOKEN)).to.include("AWSCURRENT");
        expect(secret.stagesOf(OLD)).to.deep.equal(["AWSPREVIOUS"]);
        const now = secret.valueOf("AWSCURRENT");
        expect(Object.keys(now).sort()).to.deep.equal(["password", "port", "username"]);
        expect(now.username).to.equal("app");
        expect(now.port).to.equal(5432);
        const password = now.password as string;
        expect(password).to.have.length(32);
        expect(password).to.not.equal(OLD_PASSWORD);
        expect([...password].every((c) => CHARSET.includes(c))).to.equal(true);
        const puts = sm.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);
        expect(puts).to.have.length(1);
        expect(puts[0]).to.include({ SecretId: ARN, ClientRequestToken: TOKEN });
        expect(puts[0].VersionStages).to.deep.equal(["AWSPENDING"]);
        expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).to.deep.equal([
            { SecretId: ARN, VersionStage: "AWSCURRENT", MoveToVersionId: TOKEN, RemoveFromVersionId: OLD },
            { SecretId: ARN, VersionStage: "AWSPENDING", RemoveFromVersionId: TOKEN },
        ]);
        // As AWS's templates end a rotation: AWSPENDING on no version.
        expect(secret.stagesOf(TOKEN)).to.deep.equal(["AWSCURRENT"]);
        // Logs name versions and the secret, never a value.
        expect(logs.join("\n")).to.not.include(password).and.not.include(OLD_PASSWORD);
    });

    it("the password's length comes from PASSWORD_LENGTH", async () => {
        process.env.PASSWORD_LENGTH = "64";
        secret.startRotation(TOKEN);
        for (const step of all) await handler(event(step));
        expect(secret.valueOf("AWSCURRENT").password).to.have.length(64);
    });

    for (const [i, repeated] of all.entries()) {
        it(`a retry of ${repeated} changes nothing more: one pending value, one move of AWSCURRENT`, async () => {
            secret.startRotation(TOKEN);
            for (const step of all.slice(0, i + 1)) await handler(event(step));
            const before = JSON.stringify(secret.describe());
            const pending = secret.get({ SecretId: ARN, VersionId: TOKEN }).SecretString;
            await handler(event(repeated));
            expect(JSON.stringify(secret.describe())).to.equal(before);
            expect(secret.get({ SecretId: ARN, VersionId: TOKEN }).SecretString).to.equal(pending);
            for (const step of all.slice(i + 1)) await handler(event(step));
            expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(1);
            expect(sm.commandCalls(UpdateSecretVersionStageCommand)).to.have.length(2);
            expect(secret.stagesOf(TOKEN)).to.deep.equal(["AWSCURRENT"]);
        });
    }

    it("a retry of finishSecret after AWSCURRENT moved but AWSPENDING stayed removes AWSPENDING only", async () => {
        secret.startRotation(TOKEN);
        for (const step of all.slice(0, 3)) await handler(event(step));
        secret.update({ SecretId: ARN, VersionStage: "AWSCURRENT", MoveToVersionId: TOKEN, RemoveFromVersionId: OLD });
        expect(secret.stagesOf(TOKEN)).to.deep.equal(["AWSPENDING", "AWSCURRENT"]);
        await handler(event("finishSecret"));
        expect(sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input)).to.deep.equal([
            { SecretId: ARN, VersionStage: "AWSPENDING", RemoveFromVersionId: TOKEN },
        ]);
        expect(secret.stagesOf(TOKEN)).to.deep.equal(["AWSCURRENT"]);
        expect(secret.stagesOf(OLD)).to.deep.equal(["AWSPREVIOUS"]);
    });

    it("RotateSecret's configuration test (RotateImmediately=false): testSecret alone on a pending version with no value passes and writes nothing", async () => {
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
        secret.startRotation(TOKEN);
        await handler(event("testSecret"));
        expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(0);
        expect(sm.commandCalls(UpdateSecretVersionStageCommand)).to.have.length(0);
        expect(secret.stagesOf(OLD)).to.deep.equal(["AWSCURRENT"]);
        // It still reads the current value: a secret of another shape fails the test.
        secret = new FakeSecret({ username: "app", token: "not-a-password" });
        secret.startRotation(TOKEN);
        expect(await rejection(handler(event("testSecret")))).to.match(/has no string "password" key/);
    });

    it("finishSecret never makes a version without a value AWSCURRENT", async () => {
        secret.startRotation(TOKEN);
        expect(await rejection(handler(event("finishSecret")))).to.equal(
            `finishSecret: version ${TOKEN} of ${ARN} has no value: createSecret has not run`,
        );
        expect(sm.commandCalls(UpdateSecretVersionStageCommand)).to.have.length(0);
        expect(secret.stagesOf(OLD)).to.deep.equal(["AWSCURRENT"]);
    });

    it("a retry after the rotation finished (the token is AWSCURRENT) does nothing at any step", async () => {
        secret.startRotation(TOKEN);
        for (const step of all) await handler(event(step));
        for (const step of all) await handler(event(step));
        expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(1);
        expect(sm.commandCalls(UpdateSecretVersionStageCommand)).to.have.length(2);
    });

    it("a second version already pending: a call for another token writes nothing", async () => {
        secret.startRotation(TOKEN);
        await handler(event("createSecret"));
        const other = "t3-00000000-0000-4000-8000-000000000003";
        expect(await rejection(handler(event("createSecret", other)))).to.equal(
            `version ${other} of ${ARN} has no stage for rotation`,
        );
        // A version without AWSPENDING (labelled otherwise) is not the pending one either.
        secret.versions.set(other, { value: "{}", stages: ["CUSTOM"] });
        expect(await rejection(handler(event("finishSecret", other)))).to.match(/is not AWSPENDING/);
        expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(1);
        expect(sm.commandCalls(UpdateSecretVersionStageCommand)).to.have.length(0);
        expect(secret.stagesOf(TOKEN)).to.deep.equal(["AWSPENDING"]);
        expect(secret.stagesOf(OLD)).to.deep.equal(["AWSCURRENT"]);
    });

    it("a pending value written by someone else with a new username fails testSecret; AWSCURRENT stays", async () => {
        secret.startRotation(TOKEN);
        secret.versions.set(TOKEN, {
            value: JSON.stringify({ username: "intruder", password: "x".repeat(32), port: 5432 }),
            stages: ["AWSPENDING"],
        });
        await handler(event("createSecret"));
        await handler(event("setSecret"));
        expect(await rejection(handler(event("testSecret")))).to.equal(
            `testSecret: version ${TOKEN} of ${ARN} changed the username`,
        );
        expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(0);
        expect(secret.stagesOf(OLD)).to.deep.equal(["AWSCURRENT"]);
    });

    it("testSecret fails a pending password of another length or outside the set, and changed keys", async () => {
        secret.startRotation(TOKEN);
        const pending = (value: Record<string, unknown>) =>
            secret.versions.set(TOKEN, { value: JSON.stringify(value), stages: ["AWSPENDING"] });
        pending({ username: "app", password: "short", port: 5432 });
        expect(await rejection(handler(event("testSecret")))).to.match(/is not 32 characters of the generator's set/);
        pending({ username: "app", password: "é".repeat(32), port: 5432 });
        expect(await rejection(handler(event("testSecret")))).to.match(/is not 32 characters of the generator's set/);
        pending({ username: "app", password: "a".repeat(32) });
        expect(await rejection(handler(event("testSecret")))).to.match(/changed the secret's keys/);
    });

    it("a secret whose JSON lacks the password key: createSecret refuses, names the key, writes nothing", async () => {
        secret = new FakeSecret({ username: "app", token: "not-a-password" });
        secret.startRotation(TOKEN);
        expect(await rejection(handler(event("createSecret")))).to.equal(
            `the AWSCURRENT value of ${ARN} has no string "password" key: this function rotates a {"username", "password"} secret and keeps its shape`,
        );
        expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(0);
        expect(await rejection(handler(event("createSecret")))).to.not.include("not-a-password");
    });

    it("refuses another secret, a secret without rotation, and a bad PASSWORD_LENGTH", async () => {
        secret.startRotation(TOKEN);
        const other = ARN.replace("AppToken", "Other");
        expect(await rejection(handler({ ...event("createSecret"), SecretId: other }))).to.equal(
            `this function rotates ${ARN} only, not ${other}`,
        );
        secret.rotationEnabled = false;
        expect(await rejection(handler(event("createSecret")))).to.equal(`rotation is not enabled for ${ARN}`);
        process.env.PASSWORD_LENGTH = "8";
        expect(await rejection(handler(event("createSecret")))).to.match(/PASSWORD_LENGTH is "8": expected 16 to 4096/);
        expect(sm.commandCalls(PutSecretValueCommand)).to.have.length(0);
    });
});

// @ts-check
"use strict";

/**
 * The rotation function of a secret whose password the program generates: a Lambda handler for
 * Secrets Manager's four rotation steps. Plain CommonJS JavaScript, type-checked through JSDoc
 * (tsconfig.json), so that Pulumi ships this one file as it is: nothing is built or downloaded at
 * deploy time. The AWS SDK for JavaScript v3 comes with the Lambda Node.js runtime and is not
 * packaged. https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 *
 * How rotation calls it, and what each step must do:
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda-functions.html
 * Secrets Manager can call a step more than once (a retry after a timeout or an error), so each
 * step checks what is already done: `ClientRequestToken` is the ID of the new version, which
 * holds the AWSPENDING label from the start of the rotation until it becomes AWSCURRENT.
 *
 * The secret's JSON keeps its shape: every key as it was, `username` unchanged, a new `password`
 * of PASSWORD_LENGTH characters from the character set the program's own generator uses
 * (random.RandomPassword's defaults: letters, digits and `!@#$%&*()-_=+[]{}<>:?`). The password
 * comes from node:crypto, not from GetRandomPassword, so the function's role needs no permission
 * beyond the four calls on its secret. Secret values are never logged.
 */

const {
    SecretsManagerClient,
    DescribeSecretCommand,
    GetSecretValueCommand,
    PutSecretValueCommand,
    UpdateSecretVersionStageCommand,
} = require("@aws-sdk/client-secrets-manager");
const { randomInt } = require("node:crypto");

const SPECIAL = "!@#$%&*()-_=+[]{}<>:?";
const CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + SPECIAL;

/** @typedef {"createSecret" | "setSecret" | "testSecret" | "finishSecret"} Step */
/** @typedef {{ Step: Step; SecretId: string; ClientRequestToken: string }} RotationEvent */

/** @type {SecretsManagerClient | undefined} */
let client;
/** One client per container, created on first use (tests replace its calls with aws-sdk-client-mock). */
function sm() {
    client ??= new SecretsManagerClient({});
    return client;
}

/**
 * The function's settings, from its environment: the one secret it rotates and the password length.
 * @returns {{ secretArn: string; length: number }}
 */
function settings() {
    const secretArn = process.env.SECRET_ARN ?? "";
    const length = Number(process.env.PASSWORD_LENGTH);
    if (!secretArn) throw new Error("SECRET_ARN is not set: the function does not know which secret it rotates");
    if (!Number.isInteger(length) || length < 16 || length > 4096) {
        throw new Error(`PASSWORD_LENGTH is ${JSON.stringify(process.env.PASSWORD_LENGTH)}: expected 16 to 4096`);
    }
    return { secretArn, length };
}

/**
 * A password of `length` characters of CHARSET, each drawn uniformly with node:crypto.
 * @param {number} length
 * @returns {string}
 */
function generatePassword(length) {
    let out = "";
    for (let i = 0; i < length; i++) out += CHARSET[randomInt(CHARSET.length)];
    return out;
}

/**
 * The secret's JSON, checked for the shape the program writes: an object with a string
 * `username` and a string `password`. The message names what is missing, never a value.
 * @param {string | undefined} text
 * @param {string} what
 * @returns {Record<string, unknown> & { username: string; password: string }}
 */
function parseValue(text, what) {
    /** @type {unknown} */
    let value;
    try {
        value = JSON.parse(text ?? "");
    } catch {
        throw new Error(`${what} is not JSON: expected {"username": ..., "password": ...}`);
    }
    if (!value || typeof value !== "object" || Array.isArray(value)) {
        throw new Error(`${what} is not a JSON object: expected {"username": ..., "password": ...}`);
    }
    const o = /** @type {Record<string, unknown>} */ (value);
    for (const key of ["username", "password"]) {
        if (typeof o[key] !== "string") {
            throw new Error(
                `${what} has no string "${key}" key: this function rotates a {"username", "password"} secret and keeps its shape`,
            );
        }
    }
    return /** @type {Record<string, unknown> & { username: string; password: string }} */ (o);
}

/**
 * Whether the error is Secrets Manager's "no such version or stage".
 * @param {unknown} e
 */
function notFound(e) {
    return !!e && typeof e === "object" && /** @type {{ name?: string }} */ (e).name === "ResourceNotFoundException";
}

/**
 * createSecret: a new version (ID = token) labelled AWSPENDING, with a new password; nothing if
 * the pending version already has a value (a retry).
 * @param {string} arn
 * @param {string} token
 * @param {number} length
 */
async function createSecret(arn, token, length) {
    const current = await sm().send(new GetSecretValueCommand({ SecretId: arn, VersionStage: "AWSCURRENT" }));
    try {
        await sm().send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: "AWSPENDING" }));
        console.log(`createSecret: version ${token} of ${arn} already has its value`);
        return;
    } catch (e) {
        if (!notFound(e)) throw e;
    }
    const value = parseValue(current.SecretString, `the AWSCURRENT value of ${arn}`);
    await sm().send(
        new PutSecretValueCommand({
            SecretId: arn,
            ClientRequestToken: token,
            SecretString: JSON.stringify({ ...value, password: generatePassword(length) }),
            VersionStages: ["AWSPENDING"],
        }),
    );
    console.log(`createSecret: wrote version ${token} of ${arn} as AWSPENDING`);
}

/**
 * testSecret: the pending value has the current value's keys, the same username, and a password
 * of the configured length and character set. Throws (the rotation fails, AWSCURRENT unchanged)
 * when it does not.
 * @param {string} arn
 * @param {string} token
 * @param {number} length
 */
async function testSecret(arn, token, length) {
    const current = await sm().send(new GetSecretValueCommand({ SecretId: arn, VersionStage: "AWSCURRENT" }));
    const now = parseValue(current.SecretString, `the AWSCURRENT value of ${arn}`);
    const pending = await pendingValue(arn, token);
    if (pending === undefined) {
        // RotateSecret with RotateImmediately=false tests the configuration by running this step
        // alone on a new AWSPENDING version that has no value, then removes that version. The
        // function has read the secret and its current value (its role, the key): that is the
        // test. finishSecret never moves AWSCURRENT to a version without a value.
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
        console.log(`testSecret: version ${token} of ${arn} has no value yet: configuration test passed`);
        return;
    }
    const next = parseValue(pending, `the AWSPENDING value of ${arn} (version ${token})`);
    const keys = (/** @type {object} */ o) => Object.keys(o).sort().join(",");
    if (keys(now) !== keys(next)) throw new Error(`testSecret: version ${token} of ${arn} changed the secret's keys`);
    if (now.username !== next.username) throw new Error(`testSecret: version ${token} of ${arn} changed the username`);
    if (next.password.length !== length || [...next.password].some((c) => !CHARSET.includes(c))) {
        throw new Error(
            `testSecret: the password of version ${token} of ${arn} is not ${length} characters of the generator's set`,
        );
    }
    console.log(`testSecret: version ${token} of ${arn} keeps the secret's shape`);
}

/**
 * finishSecret: AWSCURRENT moves to the pending version (the old one becomes AWSPREVIOUS);
 * nothing if it is there already (a retry).
 * @param {string} arn
 * @param {string} token
 * @param {Record<string, string[]>} stages
 */
async function finishSecret(arn, token, stages) {
    const current = Object.keys(stages).find((v) => stages[v].includes("AWSCURRENT"));
    if (current === token) {
        console.log(`finishSecret: version ${token} of ${arn} is already AWSCURRENT`);
        return removePending(arn, token, stages[token]);
    }
    // Never make a version without a value (or of another shape) current: every reader would
    // lose the secret. testSecret lets such a version pass when RotateSecret only tests.
    const pending = await pendingValue(arn, token);
    if (pending === undefined) {
        throw new Error(`finishSecret: version ${token} of ${arn} has no value: createSecret has not run`);
    }
    parseValue(pending, `the AWSPENDING value of ${arn} (version ${token})`);
    await sm().send(
        new UpdateSecretVersionStageCommand({
            SecretId: arn,
            VersionStage: "AWSCURRENT",
            MoveToVersionId: token,
            ...(current && { RemoveFromVersionId: current }),
        }),
    );
    console.log(`finishSecret: version ${token} of ${arn} is now AWSCURRENT (was ${current ?? "none"})`);
    const after = await sm().send(new DescribeSecretCommand({ SecretId: arn }));
    await removePending(arn, token, after.VersionIdsToStages?.[token] ?? []);
}

/**
 * The pending version's value, or undefined while it has none (ResourceNotFoundException: the
 * version exists, labelled AWSPENDING, but nothing was written to it).
 * @param {string} arn
 * @param {string} token
 * @returns {Promise<string | undefined>}
 */
async function pendingValue(arn, token) {
    try {
        const out = await sm().send(
            new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: "AWSPENDING" }),
        );
        return out.SecretString;
    } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
    }
}

/**
 * Takes AWSPENDING off the version that became AWSCURRENT, as AWS's rotation templates do, so
 * that no label points readers who ask for AWSPENDING at the current value.
 * https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas/blob/master/SecretsManagerRotationTemplate/lambda_function.py
 * @param {string} arn
 * @param {string} token
 * @param {string[]} stages the labels of version `token`
 */
async function removePending(arn, token, stages) {
    if (!stages.includes("AWSPENDING")) return;
    await sm().send(
        new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: "AWSPENDING", RemoveFromVersionId: token }),
    );
    console.log(`finishSecret: removed AWSPENDING from version ${token} of ${arn}`);
}

/**
 * The handler Secrets Manager invokes for each step.
 * @param {RotationEvent} event
 * @returns {Promise<void>}
 */
async function handler(event) {
    const { secretArn, length } = settings();
    const { Step: step, SecretId: arn, ClientRequestToken: token } = event;
    // The role can act on its own secret only; saying so here gives a clearer error than AccessDenied.
    if (arn !== secretArn) throw new Error(`this function rotates ${secretArn} only, not ${arn}`);
    const meta = await sm().send(new DescribeSecretCommand({ SecretId: arn }));
    if (!meta.RotationEnabled) throw new Error(`rotation is not enabled for ${arn}`);
    const stages = /** @type {Record<string, string[]>} */ (meta.VersionIdsToStages ?? {});
    const own = stages[token];
    if (!own) throw new Error(`version ${token} of ${arn} has no stage for rotation`);
    if (own.includes("AWSCURRENT")) {
        // A retry after finishSecret moved AWSCURRENT: the rotation is complete, but for the
        // AWSPENDING label if the retry follows a failure between the two calls.
        console.log(`${step}: version ${token} of ${arn} is already AWSCURRENT`);
        if (step === "finishSecret") await removePending(arn, token, own);
        return;
    }
    if (!own.includes("AWSPENDING")) {
        throw new Error(`version ${token} of ${arn} is not AWSPENDING: another rotation holds the pending version`);
    }
    switch (step) {
        case "createSecret":
            return createSecret(arn, token, length);
        case "setSecret":
            // A generated password is the credential itself: no other system holds a copy to change.
            console.log(`setSecret: nothing to set for ${arn}`);
            return;
        case "testSecret":
            return testSecret(arn, token, length);
        case "finishSecret":
            return finishSecret(arn, token, stages);
        default:
            throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
}

module.exports = { handler, CHARSET, generatePassword };

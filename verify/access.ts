import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { errorMessage, errorName, isAccessDenied } from "./awsErrors";
import { clientConfig, type Side } from "./credentials";
import type { Deps } from "./deps";
import { diagnose } from "./diagnose";
import type { Report } from "./report";
import { withRetry } from "./retry";
import type { Target } from "./targets";

/**
 * The consumer's access, secret by secret: GetSecretValue of AWSCURRENT must succeed (the
 * walk-through's last step, `aws secretsmanager get-secret-value --version-stage AWSCURRENT`),
 * and of AWSPREVIOUS, if the secret has one, must be denied.
 * The value read is immediately reduced to its JSON keys: it is never stored, compared or printed.
 */

/** Keys of a secret string, never its values. */
function describeValue(secretString: string | undefined, binary: boolean): string {
    if (secretString === undefined) return binary ? "a binary value" : "no value";
    try {
        const parsed: unknown = JSON.parse(secretString);
        if (!!parsed && typeof parsed === "object" && !Array.isArray(parsed))
            return `JSON keys: ${Object.keys(parsed).sort().join(", ") || "(none)"}`;
    } catch {
        // not JSON: say so, without any of it
    }
    return "a string that is not a JSON object";
}

export interface AccessSides {
    readonly consumer: Side;
    readonly consumerOk: boolean;
    /** With usable owner credentials, whether a secret has an AWSPREVIOUS version is asked first. */
    readonly owner?: Side;
}

export async function accessChecks(
    deps: Deps,
    report: Report,
    { consumer, consumerOk, owner }: AccessSides,
    targets: readonly Target[],
    ownerStack: string,
): Promise<void> {
    for (const t of targets) {
        const sm = new SecretsManagerClient(clientConfig(consumer, t.region));
        if (consumerOk) await readCurrent(deps, report, sm, consumer, t, ownerStack);
        else report.line("SKIP", `consumer reads ${t.name}: no usable consumer credentials`);

        const previousExists = owner ? await hasPrevious(deps, report, owner, t) : undefined;
        if (previousExists === false) {
            report.line(
                "SKIP",
                `AWSPREVIOUS of ${t.name}: the secret has no previous version yet (change its regenerate value in config, or rotate it, to make one)`,
            );
        } else if (consumerOk) {
            await readPrevious(deps, report, sm, t);
        } else {
            report.line("SKIP", `AWSPREVIOUS of ${t.name}: no usable consumer credentials`);
        }
    }
}

/** AWSCURRENT must be readable. */
async function readCurrent(
    deps: Deps,
    report: Report,
    sm: SecretsManagerClient,
    consumer: Side,
    t: Target,
    ownerStack: string,
): Promise<void> {
    const check = `consumer reads ${t.name} (VersionStage AWSCURRENT)`;
    try {
        const r = await withRetry(deps, `GetSecretValue ${t.name}`, () =>
            sm.send(new GetSecretValueCommand({ SecretId: t.secretArn, VersionStage: "AWSCURRENT" })),
        );
        report.line(
            "PASS",
            `${check}: version ${r.VersionId ?? "?"}, ${describeValue(r.SecretString, r.SecretBinary !== undefined)}`,
        );
    } catch (e) {
        if (isAccessDenied(e)) {
            report.line("FAIL", `${check}: access denied`, diagnose(e, t, consumer.caller, ownerStack));
        } else if (errorName(e) === "ResourceNotFoundException") {
            report.line("FAIL", `${check}: not found in ${t.region}`, [
                `AWS says: ${errorMessage(e)}`,
                `the ARN names region ${t.region}: was the secret deleted or replaced (its ARN suffix changes), or are the outputs from another stack? Run pulumi stack output -s ${ownerStack} again`,
            ]);
        } else if (errorName(e) === "DecryptionFailure") {
            report.line("FAIL", `${check}: decryption failed`, diagnose(e, t, consumer.caller, ownerStack));
        } else {
            report.line("FAIL", `${check}: ${errorName(e)}: ${errorMessage(e)}`);
        }
    }
}

/** Whether the secret has an AWSPREVIOUS version, as the owner sees it; undefined if it cannot tell. */
async function hasPrevious(deps: Deps, report: Report, owner: Side, t: Target): Promise<boolean | undefined> {
    try {
        const ownerSm = new SecretsManagerClient(clientConfig(owner, t.region));
        const d = await withRetry(deps, `DescribeSecret ${t.name}`, () =>
            ownerSm.send(new DescribeSecretCommand({ SecretId: t.secretArn })),
        );
        return Object.values(d.VersionIdsToStages ?? {}).some((stages) => stages.includes("AWSPREVIOUS"));
    } catch (e) {
        report.note(`      (DescribeSecret as the owner failed: ${errorName(e)}; checking AWSPREVIOUS anyway)`);
        return undefined;
    }
}

/** AWSPREVIOUS must stay unreadable: the secret policy allows only AWSCURRENT. */
async function readPrevious(deps: Deps, report: Report, sm: SecretsManagerClient, t: Target): Promise<void> {
    try {
        const r = await withRetry(deps, `GetSecretValue ${t.name} AWSPREVIOUS`, () =>
            sm.send(new GetSecretValueCommand({ SecretId: t.secretArn, VersionStage: "AWSPREVIOUS" })),
        );
        report.line(
            "FAIL",
            `consumer can read ${t.name} AWSPREVIOUS (version ${r.VersionId ?? "?"}): it must be denied`,
            [
                "the secret's resource policy should allow only secretsmanager:VersionStage AWSCURRENT; " +
                    `check: aws secretsmanager get-resource-policy --secret-id ${t.secretArn} --region ${t.region}`,
            ],
        );
    } catch (e) {
        if (isAccessDenied(e)) {
            report.line("PASS", `consumer is denied ${t.name} AWSPREVIOUS (${errorName(e)})`);
        } else if (errorName(e) === "ResourceNotFoundException") {
            report.line("SKIP", `AWSPREVIOUS of ${t.name}: no previous version (${errorMessage(e)})`);
        } else {
            report.line("FAIL", `consumer reads ${t.name} AWSPREVIOUS: ${errorName(e)}: ${errorMessage(e)}`);
        }
    }
}

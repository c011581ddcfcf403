import {
    DescribeSecretCommand,
    GetSecretValueCommand,
    RotateSecretCommand,
    SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { errorMessage, errorName, isAccessDenied } from "./awsErrors";
import { clientConfig, type Side } from "./credentials";
import type { Deps } from "./deps";
import type { Report } from "./report";
import { withRetry } from "./retry";
import type { Target } from "./targets";

/**
 * Rotation, live (`--rotate`, with owner credentials): for each secret whose rotation is on, the
 * owner starts a rotation (RotateSecret), waits until the new version is AWSCURRENT, and then the
 * consumer must read exactly that version as AWSCURRENT and be denied AWSPENDING. It rotates
 * the secret for real, which is why it runs only when asked. Values are never printed.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
 */

/** How long to wait for a rotation: polls of DescribeSecret, this far apart. */
export const ROTATION_WAIT = { polls: 60, intervalMs: 5000 } as const;

export interface RotationSides {
    readonly consumer: Side;
    readonly consumerOk: boolean;
    readonly owner?: Side;
    readonly ownerOk: boolean;
    /** `--rotate`: rotate the secrets whose rotation is on. */
    readonly rotate: boolean;
}

export async function rotationChecks(
    deps: Deps,
    report: Report,
    sides: RotationSides,
    targets: readonly Target[],
): Promise<void> {
    const { owner, ownerOk, consumer, consumerOk, rotate } = sides;
    if (!owner || !ownerOk) {
        // Without --rotate the owner line already says what owner credentials add.
        if (rotate) {
            report.line(
                "SKIP",
                `rotation: --rotate needs ${owner ? "usable " : ""}owner credentials (--owner-profile or --owner-role-arn) to rotate the secrets and prove the consumer's access after it`,
            );
        }
        return;
    }
    for (const t of targets) {
        const ownerSm = new SecretsManagerClient(clientConfig(owner, t.region));
        let enabled: boolean;
        try {
            const d = await withRetry(deps, `DescribeSecret ${t.name}`, () =>
                ownerSm.send(new DescribeSecretCommand({ SecretId: t.secretArn })),
            );
            enabled = d.RotationEnabled === true;
        } catch (e) {
            report.line(
                "FAIL",
                `rotation of ${t.name}: DescribeSecret as the owner failed: ${errorName(e)}: ${errorMessage(e)}`,
            );
            continue;
        }
        // Rotation off: nothing to prove here, and nothing to say.
        if (!enabled) continue;
        if (!rotate) {
            report.line(
                "SKIP",
                `rotation of ${t.name}: rotation is on; pass --rotate to rotate it now and prove the consumer's access after it`,
            );
            continue;
        }
        if (!consumerOk) {
            report.line("SKIP", `rotation of ${t.name}: no usable consumer credentials`);
            continue;
        }
        const version = await rotateAndWait(deps, report, ownerSm, t);
        if (!version) continue;
        const sm = new SecretsManagerClient(clientConfig(consumer, t.region));
        await readNewCurrent(deps, report, sm, t, version);
        await readPending(deps, report, sm, t);
    }
}

/** Starts a rotation and waits until its version is AWSCURRENT; the version ID, or undefined on failure. */
async function rotateAndWait(
    deps: Deps,
    report: Report,
    ownerSm: SecretsManagerClient,
    t: Target,
): Promise<string | undefined> {
    let version: string | undefined;
    try {
        const r = await withRetry(deps, `RotateSecret ${t.name}`, () =>
            ownerSm.send(new RotateSecretCommand({ SecretId: t.secretArn })),
        );
        version = r.VersionId;
    } catch (e) {
        report.line("FAIL", `rotation of ${t.name}: RotateSecret failed: ${errorName(e)}: ${errorMessage(e)}`, [
            "the owner credentials need secretsmanager:RotateSecret on the secret and lambda:InvokeFunction on its rotation function; " +
                "InvalidRequestException can mean a rotation is already in progress (a version labelled AWSPENDING that is not AWSCURRENT)",
        ]);
        return undefined;
    }
    if (!version) {
        report.line("FAIL", `rotation of ${t.name}: RotateSecret returned no version ID`);
        return undefined;
    }
    for (let poll = 0; poll < ROTATION_WAIT.polls; poll++) {
        await deps.sleep(ROTATION_WAIT.intervalMs);
        const d = await withRetry(deps, `DescribeSecret ${t.name}`, () =>
            ownerSm.send(new DescribeSecretCommand({ SecretId: t.secretArn })),
        );
        const stages = d.VersionIdsToStages ?? {};
        if (stages[version]?.includes("AWSCURRENT")) {
            report.line("PASS", `rotation of ${t.name}: version ${version} is AWSCURRENT`);
            return version;
        }
        if (!stages[version]?.includes("AWSPENDING")) {
            report.line(
                "FAIL",
                `rotation of ${t.name}: version ${version} is neither pending nor current: the rotation failed`,
                ["read the rotation function's log; the watch's RotationFailed alert carries the step that failed"],
            );
            return undefined;
        }
    }
    const waited = (ROTATION_WAIT.polls * ROTATION_WAIT.intervalMs) / 1000;
    report.line("FAIL", `rotation of ${t.name}: version ${version} was not AWSCURRENT after ${waited} s`, [
        "read the rotation function's log; a rotation that keeps failing is retried by Secrets Manager and then abandoned",
    ]);
    return undefined;
}

/** After the rotation, the consumer reads the new version as AWSCURRENT. */
async function readNewCurrent(
    deps: Deps,
    report: Report,
    sm: SecretsManagerClient,
    t: Target,
    version: string,
): Promise<void> {
    const check = `after rotation, consumer reads ${t.name} AWSCURRENT`;
    try {
        const r = await withRetry(deps, `GetSecretValue ${t.name}`, () =>
            sm.send(new GetSecretValueCommand({ SecretId: t.secretArn, VersionStage: "AWSCURRENT" })),
        );
        if (r.VersionId === version) report.line("PASS", `${check}: the new version ${version}`);
        else report.line("FAIL", `${check}: got version ${r.VersionId ?? "?"}, not the new ${version}`);
    } catch (e) {
        report.line("FAIL", `${check}: ${errorName(e)}: ${errorMessage(e)}`);
    }
}

/** AWSPENDING stays denied to the consumer: the secret policy allows AWSCURRENT only. */
async function readPending(deps: Deps, report: Report, sm: SecretsManagerClient, t: Target): Promise<void> {
    try {
        const r = await withRetry(deps, `GetSecretValue ${t.name} AWSPENDING`, () =>
            sm.send(new GetSecretValueCommand({ SecretId: t.secretArn, VersionStage: "AWSPENDING" })),
        );
        report.line(
            "FAIL",
            `consumer can read ${t.name} AWSPENDING (version ${r.VersionId ?? "?"}): it must be denied`,
        );
    } catch (e) {
        if (isAccessDenied(e)) report.line("PASS", `consumer is denied ${t.name} AWSPENDING (${errorName(e)})`);
        else
            report.line(
                "FAIL",
                `consumer reads ${t.name} AWSPENDING: expected AccessDenied, got ${errorName(e)}: ${errorMessage(e)}`,
            );
    }
}

import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { errorMessage, errorName } from "./awsErrors";
import type { Deps } from "./deps";
import type { Report } from "./report";
import { withRetry } from "./retry";

/**
 * The credentials of each side (the consumer, and optionally the owner): where they come from,
 * and the first check, that STS accepts them and who they are.
 */

export interface Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
    readonly expiration?: Date;
}
export type CredentialProvider = () => Promise<Credentials>;

export interface CredentialSource {
    readonly label: "consumer" | "owner";
    readonly profile?: string;
    readonly roleArn?: string;
}

/** Profile, role, or both (the role assumed with the profile's credentials). */
export function awsCredentials(source: CredentialSource): CredentialProvider {
    const base = source.profile ? fromIni({ profile: source.profile }) : fromNodeProviderChain();
    if (!source.roleArn) return base;
    return fromTemporaryCredentials({
        params: {
            RoleArn: source.roleArn,
            RoleSessionName: `secretshare-verify-${source.label}`,
            DurationSeconds: 900,
        },
        masterCredentials: base,
    });
}

/** One side's credentials and, once STS has answered, its caller ARN. */
export interface Side {
    readonly label: "consumer" | "owner";
    readonly credentials: CredentialProvider;
    caller?: string;
}

/** An SDK client's config for the side. maxAttempts 1: retries are withRetry's alone. */
export function clientConfig(side: Side, region: string) {
    return { region, credentials: side.credentials, maxAttempts: 1 };
}

/** Loads the side's credentials and asks STS who they are. */
export async function whoAmI(
    deps: Deps,
    report: Report,
    side: Side,
    source: CredentialSource,
    region: string,
): Promise<boolean> {
    const via = [source.profile && `profile ${source.profile}`, source.roleArn && `role ${source.roleArn}`]
        .filter(Boolean)
        .join(", then ");
    try {
        await side.credentials();
    } catch (e) {
        const hint = source.roleArn
            ? `check that the source credentials may sts:AssumeRole on ${source.roleArn} and that its trust policy allows them`
            : `check the profile: aws configure list-profiles; aws sts get-caller-identity --profile ${source.profile ?? "<name>"}` +
              " (an SSO profile needs aws sso login first)";
        report.line("FAIL", `${side.label} credentials (${via}): ${errorMessage(e)}`, [hint]);
        return false;
    }
    try {
        const sts = new STSClient(clientConfig(side, region));
        const id = await withRetry(deps, `${side.label} GetCallerIdentity`, () =>
            sts.send(new GetCallerIdentityCommand({})),
        );
        side.caller = id.Arn;
        report.line("PASS", `${side.label} credentials (${via}): ${id.Arn ?? "unknown ARN"}`);
        return true;
    } catch (e) {
        report.line(
            "FAIL",
            `${side.label} credentials (${via}) are not accepted by STS: ${errorName(e)}: ${errorMessage(e)}`,
            ["the keys are wrong, expired or revoked; refresh them (aws sso login, or new keys) and run again"],
        );
        return false;
    }
}

import { awsCredentials, type CredentialProvider, type CredentialSource } from "./credentials";

/**
 * What verify takes from its surroundings, so that the tests can stand in for each: output,
 * sleeping, the backoff's jitter and credentials. Everything that talks to AWS goes through the
 * SDK clients the checks construct, which the tests mock with aws-sdk-client-mock.
 */
export interface Deps {
    /** One line of output (stdout). */
    out(line: string): void;
    sleep(ms: number): Promise<void>;
    /** In [0, 1): the jitter of the backoff. */
    random(): number;
    credentials(source: CredentialSource): CredentialProvider;
    /** The repository root: where Pulumi.<stack>.yaml lives. */
    root: string;
}

export const realDeps = (root: string): Deps => ({
    out: (line) => process.stdout.write(`${line}\n`),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    credentials: awsCredentials,
    root,
});

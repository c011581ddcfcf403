import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ConfigError } from "../../config";
import { AwsMocks, PRIMARY_ACCOUNT, SECONDARY_ACCOUNT, runStack, stackConfig } from "../mocks";

/**
 * Bad input: each case runs the real program under mocks and must fail before any resource is
 * registered, with a ConfigError (a pulumi.RunError: the CLI prints no stack trace) whose
 * message names the key, the value and the expected form.
 */

export const OWNER = { accountId: PRIMARY_ACCOUNT, region: "us-east-1", profile: "primary" };
export const CONSUMER = { name: "secondary", accountId: SECONDARY_ACCOUNT, region: "us-east-1", profile: "secondary" };
export const STUART = { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart" }] };
export const MY_SECRET = { name: "MySecret", username: "Alice", readers: ["secondary/Stuart"] };

export const ACCOUNT_FORM =
    'expected a 12-digit account ID as a quoted string, e.g. "012345678901" (YAML reads an unquoted number and drops leading zeros)';
export const REGION_FORM = "expected an AWS region name such as eu-west-1 (partitions aws, aws-cn and aws-us-gov)";
export const ROLE_FORM = "expected an IAM role ARN such as arn:aws:iam::123456789012:role/deployer";
export const IAM_NAME_FORM = "expected 1 to 64 characters of [A-Za-z0-9+=,.@_-]";
export const WILDCARD = "wildcards are not allowed: name one exact user or role";
export const SECRET_NAME_FORM = "expected 1 to 512 characters of [A-Za-z0-9/_+=.@-]";
export const DAYS_FORM = "expected a whole number of days from 7 to 30";
export const STACK_FORM = "expected a fully qualified stack name <org>/<project>/<stack>";

/** `o` without the setting `k`. */
export function without<T extends object>(o: T, k: keyof T): Partial<T> {
    const copy: Partial<T> = { ...o };
    delete copy[k];
    return copy;
}

/** Runs `config` as stack `stack`; expects a ConfigError before any registration. */
export async function refusedConfig(
    stack: string,
    config: Record<string, string>,
    secretKeys?: string[],
): Promise<ConfigError> {
    const mocks = new AwsMocks({});
    let error: unknown;
    try {
        await runStack({ stack, config, mocks, ...(secretKeys && { secretKeys }) });
    } catch (e) {
        error = e;
    }
    expect(error, "the run should fail with a ConfigError").to.be.instanceOf(ConfigError);
    expect(pulumi.RunError.isInstance(error), "a RunError: the CLI prints no stack trace").to.equal(true);
    // Nothing but the stack itself: no provider, component, aws or random resource.
    expect(mocks.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type)).to.deep.equal([]);
    expect(mocks.providers.size).to.equal(0);
    expect(mocks.stackReads).to.deep.equal([]);
    return error as ConfigError;
}

/** The committed stack's config with `overrides` (full keys; undefined removes a key). */
export function refused(stack: "primary" | "secondary", overrides: Record<string, unknown>): Promise<ConfigError> {
    return refusedConfig(stack, stackConfig(stack, overrides));
}

/** One problem line, exactly; the header names the stack. */
export async function expectProblems(p: Promise<ConfigError>, ...lines: string[]): Promise<void> {
    const e = await p;
    expect(e.problems).to.deep.equal(lines);
    expect(e.message).to.equal(
        `invalid secretshare configuration for stack "${/stack "([^"]+)"/.exec(e.message)?.[1]}":\n` +
            lines.map((l) => `  - ${l}`).join("\n"),
    );
}

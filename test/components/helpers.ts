import { runStack, type StackRun } from "../../plan/runtime";
import { AwsMocks } from "../../plan/mocks";
import { EXAMPLE_WORLD, type ExistingWorld } from "../../plan/existingWorld";

/**
 * Owner and consumer stacks of throwaway configs, run under the mock runtime: several owner
 * stacks in one owner account granting readers of one consumer account.
 */

export const REGION = "us-east-1";
export const OWNER = "111111111111";
export const APPS = "222222222222";
export const ORG = "organization";
export const PROJECT = "secretshare";
export const ref = (stack: string) => `${ORG}/${PROJECT}/${stack}`;
/** Runs of the whole program under the mock runtime: a guard against a hang, not a timing. */
export const PROGRAM_TIMEOUT = 120_000;

export const USER_POLICY = "aws:iam/userPolicy:UserPolicy";
export const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
export const MANAGED_POLICY = "aws:iam/policy:Policy";
export const USER_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment";
export const ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";
export const KEY = "aws:kms/key:Key";
export const SECRET = "aws:secretsmanager/secret:Secret";

export interface ReaderSpec {
    readonly user?: string;
    readonly role?: string;
    readonly existing?: boolean;
}

/** `secretshare:*` values (namespace optional) as Pulumi hands them to the program. */
export function stackConfig(values: Record<string, unknown>): Record<string, string> {
    const config: Record<string, string> = { "pulumi:disable-default-providers": '["aws"]' };
    for (const [k, v] of Object.entries(values)) {
        config[k.includes(":") ? k : `secretshare:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return config;
}

/** An owner stack's values: `secrets` each read by every one of `readers` (account "apps"). */
export function ownerValues(
    alias: string,
    secrets: readonly string[],
    readers: readonly ReaderSpec[] = [{ user: "Stuart", existing: true }],
    mode: "owner" | "all" = "owner",
): Record<string, unknown> {
    const names = readers.map((r) => `apps/${r.user ?? r.role}`);
    return {
        mode,
        owner: { accountId: OWNER, region: REGION },
        consumers: { apps: { accountId: APPS, readers } },
        secrets: secrets.map((name) => ({ name, username: "app", readers: names })),
        key: { alias },
    };
}

export function consumerValues(ownerStack: string): Record<string, unknown> {
    return {
        mode: "consumer",
        ownerStack: ref(ownerStack),
        consumer: { name: "apps", accountId: APPS, region: REGION },
    };
}

/** The owner stack `owner`, then the consumer stack `consumer` reading it, in `world`. */
export async function ownerAndConsumer(
    owner: string,
    consumer: string,
    values: Record<string, unknown>,
    world: ExistingWorld = EXAMPLE_WORLD,
): Promise<{ owner: StackRun; consumer: StackRun; mocks: AwsMocks }> {
    const o = await runStack({ stack: owner, config: stackConfig(values), world });
    const mocks = new AwsMocks({ [ref(owner)]: o.outputs }, world);
    const c = await runStack({ stack: consumer, config: stackConfig(consumerValues(owner)), mocks });
    return { owner: o, consumer: c, mocks };
}

/** `n` secret names `<prefix>-0` ... */
export const secretNames = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/**
 * An identity policy of exactly `size` characters as IAM counts them (compact JSON): its Sid is
 * padded to the size. At least 80 characters.
 */
export function policyOfSize(size: number): Record<string, unknown> {
    const doc = (sid: string) => ({
        Version: "2012-10-17",
        Statement: [{ Sid: sid, Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
    });
    const base = JSON.stringify(doc("")).length;
    if (size < base + 1) throw new Error(`a policy is at least ${base + 1} characters`);
    return doc("P".repeat(size - base));
}

/** Runs `fn` expecting it to reject; returns the error message. */
export async function errorOf(fn: () => Promise<unknown>): Promise<string> {
    try {
        await fn();
    } catch (e) {
        return (e as Error).message;
    }
    throw new Error("expected an error, but none was thrown");
}

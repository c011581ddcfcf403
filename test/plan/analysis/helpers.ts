import type { RegisteredResource } from "../../../plan/mocks";
import type { Plan, PlannedStack } from "../../../plan/plan";
import { identityPolicy, keyPolicy, roleTrustPolicy, secretResourcePolicy } from "../../../policies/documents";

/**
 * A plan built by hand, as the program registers it for one role reader, with the real document
 * builders: config is bypassed, so that a path it refuses, a statement kept from others or a
 * trusted principal can reach the documents, and no probe of the access matrix is written for them.
 */

export const OWNER = "111111111111";
export const CONSUMER = "222222222222";
export const REGION = "us-east-1";
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${OWNER}:secret:db-Ab12Cd`;
export const KEY_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
export const KEY_ARN = `arn:aws:kms:${REGION}:${OWNER}:key/${KEY_ID}`;

export interface HandBuilt {
    /** The reader role's path (default "/app/"). */
    readonly path?: string;
    /** Statements kept from others on the secret's policy and the key's. */
    readonly keptSecret?: readonly unknown[];
    readonly keptKey?: readonly unknown[];
    /** The role's assumedBy (default ecs-tasks.amazonaws.com); the trust policy is built from it. */
    readonly assumedBy?: readonly string[];
    /** Replaces the registered trust policy (as if the builder had written it so). */
    readonly trust?: unknown;
}

export function handBuilt(o: HandBuilt = {}): Plan {
    const rolePath = o.path ?? "/app/";
    const roleArn = `arn:aws:iam::${CONSUMER}:role${rolePath}reader`;
    const assumedBy = o.assumedBy ?? ["ecs-tasks.amazonaws.com"];
    const owner = { id: "p1", name: "primary", accountId: OWNER, region: REGION, inputs: {} };
    const consumer = { id: "p2", name: "secondary", accountId: CONSUMER, region: REGION, inputs: {} };
    const res = (
        type: string,
        name: string,
        provider: typeof owner,
        inputs: Record<string, unknown>,
        state: Record<string, unknown> = {},
    ): RegisteredResource => ({ type, name, inputs, state, id: name, provider, custom: true });
    const withKept = (doc: { Statement: unknown[] }, kept: readonly unknown[] = []) =>
        JSON.stringify({ ...doc, Statement: [...kept, ...doc.Statement] });
    const resources = [
        res(
            "aws:kms/key:Key",
            "share-key",
            owner,
            {
                policy: withKept(
                    keyPolicy({
                        partition: "aws",
                        region: REGION,
                        ownerAccountId: OWNER,
                        grants: [{ readerArn: roleArn, secretArns: [SECRET_ARN] }],
                        principalForm: "account-root",
                        grantDescribeKey: false,
                    }),
                    o.keptKey,
                ),
            },
            { arn: KEY_ARN, keyId: KEY_ID },
        ),
        res(
            "aws:secretsmanager/secret:Secret",
            "share-db",
            owner,
            { kmsKeyId: KEY_ARN },
            { arn: SECRET_ARN, name: "db" },
        ),
        res("aws:secretsmanager/secretPolicy:SecretPolicy", "share-db-policy", owner, {
            secretArn: SECRET_ARN,
            policy: withKept(
                secretResourcePolicy({
                    partition: "aws",
                    readerArns: [roleArn],
                    principalForm: "account-root",
                    acceptDefaultStage: false,
                }),
                o.keptSecret,
            ),
        }),
        res(
            "aws:iam/role:Role",
            "secondary-reader",
            consumer,
            {
                name: "reader",
                path: rolePath,
                assumeRolePolicy: JSON.stringify(o.trust ?? roleTrustPolicy("aws", CONSUMER, assumedBy)),
            },
            { arn: roleArn, name: "reader" },
        ),
        res("aws:iam/rolePolicy:RolePolicy", "secondary-reader-read", consumer, {
            role: "reader",
            policy: JSON.stringify(
                identityPolicy({ region: REGION, grants: [{ secretArn: SECRET_ARN, keyArn: KEY_ARN }] }),
            ),
        }),
    ];
    const stack: PlannedStack = {
        name: "primary",
        file: "/nonexistent/Pulumi.primary.yaml",
        placeholders: [],
        resources,
        origins: {},
        outputs: {
            ownerAccountId: OWNER,
            secretArns: { db: SECRET_ARN },
            keyArns: { db: KEY_ARN },
            grants: {
                secondary: {
                    accountId: CONSUMER,
                    readers: [
                        {
                            kind: "role",
                            name: "reader",
                            path: rolePath,
                            existing: false,
                            assumedBy: [...assumedBy],
                            arn: roleArn,
                            secrets: ["db"],
                        },
                    ],
                },
            },
        },
    };
    return { project: "secretshare", dir: "/nonexistent", stacks: [stack], unplanned: [] };
}

import { secretsManagerService } from "../../aws/arn";
import { ROTATION_ACTIONS, ROTATION_KEY_ACTIONS } from "../../policies/rotation";
import type { Check } from "./checks";
import type { Registry } from "./registry";
import type { PolicyRef } from "./simulator";

/**
 * The rows of a rotated secret: what its rotation function's role may do, and who may invoke the
 * function. The role (when the plan creates it) must be Allowed each call of the four rotation
 * steps on its own secret, the pending stage included, and kms:Decrypt / kms:GenerateDataKey
 * on its key through Secrets Manager for that secret; and Denied on every other secret of the
 * stack (read, write, and the key for that secret), the key outside Secrets Manager, and the
 * calls rotation does not make. Only Secrets Manager, for this secret of this account, may
 * invoke the function. A function named in config (another team's) is invoked the same way; its
 * role is not in the plan, so a warning says what the matrix does not show.
 */

/** A secret of the owner stack, with the documents its checks use. */
export interface RotatedSecretInfo {
    readonly name: string;
    readonly arn: string;
    readonly keyArn: string;
    readonly secretPolicy?: PolicyRef;
    readonly keyPolicy?: PolicyRef;
}

/** A secret of an owner stack, with its key (registered, else exported) and their policies. */
export function secretInfo(reg: Registry, name: string, arn: string, exportedKeyArn?: string): RotatedSecretInfo {
    const keyArn = reg.secrets.get(arn)?.keyArn ?? exportedKeyArn ?? `(no key for ${name})`;
    const secretPolicy = reg.secretPolicies.get(arn);
    const keyPolicy = reg.keyPolicies.get(keyArn);
    return { name, arn, keyArn, ...(secretPolicy && { secretPolicy }), ...(keyPolicy && { keyPolicy }) };
}

export interface RotationProbe {
    readonly probe: string;
    readonly check: Omit<Check, "name" | "secret">;
}

const ANOTHER_ACCOUNT_SOURCE = "999999999999";

/** The rows for `secret`, when the plan rotates it; `others`: the stack's other secrets. */
export function rotationChecks(
    reg: Registry,
    secret: RotatedSecretInfo,
    others: readonly RotatedSecretInfo[],
    region: string,
    ownerAccountId: string,
    warnings: string[],
): RotationProbe[] {
    const rotation = reg.rotations.get(secret.arn);
    if (!rotation) return [];
    const out: RotationProbe[] = [];
    const fn = reg.functions.get(rotation.functionArn);
    const role = fn?.roleArn ? reg.roleByArn(fn.roleArn) : undefined;
    const via = (s: RotatedSecretInfo) => ({
        "kms:ViaService": secretsManagerService(region),
        "kms:EncryptionContext:SecretARN": s.arn,
    });
    if (fn?.roleArn && role) {
        const principal = fn.roleArn;
        const who = `rotation role ${principal.split("/").pop() ?? principal}`;
        const base = { who, principal, identityPolicies: role.policies };
        const onSecret = (s: RotatedSecretInfo) => ({
            ...base,
            ...(s !== secret && { who: `${who}, on ${s.name}` }),
            resource: s.arn,
            ...(s.secretPolicy && { resourcePolicy: s.secretPolicy }),
        });
        const onKey = (s: RotatedSecretInfo) => ({
            ...base,
            ...(s !== secret && { who: `${who}, on ${s.name}'s key` }),
            resource: s.keyArn,
            ...(s.keyPolicy && { resourcePolicy: s.keyPolicy }),
        });
        for (const action of ROTATION_ACTIONS) {
            const stages = action === "secretsmanager:GetSecretValue" ? ["AWSCURRENT", "AWSPENDING"] : [undefined];
            for (const stage of stages) {
                out.push({
                    probe: `${action.split(":")[1]}${stage ? ` ${stage}` : ""} (rotation)`,
                    check: {
                        ...onSecret(secret),
                        action,
                        context: stage ? { "secretsmanager:VersionStage": stage } : {},
                        expected: "Allowed",
                    },
                });
            }
        }
        for (const action of ROTATION_KEY_ACTIONS) {
            out.push({
                probe: `${action} via Secrets Manager (rotation)`,
                check: { ...onKey(secret), action, context: via(secret), expected: "Allowed" },
            });
            out.push({
                probe: `${action} not via Secrets Manager (rotation)`,
                check: {
                    ...onKey(secret),
                    action,
                    context: { "kms:EncryptionContext:SecretARN": secret.arn },
                    expected: "Denied",
                },
            });
        }
        for (const action of ["DeleteSecret", "PutResourcePolicy", "UpdateSecret", "RotateSecret"]) {
            out.push({
                probe: `${action} (rotation)`,
                check: { ...onSecret(secret), action: `secretsmanager:${action}`, context: {}, expected: "Denied" },
            });
        }
        for (const other of others) {
            out.push(
                {
                    probe: `GetSecretValue AWSCURRENT of ${other.name} (rotation, another secret)`,
                    check: {
                        ...onSecret(other),
                        action: "secretsmanager:GetSecretValue",
                        context: { "secretsmanager:VersionStage": "AWSCURRENT" },
                        expected: "Denied",
                    },
                },
                {
                    probe: `PutSecretValue on ${other.name} (rotation, another secret)`,
                    check: {
                        ...onSecret(other),
                        action: "secretsmanager:PutSecretValue",
                        context: {},
                        expected: "Denied",
                    },
                },
                {
                    probe: `kms:Decrypt for ${other.name} via Secrets Manager (rotation, another secret)`,
                    check: { ...onKey(other), action: "kms:Decrypt", context: via(other), expected: "Denied" },
                },
            );
        }
        // Another key of the stack, even for its own secret: the role's key grant names one key.
        const otherKeys = new Map(others.filter((o) => o.keyArn !== secret.keyArn).map((o) => [o.keyArn, o]));
        for (const other of otherKeys.values()) {
            out.push({
                probe: `kms:Decrypt for ${secret.name} via Secrets Manager (rotation, another key)`,
                check: { ...onKey(other), action: "kms:Decrypt", context: via(secret), expected: "Denied" },
            });
        }
    } else {
        warnings.push(
            `${secret.name} is rotated by ${rotation.functionArn}, which this plan does not create: the matrix proves who may invoke it, ` +
                `not what its role may do; that role needs the policy the owner stack exports as rotation.${secret.name}.rolePolicyToGrant (docs/rotation.md)`,
        );
    }

    // Who may invoke the function: Secrets Manager for this secret of this account, nobody else.
    const permissions = reg.invokePermissions.get(rotation.functionArn) ?? [];
    const invoke = (who: string, principal: string, context: Record<string, string>, expected: "Allowed" | "Denied") =>
        permissions.map((p) => ({
            probe: "lambda:InvokeFunction (rotation function)",
            check: {
                who,
                principal,
                identityPolicies: [],
                action: "lambda:InvokeFunction",
                resource: rotation.functionArn,
                resourcePolicy: p,
                context,
                expected,
            },
        }));
    const sm = "secretsmanager.amazonaws.com";
    out.push(
        ...invoke(sm, sm, { "aws:SourceAccount": ownerAccountId, "aws:SourceArn": secret.arn }, "Allowed"),
        ...others
            .slice(0, 1)
            .flatMap((o) =>
                invoke(
                    `${sm} for ${o.name}`,
                    sm,
                    { "aws:SourceAccount": ownerAccountId, "aws:SourceArn": o.arn },
                    "Denied",
                ),
            ),
        ...invoke(
            `${sm} for a secret of ${ANOTHER_ACCOUNT_SOURCE}`,
            sm,
            {
                "aws:SourceAccount": ANOTHER_ACCOUNT_SOURCE,
                "aws:SourceArn": secret.arn.replace(`:${ownerAccountId}:`, `:${ANOTHER_ACCOUNT_SOURCE}:`),
            },
            "Denied",
        ),
        ...invoke("lambda.amazonaws.com", "lambda.amazonaws.com", { "aws:SourceAccount": ownerAccountId }, "Denied"),
    );
    return out;
}

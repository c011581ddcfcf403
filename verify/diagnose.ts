import { secretsManagerService } from "../aws/arn";
import { errorMessage, errorName } from "./awsErrors";
import { identityOf } from "./identity";
import type { Target } from "./targets";

/**
 * Which of the three documents most likely denied a GetSecretValue, from the error AWS gave,
 * and the command that shows it. AWS names the missing kind of policy in the message ("no
 * identity-based policy allows", "no resource-based policy allows"); a KMS refusal comes back
 * as "Access to KMS is not allowed" or a ciphertext/key message.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function diagnose(e: unknown, t: Target, caller: string | undefined, ownerStack: string): string[] {
    const message = errorMessage(e);
    const who = caller ?? "the consumer";
    const identity = caller ? identityOf(caller) : undefined;
    const identityCheck =
        identity?.kind === "user"
            ? `aws iam list-user-policies --user-name ${identity.name} (and list-attached-user-policies), in account ${identity.account}`
            : identity?.kind === "role"
              ? `aws iam list-role-policies --role-name ${identity.name} (and list-attached-role-policies), in account ${identity.account}`
              : "the reader's inline and attached policies (aws iam list-user-policies / list-role-policies)";
    const layers = {
        identity: [
            "likely cause: the identity policy (document 1, consumer account) does not allow secretsmanager:GetSecretValue on this secret",
            `check: ${identityCheck}; expect GetSecretValue on ${t.secretArn}` +
                (t.keyArn ? ` and kms:Decrypt on ${t.keyArn}` : "") +
                "; is the consumer stack deployed (pulumi preview -s <consumer stack> shows no changes)?",
        ],
        resource: [
            "likely cause: the secret's resource policy (document 2, owner account) does not allow this caller",
            `check: aws secretsmanager get-resource-policy --secret-id ${t.secretArn} --region ${t.region} (owner credentials); ` +
                `expect ${who} in aws:PrincipalArn (or as Principal) and secretsmanager:VersionStage AWSCURRENT. ` +
                "A Principal shown as AIDA.../AROA... means the reader was deleted and recreated: see docs/operations.md",
        ],
        key: [
            "likely cause: the key policy (document 3, owner account), or the identity policy's kms:Decrypt statement, does not let Secrets Manager decrypt for this caller",
            `check: aws kms get-key-policy --key-id ${t.keyArn ?? "<the secret's key ARN: output keyArns>"} --policy-name default --region ${t.region} (owner credentials); ` +
                `expect kms:Decrypt for ${who} with kms:ViaService ${secretsManagerService(t.region)} and kms:EncryptionContext:SecretARN matching ${t.secretArn}`,
        ],
    };
    if (/explicit deny/i.test(message)) {
        return [
            `AWS says: ${message}`,
            "likely cause: an explicit Deny: a service control policy, a permissions boundary, or a Deny statement in one of the three documents",
            ...layers.identity.slice(1),
            ...layers.resource.slice(1),
        ];
    }
    if (/identity-based policy/i.test(message)) return [`AWS says: ${message}`, ...layers.identity];
    if (/resource-based policy/i.test(message)) return [`AWS says: ${message}`, ...layers.resource];
    if (/kms|ciphertext|customer master key|decrypt/i.test(message) || errorName(e) === "DecryptionFailure") {
        return [`AWS says: ${message}`, ...layers.key];
    }
    return [
        `AWS says: ${message}`,
        "likely cause: one of the three documents; check each, in this order:",
        `1. ${layers.identity[1].replace(/^check: /, "")}`,
        `2. ${layers.resource[1].replace(/^check: /, "")}`,
        `3. ${layers.key[1].replace(/^check: /, "")}`,
        `(the documents as the program writes them: npm start -- --stack ${ownerStack})`,
    ];
}

import { GetResourcePolicyCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Document } from "./analyzer";
import { errorMessage, errorName } from "./awsErrors";
import { clientConfig, type Side } from "./credentials";
import type { Deps } from "./deps";
import { canonical, type ProgramDocuments } from "./documents";
import type { Report } from "./report";
import { withRetry } from "./retry";
import type { Target } from "./targets";

/**
 * The deployed secret policies, as the owner reads them, against the ones the program writes:
 * one that names a principal by unique ID (its reader was deleted) or differs from the program's
 * fails. Returns the documents for Access Analyzer: the deployed secret policies, then the key and
 * identity policies as the program writes them.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
 */
export async function policyChecks(
    deps: Deps,
    report: Report,
    owner: Side,
    targets: readonly Target[],
    program: ProgramDocuments,
    ownerStack: string,
): Promise<Document[]> {
    const documents: Document[] = [];
    for (const t of targets) {
        const deployed = await secretPolicyCheck(deps, report, owner, t, program, ownerStack);
        if (deployed !== undefined) {
            documents.push({
                label: `secret policy of ${t.name} (deployed)`,
                policy: deployed,
                policyType: "RESOURCE_POLICY",
                publicType: "AWS::SecretsManager::Secret",
            });
        }
    }
    for (const k of program.keyPolicies) {
        documents.push({
            label: `key policy of ${k.secrets.join(", ")} (as stack ${ownerStack} writes it)`,
            policy: JSON.stringify(k.policy),
            policyType: "RESOURCE_POLICY",
            publicType: "AWS::KMS::Key",
        });
    }
    for (const i of program.identities) {
        documents.push({
            label: `identity policy of ${i.reader} (as the consumer stack writes it)`,
            policy: JSON.stringify(i.policy),
            policyType: "IDENTITY_POLICY",
        });
    }
    return documents;
}

/** The secret's deployed policy, checked; undefined when there is none or it cannot be read. */
async function secretPolicyCheck(
    deps: Deps,
    report: Report,
    owner: Side,
    t: Target,
    program: ProgramDocuments,
    ownerStack: string,
): Promise<string | undefined> {
    const sm = new SecretsManagerClient(clientConfig(owner, t.region));
    try {
        const r = await withRetry(deps, `GetResourcePolicy ${t.name}`, () =>
            sm.send(new GetResourcePolicyCommand({ SecretId: t.secretArn })),
        );
        if (!r.ResourcePolicy) {
            report.line("FAIL", `secret policy of ${t.name}: the secret has none, so no other account can read it`, [
                `run pulumi up -s ${ownerStack}; the program writes it as aws.secretsmanager.SecretPolicy`,
            ]);
            return undefined;
        }
        const deployed: unknown = JSON.parse(r.ResourcePolicy);
        const expected = program.secretPolicies[t.name];
        const uniqueIds = r.ResourcePolicy.match(/"(AIDA|AROA)[A-Z0-9]{12,}"/g) ?? [];
        if (uniqueIds.length) {
            report.line(
                "FAIL",
                `secret policy of ${t.name} names a deleted principal by unique ID ${uniqueIds.join(", ")}`,
                [
                    "a reader named as Principal was deleted (and maybe recreated): see docs/operations.md, recovering access",
                ],
            );
        } else if (expected && JSON.stringify(canonical(deployed)) !== JSON.stringify(canonical(expected))) {
            report.line("FAIL", `secret policy of ${t.name} differs from what stack ${ownerStack} writes`, [
                `someone changed it outside Pulumi, or the stack is not up to date: pulumi preview -s ${ownerStack} --refresh shows the difference`,
            ]);
        } else if (expected) {
            report.line("PASS", `secret policy of ${t.name} is the one stack ${ownerStack} writes`);
        }
        return r.ResourcePolicy;
    } catch (e) {
        report.line(
            "FAIL",
            `secret policy of ${t.name}: GetResourcePolicy failed: ${errorName(e)}: ${errorMessage(e)}`,
            ["the owner credentials need secretsmanager:GetResourcePolicy on the secret"],
        );
        return undefined;
    }
}

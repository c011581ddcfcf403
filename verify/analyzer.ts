import {
    AccessAnalyzerClient,
    CheckNoPublicAccessCommand,
    ValidatePolicyCommand,
} from "@aws-sdk/client-accessanalyzer";
import type { ValidatePolicyFinding } from "@aws-sdk/client-accessanalyzer";
import { errorMessage, errorName } from "./awsErrors";
import { clientConfig, type Side } from "./credentials";
import type { Deps } from "./deps";
import type { Report } from "./report";
import { withRetry } from "./retry";

/**
 * IAM Access Analyzer, as the owner, on each of the three documents: ValidatePolicy must find no
 * error or security warning, and CheckNoPublicAccess no public access (secret and key policies).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-policy-validation.html
 * https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_CheckNoPublicAccess.html
 */

export interface Document {
    readonly label: string;
    readonly policy: string;
    readonly policyType: "IDENTITY_POLICY" | "RESOURCE_POLICY";
    /** For CheckNoPublicAccess. */
    readonly publicType?: "AWS::SecretsManager::Secret" | "AWS::KMS::Key";
}

export async function analyzerChecks(
    deps: Deps,
    report: Report,
    owner: Side,
    region: string,
    documents: readonly Document[],
): Promise<void> {
    const aa = new AccessAnalyzerClient(clientConfig(owner, region));
    for (const d of documents) {
        await validate(deps, report, aa, d);
        if (d.publicType) await noPublicAccess(deps, report, aa, d, d.publicType);
    }
}

async function validate(deps: Deps, report: Report, aa: AccessAnalyzerClient, d: Document): Promise<void> {
    try {
        const findings: ValidatePolicyFinding[] = [];
        let nextToken: string | undefined;
        do {
            const r = await withRetry(deps, `ValidatePolicy ${d.label}`, () =>
                aa.send(new ValidatePolicyCommand({ policyDocument: d.policy, policyType: d.policyType, nextToken })),
            );
            findings.push(...(r.findings ?? []));
            nextToken = r.nextToken;
        } while (nextToken);
        const blocking = findings.filter((f) => f.findingType === "ERROR" || f.findingType === "SECURITY_WARNING");
        const lines = findings.map((f) =>
            `${f.findingType ?? "?"} ${f.issueCode ?? "?"}: ${f.findingDetails ?? ""} ${f.learnMoreLink ?? ""}`.trim(),
        );
        report.line(
            blocking.length ? "FAIL" : "PASS",
            `Access Analyzer ValidatePolicy, ${d.label}: ${blocking.length} error(s) or security warning(s), ${findings.length - blocking.length} other finding(s)`,
            lines,
        );
    } catch (e) {
        report.line("FAIL", `Access Analyzer ValidatePolicy, ${d.label}: ${errorName(e)}: ${errorMessage(e)}`, [
            "the owner credentials need access-analyzer:ValidatePolicy",
        ]);
    }
}

async function noPublicAccess(
    deps: Deps,
    report: Report,
    aa: AccessAnalyzerClient,
    d: Document,
    publicType: NonNullable<Document["publicType"]>,
): Promise<void> {
    try {
        const r = await withRetry(deps, `CheckNoPublicAccess ${d.label}`, () =>
            aa.send(new CheckNoPublicAccessCommand({ policyDocument: d.policy, resourceType: publicType })),
        );
        report.line(
            r.result === "PASS" ? "PASS" : "FAIL",
            `Access Analyzer CheckNoPublicAccess, ${d.label}: ${r.result ?? "?"}${r.message ? ` (${r.message})` : ""}`,
            (r.reasons ?? []).map(
                (x) => `${x.statementId ?? `statement ${x.statementIndex ?? "?"}`}: ${x.description ?? ""}`,
            ),
        );
    } catch (e) {
        report.line("FAIL", `Access Analyzer CheckNoPublicAccess, ${d.label}: ${errorName(e)}: ${errorMessage(e)}`, [
            "the owner credentials need access-analyzer:CheckNoPublicAccess",
        ]);
    }
}

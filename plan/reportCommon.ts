import type { RegisteredResource } from "./mocks";

/**
 * What the plan's report shares with the access diff of two saved plans (./diff): which resources
 * carry a policy document, and the text table. Apart from ./report.ts, which loads the Pulumi SDK
 * and the proof, so that `npm start -- --against A --head B` compares two saved plans without
 * loading the program.
 */

/** The resource types that carry a policy document, with its title (the access diff reads them too). */
export const DOCUMENT_TYPES: Record<string, (r: Pick<RegisteredResource, "name" | "inputs">) => string> = {
    "aws:kms/key:Key": (r) => `key policy of ${r.name}`,
    // The policy written on an existing key: the statements of others kept, ours merged in.
    "aws:kms/keyPolicy:KeyPolicy": (r) => `key policy ${r.name} (existing key ${String(r.inputs.keyId)}, merged)`,
    "aws:secretsmanager/secretPolicy:SecretPolicy": (r) =>
        `secret resource policy ${r.name}` + (typeof r.inputs.secretArn === "string" ? ` (${r.inputs.secretArn})` : ""),
    "aws:iam/userPolicy:UserPolicy": (r) => `identity policy ${r.name} (inline, user ${String(r.inputs.user)})`,
    "aws:iam/rolePolicy:RolePolicy": (r) => `identity policy ${r.name} (inline, role ${String(r.inputs.role)})`,
    "aws:iam/policy:Policy": (r) => `identity policy ${r.name} (customer managed)`,
    "aws:iam/role:Role": (r) => `trust policy of role ${String(r.inputs.name)} (who may assume it)`,
};

/** The input that holds the document: `policy`, but a role's trust policy. */
export const documentInput = (type: string) => (type === "aws:iam/role:Role" ? "assumeRolePolicy" : "policy");

/** Columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: readonly string[]) =>
        cells
            .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
            .join("  ")
            .trimEnd();
    return [line(header), ...rows.map(line)].join("\n");
}

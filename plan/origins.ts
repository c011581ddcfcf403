import type * as pulumi from "@pulumi/pulumi";
import type { RegisteredResource } from "./mocks";

/**
 * Where each registered resource stands towards what already exists in AWS:
 * - "created": this program creates it (and would delete it if it left the config);
 * - "adopted": an existing resource imported into the stack (`import` option), protected and
 *   retained on delete, managed from now on (foreign policy statements are still kept);
 * - "policy-only": a policy this program writes on a key, secret or identity it does not own
 *   (our statements merged in); nothing of the resource itself can be deleted or replaced;
 * - "read": a read of an existing resource (nothing is written);
 * - "-": not an AWS resource (the stack, components, providers).
 */
export type Origin = "created" | "adopted" | "policy-only" | "read" | "-";

const POLICY_ON = {
    "aws:kms/keyPolicy:KeyPolicy": "keyId",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "secretArn",
    "aws:iam/userPolicy:UserPolicy": "user",
    "aws:iam/rolePolicy:RolePolicy": "role",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": "user",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role",
} as const;

/** Which state of each resource names the thing a policy resource is written on. */
const OWNED_IDS: Record<string, readonly string[]> = {
    "aws:kms/key:Key": ["keyId", "arn"],
    "aws:secretsmanager/secret:Secret": ["arn"],
    "aws:iam/user:User": ["name"],
    "aws:iam/role:Role": ["name"],
};

export function originsOf(
    resources: readonly RegisteredResource[],
    options: ReadonlyMap<string, pulumi.CustomResourceOptions>,
): Record<string, Origin> {
    // Everything this stack creates or adopts, by the IDs a policy resource may refer to it by.
    const owned = new Set<string>();
    for (const r of resources) {
        for (const k of OWNED_IDS[r.type] ?? []) {
            if (typeof r.state[k] === "string") owned.add(r.state[k]);
        }
    }
    const out: Record<string, Origin> = {};
    for (const r of resources) {
        const key = `${r.type}::${r.name}`;
        const opts = options.get(key);
        let origin: Origin;
        if (!r.type.startsWith("aws:")) origin = r.type.startsWith("random:") ? "created" : "-";
        else if (opts?.import) origin = "adopted";
        else if (opts?.id !== undefined) origin = "read";
        else if (r.type in POLICY_ON) {
            const target = r.inputs[POLICY_ON[r.type as keyof typeof POLICY_ON]];
            origin = typeof target === "string" && owned.has(target) ? "created" : "policy-only";
        } else origin = "created";
        out[key] = origin;
    }
    return out;
}

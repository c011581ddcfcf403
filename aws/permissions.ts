/**
 * Every AWS call this program makes, in one place: per Pulumi resource type, read and invoke,
 * the IAM actions the AWS provider's code calls, and how each side of a share (the owner
 * account, a consumer account) uses it. The CI roles of docs/ci-setup.md are built from this
 * list (aws/ciRoles.ts), and test/ci/permissions.test.ts plans the committed stacks and examples
 * and fails when the program makes a call that is not here, or when the docs disagree.
 *
 * pulumi-aws bridges terraform-provider-aws: each resource's Create, Read, Update and Delete are
 * that provider's Go functions, and the calls below are read from them (`source`). Create and
 * Update end with a Read, so they need the read actions too; a created resource's tags (the
 * provider's defaultTags) are sent with the create call, which AWS authorizes as a second
 * action (kms:TagResource, iam:TagUser, ...).
 *
 * Over 400 lines on purpose: it is one table, read top to bottom, and splitting it would split
 * the list the CI roles are built from.
 *
 * What runs when: `pulumi preview` configures the provider (credentials check), runs invokes and
 * resource reads (`X.get`), and reads each resource it will import (the engine's ImportStep
 * reads in preview too), but never refreshes or writes:
 * https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step.go
 * `pulumi up` does the same, then creates, updates and deletes.
 */

import { ROTATION_PERMISSIONS } from "./rotationPermissions";

export type Side = "owner" | "consumer";
export type Phase = "preview" | "deploy";

/**
 * How a side uses a token: "configure" (a provider), "invoke" (a data source call), "read" (a
 * read of an existing resource with `X.get`), "import" (adopted with the `import` option: read in
 * preview, then managed), "register" (created, updated and deleted by `up`).
 */
export type Use = "configure" | "invoke" | "read" | "import" | "register";

/** The provider's calls by what it does: configure, invoke, and a resource's CRUD. */
export type Calls = Readonly<
    Partial<Record<"configure" | "invoke" | "read" | "create" | "update" | "delete", readonly string[]>>
>;

export interface Permission {
    /** The Pulumi type token of the resource, provider or invoke. */
    readonly token: string;
    readonly uses: Readonly<Partial<Record<Side, readonly Use[]>>>;
    readonly calls: Calls;
    /** Where the calls are made. */
    readonly source: string;
}

const TF = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service";

// Shared by a key's read, the key policy's read and their writes (findKeyInfo in kms/key.go).
const KMS_KEY_READ = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"];

/** The watch's resources, on the owner side and (watch.consumerSide) in a consumer account. */
const WATCH: readonly Permission[] = [
    {
        token: "aws:sns/topic:Topic",
        uses: { owner: ["register"], consumer: ["register"] },
        calls: {
            read: ["sns:GetTopicAttributes", "sns:ListTagsForResource"],
            create: ["sns:CreateTopic", "sns:TagResource", "sns:SetTopicAttributes"],
            update: ["sns:SetTopicAttributes", "sns:TagResource", "sns:UntagResource"],
            delete: ["sns:DeleteTopic"],
        },
        source: `${TF}/sns/topic.go`,
    },
    {
        token: "aws:sns/topicPolicy:TopicPolicy",
        uses: { owner: ["register"], consumer: ["register"] },
        calls: {
            read: ["sns:GetTopicAttributes"],
            create: ["sns:SetTopicAttributes"],
            update: ["sns:SetTopicAttributes"],
            delete: ["sns:SetTopicAttributes"],
        },
        source: `${TF}/sns/topic_policy.go`,
    },
    {
        token: "aws:sns/topicSubscription:TopicSubscription",
        uses: { owner: ["register"], consumer: ["register"] },
        calls: {
            read: ["sns:GetSubscriptionAttributes"],
            create: ["sns:Subscribe"],
            update: ["sns:SetSubscriptionAttributes"],
            delete: ["sns:Unsubscribe"],
        },
        source: `${TF}/sns/topic_subscription.go`,
    },
    {
        token: "aws:cloudwatch/eventRule:EventRule",
        uses: { owner: ["register"], consumer: ["register"] },
        calls: {
            read: ["events:DescribeRule", "events:ListTagsForResource"],
            create: ["events:PutRule", "events:TagResource"],
            update: ["events:PutRule", "events:TagResource", "events:UntagResource"],
            delete: ["events:DeleteRule"],
        },
        source: `${TF}/events/rule.go`,
    },
    {
        token: "aws:cloudwatch/eventTarget:EventTarget",
        uses: { owner: ["register"], consumer: ["register"] },
        calls: {
            read: ["events:ListTargetsByRule"],
            create: ["events:PutTargets"],
            update: ["events:PutTargets"],
            delete: ["events:RemoveTargets"],
        },
        source: `${TF}/events/target.go`,
    },
];

/** The provider, the owner side's key and secrets, and the watch. */
const OWNER_AND_PROVIDER: readonly Permission[] = [
    {
        // The provider checks its credentials (and learns the account for allowedAccountIds)
        // with GetCallerIdentity, which needs no permission but is listed as the call it is.
        // With assumeRole in an account's config it also calls sts:AssumeRole (ASSUME_ROLE).
        token: "pulumi:providers:aws",
        uses: { owner: ["configure"], consumer: ["configure"] },
        calls: { configure: ["sts:GetCallerIdentity"] },
        source: "https://github.com/hashicorp/aws-sdk-go-base/blob/main/aws_config.go",
    },
    {
        token: "aws:kms/getKey:getKey",
        uses: { owner: ["invoke"] },
        calls: { invoke: ["kms:DescribeKey"] },
        source: `${TF}/kms/key_data_source.go`,
    },
    {
        // The alias data source lists aliases, then describes the key by the alias name.
        token: "aws:kms/getAlias:getAlias",
        uses: { owner: ["invoke"] },
        calls: { invoke: ["kms:ListAliases", "kms:DescribeKey"] },
        source: `${TF}/kms/alias_data_source.go`,
    },
    {
        token: "aws:secretsmanager/getSecret:getSecret",
        uses: { owner: ["invoke"] },
        calls: { invoke: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"] },
        source: `${TF}/secretsmanager/secret_data_source.go`,
    },
    {
        // The watch's key on both sides; on the owner side also the shared key, created or adopted.
        token: "aws:kms/key:Key",
        uses: { owner: ["register", "import"], consumer: ["register"] },
        calls: {
            read: KMS_KEY_READ,
            create: ["kms:CreateKey", "kms:TagResource", "kms:EnableKeyRotation", ...KMS_KEY_READ],
            update: [
                "kms:UpdateKeyDescription",
                "kms:PutKeyPolicy",
                "kms:EnableKeyRotation",
                "kms:TagResource",
                "kms:UntagResource",
            ],
            delete: ["kms:ScheduleKeyDeletion", "kms:DescribeKey"],
        },
        source: `${TF}/kms/key.go`,
    },
    {
        token: "aws:kms/alias:Alias",
        uses: { owner: ["register"] },
        calls: {
            read: ["kms:ListAliases"],
            create: ["kms:CreateAlias"],
            update: ["kms:UpdateAlias"],
            delete: ["kms:DeleteAlias"],
        },
        source: `${TF}/kms/alias.go`,
    },
    {
        // Read with KeyPolicy.get from an existing key; written on it. Its delete would put back
        // the default policy (kms:PutKeyPolicy), but it is retained on delete.
        token: "aws:kms/keyPolicy:KeyPolicy",
        uses: { owner: ["read", "register"] },
        calls: {
            read: KMS_KEY_READ,
            create: ["kms:PutKeyPolicy"],
            update: ["kms:PutKeyPolicy"],
            delete: ["kms:PutKeyPolicy"],
        },
        source: `${TF}/kms/key_policy.go`,
    },
    {
        // Secrets Manager calls KMS as the caller: creating a secret under a customer managed key
        // needs kms:GenerateDataKey and kms:Decrypt on it, changing its key kms:Encrypt too.
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html
        token: "aws:secretsmanager/secret:Secret",
        uses: { owner: ["register", "import"] },
        calls: {
            read: ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"],
            create: ["secretsmanager:CreateSecret", "secretsmanager:TagResource", "kms:GenerateDataKey", "kms:Decrypt"],
            update: [
                "secretsmanager:UpdateSecret",
                "secretsmanager:TagResource",
                "secretsmanager:UntagResource",
                "kms:GenerateDataKey",
                "kms:Encrypt",
                "kms:Decrypt",
            ],
            delete: ["secretsmanager:DeleteSecret"],
        },
        source: `${TF}/secretsmanager/secret.go`,
    },
    {
        // Its Read is GetSecretValue (after every create too): the deploy role reads the value
        // it wrote; the preview role never does. Every input forces a replacement: no update.
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutSecretValue.html
        token: "aws:secretsmanager/secretVersion:SecretVersion",
        uses: { owner: ["register"] },
        calls: {
            read: ["secretsmanager:GetSecretValue", "kms:Decrypt"],
            create: ["secretsmanager:PutSecretValue", "kms:GenerateDataKey"],
            delete: ["secretsmanager:UpdateSecretVersionStage"],
        },
        source: `${TF}/secretsmanager/secret_version.go`,
    },
    {
        token: "aws:secretsmanager/secretPolicy:SecretPolicy",
        uses: { owner: ["register"] },
        calls: {
            read: ["secretsmanager:GetResourcePolicy"],
            create: ["secretsmanager:PutResourcePolicy"],
            update: ["secretsmanager:PutResourcePolicy"],
            delete: ["secretsmanager:DeleteResourcePolicy"],
        },
        source: `${TF}/secretsmanager/secret_policy.go`,
    },
];

// A role's Read also lists its inline and attached policies (inline_policy, managed_policy_arns).
const ROLE_READ = ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies"];

/** The consumer side: readers, their policies, and the reads of existing readers. */
const CONSUMER: readonly Permission[] = [
    {
        // Whether a reader this program creates exists already (existing/ownIdentities.ts): the
        // users and roles data sources list them and filter by name in the provider.
        token: "aws:iam/getUsers:getUsers",
        uses: { consumer: ["invoke"] },
        calls: { invoke: ["iam:ListUsers"] },
        source: `${TF}/iam/users_data_source.go`,
    },
    {
        token: "aws:iam/getRoles:getRoles",
        uses: { consumer: ["invoke"] },
        calls: { invoke: ["iam:ListRoles"] },
        source: `${TF}/iam/roles_data_source.go`,
    },
    {
        token: "aws:iam/getUser:getUser",
        uses: { consumer: ["invoke"] },
        calls: { invoke: ["iam:GetUser"] },
        source: `${TF}/iam/user_data_source.go`,
    },
    {
        token: "aws:iam/getRole:getRole",
        uses: { consumer: ["invoke"] },
        calls: { invoke: ["iam:GetRole"] },
        source: `${TF}/iam/role_data_source.go`,
    },
    {
        // Delete lists the user's groups first (iam:RemoveUserFromGroup only if somebody added it
        // to one: not granted, so such a delete fails rather than touch a group this program
        // does not manage). Imported when a user this stack created comes back (existing/ownIdentities.ts).
        token: "aws:iam/user:User",
        uses: { consumer: ["register", "import"] },
        calls: {
            read: ["iam:GetUser"],
            create: ["iam:CreateUser", "iam:TagUser"],
            update: ["iam:UpdateUser", "iam:TagUser", "iam:UntagUser"],
            delete: ["iam:ListGroupsForUser", "iam:DeleteUser"],
        },
        source: `${TF}/iam/user.go`,
    },
    {
        // Delete takes it out of instance profiles (listed; removal not granted, as for groups)
        // and removes the policies it still has. Imported as a user is.
        token: "aws:iam/role:Role",
        // The owner side: the role of a rotation function (aws/rotationPermissions.ts).
        uses: { consumer: ["register", "import"], owner: ["register"] },
        calls: {
            read: ROLE_READ,
            create: ["iam:CreateRole", "iam:TagRole"],
            update: ["iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"],
            delete: [
                "iam:ListInstanceProfilesForRole",
                "iam:DetachRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:DeleteRole",
            ],
        },
        source: `${TF}/iam/role.go`,
    },
    {
        // Written on a reader; read (UserPolicy.get) from an existing user's other inline policies.
        token: "aws:iam/userPolicy:UserPolicy",
        uses: { consumer: ["register", "read"] },
        calls: {
            read: ["iam:GetUserPolicy"],
            create: ["iam:PutUserPolicy"],
            update: ["iam:PutUserPolicy"],
            delete: ["iam:DeleteUserPolicy"],
        },
        source: `${TF}/iam/user_policy.go`,
    },
    {
        token: "aws:iam/rolePolicy:RolePolicy",
        uses: { consumer: ["register", "read"], owner: ["register"] },
        calls: {
            read: ["iam:GetRolePolicy"],
            create: ["iam:PutRolePolicy"],
            update: ["iam:PutRolePolicy"],
            delete: ["iam:DeleteRolePolicy"],
        },
        source: `${TF}/iam/role_policy.go`,
    },
    {
        // An update makes a new default version, pruning the oldest when there are five.
        token: "aws:iam/policy:Policy",
        uses: { consumer: ["register"] },
        calls: {
            read: ["iam:GetPolicy", "iam:GetPolicyVersion"],
            create: ["iam:CreatePolicy", "iam:TagPolicy"],
            update: [
                "iam:ListPolicyVersions",
                "iam:DeletePolicyVersion",
                "iam:CreatePolicyVersion",
                "iam:SetDefaultPolicyVersion",
                "iam:TagPolicy",
                "iam:UntagPolicy",
            ],
            delete: ["iam:ListPolicyVersions", "iam:DeletePolicyVersion", "iam:DeletePolicy"],
        },
        source: `${TF}/iam/policy.go`,
    },
    {
        token: "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        uses: { consumer: ["register"] },
        calls: {
            read: ["iam:ListAttachedUserPolicies"],
            create: ["iam:AttachUserPolicy"],
            delete: ["iam:DetachUserPolicy"],
        },
        source: `${TF}/iam/user_policy_attachment.go`,
    },
    {
        token: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        uses: { consumer: ["register"] },
        calls: {
            read: ["iam:ListAttachedRolePolicies"],
            create: ["iam:AttachRolePolicy"],
            delete: ["iam:DetachRolePolicy"],
        },
        source: `${TF}/iam/role_policy_attachment.go`,
    },
    // What an existing reader holds, read with `.get` only (existing/identity.ts): never created.
    {
        token: "aws:iam/userPoliciesExclusive:UserPoliciesExclusive",
        uses: { consumer: ["read"] },
        calls: { read: ["iam:ListUserPolicies"] },
        source: `${TF}/iam/user_policies_exclusive.go`,
    },
    {
        token: "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
        uses: { consumer: ["read"] },
        calls: { read: ["iam:ListRolePolicies"] },
        source: `${TF}/iam/role_policies_exclusive.go`,
    },
    {
        token: "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        uses: { consumer: ["read"] },
        calls: { read: ["iam:ListAttachedUserPolicies"] },
        source: `${TF}/iam/user_policy_attachments_exclusive.go`,
    },
    {
        token: "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        uses: { consumer: ["read"] },
        calls: { read: ["iam:ListAttachedRolePolicies"] },
        source: `${TF}/iam/role_policy_attachments_exclusive.go`,
    },
];

export const PERMISSIONS: readonly Permission[] = [
    ...OWNER_AND_PROVIDER,
    ...CONSUMER,
    ...WATCH,
    ...ROTATION_PERMISSIONS,
];

/** Tokens the program registers that make no AWS call, and why. */
export const NO_AWS_CALLS: Readonly<Record<string, string>> = {
    "pulumi:pulumi:Stack": "the stack itself",
    "pulumi:pulumi:StackReference": "the owner stack's outputs, read from the Pulumi backend",
    "random:index/randomPassword:RandomPassword": "generated by the random provider, locally",
};

/**
 * When an account's config sets `assumeRole`, its provider first calls sts:AssumeRole with the
 * credentials it runs with: an action of the caller's role (on the configured role ARN), not of
 * the account's. The committed stacks use profiles instead.
 * https://www.pulumi.com/registry/packages/aws/api-docs/provider/#assumeroles_nodejs
 */
export const ASSUME_ROLE = "sts:AssumeRole";

const sorted = (actions: Iterable<string>) => [...new Set(actions)].sort();

/** The actions one use of one entry needs in a phase: an import is read in preview, then managed. */
function actionsOf(p: Permission, use: Use, phase: Phase): readonly string[] {
    const c = p.calls;
    if (use === "configure" || use === "invoke") return c[use] ?? [];
    if (use === "read" || phase === "preview") return use === "register" ? [] : (c.read ?? []);
    return [c.read, c.create, c.update, c.delete].flatMap((a) => a ?? []);
}

/** Every action a side's calls need in a phase (deploy includes preview: `up` previews first). */
export function actionsFor(side: Side, phase: Phase): string[] {
    const out: string[] = [];
    for (const p of PERMISSIONS) {
        for (const use of p.uses[side] ?? []) {
            out.push(...actionsOf(p, use, "preview"));
            if (phase === "deploy") out.push(...actionsOf(p, use, "deploy"));
        }
    }
    return sorted(out);
}

/** The entry of a token, if any. */
export function permissionOf(token: string): Permission | undefined {
    return PERMISSIONS.find((p) => p.token === token);
}

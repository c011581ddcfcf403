import * as iam from "@pulumi/aws/iam";
import * as pulumi from "@pulumi/pulumi";
import { accountOfArn, placeholderKeyArn, placeholderSecretArn } from "../aws/arn";
import { identityPolicy, roleTrustPolicy } from "../policies/documents";
import type { ReaderGrant } from "../contract/ownerExports";
import { packIdentityPolicy, type IdentityPacking } from "../policies/layout";
import { sizeOf } from "../aws/limits";
import { consumerInlinePolicyName, consumerManagedPolicyName, writerStackId } from "../policies/names";
import { CREATED_BY } from "../existing/ownIdentities";

export interface SecretConsumerArgs {
    /** The readers of this account, as the owner grants them (`grants.<account>.readers`). */
    readonly readers: readonly ReaderGrant[];
    /** Secret ARN by secret name, from the owner (stack outputs or the owner component). */
    readonly secretArns: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** ARN of the key that encrypts each secret, by secret name. */
    readonly keyArns: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The region of the owner's secrets and key. */
    readonly secretsRegion: string;
    /** The owner's account ID: sizes the identity policies before the ARNs are known. */
    readonly ownerAccountId: string;
    /**
     * With several owner stacks: the Region and owner account of each secret, where they differ
     * from `secretsRegion` and `ownerAccountId` (contract/ownerViews.ts).
     */
    readonly origins?: Readonly<Record<string, { readonly region: string; readonly ownerAccountId: string }>>;
    /**
     * Which secrets share a key: a key identifier (any string) by secret name. Sizes the
     * identity policies, which list each key ARN once.
     */
    readonly keyOf: Readonly<Record<string, string>>;
    /**
     * The fully qualified name (`<org>/<project>/<stack>`) of the stack that writes the
     * policies: their names carry its id, so that no two stacks write one name on one identity.
     */
    readonly writerStack: string;
    /** What `consumerPolicyPlan(name, args)` gives, when the caller computed it already. */
    readonly plan?: readonly ReaderPolicyPlan[];
    /**
     * Names of created readers whose user or role this stack created before and that still
     * exist in AWS (existing/ownIdentities.ts): registered with `import`, so that the stack
     * adopts them back instead of failing to create them again.
     */
    readonly retained?: ReadonlySet<string>;
    /**
     * Names this consumer account had in config before (renamed): the component is aliased to
     * each, and so are its children, whose names start with the component's, so that a rename
     * replaces nothing. https://www.pulumi.com/docs/iac/concepts/options/aliases/
     */
    readonly formerNames?: readonly string[];
}

/** What the component writes on one reader, decided before any resource is registered. */
export interface ReaderPolicyPlan {
    readonly reader: ReaderGrant;
    /** The reader's secrets, sorted: the grants the packing's indices refer to. */
    readonly secrets: readonly string[];
    readonly packing: IdentityPacking;
    /** The inline policy's name (mode "inline"), or the managed policies' names, in order. */
    readonly names: readonly string[];
    /**
     * The size of each document as IAM counts it (whitespace not counted), from ARNs of the
     * exact length of the real ones.
     */
    readonly sizes: readonly number[];
}

/** One reader's resources. */
export interface ConsumerReader {
    readonly arn: pulumi.Output<string>;
    readonly name: string;
    readonly kind: "user" | "role";
    readonly user?: iam.User;
    readonly role?: iam.Role;
}

/**
 * The consumer side of a share, in a reader account: each reader user or role (created, or
 * existing and named in config) with an identity policy that allows GetSecretValue on exactly
 * its secrets and kms:Decrypt on exactly their keys, through Secrets Manager only. The policy
 * is inline when it fits, else customer managed policies attached to the identity.
 */
export class SecretConsumer extends pulumi.ComponentResource {
    public readonly readers: Record<string, ConsumerReader>;

    constructor(name: string, args: SecretConsumerArgs, opts?: pulumi.ComponentResourceOptions) {
        const aliases = [...(opts?.aliases ?? []), ...(args.formerNames ?? []).map((n) => ({ name: n }))];
        super("secretshare:index:SecretConsumer", name, {}, { ...opts, ...(aliases.length && { aliases }) });
        const arns = pulumi.all([args.secretArns, args.keyArns]);
        // A created user or role may hold access keys or be assumed by running workloads: if it
        // leaves the config (a removed reader, one flipped to existing: true, a destroyed stack),
        // its policies go, but the identity itself stays in AWS. It carries this stack's name
        // (CREATED_BY), so that this stack adopts it back when it returns (existing/ownIdentities.ts).
        // https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
        const keepIdentity = (r: ReaderGrant): pulumi.CustomResourceOptions => ({
            parent: this,
            retainOnDelete: true,
            ...(args.retained?.has(r.name) && { import: r.name }),
        });
        const tags = { [CREATED_BY]: args.writerStack };
        this.readers = {};
        const plans = args.plan ?? consumerPolicyPlan(name, args);
        for (const { reader: r, secrets, packing, names } of plans) {
            const prefix = `${name}-${r.name}`;
            const partition = r.arn.split(":")[1];
            const documents = packing.chunks.map((chunk) =>
                arns.apply(([secretArns, keyArns]) =>
                    JSON.stringify(
                        identityPolicy({
                            region: args.secretsRegion,
                            grants: chunk.map((i) => {
                                const secretArn = secretArns[secrets[i]] as string | undefined;
                                const keyArn = keyArns[secrets[i]] as string | undefined;
                                if (!secretArn || !keyArn) {
                                    throw new Error(
                                        `the owner exports no ARN for secret ${secrets[i]} granted to ${r.name}`,
                                    );
                                }
                                return { secretArn, keyArn };
                            }),
                        }),
                    ),
                ),
            );

            let identity: pulumi.Input<string>;
            let arn: pulumi.Output<string>;
            let user: iam.User | undefined;
            let role: iam.Role | undefined;
            if (r.existing) {
                // The owner granted the ARN built from the name and configured path; if the real
                // identity has another path (or does not exist), the grant would never match.
                // Check before writing its policy: the policy's identity input waits for the check.
                const opts = { parent: this };
                const found =
                    r.kind === "user"
                        ? iam.getUserOutput({ userName: r.name }, opts).arn
                        : iam.getRoleOutput({ name: r.name }, opts).arn;
                arn = found.apply((actual) => {
                    // IAM finds a name without regard to case, but ArnEquals compares with case:
                    // a grant to user/stuart never matches user/Stuart.
                    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
                    if (actual !== r.arn && actual.toLowerCase() === r.arn.toLowerCase()) {
                        throw new pulumi.RunError(
                            `existing ${r.kind} ${r.name} is ${actual}: IAM found it ignoring case, but the owner grants ${r.arn}, and policies compare ARNs ` +
                                `with case, so the grant would never match. Write its name and path with the case of the real one in the owner's config ` +
                                `(secretshare:consumers.<account>.readers[].${r.kind} and .path), and deploy the owner stack again`,
                        );
                    }
                    if (actual !== r.arn) {
                        throw new pulumi.RunError(
                            `existing ${r.kind} ${r.name} is ${actual}, but the owner grants ${r.arn}: set its path ` +
                                `(secretshare:consumers.<account>.readers[].path) in the owner's config to the real one, and deploy the owner stack again`,
                        );
                    }
                    return actual;
                });
                identity = arn.apply(() => r.name);
            } else if (r.kind === "user") {
                user = new iam.User(prefix, { name: r.name, path: r.path, tags }, keepIdentity(r));
                identity = user.name;
                arn = user.arn;
            } else {
                role = new iam.Role(
                    prefix,
                    {
                        name: r.name,
                        path: r.path,
                        assumeRolePolicy: JSON.stringify(
                            roleTrustPolicy(partition, accountOfArn(r.arn), r.assumedBy ?? []),
                        ),
                        tags,
                    },
                    keepIdentity(r),
                );
                identity = role.name;
                arn = role.arn;
            }

            // A policy is replaced when its name changes (a stack that was deployed with the
            // names of before the stack id, or a renamed stack). Pulumi creates the replacement
            // first by default; the old and new documents would then count twice against the
            // identity's inline budget or its 10 attachments, and AWS refuses the create when
            // they do not fit. Deleting first costs the reader its access for the seconds
            // between the two calls, once; it never fails the deploy (docs/operations.md).
            // https://www.pulumi.com/docs/iac/concepts/options/deletebeforereplace/
            const replace: pulumi.CustomResourceOptions = { parent: this, deleteBeforeReplace: true };
            if (packing.mode === "inline") {
                if (r.kind === "user") {
                    new iam.UserPolicy(
                        `${prefix}-read`,
                        { user: identity, name: names[0], policy: documents[0] },
                        replace,
                    );
                } else {
                    new iam.RolePolicy(
                        `${prefix}-read`,
                        { role: identity, name: names[0], policy: documents[0] },
                        replace,
                    );
                }
            } else {
                documents.forEach((doc, i) => {
                    const policy = new iam.Policy(
                        `${prefix}-read-${i + 1}`,
                        {
                            name: names[i],
                            description: `secretshare (stack ${args.writerStack}): ${r.name} reads shared secrets (part ${i + 1} of ${documents.length})`,
                            policy: doc,
                        },
                        replace,
                    );
                    if (r.kind === "user") {
                        new iam.UserPolicyAttachment(
                            `${prefix}-read-${i + 1}`,
                            { user: identity, policyArn: policy.arn },
                            replace,
                        );
                    } else {
                        new iam.RolePolicyAttachment(
                            `${prefix}-read-${i + 1}`,
                            { role: identity, policyArn: policy.arn },
                            replace,
                        );
                    }
                });
            }
            this.readers[r.name] = { arn, name: r.name, kind: r.kind, ...(user && { user }), ...(role && { role }) };
        }
        this.registerOutputs({
            readerArns: Object.fromEntries(Object.entries(this.readers).map(([n, r]) => [n, r.arn])),
        });
    }
}

/**
 * What SecretConsumer writes on each reader (sorted by name): the packing of its grants, the
 * policy names and their sizes. Pure: decided from ARNs of the exact length of the real ones,
 * so that the existing-identity check (existing/identity.ts) runs before anything is registered.
 */
export function consumerPolicyPlan(
    name: string,
    args: Pick<
        SecretConsumerArgs,
        "readers" | "secretsRegion" | "ownerAccountId" | "keyOf" | "writerStack" | "origins"
    >,
): ReaderPolicyPlan[] {
    const stackId = writerStackId(args.writerStack);
    const keyIds = [...new Set(Object.values(args.keyOf))].sort();
    return [...args.readers]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((reader) => {
            const secrets = [...reader.secrets].sort();
            const partition = reader.arn.split(":")[1];
            const grants = secrets.map((s) => {
                const region = args.origins?.[s]?.region ?? args.secretsRegion;
                const account = args.origins?.[s]?.ownerAccountId ?? args.ownerAccountId;
                // A qualified name (`<owner stack>:<name>`) is as long as the owner's own name in the ARN.
                const own = args.origins?.[s] ? s.slice(s.lastIndexOf(":") + 1) : s;
                return {
                    secretArn: placeholderSecretArn(partition, region, account, own),
                    keyArn: placeholderKeyArn(partition, region, account, keyIds.indexOf(args.keyOf[s])),
                };
            });
            const packing = packIdentityPolicy(`${name}/${reader.name}`, reader.kind, args.secretsRegion, grants);
            const sizes = packing.chunks.map((chunk) =>
                sizeOf(
                    identityPolicy({ region: args.secretsRegion, grants: chunk.map((i) => grants[i]) }),
                    packing.mode === "inline"
                        ? reader.kind === "user"
                            ? "userInline"
                            : "roleInline"
                        : "managedPolicy",
                ),
            );
            const names =
                packing.mode === "inline"
                    ? [consumerInlinePolicyName(stackId)]
                    : packing.chunks.map((_, i) => consumerManagedPolicyName(stackId, reader.name, i + 1));
            return { reader, secrets, packing, names, sizes };
        });
}

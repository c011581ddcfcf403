import * as iam from "@pulumi/aws/iam";
import type * as pulumi from "@pulumi/pulumi";
import { ExistingResourceError } from "../common/errors";
import { exactNames, invokeReason } from "./invokeError";
import { bounded, READ_TIMEOUT_MS } from "./settle";

/**
 * The users and roles this program creates are retained on delete: when a reader leaves the
 * config, or its stack is destroyed, Pulumi forgets the identity and it stays in AWS, because it
 * may hold access keys or be assumed by running workloads.
 * https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
 * A later create of the same name would then fail (`EntityAlreadyExists`): a reader added back,
 * flipped back from `existing: true`, or a stack rebuilt after `pulumi destroy`. So before
 * registering anything, the consumer side looks up every reader it creates (iam:ListUsers /
 * iam:ListRoles, then iam:GetUser / iam:GetRole for the names that exist, in preview too); one that exists and carries this stack's CREATED_BY tag was
 * created by this stack before and is adopted back with the `import` option. For an identity
 * already in the stack's state that is a no-op: the engine imports only when the state holds no
 * resource of that ID (`isImport` in
 * https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step_generator.go).
 * An identity of the same name without the tag is someone else's: it is not taken over, and
 * AWS refuses the create as before (declare it `existing: true`).
 */

/** The tag every created user and role carries: the fully qualified name of the stack that created it. */
export const CREATED_BY = "secretshare:createdBy";

/** One created reader of a consumer account, as the consumer side plans it. */
export interface CreatedReader {
    readonly kind: "user" | "role";
    readonly name: string;
    readonly path: string;
    readonly existing: boolean;
}

export interface ConsumerReaders {
    readonly consumer: string;
    readonly accountId: string;
    readonly readers: readonly CreatedReader[];
    readonly provider: pulumi.ProviderResource;
}

/**
 * Whether a name exists is asked with iam:ListUsers / iam:ListRoles (the provider's users and
 * roles data sources), which answer an empty list when nothing matches: the single-identity data
 * sources fail on a missing name with a text that is not AWS's (`reading IAM User (alice):
 * couldn't find resource`, wrapped by the engine), and a decision on error text would stop on
 * any wording change. The provider applies `nameRegex` with Go's regexp to each listed name, not
 * anchored (users_data_source.go and roles_data_source.go in
 * https://github.com/hashicorp/terraform-provider-aws/tree/main/internal/service/iam), hence
 * `^...$`; IAM names are unique without regard to case
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names),
 * hence `(?i)`. Only names that exist are then read with iam:GetUser / iam:GetRole, for the tags.
 */
async function existingNames(
    kind: "user" | "role",
    names: readonly string[],
    opts: pulumi.InvokeOptions,
    timeoutMs: number,
): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const nameRegex = exactNames(names);
    const listed = await bounded<{ names?: string[] }>(
        kind === "user" ? iam.getUsers({ nameRegex }, opts) : iam.getRoles({ nameRegex }, opts),
        `the ${kind}s named ${names.join(", ")}`,
        timeoutMs,
    );
    return new Set((listed.names ?? []).map((n) => n.toLowerCase()));
}

/**
 * By consumer account name, the names of the created readers whose identity this stack created
 * before and that still exist: SecretConsumer registers them with `import`. Throws one
 * ExistingResourceError with every problem (a lookup that failed, a role whose path changed).
 */
export async function findRetainedIdentities(
    stack: string,
    writerStack: string,
    accounts: readonly ConsumerReaders[],
    timeoutMs = READ_TIMEOUT_MS,
): Promise<Map<string, Set<string>>> {
    const problems: string[] = [];
    const retained = new Map<string, Set<string>>();
    const lookups = accounts.flatMap((a) =>
        (["user", "role"] as const).map(async (kind) => {
            const readers = a.readers.filter((r) => !r.existing && r.kind === kind);
            const opts: pulumi.InvokeOptions = { provider: a.provider };
            const Kind = kind === "user" ? "User" : "Role";
            let exist: Set<string>;
            try {
                exist = await existingNames(
                    kind,
                    readers.map((r) => r.name),
                    opts,
                    timeoutMs,
                );
            } catch (e) {
                problems.push(
                    `${kind}s ${readers.map((r) => r.name).join(", ")} (account ${a.accountId}): cannot list them (${invokeReason(e)}). ` +
                        `A reader this program creates is looked up first, to adopt back one that this stack created before; ` +
                        `this stack's credentials need iam:List${Kind}s and iam:Get${Kind}, in preview too.`,
                );
                return;
            }
            await Promise.all(
                readers
                    .filter((r) => exist.has(r.name.toLowerCase()))
                    .map(async (r) => {
                        const where = `${r.kind} ${r.name} (account ${a.accountId})`;
                        let found: { path: string; tags?: Record<string, string> };
                        try {
                            found = await bounded<{ path: string; tags?: Record<string, string> }>(
                                r.kind === "user"
                                    ? iam.getUser({ userName: r.name }, opts)
                                    : iam.getRole({ name: r.name }, opts),
                                `${r.kind} ${r.name}`,
                                timeoutMs,
                            );
                        } catch (e) {
                            problems.push(
                                `${where}: it exists but cannot be read (${invokeReason(e)}). A reader this program creates is looked up first, to adopt ` +
                                    `back one that this stack created before; this stack's credentials need iam:Get${Kind}, in preview too.`,
                            );
                            return;
                        }
                        if (found.tags?.[CREATED_BY] !== writerStack) return;
                        if (r.kind === "role" && found.path !== r.path) {
                            problems.push(
                                `${where}: this stack created it at path ${found.path}, and the owner's config now says ${r.path}; ` +
                                    `IAM cannot move a role to another path, and a role of the same name cannot be created while it exists. ` +
                                    `Keep path ${found.path} (secretshare:consumers.<account>.readers[].path), or give the reader a new name.`,
                            );
                            return;
                        }
                        if (!retained.has(a.consumer)) retained.set(a.consumer, new Set());
                        retained.get(a.consumer)?.add(r.name);
                    }),
            );
        }),
    );
    await Promise.all(lookups);
    if (problems.length) throw new ExistingResourceError(stack, problems.sort());
    return retained;
}

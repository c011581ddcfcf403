import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ExistingResourceError } from "../common/errors";
import { bounded, READ_TIMEOUT_MS } from "./settle";

/**
 * The users and roles this program creates are retained on delete: when a reader leaves the
 * config, or its stack is destroyed, Pulumi forgets the identity and it stays in AWS, because it
 * may hold access keys or be assumed by running workloads.
 * https://www.pulumi.com/docs/iac/concepts/options/retainondelete/
 * A later create of the same name would then fail (`EntityAlreadyExists`): a reader added back,
 * flipped back from `existing: true`, or a stack rebuilt after `pulumi destroy`. So before
 * registering anything, the consumer side looks up every reader it creates (iam:GetUser /
 * iam:GetRole, in preview too); one that exists and carries this stack's CREATED_BY tag was
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

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e)).split("\n")[0];

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
    await Promise.all(
        accounts.flatMap((a) =>
            a.readers
                .filter((r) => !r.existing)
                .map(async (r) => {
                    const opts: pulumi.InvokeOptions = { provider: a.provider };
                    const where = `${r.kind} ${r.name} (account ${a.accountId})`;
                    let found: { path: string; tags?: Record<string, string> };
                    try {
                        found = await bounded<{ path: string; tags?: Record<string, string> }>(
                            r.kind === "user"
                                ? aws.iam.getUser({ userName: r.name }, opts)
                                : aws.iam.getRole({ name: r.name }, opts),
                            `${r.kind} ${r.name}`,
                            timeoutMs,
                        );
                    } catch (e) {
                        if (/NoSuchEntity/.test(reason(e))) return;
                        const Kind = r.kind === "user" ? "User" : "Role";
                        problems.push(
                            `${where}: cannot look it up (${reason(e)}). A reader this program creates is looked up first, to adopt ` +
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
        ),
    );
    if (problems.length) throw new ExistingResourceError(stack, problems.sort());
    return retained;
}

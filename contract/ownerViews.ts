import * as pulumi from "@pulumi/pulumi";
import type { ReaderGrant } from "./ownerExports";
import type { ConsumerView } from "./ownerReference";

/**
 * A consumer stack that reads several owner stacks (`secretshare:ownerStacks`) writes one set of
 * policies per reader, covering what every owner grants it: the owners' views merged here.
 * Secret names are each owner's own, so two owners may both have `db`: with more than one owner,
 * a secret is known as `<owner stack>:<name>` (the stack as configured). Each secret keeps the
 * Region and account of its owner, which size the reader's policies and pick the Secrets Manager
 * endpoint its key's Decrypt statement names (policies/documents.ts).
 */

export interface OwnerView {
    /** The owner stack as configured (`<org>/<project>/<stack>`). */
    readonly stack: string;
    readonly view: ConsumerView;
}

export interface MergedView {
    /** Every reader any owner grants, each once, with the secrets of every owner. */
    readonly readers: readonly ReaderGrant[];
    readonly secretArns: Record<string, string>;
    readonly keyArns: Record<string, string>;
    /** Where each secret is, for ARNs of the exact length before the real ones are known. */
    readonly origins: Readonly<Record<string, { readonly region: string; readonly ownerAccountId: string }>>;
    /** The first owner's Region and account: the defaults for what `origins` does not name. */
    readonly region: string;
    readonly ownerAccountId: string;
}

/** A secret's name across owners: its own name with one owner, `<stack>:<name>` with several. */
export const qualifiedSecret = (owners: number, stack: string, name: string) =>
    owners > 1 ? `${stack}:${name}` : name;

/** What two owners must agree on about one reader (they grant the same identity). */
const identityOf = (r: ReaderGrant) =>
    JSON.stringify({
        kind: r.kind,
        path: r.path,
        arn: r.arn,
        existing: r.existing,
        assumedBy: r.assumedBy ? [...r.assumedBy].sort() : undefined,
    });

export function mergeOwnerViews(owners: readonly OwnerView[]): MergedView {
    const n = owners.length;
    const readers = new Map<string, { grant: ReaderGrant; from: string; secrets: string[] }>();
    const secretArns: Record<string, string> = {};
    const keyArns: Record<string, string> = {};
    const origins: Record<string, { region: string; ownerAccountId: string }> = {};
    for (const { stack, view } of owners) {
        for (const [name, arn] of Object.entries(view.secretArns)) secretArns[qualifiedSecret(n, stack, name)] = arn;
        for (const [name, arn] of Object.entries(view.keyArns)) keyArns[qualifiedSecret(n, stack, name)] = arn;
        for (const name of Object.keys(view.secretArns)) {
            origins[qualifiedSecret(n, stack, name)] = { region: view.region, ownerAccountId: view.ownerAccountId };
        }
        for (const r of view.readers) {
            const secrets = r.secrets.map((s) => qualifiedSecret(n, stack, s));
            const seen = readers.get(r.name);
            if (!seen) {
                readers.set(r.name, { grant: r, from: stack, secrets });
                continue;
            }
            if (identityOf(seen.grant) !== identityOf(r)) {
                // One identity, one definition: the consumer stack creates or adopts it once.
                throw new pulumi.RunError(
                    `owner stacks ${seen.from} and ${stack} grant ${r.kind} ${r.name} as different identities ` +
                        `(${identityOf(seen.grant)} and ${identityOf(r)}): make its kind, path, existing and assumedBy ` +
                        `the same under secretshare:consumers in both owners' config, and deploy them before this stack`,
                );
            }
            seen.secrets.push(...secrets);
        }
    }
    // One owner: its readers exactly as it exports them.
    const merged = [...readers.values()].map(({ grant, secrets }) =>
        n === 1 ? grant : { ...grant, secrets: [...new Set(secrets)].sort() },
    );
    return {
        readers: merged,
        secretArns,
        keyArns,
        origins,
        region: owners[0].view.region,
        ownerAccountId: owners[0].view.ownerAccountId,
    };
}

import {
    GetAccountSummaryCommand,
    GetPolicyCommand,
    GetPolicyVersionCommand,
    GetRoleCommand,
    GetRolePolicyCommand,
    GetUserCommand,
    GetUserPolicyCommand,
    IAMClient,
    ListAttachedRolePoliciesCommand,
    ListAttachedUserPoliciesCommand,
    ListRolePoliciesCommand,
    ListUserPoliciesCommand,
} from "@aws-sdk/client-iam";
import { DescribeKeyCommand, GetKeyPolicyCommand, KMSClient, ListAliasesCommand } from "@aws-sdk/client-kms";
import { DescribeSecretCommand, GetResourcePolicyCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { NamedIdentity, NamedKey, NamedSecret } from "../plan/world/named";
import type { WorldSnapshot } from "../plan/world/schema";
import { absentArn } from "../plan/world/world";
import { errorName } from "./awsErrors";
import { clientConfig, type Side } from "./credentials";
import type { Deps } from "./deps";
import { withRetry } from "./retry";

/**
 * The read-only AWS calls of `npm run verify -- --snapshot FILE` (./snapshot.ts), one function per
 * kind of resource. Each records what AWS answers into `into`, or that the resource does not
 * exist; any other error (AccessDenied, say) is thrown for the caller to report. Never
 * GetSecretValue: a secret is recorded by DescribeSecret and GetResourcePolicy only.
 * IAM returns policy documents URL-encoded (RFC 3986); KMS and Secrets Manager as plain JSON.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetUserPolicy.html
 */

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };
export type Recording = Mutable<
    Pick<WorldSnapshot, "keys" | "secrets" | "identities" | "managedPolicies" | "absent">
> & {
    accounts: WorldSnapshot["accounts"];
};

const NOT_FOUND = new Set(["NotFoundException", "ResourceNotFoundException", "NoSuchEntityException", "NoSuchEntity"]);
const isNotFound = (e: unknown) => NOT_FOUND.has(errorName(e));
const json = (text: string | undefined): Record<string, unknown> | undefined =>
    text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
const iamJson = (text: string | undefined) => json(text === undefined ? undefined : decodeURIComponent(text));

/**
 * Every page of a list call, each page retried on throttling as the other calls are (the SDK's
 * paginators would send the pages with the clients' single attempt). IAM pages with Marker and
 * IsTruncated, KMS ListAliases with NextMarker and Truncated.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserPolicies.html
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html
 */
async function allPages<T>(
    deps: Deps,
    what: string,
    page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
): Promise<T[]> {
    const items: T[] = [];
    let marker: string | undefined;
    do {
        const p = await withRetry(deps, what, () => page(marker));
        items.push(...p.items);
        marker = p.next;
    } while (marker !== undefined);
    return items;
}

/** A key: DescribeKey, ListAliases, and GetKeyPolicy for an Enabled customer managed key (as the program reads it). */
export async function recordKey(
    deps: Deps,
    side: Side,
    n: Pick<NamedKey, "ref" | "region"> & Partial<NamedKey>,
    into: Recording,
    withPolicy = true,
): Promise<string | undefined> {
    const kms = new KMSClient(clientConfig(side, n.region));
    let meta;
    try {
        meta = (await withRetry(deps, `DescribeKey ${n.ref}`, () => kms.send(new DescribeKeyCommand({ KeyId: n.ref }))))
            .KeyMetadata;
    } catch (e) {
        if (!isNotFound(e) || !n.kind) throw e;
        into.absent.push(absentArn(n as NamedKey));
        return undefined;
    }
    if (!meta?.Arn || !meta.KeyId) throw new Error(`DescribeKey ${n.ref} answered no key ARN`);
    const arn = meta.Arn;
    const usable = meta.KeyManager === "CUSTOMER" && meta.KeyState === "Enabled";
    const keyId = meta.KeyId;
    const readPolicy = async () =>
        json(
            (
                await withRetry(deps, `GetKeyPolicy ${arn}`, () =>
                    kms.send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: "default" })),
                )
            ).Policy,
        );
    const known = into.keys.find((k) => k.arn === arn);
    if (known) {
        // First read as a secret's key (no policy); a stack names it as its key: the plan needs its policy.
        if (withPolicy && usable && !known.policy) {
            const policy = await readPolicy();
            if (policy) into.keys[into.keys.indexOf(known)] = { ...known, policy };
        }
        return arn;
    }
    const aliases = await allPages(deps, `ListAliases ${arn}`, async (Marker) => {
        const p = await kms.send(new ListAliasesCommand({ KeyId: keyId, ...(Marker && { Marker }) }));
        return {
            items: (p.Aliases ?? []).flatMap((a) => (a.AliasName ? [a.AliasName] : [])),
            next: p.Truncated ? p.NextMarker : undefined,
        };
    });
    const policy = withPolicy && usable ? await readPolicy() : undefined;
    into.keys.push({
        arn,
        aliases,
        keyManager: meta.KeyManager === "AWS" ? "AWS" : "CUSTOMER",
        keyState: meta.KeyState ?? "Enabled",
        keyUsage: meta.KeyUsage ?? "ENCRYPT_DECRYPT",
        keySpec: meta.KeySpec ?? "SYMMETRIC_DEFAULT",
        description: meta.Description ?? "",
        ...(meta.DeletionDate && { deletionDate: meta.DeletionDate.toISOString() }),
        ...(policy && { policy }),
    });
    return arn;
}

/** A secret: DescribeSecret and GetResourcePolicy, and DescribeKey of its KMS key. Never its value. */
export async function recordSecret(deps: Deps, side: Side, n: NamedSecret, into: Recording): Promise<void> {
    const sm = new SecretsManagerClient(clientConfig(side, n.region));
    let d;
    try {
        d = await withRetry(deps, `DescribeSecret ${n.ref}`, () =>
            sm.send(new DescribeSecretCommand({ SecretId: n.ref })),
        );
    } catch (e) {
        if (!isNotFound(e)) throw e;
        into.absent.push(absentArn(n));
        return;
    }
    if (!d.ARN) throw new Error(`DescribeSecret ${n.ref} answered no ARN`);
    const arn = d.ARN;
    const policy = json(
        (
            await withRetry(deps, `GetResourcePolicy ${arn}`, () =>
                sm.send(new GetResourcePolicyCommand({ SecretId: arn })),
            )
        ).ResourcePolicy,
    );
    into.secrets.push({
        arn,
        ...(d.KmsKeyId && { kmsKeyId: d.KmsKeyId }),
        description: d.Description ?? "",
        tags: Object.fromEntries((d.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
        ...(policy && { policy }),
    });
    // The program reads the secret's key (DescribeKey) to tell an AWS managed key from a customer's.
    if (d.KmsKeyId && d.KmsKeyId !== "alias/aws/secretsmanager") {
        try {
            await recordKey(deps, side, { ref: d.KmsKeyId, region: n.region }, into, false);
        } catch (e) {
            // As the program does: a key these credentials cannot read is compared by its KmsKeyId.
            if (!/AccessDenied|NotFound/.test(errorName(e))) throw e;
        }
    }
}

/**
 * A user or role: GetUser / GetRole (ARN, tags, a role's trust policy); for an existing reader,
 * also its inline policies (List*Policies + Get*Policy) and attached managed policies
 * (ListAttached*Policies, then GetPolicy + GetPolicyVersion of each one's default version).
 */
export async function recordIdentity(deps: Deps, side: Side, n: NamedIdentity, into: Recording): Promise<void> {
    const iam = new IAMClient(clientConfig(side, "us-east-1"));
    const user = n.identity === "user";
    let found:
        { Arn?: string; Tags?: { Key?: string; Value?: string }[]; AssumeRolePolicyDocument?: string } | undefined;
    try {
        found = user
            ? (await withRetry(deps, `GetUser ${n.name}`, () => iam.send(new GetUserCommand({ UserName: n.name }))))
                  .User
            : (await withRetry(deps, `GetRole ${n.name}`, () => iam.send(new GetRoleCommand({ RoleName: n.name }))))
                  .Role;
    } catch (e) {
        if (!isNotFound(e)) throw e;
        into.absent.push(absentArn(n));
        return;
    }
    if (!found?.Arn) throw new Error(`Get${user ? "User" : "Role"} ${n.name} answered no ARN`);
    const arn = found.Arn;
    const inline: Record<string, Record<string, unknown>> = {};
    const attached: string[] = [];
    if (n.existing) {
        const names = await allPages(deps, `List${user ? "User" : "Role"}Policies ${n.name}`, async (Marker) => {
            const p = user
                ? await iam.send(new ListUserPoliciesCommand({ UserName: n.name, ...(Marker && { Marker }) }))
                : await iam.send(new ListRolePoliciesCommand({ RoleName: n.name, ...(Marker && { Marker }) }));
            return { items: p.PolicyNames ?? [], next: p.IsTruncated ? p.Marker : undefined };
        });
        for (const p of names.sort()) {
            const doc = user
                ? (
                      await withRetry(deps, `GetUserPolicy ${n.name} ${p}`, () =>
                          iam.send(new GetUserPolicyCommand({ UserName: n.name, PolicyName: p })),
                      )
                  ).PolicyDocument
                : (
                      await withRetry(deps, `GetRolePolicy ${n.name} ${p}`, () =>
                          iam.send(new GetRolePolicyCommand({ RoleName: n.name, PolicyName: p })),
                      )
                  ).PolicyDocument;
            const parsed = iamJson(doc);
            if (parsed) inline[p] = parsed;
        }
        const listed = await allPages(
            deps,
            `ListAttached${user ? "User" : "Role"}Policies ${n.name}`,
            async (Marker) => {
                const p = user
                    ? await iam.send(
                          new ListAttachedUserPoliciesCommand({ UserName: n.name, ...(Marker && { Marker }) }),
                      )
                    : await iam.send(
                          new ListAttachedRolePoliciesCommand({ RoleName: n.name, ...(Marker && { Marker }) }),
                      );
                return {
                    items: (p.AttachedPolicies ?? []).flatMap((a) => (a.PolicyArn ? [a.PolicyArn] : [])),
                    next: p.IsTruncated ? p.Marker : undefined,
                };
            },
        );
        attached.push(...listed);
        for (const policyArn of attached) await recordManagedPolicy(deps, iam, policyArn, into);
    }
    const trust = iamJson(found.AssumeRolePolicyDocument);
    into.identities.push({
        arn,
        tags: Object.fromEntries((found.Tags ?? []).map((t) => [t.Key ?? "", t.Value ?? ""])),
        inline,
        attached: attached.sort(),
        ...(trust && { trustPolicy: trust }),
    });
}

async function recordManagedPolicy(deps: Deps, iam: IAMClient, arn: string, into: Recording): Promise<void> {
    if (into.managedPolicies.some((p) => p.arn === arn)) return;
    const policy = (await withRetry(deps, `GetPolicy ${arn}`, () => iam.send(new GetPolicyCommand({ PolicyArn: arn }))))
        .Policy;
    const versionId = policy?.DefaultVersionId;
    if (!versionId) throw new Error(`GetPolicy ${arn} answered no default version`);
    const version = await withRetry(deps, `GetPolicyVersion ${arn} ${versionId}`, () =>
        iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
    );
    const document = iamJson(version.PolicyVersion?.Document);
    if (!document) throw new Error(`GetPolicyVersion ${arn} ${versionId} answered no document`);
    into.managedPolicies.push({ arn, versionId, document });
}

/** IAM's quotas of the side's account (GetAccountSummary): the attached-policies quota the preflight counts against. */
export async function recordAccount(deps: Deps, side: Side, accountId: string, into: Recording): Promise<void> {
    const iam = new IAMClient(clientConfig(side, "us-east-1"));
    const map =
        (await withRetry(deps, `GetAccountSummary ${accountId}`, () => iam.send(new GetAccountSummaryCommand({}))))
            .SummaryMap ?? {};
    const summary = map as Readonly<Record<string, number | undefined>>;
    const n = (k: string) => {
        const v = summary[k];
        return typeof v === "number" && v > 0 ? v : undefined;
    };
    into.accounts[accountId] = {
        iam: {
            attachedPoliciesPerUserQuota: n("AttachedPoliciesPerUserQuota") ?? 10,
            attachedPoliciesPerRoleQuota: n("AttachedPoliciesPerRoleQuota") ?? 10,
            ...(n("UserPolicySizeQuota") && { userPolicySizeQuota: n("UserPolicySizeQuota") }),
            ...(n("RolePolicySizeQuota") && { rolePolicySizeQuota: n("RolePolicySizeQuota") }),
            ...(n("PolicySizeQuota") && { policySizeQuota: n("PolicySizeQuota") }),
        },
    };
}

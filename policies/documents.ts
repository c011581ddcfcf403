import { createHash } from "crypto";
import { accountOfArn, accountRootArn, secretsManagerService } from "../aws/arn";

/**
 * The three documents of a cross-account share, built from plain values. The components, the
 * tests and the offline plan all call these functions, so they cannot disagree.
 */

export type OneOrMany = string | string[];

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: "*" | { AWS?: OneOrMany; Service?: OneOrMany };
    Action: OneOrMany;
    /** Absent only in a role's trust policy. */
    Resource?: OneOrMany;
    Condition?: Record<string, Record<string, OneOrMany>>;
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

/** Sid prefix of every statement this program writes into a key or secret policy. */
export const SID_PREFIX = "SecretShare";

/** A reader as the owner's policies see it. */
export interface Grantee {
    readonly arn: string;
}

export type PrincipalForm = "account-root" | "principal-arn";

/** One element alone, several as a sorted list without duplicates: compact and stable. */
function oneOrMany(values: Iterable<string>): OneOrMany {
    const list = [...new Set(values)].sort();
    return list.length === 1 ? list[0] : list;
}

/** A short, stable tag for a set of strings, so a Sid survives other groups coming and going. */
function tag(values: readonly string[], digits = 8): string {
    return createHash("sha256")
        .update([...values].sort().join("\n"))
        .digest("hex")
        .slice(0, digits);
}

/**
 * Who a grant statement names. "account-root": the readers' account roots, narrowed by
 * `ArnEquals aws:PrincipalArn`, so the policy can be saved before a reader exists and still
 * works after it is deleted and recreated. "principal-arn": the readers' ARNs (the walk-through's form),
 * which AWS resolves to unique IDs when the policy is saved.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
 */
function principalOf(
    partition: string,
    readerArns: readonly string[],
    form: PrincipalForm,
): { Principal: { AWS: OneOrMany }; Condition: Record<string, Record<string, OneOrMany>> } {
    if (form === "principal-arn") return { Principal: { AWS: oneOrMany(readerArns) }, Condition: {} };
    return {
        Principal: { AWS: oneOrMany(readerArns.map((a) => accountRootArn(partition, accountOfArn(a)))) },
        Condition: { ArnEquals: { "aws:PrincipalArn": oneOrMany(readerArns) } },
    };
}

export interface SecretPolicyArgs {
    readonly partition: string;
    /** ARNs of the identities that may read the secret. */
    readonly readerArns: readonly string[];
    readonly principalForm: PrincipalForm;
    /** Also allow calls that name neither VersionStage nor VersionId (they get AWSCURRENT). */
    readonly acceptDefaultStage: boolean;
}

/**
 * The secret's resource policy: GetSecretValue only, for the readers only, only AWSCURRENT.
 * A call that names no stage carries no `secretsmanager:VersionStage` and so fails a
 * StringEquals on it; `acceptDefaultStage` adds a statement for exactly that call.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples.html
 */
export function secretResourcePolicy(args: SecretPolicyArgs): PolicyDocument {
    const who = principalOf(args.partition, args.readerArns, args.principalForm);
    const read = (sid: string, condition: Record<string, Record<string, OneOrMany>>): Statement => ({
        Sid: sid,
        Effect: "Allow",
        Principal: who.Principal,
        Action: "secretsmanager:GetSecretValue",
        Resource: "*",
        Condition: { ...who.Condition, ...condition },
    });
    const statements = [
        read(`${SID_PREFIX}ReadCurrent`, { StringEquals: { "secretsmanager:VersionStage": "AWSCURRENT" } }),
    ];
    if (args.acceptDefaultStage) {
        statements.push(
            read(`${SID_PREFIX}ReadDefault`, {
                Null: { "secretsmanager:VersionStage": "true", "secretsmanager:VersionId": "true" },
            }),
        );
    }
    return { Version: "2012-10-17", Statement: statements };
}

export interface KeyGrant {
    readonly readerArn: string;
    /** ARN patterns (or ARNs) of the secrets, encrypted with this key, that the reader may read. */
    readonly secretArns: readonly string[];
}

export interface KeyPolicyArgs {
    readonly partition: string;
    readonly region: string;
    readonly ownerAccountId: string;
    readonly grants: readonly KeyGrant[];
    readonly principalForm: PrincipalForm;
    readonly grantDescribeKey: boolean;
}

/** Readers allowed to Decrypt for exactly these secrets: one key-policy statement. */
interface DecryptGroup {
    readonly readers: readonly string[];
    readonly secrets: readonly string[];
}

/** Code-unit order (not localeCompare): the same on every machine, so no churn between previews. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Groups the (reader, secret) pairs of `grants` in two exact ways: readers with the same set
 * of secrets share a statement ("by reader"), or secrets with the same set of readers share one
 * ("by secret"). Each allows every granted pair and no other; sorted by their secrets.
 */
function decryptGroupings(grants: readonly KeyGrant[]): DecryptGroup[][] {
    const pairs = new Map<string, Set<string>>();
    for (const g of grants) {
        for (const s of g.secretArns) pairs.set(g.readerArn, (pairs.get(g.readerArn) ?? new Set()).add(s));
    }
    const group = (of: Map<string, Set<string>>, flip: boolean): DecryptGroup[] => {
        const byMembers = new Map<string, { keys: string[]; members: string[] }>();
        for (const [key, set] of of) {
            const members = [...set].sort(byText);
            const k = members.join("\n");
            const g = byMembers.get(k) ?? { keys: [], members };
            g.keys.push(key);
            byMembers.set(k, g);
        }
        return [...byMembers.values()]
            .map((g) => {
                const keys = g.keys.sort(byText);
                return flip ? { readers: g.members, secrets: keys } : { readers: keys, secrets: g.members };
            })
            .sort((a, b) => byText(a.secrets.join("\n"), b.secrets.join("\n")));
    };
    const readersOf = new Map<string, Set<string>>();
    for (const [reader, secrets] of pairs) {
        for (const s of secrets) readersOf.set(s, (readersOf.get(s) ?? new Set()).add(reader));
    }
    return [group(pairs, false), group(readersOf, true)];
}

/**
 * The key policy. The owner account keeps full control through IAM (the AWS default
 * statement), so nobody is locked out. Readers may Decrypt only through Secrets Manager in
 * the key's region, and only for the secrets they read: Secrets Manager puts the secret's ARN
 * in the encryption context, so a reader of secret A cannot use the key for secret B.
 * Readers with the same set of secrets share one statement, or secrets with the same set of
 * readers do, whichever document is smaller (the first on a tie): both grant exactly the
 * configured pairs, and the choice depends only on them, not on config order.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-encryption-context
 */
export function keyPolicy(args: KeyPolicyArgs): PolicyDocument {
    const statements: Statement[] = [
        {
            Sid: `${SID_PREFIX}OwnerAdministers`,
            Effect: "Allow",
            Principal: { AWS: accountRootArn(args.partition, args.ownerAccountId) },
            Action: "kms:*",
            Resource: "*",
        },
    ];
    const decrypt = (groups: readonly DecryptGroup[]): Statement[] => {
        // Sids must be unique in a policy; the 8-digit tag keeps them short, 16 digits if two collide.
        const short = groups.map((g) => tag(g.secrets));
        const long = new Set(short).size === short.length ? undefined : groups.map((g) => tag(g.secrets, 16));
        return groups.map((g, i) => {
            const who = principalOf(args.partition, g.readers, args.principalForm);
            return {
                Sid: `${SID_PREFIX}Decrypt${(long ?? short)[i]}`,
                Effect: "Allow",
                Principal: who.Principal,
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: {
                    ...who.Condition,
                    StringEquals: { "kms:ViaService": secretsManagerService(args.region) },
                    StringLike: { "kms:EncryptionContext:SecretARN": oneOrMany(g.secrets) },
                },
            };
        });
    };
    const [byReader, bySecret] = decryptGroupings(args.grants).map(decrypt);
    const size = (s: Statement[]) => JSON.stringify(s).length;
    statements.push(...(size(bySecret) < size(byReader) ? bySecret : byReader));

    const allReaders = [...new Set(args.grants.filter((g) => g.secretArns.length).map((g) => g.readerArn))].sort();
    if (args.grantDescribeKey && allReaders.length) {
        const who = principalOf(args.partition, allReaders, args.principalForm);
        statements.push({
            Sid: `${SID_PREFIX}DescribeKey`,
            Effect: "Allow",
            Principal: who.Principal,
            Action: "kms:DescribeKey",
            Resource: "*",
            ...(Object.keys(who.Condition).length ? { Condition: who.Condition } : {}),
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

export interface IdentityGrant {
    readonly secretArn: string;
    readonly keyArn: string;
}

export interface IdentityPolicyArgs {
    /** The region of the secrets (Secrets Manager calls KMS there). */
    readonly region: string;
    readonly grants: readonly IdentityGrant[];
}

/** The Region of a KMS key ARN (`arn:<partition>:kms:<region>:...`), or undefined for another form. */
const regionOfKeyArn = (arn: string): string | undefined => /^arn:[\w-]+:kms:([a-z0-9-]+):/.exec(arn)?.[1];

/**
 * A reader's identity policy: GetSecretValue on exactly its secrets, kms:Decrypt on exactly
 * their keys and only through Secrets Manager. Cross-account access needs this and the
 * owner's policies both. Secrets Manager calls KMS in the secret's Region, so keys of another
 * Region (a consumer reading owner stacks in two Regions) get a Decrypt statement of their own,
 * through Secrets Manager of their Region; keys of `region` keep the one statement.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_examples_cross.html
 */
export function identityPolicy(args: IdentityPolicyArgs): PolicyDocument {
    const byRegion = new Map<string, string[]>();
    for (const g of args.grants) {
        const region = regionOfKeyArn(g.keyArn) ?? args.region;
        byRegion.set(region, [...(byRegion.get(region) ?? []), g.keyArn]);
    }
    const regions = [...byRegion.keys()].sort(byText);
    const home = regions.includes(args.region) || regions.length === 0 ? args.region : regions[0];
    const decrypt = (region: string, keys: readonly string[]): Statement => ({
        Sid: region === home ? "DecryptViaSecretsManager" : `DecryptViaSecretsManager${region.replace(/-/g, "")}`,
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: oneOrMany(keys),
        Condition: { StringEquals: { "kms:ViaService": secretsManagerService(region) } },
    });
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ReadSharedSecrets",
                Effect: "Allow",
                Action: "secretsmanager:GetSecretValue",
                Resource: oneOrMany(args.grants.map((g) => g.secretArn)),
            },
            decrypt(home, byRegion.get(home) ?? []),
            ...regions.filter((r) => r !== home).map((r) => decrypt(r, byRegion.get(r) as string[])),
        ],
    };
}

/** The STS actions a service may need on a role it assumes. */
export type TrustAction = "sts:AssumeRole" | "sts:TagSession" | "sts:SetSourceIdentity";

/** What a service principal needs in the trust policy of a role it assumes. */
export interface ServiceTrust {
    /**
     * The actions the trust policy must allow the service: sts:AssumeRole, plus sts:TagSession
     * where the service tags the session it opens and sts:SetSourceIdentity where it sets its
     * source identity. A missing one and the service can never assume the role.
     */
    readonly actions: readonly TrustAction[];
    /**
     * The service sends `aws:SourceAccount` (the account of the resource it acts for) when it
     * assumes a role, so the trust can require the role's own account (confused deputy).
     */
    readonly sourceAccount: boolean;
    /** The public page that documents it. */
    readonly source: string;
}

/**
 * The service principals a reader role may trust (`assumedBy`), with what each documents that
 * it needs. Config refuses any other: IAM refuses a trust policy naming a service principal it
 * does not know (a misspelt one), and a service that needs more than sts:AssumeRole could never
 * assume a role that allows only that. No condition goes on a key a service does not send: it
 * would deny the service for good (EC2 and Lambda document no aws:SourceAccount on AssumeRole;
 * EKS Pod Identity and IAM Roles Anywhere document session tags but no aws:SourceAccount).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export const SERVICE_TRUST: Readonly<Record<string, ServiceTrust>> = {
    "ec2.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sourceAccount: false,
        source: "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html",
    },
    "ecs-tasks.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sourceAccount: true,
        source: "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
    },
    "lambda.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sourceAccount: false,
        source: "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
    },
    "pods.eks.amazonaws.com": {
        actions: ["sts:AssumeRole", "sts:TagSession"],
        sourceAccount: false,
        source: "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html",
    },
    "rolesanywhere.amazonaws.com": {
        actions: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
        sourceAccount: false,
        source: "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html",
    },
    "scheduler.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sourceAccount: true,
        source: "https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role",
    },
    "states.amazonaws.com": {
        actions: ["sts:AssumeRole"],
        sourceAccount: true,
        source: "https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html",
    },
};

/** The service principals config accepts in `assumedBy`, sorted. */
export const KNOWN_SERVICES: readonly string[] = Object.keys(SERVICE_TRUST).sort();

/**
 * What `service` needs. Config accepts only the services of SERVICE_TRUST; another can reach here
 * only through owner exports written without that check, and gets sts:AssumeRole alone (the
 * plan's trust probes then refuse it: plan/proof/trust.ts).
 */
export function serviceTrust(service: string): ServiceTrust {
    return SERVICE_TRUST[service] ?? { actions: ["sts:AssumeRole"], sourceAccount: false, source: "" };
}

/** How a statement's Sid says what the service may do: "Assumes", "AssumesAndTags", ... */
const TRUST_VERBS: Record<TrustAction, string> = {
    "sts:AssumeRole": "Assumes",
    "sts:TagSession": "Tags",
    "sts:SetSourceIdentity": "SetsSourceIdentity",
};

function verbsOf(actions: readonly TrustAction[]): string {
    const verbs = actions.map((a) => TRUST_VERBS[a]);
    return verbs.length > 1 ? `${verbs.slice(0, -1).join("")}And${verbs[verbs.length - 1]}` : verbs.join("");
}

/**
 * The trust policy of a reader role this program creates. With `assumedBy`, exactly those
 * service principals and IAM ARNs may assume it; without, its own account (then the account's
 * identity policies decide who may, as for a console role trusting "this account"). Prefer
 * naming the workload: anyone in the account allowed sts:AssumeRole on it can read its secrets.
 * Services get what SERVICE_TRUST documents for them: the actions they call (sts:TagSession for
 * EKS Pod Identity; sts:TagSession and sts:SetSourceIdentity for IAM Roles Anywhere), and
 * `aws:SourceAccount` = the role's account where they send it, so that the service cannot be
 * made to assume the role for a resource of another account.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy
 */
export function roleTrustPolicy(partition: string, accountId: string, assumedBy: readonly string[]): PolicyDocument {
    const services = assumedBy.filter((p) => !p.startsWith("arn:"));
    const arns = assumedBy.filter((p) => p.startsWith("arn:"));
    // A trust policy has no Resource element: IAM refuses one (MalformedPolicyDocument).
    const statements: Statement[] = [];
    if (arns.length || !assumedBy.length) {
        statements.push({
            Sid: "AssumeReaderRole",
            Effect: "Allow",
            Principal: { AWS: arns.length ? oneOrMany(arns) : accountRootArn(partition, accountId) },
            Action: "sts:AssumeRole",
        });
    }
    // Services with the same needs share a statement: fewer actions first, then without the
    // condition before with it, so that adding a service does not reorder the others.
    const groups = new Map<string, { actions: readonly TrustAction[]; sourceAccount: boolean; services: string[] }>();
    for (const p of services) {
        const t = serviceTrust(p);
        const key = `${t.actions.length}\n${t.actions.join(",")}\n${t.sourceAccount ? 1 : 0}`;
        const g = groups.get(key) ?? { actions: t.actions, sourceAccount: t.sourceAccount, services: [] };
        g.services.push(p);
        groups.set(key, g);
    }
    for (const key of [...groups.keys()].sort(byText)) {
        const g = groups.get(key) as { actions: readonly TrustAction[]; sourceAccount: boolean; services: string[] };
        statements.push({
            Sid: `Service${verbsOf(g.actions)}ReaderRole${g.sourceAccount ? "ForItsAccount" : ""}`,
            Effect: "Allow",
            Principal: { Service: oneOrMany(g.services) },
            Action: g.actions.length === 1 ? g.actions[0] : [...g.actions],
            ...(g.sourceAccount && { Condition: { StringEquals: { "aws:SourceAccount": accountId } } }),
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

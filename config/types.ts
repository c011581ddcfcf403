/** The typed, validated configuration that `parseConfig` returns. Plain values only. */

export type StackMode = "owner" | "consumer" | "all";

export interface AssumeRole {
    readonly roleArn: string;
    readonly externalId?: string;
    readonly sessionName?: string;
}

/** One AWS account the program deploys to or grants to. */
export interface Account {
    /** Name used in config and in logical resource names: "owner" or the consumer's key. */
    readonly name: string;
    readonly accountId: string;
    readonly region: string;
    readonly partition: string;
    readonly profile?: string;
    readonly assumeRole?: AssumeRole;
}

export type ReaderKind = "user" | "role";

/** An IAM identity in a consumer account that reads secrets. */
export interface Reader {
    /** `<account name>/<identity name>`, as secrets' `readers` lists name it. */
    readonly id: string;
    readonly account: string;
    readonly accountId: string;
    readonly kind: ReaderKind;
    readonly name: string;
    readonly path: string;
    /** True: the identity exists and only its policy is managed here. */
    readonly existing: boolean;
    readonly arn: string;
    /** A created role's trusted principals (service principals, ARNs); absent: its own account. */
    readonly assumedBy?: readonly string[];
    /** Accounts outside the share whose principals `assumedBy` names, named on purpose in config. */
    readonly externalAccounts?: readonly string[];
}

export interface SecretSpec {
    readonly name: string;
    readonly description?: string;
    readonly username: string;
    readonly passwordLength: number;
    readonly recoveryWindowInDays: number;
    /** `regenerate`: change it and `pulumi up` writes a new generated password (the manual form). */
    readonly regenerate: string;
    /** `rotation`: automatic rotation by Secrets Manager on a schedule; absent: off. */
    readonly rotation?: RotationSpec;
    /** Reader ids, sorted. */
    readonly readers: readonly string[];
    /** A password was given in `secretshare:passwords` (secure); otherwise one is generated. */
    readonly passwordFromConfig: boolean;
    /**
     * Set when the secret already exists (`existing: true` or `arn:`): the program then writes
     * only its resource policy (or adopts it), never its value; username, passwordLength,
     * recoveryWindowInDays, regenerate and rotation are unused. See docs/existing.md.
     */
    readonly existing?: ExistingSecretSpec;
}

/**
 * Automatic rotation of a created secret (docs/rotation.md): exactly one of `everyDays` and
 * `schedule`; without `function`, the program's own rotation function rotates the password.
 */
export interface RotationSpec {
    /** Secrets Manager's AutomaticallyAfterDays, 1 to 1,000. */
    readonly everyDays?: number;
    /** A rate() or cron() expression (UTC). */
    readonly schedule?: string;
    /** The rotation window (`Duration`), e.g. "4h"; only with `schedule`. */
    readonly window?: string;
    /** An existing rotation function's ARN, in the owner's account and Region. */
    readonly function?: string;
}

/** An existing secret named in config. */
export interface ExistingSecretSpec {
    /** The name (`existing: true`) or the complete ARN (`arn:`), as DescribeSecret takes it. */
    readonly ref: string;
    readonly by: "name" | "arn";
    /** Import the secret into the stack (protected, retained on delete) instead of policy-only. */
    readonly adopt: boolean;
    /** Re-encrypt it under the stack's key (implies adopt): only when config asks explicitly. */
    readonly reencrypt: boolean;
}

/** An existing KMS key named in `secretshare:key.existing`. */
export interface ExistingKeySpec {
    /** As config gave it: key ARN, key ID, alias name (alias/X) or alias ARN. */
    readonly ref: string;
    readonly form: "key-arn" | "key-id" | "alias-name" | "alias-arn";
    /** Import the key into the stack (protected, retained on delete) instead of policy-only. */
    readonly adopt: boolean;
}

export interface KeySettings {
    readonly alias: string;
    readonly deletionWindowInDays: number;
    readonly perSecret: boolean;
    readonly grantDescribeKey: boolean;
    /** Set when the key already exists: only its key policy is written (or it is adopted). */
    readonly existing?: ExistingKeySpec;
    /**
     * Principals that must keep kms:PutKeyPolicy in every key policy written (lock-out guard);
     * absent or empty: the owner account root.
     */
    readonly admins?: readonly string[];
}

export interface SecretPolicySettings {
    readonly principalForm: "account-root" | "principal-arn";
    readonly acceptDefaultStage: boolean;
}

export interface Protection {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
}

export interface ConsumerAccount {
    readonly account: Account;
    readonly readers: readonly Reader[];
    /** Names the account had in config before a rename: its consumer-side resources are aliased to them. */
    readonly formerNames?: readonly string[];
    /** The account's raised IAM quota on a role trust policy's length; absent: the default. */
    readonly roleTrustPolicyLength?: number;
}

export interface OwnerConfig {
    readonly account: Account;
    readonly key: KeySettings;
    /** Sorted by name. */
    readonly secrets: readonly SecretSpec[];
    /** By consumer account name, sorted. */
    readonly consumers: Readonly<Record<string, ConsumerAccount>>;
    readonly secretPolicy: SecretPolicySettings;
    readonly protection: Protection;
}

export interface OwnerStackConfig {
    readonly mode: "owner" | "all";
    readonly stack: string;
    readonly owner: OwnerConfig;
    /** `secretshare:watch`; parseConfig always sets it (absent means the defaults: on, no subscribers). */
    readonly watch?: WatchSettings;
}

export interface ConsumerStackConfig {
    readonly mode: "consumer";
    readonly stack: string;
    readonly consumer: Account;
    /** Names the account had before a rename (`secretshare:consumer.formerNames`): its resources are aliased to them. */
    readonly formerNames?: readonly string[];
    /** The first of `ownerStacks`. */
    readonly ownerStack: string;
    /**
     * Every owner stack this stack reads (`secretshare:ownerStacks`, or `secretshare:ownerStack`
     * as a list of one), in config order: its readers get one set of policies for all of them.
     */
    readonly ownerStacks: readonly string[];
    /** `secretshare:watch` of a consumer stack: only `consumerSide`, subscribers and `rulesPerBus` apply. */
    readonly watch?: WatchSettings;
}

export type StackConfig = OwnerStackConfig | ConsumerStackConfig;

/** One address alerts go to. The address itself never appears in logs, outputs or errors. */
export type WatchSubscriber =
    { readonly kind: "email"; readonly address: string } | { readonly kind: "https"; readonly address: string };

/** `secretshare:watch`: CloudTrail alerts on the shared secrets, their key and policies. */
export interface WatchSettings {
    /** On by default. */
    readonly enabled: boolean;
    readonly subscribers: readonly WatchSubscriber[];
    /**
     * Also watch the consumer side (deletion of a reader's policy or of the reader itself):
     * in "all" mode in each consumer account, in a consumer stack in its own account.
     */
    readonly consumerSide: boolean;
    /**
     * The EventBridge rules quota of the event bus (rules per bus) in the accounts and Regions
     * this stack's watch writes to, when AWS has raised it above the default 300; only the plan
     * reads it (plan/preflight.ts counts every planned stack's rules per bus against it).
     */
    readonly rulesPerBus?: number;
}

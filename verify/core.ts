import * as fs from "fs";
import { UsageError } from "../common/errors";
import * as path from "path";
import {
    AccessAnalyzerClient,
    CheckNoPublicAccessCommand,
    ValidatePolicyCommand,
} from "@aws-sdk/client-accessanalyzer";
import type { ValidatePolicyFinding } from "@aws-sdk/client-accessanalyzer";
import {
    DescribeSecretCommand,
    GetResourcePolicyCommand,
    GetSecretValueCommand,
    SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { DescribeRuleCommand, EventBridgeClient, TestEventPatternCommand } from "@aws-sdk/client-eventbridge";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";

/**
 * `npm run verify`: the seed's last step ("test access ... get-secret-value --version-stage
 * AWSCURRENT" as the consumer), done with the AWS SDK after `pulumi up`, plus the checks the seed
 * leaves out: AWSPREVIOUS stays denied, and (as the owner) IAM Access Analyzer finds no error
 * and no public access in the three documents.
 *
 * Everything that talks to AWS goes through the SDK clients constructed here, so the tests mock
 * them with aws-sdk-client-mock; output, sleeping and credentials are injected (`Deps`).
 * The secret value is read by GetSecretValue and immediately reduced to its JSON keys: it is
 * never stored, compared or printed.
 */

export const HELP = `Usage: npm run verify -- [options]
(npm itself takes a --help given without "--": use npm run verify -- --help)

After \`pulumi up\`, proves the share with real AWS calls (AWS SDK for JavaScript v3):
  as the consumer  GetSecretValue with VersionStage AWSCURRENT must succeed, and
                   AWSPREVIOUS, if the secret has one, must be denied;
  as the owner     (optional) IAM Access Analyzer ValidatePolicy on the three documents
                   (identity policy, secret policy, key policy) and CheckNoPublicAccess on
                   the secret and key policies.
Prints one PASS, FAIL or SKIP line per check. Exit status: 0 all passed, 1 a check failed,
2 a usage error (bad flag, missing outputs). Never prints a secret value: only its JSON keys
and version ID.

Where the ARNs come from:
  --outputs FILE            the stack outputs, as \`pulumi stack output --json -s primary > FILE\`
                            writes them (a consumer stack's outputs work too)
  --secret NAME             check only this secret of the outputs (repeatable); default: the
                            secrets the owner grants to the consumer identity
  --secret-arn ARN          a secret by complete ARN, instead of or besides --outputs (repeatable)
  --key-arn ARN             the KMS key of the --secret-arn secrets (for hints)

Consumer (one or both):
  --consumer-profile NAME   the AWS profile of a reader (the seed's Stuart)
  --consumer-role-arn ARN   assume this reader role; source credentials: --consumer-profile,
                            else the default credential chain

Owner (optional; without them the owner checks are skipped):
  --owner-profile NAME      the AWS profile of the owner account (read-only is enough:
                            secretsmanager:DescribeSecret, secretsmanager:GetResourcePolicy,
                            access-analyzer:ValidatePolicy, access-analyzer:CheckNoPublicAccess)
  --owner-role-arn ARN      assume this role in the owner account (source: --owner-profile,
                            else the default chain)
  --owner-stack NAME        the owner stack whose Pulumi.<stack>.yaml the program builds the key
                            and identity policies from (default: primary)
  With owner credentials and an owner stack's outputs, the watch (docs/watch.md) is checked too:
  each deployed EventBridge rule's pattern (events:DescribeRule) must match, by EventBridge's
  own TestEventPattern, a CloudTrail event of its call on each shared secret or key, and must
  not match the same call on another secret or key.

  --help                    this text

Example (the seed):
  pulumi stack output --json -s primary > outputs.json
  npm run verify -- --outputs outputs.json --consumer-profile stuart --owner-profile primary

Troubleshooting AccessDenied, layer by layer: docs/operations.md.`;

// ---------------------------------------------------------------------------------------------
// Arguments

export interface Options {
    outputs?: string;
    secrets: string[];
    secretArns: string[];
    keyArn?: string;
    consumerProfile?: string;
    consumerRoleArn?: string;
    ownerProfile?: string;
    ownerRoleArn?: string;
    ownerStack: string;
    help: boolean;
}

const SECRET_ARN = /^arn:aws(-[a-z]+)*:secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)-[A-Za-z0-9]{6}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/.+$/;
const KEY_ARN = /^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key\/.+$/;

export function parseArgs(argv: readonly string[]): Options {
    const o: Options = { secrets: [], secretArns: [], ownerStack: "primary", help: false };
    const value = (i: number, flag: string): string => {
        const v = argv[i + 1];
        if (v === undefined || v.startsWith("--")) throw new UsageError(`${flag} needs a value`);
        return v;
    };
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        switch (flag) {
            case "--help":
            case "-h":
                o.help = true;
                continue;
            case "--outputs":
                o.outputs = value(i++, flag);
                continue;
            case "--secret":
                o.secrets.push(value(i++, flag));
                continue;
            case "--secret-arn": {
                const arn = value(i++, flag);
                if (!SECRET_ARN.test(arn)) {
                    throw new UsageError(
                        `--secret-arn ${arn}: expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> ` +
                            "(the region in it is where the secret is read)",
                    );
                }
                o.secretArns.push(arn);
                continue;
            }
            case "--key-arn":
                o.keyArn = value(i++, flag);
                if (!KEY_ARN.test(o.keyArn))
                    throw new UsageError(`--key-arn ${o.keyArn}: expected arn:aws:kms:<region>:<account>:key/<key id>`);
                continue;
            case "--consumer-profile":
                o.consumerProfile = value(i++, flag);
                continue;
            case "--consumer-role-arn":
                o.consumerRoleArn = value(i++, flag);
                if (!ROLE_ARN.test(o.consumerRoleArn))
                    throw new UsageError(
                        `--consumer-role-arn ${o.consumerRoleArn}: expected arn:aws:iam::<account>:role/<name>`,
                    );
                continue;
            case "--owner-profile":
                o.ownerProfile = value(i++, flag);
                continue;
            case "--owner-role-arn":
                o.ownerRoleArn = value(i++, flag);
                if (!ROLE_ARN.test(o.ownerRoleArn))
                    throw new UsageError(
                        `--owner-role-arn ${o.ownerRoleArn}: expected arn:aws:iam::<account>:role/<name>`,
                    );
                continue;
            case "--owner-stack":
                o.ownerStack = value(i++, flag);
                continue;
            default:
                throw new UsageError(`unknown argument ${flag}`);
        }
    }
    if (o.help) return o;
    if (!o.outputs && o.secretArns.length === 0) {
        throw new UsageError(
            "no secret to check: pass --outputs FILE (pulumi stack output --json -s primary > FILE) or --secret-arn ARN",
        );
    }
    if (o.secrets.length && !o.outputs)
        throw new UsageError("--secret NAME picks from --outputs FILE; pass --outputs too");
    if (!o.consumerProfile && !o.consumerRoleArn) {
        throw new UsageError(
            "no consumer: pass --consumer-profile NAME or --consumer-role-arn ARN (the reader whose access is proven)",
        );
    }
    return o;
}

// ---------------------------------------------------------------------------------------------
// Dependencies

export interface Credentials {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
    readonly expiration?: Date;
}
export type CredentialProvider = () => Promise<Credentials>;

export interface CredentialSource {
    readonly label: "consumer" | "owner";
    readonly profile?: string;
    readonly roleArn?: string;
}

export interface Deps {
    /** One line of output (stdout). */
    out(line: string): void;
    sleep(ms: number): Promise<void>;
    /** In [0, 1): the jitter of the backoff. */
    random(): number;
    credentials(source: CredentialSource): CredentialProvider;
    /** The repository root: where Pulumi.<stack>.yaml lives. */
    root: string;
}

/** Profile, role, or both (the role assumed with the profile's credentials). */
export function awsCredentials(source: CredentialSource): CredentialProvider {
    const base = source.profile ? fromIni({ profile: source.profile }) : fromNodeProviderChain();
    if (!source.roleArn) return base;
    return fromTemporaryCredentials({
        params: {
            RoleArn: source.roleArn,
            RoleSessionName: `secretshare-verify-${source.label}`,
            DurationSeconds: 900,
        },
        masterCredentials: base,
    });
}

export const realDeps = (root: string): Deps => ({
    out: (line) => process.stdout.write(`${line}\n`),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    credentials: awsCredentials,
    root,
});

// ---------------------------------------------------------------------------------------------
// Retries

/** Error names AWS services use for throttling. */
const THROTTLING = new Set([
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
]);

interface AwsError {
    name?: string;
    message?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
}

export function isThrottling(e: unknown): boolean {
    const err = (e ?? {}) as AwsError;
    return (
        THROTTLING.has(err.name ?? "") || err.$retryable?.throttling === true || err.$metadata?.httpStatusCode === 429
    );
}

export const RETRY = { attempts: 5, baseMs: 200, capMs: 5000 } as const;

/**
 * Calls `fn`, and again after a throttling error, with exponential backoff and jitter: the
 * delay before retry n (1-based) is min(cap, base * 2^(n-1)) * (0.5 + random/2). Cross-account
 * calls count against the caller's account quota, which other tooling may be using up.
 * The SDK clients are built with maxAttempts 1, so these retries are the only ones (visible and
 * tested) rather than multiplying the SDK's own.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export async function withRetry<T>(deps: Deps, what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (!isThrottling(e) || attempt >= RETRY.attempts) throw e;
            const delay = Math.round(
                Math.min(RETRY.capMs, RETRY.baseMs * 2 ** (attempt - 1)) * (0.5 + deps.random() / 2),
            );
            deps.out(
                `      ${what}: throttled (${(e as AwsError).name}), retry ${attempt} of ${RETRY.attempts - 1} in ${delay} ms`,
            );
            await deps.sleep(delay);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs

/** What the stack outputs (or flags) say about one secret. */
export interface Target {
    readonly name: string;
    readonly secretArn: string;
    readonly keyArn?: string;
    readonly region: string;
    readonly accountId: string;
}

interface Reader {
    kind: "user" | "role";
    name: string;
    arn: string;
    secrets: string[];
}

/** The parts of the owner's or a consumer's stack outputs that verify reads. */
export interface Outputs {
    readonly file?: string;
    readonly secretArns: Record<string, string>;
    readonly keyArns: Record<string, string>;
    /** Owner outputs: readers by consumer account name. */
    readonly readers?: Reader[];
    /** Consumer outputs: secret name → ARN by reader name. */
    readonly readerSecrets?: Record<string, Record<string, string>>;
    /** Owner outputs: the watch's EventBridge rule ARNs by rule id, and their region. */
    readonly watch?: { readonly region?: string; readonly rules: Record<string, string> };
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const stringsOf = (v: unknown): Record<string, string> =>
    isRecord(v)
        ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"))
        : {};

export function readOutputs(file: string): Outputs {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(
            `cannot read --outputs ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): ` +
                "write it with pulumi stack output --json -s primary > " +
                file,
        );
    }
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch {
        throw new UsageError(
            `--outputs ${file} is not JSON: write it with pulumi stack output --json -s primary > ${file}`,
        );
    }
    if (!isRecord(raw)) throw new UsageError(`--outputs ${file}: expected a JSON object of stack outputs`);

    const secretArns = stringsOf(raw.secretArns);
    const keyArns = stringsOf(raw.keyArns);
    let readerSecrets: Record<string, Record<string, string>> | undefined;
    if (isRecord(raw.readerSecrets)) {
        readerSecrets = Object.fromEntries(Object.entries(raw.readerSecrets).map(([r, m]) => [r, stringsOf(m)]));
        for (const m of Object.values(readerSecrets)) Object.assign(secretArns, m);
    }
    if (typeof raw.secretArn === "string" && Object.keys(secretArns).length === 0) {
        const name = typeof raw.secretName === "string" ? raw.secretName : nameOfSecretArn(raw.secretArn);
        secretArns[name] = raw.secretArn;
    }
    if (typeof raw.keyArn === "string" && Object.keys(secretArns).length === 1 && Object.keys(keyArns).length === 0) {
        keyArns[Object.keys(secretArns)[0]] = raw.keyArn;
    }
    if (Object.keys(secretArns).length === 0) {
        throw new UsageError(
            `--outputs ${file} has no secretArns, secretArn or readerSecrets output: is it the output of the owner stack ` +
                "after pulumi up (pulumi stack output --json -s primary)? A stack that was never deployed has no outputs.",
        );
    }
    let readers: Reader[] | undefined;
    if (isRecord(raw.grants)) {
        readers = [];
        for (const account of Object.values(raw.grants)) {
            if (!isRecord(account) || !Array.isArray(account.readers)) continue;
            for (const r of account.readers as unknown[]) {
                if (!isRecord(r) || typeof r.arn !== "string" || typeof r.name !== "string") continue;
                readers.push({
                    kind: r.kind === "role" ? "role" : "user",
                    name: r.name,
                    arn: r.arn,
                    secrets: Array.isArray(r.secrets)
                        ? (r.secrets as unknown[]).filter((s) => typeof s === "string")
                        : [],
                });
            }
        }
    }
    const watch =
        isRecord(raw.watch) && isRecord(raw.watch.rules)
            ? {
                  ...(typeof raw.watch.region === "string" && { region: raw.watch.region }),
                  rules: stringsOf(raw.watch.rules),
              }
            : undefined;
    return { file, secretArns, keyArns, readers, readerSecrets, ...(watch && { watch }) };
}

export function nameOfSecretArn(arn: string): string {
    return SECRET_ARN.exec(arn)?.[4] ?? arn;
}

function target(name: string, secretArn: string, keyArn: string | undefined): Target {
    const m = SECRET_ARN.exec(secretArn);
    if (!m) throw new UsageError(`the secret ARN ${secretArn} of ${name} is not a complete secret ARN`);
    return { name, secretArn, keyArn, region: m[2], accountId: m[3] };
}

// ---------------------------------------------------------------------------------------------
// Identities

/** The IAM identity behind a caller ARN: an assumed-role session is its role. */
export function identityOf(callerArn: string): { kind: "user" | "role" | "other"; account: string; name: string } {
    const parts = callerArn.split(":");
    const account = parts[4] ?? "";
    const resource = parts.slice(5).join(":");
    if (resource.startsWith("assumed-role/")) return { kind: "role", account, name: resource.split("/")[1] ?? "" };
    if (resource.startsWith("user/")) return { kind: "user", account, name: resource.split("/").pop() ?? "" };
    if (resource.startsWith("role/")) return { kind: "role", account, name: resource.split("/").pop() ?? "" };
    return { kind: "other", account, name: resource };
}

const sameIdentity = (callerArn: string, readerArn: string) => {
    const a = identityOf(callerArn);
    const b = identityOf(readerArn);
    return a.kind === b.kind && a.account === b.account && a.name === b.name;
};

// ---------------------------------------------------------------------------------------------
// Reporting

type Status = "PASS" | "FAIL" | "SKIP";

class Report {
    readonly counts: Record<Status, number> = { PASS: 0, FAIL: 0, SKIP: 0 };
    constructor(private readonly deps: Deps) {}
    line(status: Status, text: string, details: readonly string[] = []): void {
        this.counts[status]++;
        this.deps.out(`${status}  ${text}`);
        for (const d of details) this.deps.out(`      ${d}`);
    }
    note(text: string): void {
        this.deps.out(text);
    }
}

const errorName = (e: unknown) => (e as AwsError).name ?? "Error";
const errorMessage = (e: unknown) => (e as AwsError).message ?? String(e);
const isAccessDenied = (e: unknown) => /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(errorName(e));

/**
 * Which of the three documents most likely denied a GetSecretValue, from the error AWS gave,
 * and the command that shows it. AWS names the missing kind of policy in the message ("no
 * identity-based policy allows", "no resource-based policy allows"); a KMS refusal comes back
 * as "Access to KMS is not allowed" or a ciphertext/key message.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function diagnose(e: unknown, t: Target, caller: string | undefined, ownerStack: string): string[] {
    const message = errorMessage(e);
    const who = caller ?? "the consumer";
    const identity = caller ? identityOf(caller) : undefined;
    const identityCheck =
        identity?.kind === "user"
            ? `aws iam list-user-policies --user-name ${identity.name} (and list-attached-user-policies), in account ${identity.account}`
            : identity?.kind === "role"
              ? `aws iam list-role-policies --role-name ${identity.name} (and list-attached-role-policies), in account ${identity.account}`
              : "the reader's inline and attached policies (aws iam list-user-policies / list-role-policies)";
    const layers = {
        identity: [
            "likely cause: the identity policy (document 1, consumer account) does not allow secretsmanager:GetSecretValue on this secret",
            `check: ${identityCheck}; expect GetSecretValue on ${t.secretArn}` +
                (t.keyArn ? ` and kms:Decrypt on ${t.keyArn}` : "") +
                "; is the consumer stack deployed (pulumi preview -s <consumer stack> shows no changes)?",
        ],
        resource: [
            "likely cause: the secret's resource policy (document 2, owner account) does not allow this caller",
            `check: aws secretsmanager get-resource-policy --secret-id ${t.secretArn} --region ${t.region} (owner credentials); ` +
                `expect ${who} in aws:PrincipalArn (or as Principal) and secretsmanager:VersionStage AWSCURRENT. ` +
                "A Principal shown as AIDA.../AROA... means the reader was deleted and recreated: see docs/operations.md",
        ],
        key: [
            "likely cause: the key policy (document 3, owner account), or the identity policy's kms:Decrypt statement, does not let Secrets Manager decrypt for this caller",
            `check: aws kms get-key-policy --key-id ${t.keyArn ?? "<the secret's key ARN: output keyArns>"} --policy-name default --region ${t.region} (owner credentials); ` +
                `expect kms:Decrypt for ${who} with kms:ViaService secretsmanager.${t.region}.amazonaws.com and kms:EncryptionContext:SecretARN matching ${t.secretArn}`,
        ],
    };
    if (/explicit deny/i.test(message)) {
        return [
            `AWS says: ${message}`,
            "likely cause: an explicit Deny: a service control policy, a permissions boundary, or a Deny statement in one of the three documents",
            ...layers.identity.slice(1),
            ...layers.resource.slice(1),
        ];
    }
    if (/identity-based policy/i.test(message)) return [`AWS says: ${message}`, ...layers.identity];
    if (/resource-based policy/i.test(message)) return [`AWS says: ${message}`, ...layers.resource];
    if (/kms|ciphertext|customer master key|decrypt/i.test(message) || errorName(e) === "DecryptionFailure") {
        return [`AWS says: ${message}`, ...layers.key];
    }
    return [
        `AWS says: ${message}`,
        "likely cause: one of the three documents; check each, in this order:",
        `1. ${layers.identity[1].replace(/^check: /, "")}`,
        `2. ${layers.resource[1].replace(/^check: /, "")}`,
        `3. ${layers.key[1].replace(/^check: /, "")}`,
        `(the documents as the program writes them: npm start -- --stack ${ownerStack})`,
    ];
}

/** Keys of a secret string, never its values. */
function describeValue(secretString: string | undefined, binary: boolean): string {
    if (secretString === undefined) return binary ? "a binary value" : "no value";
    try {
        const parsed: unknown = JSON.parse(secretString);
        if (isRecord(parsed)) return `JSON keys: ${Object.keys(parsed).sort().join(", ") || "(none)"}`;
    } catch {
        // not JSON: say so, without any of it
    }
    return "a string that is not a JSON object";
}

// ---------------------------------------------------------------------------------------------
// The checks

interface Side {
    readonly label: "consumer" | "owner";
    readonly credentials: CredentialProvider;
    caller?: string;
}

function clientConfig(side: Side, region: string) {
    return { region, credentials: side.credentials, maxAttempts: 1 };
}

/** Loads the side's credentials and asks STS who they are. */
async function whoAmI(
    deps: Deps,
    report: Report,
    side: Side,
    source: CredentialSource,
    region: string,
): Promise<boolean> {
    const via = [source.profile && `profile ${source.profile}`, source.roleArn && `role ${source.roleArn}`]
        .filter(Boolean)
        .join(", then ");
    try {
        await side.credentials();
    } catch (e) {
        const hint = source.roleArn
            ? `check that the source credentials may sts:AssumeRole on ${source.roleArn} and that its trust policy allows them`
            : `check the profile: aws configure list-profiles; aws sts get-caller-identity --profile ${source.profile ?? "<name>"}` +
              " (an SSO profile needs aws sso login first)";
        report.line("FAIL", `${side.label} credentials (${via}): ${errorMessage(e)}`, [hint]);
        return false;
    }
    try {
        const sts = new STSClient(clientConfig(side, region));
        const id = await withRetry(deps, `${side.label} GetCallerIdentity`, () =>
            sts.send(new GetCallerIdentityCommand({})),
        );
        side.caller = id.Arn;
        report.line("PASS", `${side.label} credentials (${via}): ${id.Arn ?? "unknown ARN"}`);
        return true;
    } catch (e) {
        report.line(
            "FAIL",
            `${side.label} credentials (${via}) are not accepted by STS: ${errorName(e)}: ${errorMessage(e)}`,
            ["the keys are wrong, expired or revoked; refresh them (aws sso login, or new keys) and run again"],
        );
        return false;
    }
}

export async function verify(argv: readonly string[], deps: Deps): Promise<number> {
    let options: Options;
    let outputs: Outputs | undefined;
    try {
        options = parseArgs(argv);
        if (options.help) {
            deps.out(HELP);
            return 0;
        }
        outputs = options.outputs ? readOutputs(options.outputs) : undefined;
    } catch (e) {
        if (e instanceof UsageError) {
            deps.out(`verify: ${e.message}`);
            deps.out("run npm run verify -- --help for usage");
            return 2;
        }
        throw e;
    }
    const report = new Report(deps);

    // Every secret the outputs or flags name; narrowed to the consumer's below.
    const all: Target[] = [];
    try {
        for (const arn of options.secretArns) all.push(target(nameOfSecretArn(arn), arn, options.keyArn));
        if (outputs) {
            const names = options.secrets.length ? options.secrets : Object.keys(outputs.secretArns).sort();
            for (const name of names) {
                const arn = outputs.secretArns[name];
                if (!arn) {
                    throw new UsageError(
                        `--secret ${name}: no such secret in ${outputs.file}; it has ${Object.keys(outputs.secretArns).sort().join(", ")}`,
                    );
                }
                all.push(target(name, arn, outputs.keyArns[name] ?? options.keyArn));
            }
        }
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        deps.out(`verify: ${e.message}`);
        return 2;
    }
    const region = all[0].region;
    report.note(
        `secretshare verify: ${all.length} secret(s) named: ${all.map((t) => `${t.name} (${t.region})`).join(", ")}`,
    );

    // --- the consumer
    const consumerSource: CredentialSource = {
        label: "consumer",
        profile: options.consumerProfile,
        roleArn: options.consumerRoleArn,
    };
    const consumer: Side = { label: "consumer", credentials: deps.credentials(consumerSource) };
    const consumerOk = await whoAmI(deps, report, consumer, consumerSource, region);

    let targets = all;
    if (consumerOk && consumer.caller) {
        const caller = consumer.caller;
        const callerAccount = identityOf(caller).account;
        if (all.some((t) => t.accountId === callerAccount)) {
            report.line("FAIL", `the consumer ${caller} is in the owner's account ${callerAccount}`, [
                "this proves nothing about cross-account access: pass the profile or role of a reader in a consumer account",
            ]);
        }
        // Narrow to what the owner grants this caller, when the outputs say so and no --secret chose.
        if (outputs && options.secrets.length === 0 && options.secretArns.length === 0) {
            const granted = outputs.readers?.find((r) => sameIdentity(caller, r.arn))?.secrets;
            const bySecrets = outputs.readerSecrets?.[identityOf(caller).name];
            const names = granted ?? (bySecrets ? Object.keys(bySecrets) : undefined);
            if (outputs.readers && !granted) {
                report.line("FAIL", `the consumer ${caller} is not a reader in the owner's outputs (grants)`, [
                    `readers: ${outputs.readers.map((r) => r.arn).join(", ") || "none"}`,
                    "pass the profile or role of one of them, or add this identity to secretshare:consumers and a secret's readers",
                ]);
            } else if (names) {
                targets = all.filter((t) => names.includes(t.name));
            }
        }
    }

    if (targets.length === 0) {
        report.line("FAIL", "nothing to check: the owner grants this consumer none of the secrets named", [
            `named: ${all.map((t) => t.name).join(", ")}`,
        ]);
    }

    // --- the owner (optional)
    const ownerSource: CredentialSource = {
        label: "owner",
        profile: options.ownerProfile,
        roleArn: options.ownerRoleArn,
    };
    const wantOwner = !!(options.ownerProfile || options.ownerRoleArn);
    const owner: Side | undefined = wantOwner
        ? { label: "owner", credentials: deps.credentials(ownerSource) }
        : undefined;
    const ownerOk = owner ? await whoAmI(deps, report, owner, ownerSource, region) : false;
    if (owner && ownerOk && owner.caller) {
        const account = identityOf(owner.caller).account;
        const foreign = targets.filter((t) => t.accountId !== account);
        if (foreign.length) {
            report.line(
                "FAIL",
                `owner credentials are for account ${account}, but ${foreign.map((t) => t.name).join(", ")} live in ${foreign[0].accountId}`,
                ["pass the owner account's profile or role (--owner-profile / --owner-role-arn)"],
            );
        }
    }

    for (const t of targets) {
        const sm = new SecretsManagerClient(clientConfig(consumer, t.region));
        // 1. AWSCURRENT, as the seed's last command does it.
        if (consumerOk) {
            try {
                const r = await withRetry(deps, `GetSecretValue ${t.name}`, () =>
                    sm.send(new GetSecretValueCommand({ SecretId: t.secretArn, VersionStage: "AWSCURRENT" })),
                );
                report.line(
                    "PASS",
                    `consumer reads ${t.name} (VersionStage AWSCURRENT): version ${r.VersionId ?? "?"}, ${describeValue(r.SecretString, r.SecretBinary !== undefined)}`,
                );
            } catch (e) {
                if (isAccessDenied(e)) {
                    report.line(
                        "FAIL",
                        `consumer reads ${t.name} (VersionStage AWSCURRENT): access denied`,
                        diagnose(e, t, consumer.caller, options.ownerStack),
                    );
                } else if (errorName(e) === "ResourceNotFoundException") {
                    report.line(
                        "FAIL",
                        `consumer reads ${t.name} (VersionStage AWSCURRENT): not found in ${t.region}`,
                        [
                            `AWS says: ${errorMessage(e)}`,
                            `the ARN names region ${t.region}: was the secret deleted or replaced (its ARN suffix changes), or are the outputs from another stack? Run pulumi stack output -s ${options.ownerStack} again`,
                        ],
                    );
                } else if (errorName(e) === "DecryptionFailure") {
                    report.line(
                        "FAIL",
                        `consumer reads ${t.name} (VersionStage AWSCURRENT): decryption failed`,
                        diagnose(e, t, consumer.caller, options.ownerStack),
                    );
                } else {
                    report.line(
                        "FAIL",
                        `consumer reads ${t.name} (VersionStage AWSCURRENT): ${errorName(e)}: ${errorMessage(e)}`,
                    );
                }
            }
        } else {
            report.line("SKIP", `consumer reads ${t.name}: no usable consumer credentials`);
        }

        // 2. AWSPREVIOUS must stay unreadable. The owner can tell whether one exists.
        let previousExists: boolean | undefined;
        if (owner && ownerOk) {
            try {
                const ownerSm = new SecretsManagerClient(clientConfig(owner, t.region));
                const d = await withRetry(deps, `DescribeSecret ${t.name}`, () =>
                    ownerSm.send(new DescribeSecretCommand({ SecretId: t.secretArn })),
                );
                previousExists = Object.values(d.VersionIdsToStages ?? {}).some((stages) =>
                    stages.includes("AWSPREVIOUS"),
                );
            } catch (e) {
                report.note(`      (DescribeSecret as the owner failed: ${errorName(e)}; checking AWSPREVIOUS anyway)`);
            }
        }
        if (previousExists === false) {
            report.line(
                "SKIP",
                `AWSPREVIOUS of ${t.name}: the secret has no previous version yet (change its rotation in config to make one)`,
            );
        } else if (consumerOk) {
            try {
                const r = await withRetry(deps, `GetSecretValue ${t.name} AWSPREVIOUS`, () =>
                    sm.send(new GetSecretValueCommand({ SecretId: t.secretArn, VersionStage: "AWSPREVIOUS" })),
                );
                report.line(
                    "FAIL",
                    `consumer can read ${t.name} AWSPREVIOUS (version ${r.VersionId ?? "?"}): it must be denied`,
                    [
                        "the secret's resource policy should allow only secretsmanager:VersionStage AWSCURRENT; " +
                            `check: aws secretsmanager get-resource-policy --secret-id ${t.secretArn} --region ${t.region}`,
                    ],
                );
            } catch (e) {
                if (isAccessDenied(e)) {
                    report.line("PASS", `consumer is denied ${t.name} AWSPREVIOUS (${errorName(e)})`);
                } else if (errorName(e) === "ResourceNotFoundException") {
                    report.line("SKIP", `AWSPREVIOUS of ${t.name}: no previous version (${errorMessage(e)})`);
                } else {
                    report.line("FAIL", `consumer reads ${t.name} AWSPREVIOUS: ${errorName(e)}: ${errorMessage(e)}`);
                }
            }
        } else {
            report.line("SKIP", `AWSPREVIOUS of ${t.name}: no usable consumer credentials`);
        }
    }

    // 3. Access Analyzer, as the owner.
    if (!owner) {
        report.line("SKIP", "owner checks (Access Analyzer): pass --owner-profile or --owner-role-arn to run them");
    } else if (ownerOk) {
        await ownerChecks(deps, report, owner, targets, outputs, options.ownerStack);
    } else {
        report.line("SKIP", "owner checks (Access Analyzer): no usable owner credentials");
    }

    const { PASS, FAIL, SKIP } = report.counts;
    deps.out(`verify: ${PASS} passed, ${FAIL} failed, ${SKIP} skipped`);
    return FAIL > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Owner checks: the three documents through IAM Access Analyzer

interface Document {
    readonly label: string;
    readonly policy: string;
    readonly policyType: "IDENTITY_POLICY" | "RESOURCE_POLICY";
    /** For CheckNoPublicAccess. */
    readonly publicType?: "AWS::SecretsManager::Secret" | "AWS::KMS::Key";
}

/** JSON with object keys sorted and one-element lists as their element: how IAM compares. */
function canonical(v: unknown): unknown {
    if (Array.isArray(v)) {
        const items = v.map(canonical);
        if (items.length === 1) return items[0];
        return items.every((i) => typeof i === "string") ? [...items].sort() : items;
    }
    if (isRecord(v)) {
        return Object.fromEntries(
            Object.keys(v)
                .sort()
                .map((k) => [k, canonical(v[k])]),
        );
    }
    return v;
}

/**
 * The documents the program writes, from the owner stack's committed config and the outputs:
 * the same pure functions (policies/layout.ts, policies/documents.ts) the components use.
 * Loaded lazily: they pull in @pulumi/pulumi.
 */
async function programDocuments(
    deps: Deps,
    ownerStack: string,
    targets: readonly Target[],
    outputs: Outputs | undefined,
): Promise<{
    secretPolicies: Record<string, unknown>;
    keyPolicies: { id: string; secrets: readonly string[]; policy: unknown }[];
    identities: { reader: string; policy: unknown }[];
}> {
    const { readStackFile } = await import("../plan/stackFiles");
    const { parseConfig } = await import("../config");
    const { ownerLayout } = await import("../policies/layout");
    const { identityPolicy } = await import("../policies/documents");
    const file = readStackFile(deps.root, ownerStack);
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(file.config))
        if (k.startsWith("secretshare:")) raw[k.slice("secretshare:".length)] = v;
    const config = parseConfig(ownerStack, raw);
    if (config.mode === "consumer")
        throw new Error(`stack ${ownerStack} is a consumer stack; pass the owner stack with --owner-stack`);
    const layout = ownerLayout(config.owner);
    const names = new Set(targets.map((t) => t.name));
    const identities: { reader: string; policy: unknown }[] = [];
    for (const account of Object.values(layout.grants)) {
        for (const r of account.readers) {
            const mine = r.secrets.filter((s) => names.has(s));
            if (mine.length === 0) continue;
            const grants = mine.map((s) => ({
                secretArn: targets.find((t) => t.name === s)?.secretArn ?? "",
                keyArn: targets.find((t) => t.name === s)?.keyArn ?? outputs?.keyArns[s] ?? "",
            }));
            if (grants.some((g) => !g.keyArn)) continue;
            identities.push({ reader: r.arn, policy: identityPolicy({ region: config.owner.account.region, grants }) });
        }
    }
    return {
        secretPolicies: layout.secretPolicies,
        keyPolicies: layout.keys.filter((k) => k.secrets.some((s) => names.has(s))),
        identities,
    };
}

async function ownerChecks(
    deps: Deps,
    report: Report,
    owner: Side,
    targets: readonly Target[],
    outputs: Outputs | undefined,
    ownerStack: string,
): Promise<void> {
    let program: Awaited<ReturnType<typeof programDocuments>>;
    try {
        program = await programDocuments(deps, ownerStack, targets, outputs);
    } catch (e) {
        report.line("FAIL", `the program's documents for stack ${ownerStack}: ${(e as Error).message.split("\n")[0]}`, [
            `pass the owner stack with --owner-stack (its Pulumi.<stack>.yaml must be in ${path.relative(process.cwd(), deps.root) || "."})`,
        ]);
        return;
    }

    const documents: Document[] = [];
    for (const t of targets) {
        // The deployed secret policy, as AWS stores it.
        const sm = new SecretsManagerClient(clientConfig(owner, t.region));
        try {
            const r = await withRetry(deps, `GetResourcePolicy ${t.name}`, () =>
                sm.send(new GetResourcePolicyCommand({ SecretId: t.secretArn })),
            );
            if (!r.ResourcePolicy) {
                report.line(
                    "FAIL",
                    `secret policy of ${t.name}: the secret has none, so no other account can read it`,
                    [`run pulumi up -s ${ownerStack}; the program writes it as aws.secretsmanager.SecretPolicy`],
                );
                continue;
            }
            const deployed: unknown = JSON.parse(r.ResourcePolicy);
            const expected = program.secretPolicies[t.name];
            const uniqueIds = r.ResourcePolicy.match(/"(AIDA|AROA)[A-Z0-9]{12,}"/g) ?? [];
            if (uniqueIds.length) {
                report.line(
                    "FAIL",
                    `secret policy of ${t.name} names a deleted principal by unique ID ${uniqueIds.join(", ")}`,
                    [
                        "a reader named as Principal was deleted (and maybe recreated): see docs/operations.md, recovering access",
                    ],
                );
            } else if (expected && JSON.stringify(canonical(deployed)) !== JSON.stringify(canonical(expected))) {
                report.line("FAIL", `secret policy of ${t.name} differs from what stack ${ownerStack} writes`, [
                    `someone changed it outside Pulumi, or the stack is not up to date: pulumi preview -s ${ownerStack} --refresh shows the difference`,
                ]);
            } else if (expected) {
                report.line("PASS", `secret policy of ${t.name} is the one stack ${ownerStack} writes`);
            }
            documents.push({
                label: `secret policy of ${t.name} (deployed)`,
                policy: r.ResourcePolicy,
                policyType: "RESOURCE_POLICY",
                publicType: "AWS::SecretsManager::Secret",
            });
        } catch (e) {
            report.line(
                "FAIL",
                `secret policy of ${t.name}: GetResourcePolicy failed: ${errorName(e)}: ${errorMessage(e)}`,
                ["the owner credentials need secretsmanager:GetResourcePolicy on the secret"],
            );
        }
    }
    for (const k of program.keyPolicies) {
        documents.push({
            label: `key policy of ${k.secrets.join(", ")} (as stack ${ownerStack} writes it)`,
            policy: JSON.stringify(k.policy),
            policyType: "RESOURCE_POLICY",
            publicType: "AWS::KMS::Key",
        });
    }
    for (const i of program.identities) {
        documents.push({
            label: `identity policy of ${i.reader} (as the consumer stack writes it)`,
            policy: JSON.stringify(i.policy),
            policyType: "IDENTITY_POLICY",
        });
    }

    await watchChecks(deps, report, owner, targets, outputs);

    const aa = new AccessAnalyzerClient(clientConfig(owner, targets[0]?.region ?? "us-east-1"));
    for (const d of documents) {
        try {
            const findings: ValidatePolicyFinding[] = [];
            let nextToken: string | undefined;
            do {
                const r = await withRetry(deps, `ValidatePolicy ${d.label}`, () =>
                    aa.send(
                        new ValidatePolicyCommand({ policyDocument: d.policy, policyType: d.policyType, nextToken }),
                    ),
                );
                findings.push(...(r.findings ?? []));
                nextToken = r.nextToken;
            } while (nextToken);
            const blocking = findings.filter((f) => f.findingType === "ERROR" || f.findingType === "SECURITY_WARNING");
            const lines = findings.map((f) =>
                `${f.findingType ?? "?"} ${f.issueCode ?? "?"}: ${f.findingDetails ?? ""} ${f.learnMoreLink ?? ""}`.trim(),
            );
            report.line(
                blocking.length ? "FAIL" : "PASS",
                `Access Analyzer ValidatePolicy, ${d.label}: ${blocking.length} error(s) or security warning(s), ${findings.length - blocking.length} other finding(s)`,
                lines,
            );
        } catch (e) {
            report.line("FAIL", `Access Analyzer ValidatePolicy, ${d.label}: ${errorName(e)}: ${errorMessage(e)}`, [
                "the owner credentials need access-analyzer:ValidatePolicy",
            ]);
        }
        if (!d.publicType) continue;
        try {
            const publicType = d.publicType;
            const r = await withRetry(deps, `CheckNoPublicAccess ${d.label}`, () =>
                aa.send(new CheckNoPublicAccessCommand({ policyDocument: d.policy, resourceType: publicType })),
            );
            report.line(
                r.result === "PASS" ? "PASS" : "FAIL",
                `Access Analyzer CheckNoPublicAccess, ${d.label}: ${r.result ?? "?"}${r.message ? ` (${r.message})` : ""}`,
                (r.reasons ?? []).map(
                    (x) => `${x.statementId ?? `statement ${x.statementIndex ?? "?"}`}: ${x.description ?? ""}`,
                ),
            );
        } catch (e) {
            report.line(
                "FAIL",
                `Access Analyzer CheckNoPublicAccess, ${d.label}: ${errorName(e)}: ${errorMessage(e)}`,
                ["the owner credentials need access-analyzer:CheckNoPublicAccess"],
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The watch, live: EventBridge's own matcher against the deployed rules.

/** A CloudTrail management event as EventBridge delivers it, for `call` on a secret or key. */
export function cloudTrailProbe(
    call: string,
    kind: "secret" | "key",
    id: string,
    ownerAccount: string,
    region: string,
): Record<string, unknown> {
    const service = kind === "secret" ? "secretsmanager" : "kms";
    const partition = id.split(":")[1] ?? "aws";
    return {
        version: "0",
        id: "00000000-0000-4000-8000-000000000000",
        "detail-type": "AWS API Call via CloudTrail",
        source: `aws.${service}`,
        account: ownerAccount,
        time: "2026-01-01T00:00:00Z",
        region,
        resources: [],
        detail: {
            eventVersion: "1.09",
            eventSource: `${service}.amazonaws.com`,
            eventName: call,
            awsRegion: region,
            // Another account: the CreateGrant rule alerts only on grants made from elsewhere.
            userIdentity: {
                type: "AssumedRole",
                accountId: "999999999999",
                arn: `arn:${partition}:sts::999999999999:assumed-role/probe/secretshare-verify`,
            },
            requestParameters:
                kind === "secret"
                    ? {
                          secretId: id,
                          // The UpdateSecret rule alerts when a secret moves to another key.
                          ...(call === "UpdateSecret" && {
                              kmsKeyId: `arn:${partition}:kms:${region}:${ownerAccount}:key/00000000-0000-4000-8000-0000000000ff`,
                          }),
                      }
                    : { keyId: id },
        },
    };
}

/** The ARN of a secret or key that is not ours, in the same account and region. */
function foreignOf(kind: "secret" | "key", arn: string): string {
    if (kind === "key") return arn.replace(/key\/[^/]+$/, "key/00000000-0000-4000-8000-00000000abcd");
    // The same name plus "-other": a sibling that prefix matching would wrongly include.
    return arn.replace(/-[A-Za-z0-9]{6}$/, "-other-AbCdEf");
}

async function watchChecks(
    deps: Deps,
    report: Report,
    owner: Side,
    targets: readonly Target[],
    outputs: Outputs | undefined,
): Promise<void> {
    const ruleArns = outputs?.watch?.rules ?? {};
    if (!Object.keys(ruleArns).length || !targets.length) {
        report.line(
            "SKIP",
            "watch: the outputs name no watch rules (secretshare:watch off, or not the owner's outputs)",
        );
        return;
    }
    const region = outputs?.watch?.region ?? targets[0].region;
    const ownerAccount = targets[0].accountId;
    const eb = new EventBridgeClient(clientConfig(owner, region));
    const rules: { name: string; call: string; kind: "secret" | "key"; pattern: string }[] = [];
    for (const [, arn] of Object.entries(ruleArns).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const name = arn.split("/").pop() as string;
        try {
            const r = await withRetry(deps, `DescribeRule ${name}`, () =>
                eb.send(new DescribeRuleCommand({ Name: name })),
            );
            const pattern = JSON.parse(r.EventPattern ?? "{}") as { detail?: Record<string, unknown> };
            const call = (pattern.detail?.eventName as string[] | undefined)?.[0];
            const params = (pattern.detail?.requestParameters ?? {}) as Record<string, unknown>;
            const kind = "secretId" in params ? "secret" : "keyId" in params ? "key" : undefined;
            if (call && kind) rules.push({ name, call, kind, pattern: r.EventPattern as string });
        } catch (e) {
            report.line("FAIL", `watch rule ${name}: DescribeRule failed: ${errorName(e)}: ${errorMessage(e)}`, [
                "the owner credentials need events:DescribeRule; a missing rule means the watch was changed outside Pulumi: pulumi up re-creates it",
            ]);
        }
    }
    const matching = async (group: typeof rules, event: Record<string, unknown>) => {
        for (const r of group) {
            const t = await withRetry(deps, `TestEventPattern ${r.name}`, () =>
                eb.send(new TestEventPatternCommand({ EventPattern: r.pattern, Event: JSON.stringify(event) })),
            );
            if (t.Result) return r.name;
        }
        return undefined;
    };
    const calls = [...new Set(rules.map((r) => r.call))];
    for (const call of calls) {
        const group = rules.filter((r) => r.call === call);
        const kind = group[0].kind;
        const subjects =
            kind === "secret"
                ? targets.map((t) => ({ label: t.name, arn: t.secretArn }))
                : [...new Set(targets.map((t) => t.keyArn).filter((k): k is string => !!k))].map((k) => ({
                      label: `key ${k.split("/").pop() as string}`,
                      arn: k,
                  }));
        try {
            for (const s of subjects) {
                const hit = await matching(group, cloudTrailProbe(call, kind, s.arn, ownerAccount, region));
                if (hit) report.line("PASS", `watch: ${call} on ${s.label} alerts (rule ${hit})`);
                else
                    report.line("FAIL", `watch: ${call} on ${s.label} matches no deployed rule`, [
                        "the rules were changed outside Pulumi, or the stack is not up to date: pulumi preview --refresh shows it",
                    ]);
            }
            const other = subjects[0] && foreignOf(kind, subjects[0].arn);
            if (other) {
                const hit = await matching(group, cloudTrailProbe(call, kind, other, ownerAccount, region));
                if (hit) report.line("FAIL", `watch: ${call} on another ${kind} (${other}) alerts too (rule ${hit})`);
                else report.line("PASS", `watch: ${call} on another ${kind} does not alert`);
            }
        } catch (e) {
            report.line("FAIL", `watch: ${call}: TestEventPattern failed: ${errorName(e)}: ${errorMessage(e)}`, [
                "the owner credentials need events:TestEventPattern",
            ]);
        }
    }
}

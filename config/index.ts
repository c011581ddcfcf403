import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { identityArn, partitionOf } from "../aws/arn";
import { ConfigError, show } from "./errors";
import * as s from "./schema";
import type {
    Account,
    ConsumerAccount,
    OwnerConfig,
    Reader,
    SecretSpec,
    StackConfig,
    WatchSettings,
    WatchSubscriber,
} from "./types";

export * from "./types";
export { ConfigError } from "./errors";

/** The config namespace: keys are `secretshare:<key>`. */
export const NAMESPACE = "secretshare";

/** Keys each mode accepts; any other `secretshare:` key is refused as a likely typo. */
const KEYS = {
    owner: ["mode", "owner", "consumers", "secrets", "key", "secretPolicy", "protection", "passwords", "watch"],
    all: ["mode", "owner", "consumers", "secrets", "key", "secretPolicy", "protection", "passwords", "watch"],
    consumer: ["mode", "consumer", "ownerStack", "watch"],
} as const;

/**
 * Parses and validates every `secretshare:*` setting at once. `raw` maps the key without its
 * namespace to its value as Pulumi stores it (a string, JSON for objects). `passwords` holds the
 * names of the secrets whose password config gives (never the values: they stay out of errors).
 * Throws a ConfigError naming every bad key, value and expected form.
 */
export function parseConfig(stack: string, raw: Readonly<Record<string, unknown>>): StackConfig {
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) values[k] = decode(v);

    const modeResult = s.mode.safeParse(values.mode);
    if (!modeResult.success) {
        throw new ConfigError(stack, [
            `${NAMESPACE}:mode = ${show(values.mode)}: ${modeResult.error.issues[0]?.message}`,
        ]);
    }
    const mode = modeResult.data;
    const allowed: readonly string[] = KEYS[mode];
    for (const k of Object.keys(values).sort()) {
        if (!allowed.includes(k)) {
            problems.push(
                `${NAMESPACE}:${k} is not a setting of a "${mode}" stack (a typo?); expected one of: ${allowed.map((a) => `${NAMESPACE}:${a}`).join(", ")}`,
            );
        }
    }

    const parse = <T>(key: string, schema: z.ZodType<T>, optional = false): T | undefined => {
        const value = values[key];
        if (value === undefined && optional) return schema.safeParse({}).data;
        const result = schema.safeParse(value);
        if (result.success) return result.data;
        for (const issue of result.error.issues) problems.push(describe(key, value, issue, schema));
        return undefined;
    };

    if (mode === "consumer") {
        const consumer = parse("consumer", s.consumerSelf);
        const ownerStack = parse("ownerStack", s.stackRef);
        if (problems.length || !consumer || !ownerStack) throw new ConfigError(stack, problems);
        const consumerWatch = parseWatch(values.watch, problems);
        if (problems.length || !consumerWatch) throw new ConfigError(stack, problems);
        return {
            mode,
            stack,
            ownerStack,
            consumer: account(consumer.name, consumer, consumer.region),
            watch: consumerWatch,
        };
    }

    const ownerRaw = parse("owner", s.accountSettings);
    const consumersRaw = parse("consumers", z.record(s.accountName, s.consumerAccount));
    const secretsRaw = parse(
        "secrets",
        z
            .array(s.secretEntry, {
                error: "expected a list of secrets, each with name, username and readers (an existing secret: name with existing: true, or arn:, and readers)",
            })
            .min(1, "expected at least one secret"),
    );
    const key = parse("key", s.key, true);
    const secretPolicy = parse("secretPolicy", s.secretPolicy, true);
    const protection = parse("protection", s.protection, true);
    const passwordNames = parsePasswords(values.passwords, problems);
    const watch = parseWatch(values.watch, problems);

    if (ownerRaw && !ownerRaw.region) {
        problems.push(
            `${NAMESPACE}:owner.region = (not set): expected the AWS region that holds the secrets, e.g. eu-west-1`,
        );
    }
    if (problems.length || !ownerRaw?.region || !consumersRaw || !secretsRaw || !key || !secretPolicy || !protection) {
        throw new ConfigError(stack, problems);
    }
    const owner = account("owner", ownerRaw, ownerRaw.region);

    const consumers: Record<string, ConsumerAccount> = {};
    const readersById = new Map<string, Reader>();
    const seenAccounts = new Map<string, string>();
    for (const name of Object.keys(consumersRaw).sort()) {
        const c = consumersRaw[name];
        const where = `${NAMESPACE}:consumers.${name}`;
        if (c.accountId === owner.accountId) {
            problems.push(
                `${where}.accountId = ${show(c.accountId)}: this is the owner's account; a consumer must be another account (same-account access needs no sharing)`,
            );
        }
        const twin = seenAccounts.get(c.accountId);
        if (twin)
            problems.push(
                `${where}.accountId = ${show(c.accountId)}: already used by consumer "${twin}"; give each account one entry`,
            );
        seenAccounts.set(c.accountId, name);
        const acct = account(name, c, c.region ?? owner.region);
        const readers: Reader[] = [];
        c.readers.forEach((r, i) => {
            const kind = r.user !== undefined ? "user" : "role";
            const idName = (r.user ?? r.role) as string;
            const id = `${name}/${idName}`;
            if (readersById.has(id)) {
                problems.push(
                    `${where}.readers[${i}] = ${show(idName)}: ${id} is declared twice; name each user or role once per account`,
                );
                return;
            }
            const reader: Reader = {
                id,
                account: name,
                accountId: c.accountId,
                kind,
                name: idName,
                path: r.path,
                existing: r.existing,
                arn: identityArn(owner.partition, c.accountId, kind, r.path, idName),
                ...(r.assumedBy && { assumedBy: [...new Set(r.assumedBy)].sort() }),
            };
            readersById.set(id, reader);
            readers.push(reader);
        });
        consumers[name] = { account: acct, readers: readers.sort((a, b) => a.id.localeCompare(b.id)) };
    }

    const secrets: SecretSpec[] = [];
    const seenSecrets = new Set<string>();
    const used = new Set<string>();
    secretsRaw.forEach((sec, i) => {
        const where = `${NAMESPACE}:secrets[${i}]`;
        // An existing secret named by ARN alone takes its name from the ARN.
        const secName = sec.kind === "existing" ? (sec.name ?? (sec.arn as { name: string }).name) : sec.name;
        if (seenSecrets.has(secName))
            problems.push(`${where}.name = ${show(secName)}: a secret of that name is already listed`);
        seenSecrets.add(secName);
        if (sec.kind === "existing" && sec.arn) {
            problems.push(...sameAccountAndRegion(`${where}.arn`, sec.arn.arn, sec.arn, owner, "secret"));
        }
        const readers = [...new Set(sec.readers)].sort();
        readers.forEach((id) => {
            if (!readersById.has(id)) {
                problems.push(
                    `${where}.readers = ${show(id)}: no such reader; expected one of ${[...readersById.keys()].sort().join(", ") || "(none: declare readers under secretshare:consumers)"}`,
                );
            }
            used.add(id);
        });
        if (sec.kind === "existing") {
            if (passwordNames.includes(secName)) {
                problems.push(
                    `${NAMESPACE}:passwords.${secName}: ${secName} is an existing secret, whose value this program never writes; remove the password (value not shown)`,
                );
            }
            // The value fields are unused for an existing secret (see SecretSpec.existing).
            secrets.push({
                name: secName,
                username: "",
                passwordLength: 32,
                recoveryWindowInDays: 30,
                rotation: "1",
                readers,
                passwordFromConfig: false,
                existing: {
                    ref: sec.arn ? sec.arn.arn : secName,
                    by: sec.arn ? "arn" : "name",
                    adopt: sec.adopt || sec.reencrypt,
                    reencrypt: sec.reencrypt,
                },
            });
            return;
        }
        secrets.push({
            name: sec.name,
            description: sec.description,
            username: sec.username,
            passwordLength: sec.passwordLength,
            recoveryWindowInDays: sec.recoveryWindowInDays,
            rotation: sec.rotation,
            readers,
            passwordFromConfig: passwordNames.includes(sec.name),
        });
    });
    if (key.existing && (key.existing.form === "key-arn" || key.existing.form === "alias-arn")) {
        problems.push(
            ...sameAccountAndRegion(`${NAMESPACE}:key.existing`, key.existing.ref, key.existing, owner, "key"),
        );
    }
    if (secretPolicy.principalForm === "principal-arn") {
        // AWS refuses to save a resource or key policy that names a principal that does not exist
        // (MalformedPolicyDocumentException), and the owner's policies are written before any
        // consumer stack creates its readers. See ../shared/reference/aws-facts.md.
        const created = [...readersById.values()].filter((r) => !r.existing).map((r) => r.id);
        if (created.length) {
            problems.push(
                `${NAMESPACE}:secretPolicy.principalForm = "principal-arn": this form names each reader's ARN as Principal, ` +
                    `and AWS refuses to save a policy that names a principal that does not exist yet; ` +
                    `${created.join(", ")} ${created.length === 1 ? "is" : "are"} created by this program after the owner's policies. ` +
                    `Use principalForm: account-root (the default); principal-arn suits readers that exist outside this program (existing: true).`,
            );
        }
    }
    for (const id of readersById.keys()) {
        if (!used.has(id)) {
            problems.push(
                `${NAMESPACE}:consumers: reader ${id} reads no secret; add it to a secret's readers or remove it`,
            );
        }
    }
    if (key.perSecret && !key.existing) {
        // Each secret gets alias/<alias>/<secret name>, and KMS alias names allow fewer characters
        // than secret names do. https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
        const base = key.alias.replace(/^alias\//, "");
        secrets.forEach((sec, i) => {
            if (sec.existing) return;
            const alias = `alias/${base}/${sec.name}`;
            if (!/^alias\/[A-Za-z0-9/_-]+$/.test(alias) || alias.length > 256) {
                problems.push(
                    `${NAMESPACE}:secrets[${i}].name = ${show(sec.name)}: with ${NAMESPACE}:key.perSecret its key's alias would be ` +
                        `${show(alias)}, and KMS aliases allow at most 256 characters of [A-Za-z0-9/_-]; ` +
                        `rename the secret, shorten key.alias, or use one shared key (perSecret: false)`,
                );
            }
        });
    }
    for (const name of passwordNames) {
        if (!seenSecrets.has(name))
            problems.push(`${NAMESPACE}:passwords.${name}: no secret of that name in ${NAMESPACE}:secrets`);
    }
    if (problems.length) throw new ConfigError(stack, problems);

    const ownerConfig: OwnerConfig = {
        account: owner,
        key: {
            alias: key.alias.replace(/^alias\//, ""),
            deletionWindowInDays: key.deletionWindowInDays,
            perSecret: key.perSecret,
            grantDescribeKey: key.grantDescribeKey,
            ...(key.existing && {
                existing: { ref: key.existing.ref, form: key.existing.form, adopt: key.adopt },
            }),
            ...(key.admins && { admins: key.admins }),
        },
        secrets: secrets.sort((a, b) => a.name.localeCompare(b.name)),
        consumers,
        secretPolicy,
        protection,
    };
    return { mode, stack, owner: ownerConfig, ...(watch && { watch }) };
}

/**
 * An existing key or secret named by ARN must be in the owner account and region: the program
 * writes its policy with the owner's credentials, and Secrets Manager can only use a KMS key of
 * the secret's own region.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
function sameAccountAndRegion(
    where: string,
    value: string,
    arn: { accountId?: string; region?: string },
    owner: Account,
    what: "key" | "secret",
): string[] {
    const out: string[] = [];
    if (arn.accountId && arn.accountId !== owner.accountId) {
        out.push(
            `${where} = ${show(value)}: this ${what} is in account ${arn.accountId}, but ${NAMESPACE}:owner.accountId is ${owner.accountId}; ` +
                `name a ${what} of the owner account (this stack writes its policy with the owner's credentials)`,
        );
    }
    if (arn.region && arn.region !== owner.region) {
        out.push(
            `${where} = ${show(value)}: this ${what} is in region ${arn.region}, but ${NAMESPACE}:owner.region is ${owner.region}; ` +
                (what === "key"
                    ? "Secrets Manager can only use a KMS key in the secret's own region"
                    : "set owner.region to the secret's region"),
        );
    }
    return out;
}

/** Reads `secretshare:*` from the Pulumi runtime and parses it; see `parseConfig`. */
export function loadConfig(): StackConfig {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
        if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
    }
    return parseConfig(pulumi.getStack(), raw);
}

/**
 * The passwords given in config, as a secret Output by secret name (`secretshare:passwords`,
 * each value `secure:`). Read apart from `parseConfig` so the values never enter its errors.
 */
export function configPasswords(): pulumi.Output<Record<string, string>> | undefined {
    return new pulumi.Config(NAMESPACE).getSecretObject<Record<string, string>>("passwords");
}

function account(
    name: string,
    a: {
        accountId: string;
        profile?: string;
        assumeRole?: { roleArn: string; externalId?: string; sessionName?: string };
    },
    region: string,
): Account {
    return {
        name,
        accountId: a.accountId,
        region,
        partition: partitionOf(region),
        ...(a.profile !== undefined && { profile: a.profile }),
        ...(a.assumeRole !== undefined && { assumeRole: a.assumeRole }),
    };
}

/** Pulumi keeps structured config as JSON text and scalars as plain text. */
function decode(v: unknown): unknown {
    if (typeof v !== "string") return v;
    const t = v.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return v;
        }
    }
    if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
    if (t === "true" || t === "false") return t === "true";
    return v;
}

function parsePasswords(value: unknown, problems: string[]): string[] {
    if (value === undefined) return [];
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problems.push(
            `${NAMESPACE}:passwords: expected a map from secret name to a secure password (pulumi config set --secret --path 'passwords.<secret>' ...)`,
        );
        return [];
    }
    const names: string[] = [];
    for (const [name, v] of Object.entries(value)) {
        if (typeof v !== "string" || v.length < 8) {
            problems.push(
                `${NAMESPACE}:passwords.${name}: expected a secure string of at least 8 characters (value not shown)`,
            );
        } else names.push(name);
    }
    return names;
}

function describe(key: string, root: unknown, issue: z.core.$ZodIssue, schema?: z.core.$ZodType): string {
    const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    let value: unknown = root;
    for (const p of issue.path)
        value = value && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[p] : undefined;
    if (issue.code === "unrecognized_keys") {
        const known = schema ? keysAt(schema, issue.path) : [];
        return (
            `${NAMESPACE}:${key}${path}: unknown setting ${issue.keys.map((k) => `"${k}"`).join(", ")} (a typo?)` +
            (known.length ? `; expected one of: ${known.join(", ")}` : "")
        );
    }
    if (issue.code === "invalid_key") {
        // A map key (a consumer account name) failed its schema: name the key, not the whole entry.
        const parent = issue.path.slice(0, -1).map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`));
        const name = issue.path[issue.path.length - 1];
        return `${NAMESPACE}:${key}${parent.join("")} key ${show(name)}: ${issue.issues[0]?.message ?? issue.message}`;
    }
    return `${NAMESPACE}:${key}${path} = ${show(value)}: ${issue.message}`;
}

/** The settings the object schema at `path` accepts, so that a typo's message can list them. */
function keysAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
    interface Def {
        type: string;
        shape?: Record<string, z.core.$ZodType>;
        innerType?: z.core.$ZodType;
        element?: z.core.$ZodType;
        valueType?: z.core.$ZodType;
    }
    // Optional and default wrappers hold the schema that matters in innerType.
    const defOf = (t: z.core.$ZodType | undefined): Def | undefined => {
        let d = t?._zod.def as Def | undefined;
        while (d?.innerType) d = d.innerType._zod.def;
        return d;
    };
    let def = defOf(schema);
    for (const p of path) {
        if (def?.type === "object") def = defOf(def.shape?.[String(p)]);
        else if (def?.type === "array") def = defOf(def.element);
        else if (def?.type === "record") def = defOf(def.valueType);
        else return [];
    }
    return def?.type === "object" && def.shape ? Object.keys(def.shape) : [];
}

/**
 * `secretshare:watch`. Unlike other keys, no message repeats the value given: subscriber
 * addresses are personal data or carry tokens, so each message names the config path and the
 * expected form only. Duplicate addresses are refused by position.
 */
function parseWatch(value: unknown, problems: string[]): WatchSettings | undefined {
    const result = s.watch.safeParse(value ?? {});
    if (!result.success) {
        for (const issue of result.error.issues) {
            const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
            problems.push(
                issue.code === "unrecognized_keys"
                    ? `${NAMESPACE}:watch${path}: unknown setting ${issue.keys.map((k) => `"${k}"`).join(", ")} (a typo?)`
                    : `${NAMESPACE}:watch${path}: ${issue.message}`,
            );
        }
        return undefined;
    }
    const subscribers: WatchSubscriber[] = [];
    const seen = new Set<string>();
    result.data.subscribers.forEach((sub, i) => {
        const subscriber: WatchSubscriber =
            sub.email !== undefined
                ? { kind: "email", address: sub.email }
                : { kind: "https", address: sub.https as string };
        const k = `${subscriber.kind}:${subscriber.kind === "email" ? subscriber.address.toLowerCase() : subscriber.address}`;
        if (seen.has(k)) {
            problems.push(
                `${NAMESPACE}:watch.subscribers[${i}].${subscriber.kind}: the same address is listed earlier (value not shown); list each subscriber once`,
            );
        }
        seen.add(k);
        subscribers.push(subscriber);
    });
    return { enabled: result.data.enabled, subscribers, consumerSide: result.data.consumerSide };
}

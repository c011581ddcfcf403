import { z } from "zod";
import { account, accountSettings, consumerSelf } from "./accounts";
import { ConfigError, show } from "./errors";
import { existingKeyProblems, key as keySchema, keySettings, perSecretAliasProblems } from "./key";
import { consumerWatchNameProblems, identityCaseProblems } from "./names";
import { NAMESPACE, describe } from "./problems";
import {
    principalFormProblems,
    recoveryWindowProblems,
    protection as protectionSchema,
    secretPolicy as secretPolicySchema,
} from "./protection";
import { consumerAccounts, consumers as consumersSchema, unusedReaders } from "./readers";
import { parsePasswords, secretSpecs, secrets as secretsSchema, unknownPasswords } from "./secrets";
import type { OwnerConfig, StackConfig } from "./types";
import { parseWatch } from "./watch";

/**
 * `parseConfig`: the stack-level settings (mode, which keys a mode accepts, ownerStack), each
 * key parsed by its topic's schema, then the checks across keys and the assembled StackConfig.
 */

export const mode = z.enum(["owner", "consumer", "all"], {
    error: 'expected "owner" (the secrets\' account), "consumer" (a reader account) or "all" (both in one stack)',
});

/** `secretshare:ownerStack` of a consumer stack: the owner stack it reads by StackReference. */
export const stackRef = z
    .string({ error: "expected a fully qualified stack name <org>/<project>/<stack>" })
    .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, "expected a fully qualified stack name <org>/<project>/<stack>");

/** `secretshare:ownerStacks`: every owner stack a consumer stack reads, each once. */
export const stackRefs = z
    .array(stackRef, { error: "expected a list of fully qualified stack names <org>/<project>/<stack>" })
    .min(1, "expected at least one owner stack <org>/<project>/<stack>")
    .superRefine((refs, ctx) => {
        const seen = new Set<string>();
        refs.forEach((r, i) => {
            if (seen.has(r)) ctx.addIssue({ code: "custom", path: [i], message: `${r} is listed twice` });
            seen.add(r);
        });
    });

/**
 * The owner stacks of a consumer stack: `ownerStack` (one) or `ownerStacks` (a list), exactly one
 * of the two. Undefined, with the problem added, when neither or both are set or one is malformed.
 */
function parseOwnerStacks(
    values: Record<string, unknown>,
    problems: string[],
    parse: <S extends z.ZodType>(key: string, schema: S) => z.output<S> | undefined,
): readonly string[] | undefined {
    const one = values.ownerStack !== undefined;
    const many = values.ownerStacks !== undefined;
    if (one && many) {
        problems.push(
            `${NAMESPACE}:ownerStack = ${show(values.ownerStack)} and ${NAMESPACE}:ownerStacks = ${show(values.ownerStacks)}: ` +
                `set one of them: ownerStack for one owner stack, or ownerStacks for a list of them (the one as its only item)`,
        );
        return undefined;
    }
    if (many) return parse("ownerStacks", stackRefs);
    const single = parse("ownerStack", stackRef);
    return single === undefined ? undefined : [single];
}

/** Keys each mode accepts; any other `secretshare:` key is refused as a likely typo. */
const KEYS = {
    owner: ["mode", "owner", "consumers", "secrets", "key", "secretPolicy", "protection", "passwords", "watch"],
    all: ["mode", "owner", "consumers", "secrets", "key", "secretPolicy", "protection", "passwords", "watch"],
    consumer: ["mode", "consumer", "ownerStack", "ownerStacks", "watch"],
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

    const modeResult = mode.safeParse(values.mode);
    if (!modeResult.success) {
        throw new ConfigError(stack, [
            `${NAMESPACE}:mode = ${show(values.mode)}: ${modeResult.error.issues[0]?.message}`,
        ]);
    }
    const stackMode = modeResult.data;
    const allowed: readonly string[] = KEYS[stackMode];
    for (const k of Object.keys(values).sort()) {
        if (!allowed.includes(k)) {
            problems.push(
                `${NAMESPACE}:${k} is not a setting of a "${stackMode}" stack (a typo?); expected one of: ${allowed.map((a) => `${NAMESPACE}:${a}`).join(", ")}`,
            );
        }
    }

    // Generic over the schema, not its output: inferring T of z.ZodType<T> from a concrete schema
    // makes the type checker compare the two structurally, which costs seconds on every check.
    // https://zod.dev/library-authors
    const parse = <S extends z.ZodType>(key: string, schema: S, optional = false): z.output<S> | undefined => {
        const value = values[key];
        if (value === undefined && optional) return schema.safeParse({}).data;
        const result = schema.safeParse(value);
        if (result.success) return result.data;
        for (const issue of result.error.issues) problems.push(describe(key, value, issue, schema));
        return undefined;
    };

    if (stackMode === "consumer") {
        const consumer = parse("consumer", consumerSelf);
        const ownerStacks = parseOwnerStacks(values, problems, parse);
        if (problems.length || !consumer || !ownerStacks) throw new ConfigError(stack, problems);
        const ownerStack = ownerStacks[0];
        const consumerWatch = parseWatch(values.watch, problems);
        if (consumerWatch) {
            problems.push(
                ...consumerWatchNameProblems(
                    `${NAMESPACE}:consumer.name = ${show(consumer.name)}`,
                    consumer.name,
                    consumerWatch,
                ),
            );
        }
        if (problems.length || !consumerWatch) throw new ConfigError(stack, problems);
        return {
            mode: stackMode,
            stack,
            ownerStack,
            ownerStacks,
            consumer: account(consumer.name, consumer, consumer.region),
            ...(consumer.formerNames && { formerNames: consumer.formerNames }),
            watch: consumerWatch,
        };
    }

    const ownerRaw = parse("owner", accountSettings);
    const consumersRaw = parse("consumers", consumersSchema);
    const secretsRaw = parse("secrets", secretsSchema);
    const key = parse("key", keySchema, true);
    const secretPolicy = parse("secretPolicy", secretPolicySchema, true);
    const protection = parse("protection", protectionSchema, true);
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

    // Checks across keys, in the order their lines appear.
    const { consumers, readersById } = consumerAccounts(consumersRaw, owner, problems);
    const { secrets, names, used } = secretSpecs(secretsRaw, owner, readersById, passwordNames, problems);
    problems.push(...existingKeyProblems(key, owner));
    problems.push(...principalFormProblems(secretPolicy, readersById.values()));
    problems.push(...unusedReaders(readersById.keys(), used));
    problems.push(...perSecretAliasProblems(key, secrets));
    problems.push(...recoveryWindowProblems(protection, secrets));
    problems.push(...unknownPasswords(passwordNames, names));
    problems.push(...identityCaseProblems(consumersRaw));
    if (stackMode === "all") {
        for (const [name, c] of Object.entries(consumers)) {
            const kinds = c.readers.map((r) => r.kind);
            problems.push(...consumerWatchNameProblems(`${NAMESPACE}:consumers key ${show(name)}`, name, watch, kinds));
        }
    }
    if (problems.length) throw new ConfigError(stack, problems);

    const ownerConfig: OwnerConfig = {
        account: owner,
        key: keySettings(key),
        secrets: secrets.sort((a, b) => a.name.localeCompare(b.name)),
        consumers,
        secretPolicy,
        protection,
    };
    return { mode: stackMode, stack, owner: ownerConfig, ...(watch && { watch }) };
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

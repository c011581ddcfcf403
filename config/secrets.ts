import { z } from "zod";
import { SECRET_ARN_FORM, parseSecretArn } from "../aws/arn";
import { policyMetacharacters } from "../aws/names";
import { sameAccountAndRegion } from "./accounts";
import { show } from "./errors";
import { NAMESPACE } from "./problems";
import { readerId } from "./readers";
import { rotation, rotationFunctionProblems } from "./rotation";
import type { Account, Reader, SecretSpec } from "./types";

/**
 * `secretshare:secrets` (each a secret this program creates, with its value's settings and
 * rotation, or an existing one named by name or ARN) and `secretshare:passwords`.
 */

// Secrets Manager names: https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
export const secretName = z.string().superRefine((s, ctx) => {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s)) {
        ctx.addIssue({ code: "custom", message: "expected 1 to 512 characters of [A-Za-z0-9/_+=.@-]" });
    } else if (/-[A-Za-z0-9]{6}$/.test(s)) {
        // AWS appends "-" and six random characters to form the ARN; a name that already
        // ends that way makes partial-ARN lookups ambiguous.
        // https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
        ctx.addIssue({
            code: "custom",
            message: "a secret name must not end with a hyphen and six characters (AWS adds such a suffix to the ARN)",
        });
    }
});

/** A secret this program creates: its name, the username stored with the password, and who reads it. */
// https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
const RECOVERY_FORM =
    "expected 0 (deleted at once, without recovery: only with protection off) or a whole number of days from 7 to 30";

export const secret = z.strictObject({
    name: secretName,
    /** `existing: false` is the default: the program creates the secret. */
    existing: z.literal(false, { error: "expected true (the secret exists) or false" }).optional(),
    description: z.string().max(2048).optional(),
    username: z.string({ error: "expected the username stored in the secret" }).min(1, "expected a non-empty username"),
    passwordLength: z
        .number({ error: "expected a whole number of characters from 16 to 4096" })
        .int("expected a whole number of characters from 16 to 4096")
        .min(16, "expected a whole number of characters from 16 to 4096")
        .max(4096, "expected a whole number of characters from 16 to 4096")
        .default(32),
    /** 0: deleted at once, without recovery; only with protection off (config/protection.ts). */
    recoveryWindowInDays: z
        .number({ error: RECOVERY_FORM })
        .int(RECOVERY_FORM)
        .refine((d) => d === 0 || (d >= 7 && d <= 30), RECOVERY_FORM)
        .default(30),
    readers: z.array(readerId).min(1, "expected at least one reader: a secret nobody reads needs no sharing"),
    /** Change this value to generate a new password (the old one becomes AWSPREVIOUS). */
    regenerate: z.string({ error: 'expected a string; change it (e.g. "2") to generate a new password' }).default("1"),
    /** Automatic rotation on a schedule (config/rotation.ts); absent: off. */
    rotation: rotation.optional(),
});

const existingSecretArn = z.string({ error: SECRET_ARN_FORM }).transform((v, ctx) => {
    // A secret ARN names one secret: a "*" or "?" here would read as a wildcard in the policies
    // that name it, whatever else is wrong with it, so that is what the message says.
    const meta = policyMetacharacters(v);
    if (meta.length) {
        ctx.addIssue({
            code: "custom",
            message: `has ${meta.join(" and ")}, which a secret ARN cannot hold; ${SECRET_ARN_FORM} (one exact secret)`,
        });
        return z.NEVER;
    }
    const arn = parseSecretArn(v);
    if ("error" in arn) {
        ctx.addIssue({ code: "custom", message: arn.error });
        return z.NEVER;
    }
    return arn;
});

// An existing secret may be named anything Secrets Manager accepted; only a name that looks like
// a partial ARN is refused, because DescribeSecret could then match another secret.
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
const existingSecretName = z.string().superRefine((s, ctx) => {
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(s)) {
        ctx.addIssue({ code: "custom", message: "expected 1 to 512 characters of [A-Za-z0-9/_+=.@-]" });
    } else if (/-[A-Za-z0-9]{6}$/.test(s)) {
        ctx.addIssue({
            code: "custom",
            message:
                "this name ends with a hyphen and six characters, so Secrets Manager may read it as a partial ARN: name the secret by its complete ARN with arn: instead",
        });
    }
});

const CREATED_ONLY = [
    "username",
    "passwordLength",
    "recoveryWindowInDays",
    "regenerate",
    "rotation",
    "description",
] as const;

/** A secret that already exists: named by `name` with `existing: true`, or by `arn`. */
export const existingSecret = z
    .looseObject({
        name: existingSecretName.optional(),
        existing: z.boolean().optional(),
        arn: existingSecretArn.optional(),
        // An empty list is allowed here: it is how sharing an existing secret is revoked (its
        // policy is retained on delete, so leaving config would keep our statements). Required,
        // so that forgetting it never revokes anything.
        readers: z.array(readerId, {
            error: "expected the list of readers, e.g. [secondary/Stuart]; an empty list [] revokes the share of an existing secret",
        }),
        /** Import the secret into the stack (protected, retained on delete) instead of policy-only. */
        adopt: z.boolean().default(false),
        /** Re-encrypt it under the stack's key; implies adopt. Never done unless asked. */
        reencrypt: z.boolean().default(false),
    })
    .superRefine((s, ctx) => {
        for (const k of Object.keys(s)) {
            if ((CREATED_ONLY as readonly string[]).includes(k)) {
                ctx.addIssue({
                    code: "custom",
                    path: [k],
                    message: `${k} applies only to a secret this program creates: an existing secret's value and settings are never written here (remove ${k}, or remove existing/arn to create a new secret)`,
                });
            } else if (!["name", "existing", "arn", "readers", "adopt", "reencrypt"].includes(k)) {
                ctx.addIssue({ code: "unrecognized_keys", keys: [k], path: [], message: `unknown setting ${k}` });
            }
        }
        if (s.existing === false) {
            ctx.addIssue({
                code: "custom",
                path: ["existing"],
                message:
                    "arn: names an existing secret; remove existing: false (or remove arn: to create a new secret)",
            });
        }
        if (!s.arn && !s.name) {
            ctx.addIssue({
                code: "custom",
                path: ["name"],
                message: "expected the name of the existing secret (with existing: true), or its complete ARN in arn:",
            });
        }
        if (s.arn && s.name && s.arn.name !== s.name) {
            ctx.addIssue({
                code: "custom",
                path: ["name"],
                message: `the ARN names secret ${s.arn.name}; give the same name, or leave name out`,
            });
        }
    });

/**
 * One entry of `secretshare:secrets`: a secret the program creates (name, username, readers),
 * or an existing one (`existing: true` with its name, or `arn:`), each with its own messages.
 */
export const secretEntry = z.unknown().transform((value, ctx) => {
    const o = value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    const existing = o.existing === true || o.arn !== undefined;
    const result = existing ? existingSecret.safeParse(value) : secret.safeParse(value);
    if (!result.success) {
        for (const issue of result.error.issues) ctx.addIssue({ ...issue });
        return z.NEVER;
    }
    return existing
        ? { kind: "existing" as const, ...(result.data as z.output<typeof existingSecret>) }
        : { kind: "created" as const, ...(result.data as z.output<typeof secret>) };
});

/** `secretshare:secrets`. */
export const secrets = z
    .array(secretEntry, {
        error: "expected a list of secrets, each with name, username and readers (an existing secret: name with existing: true, or arn:, and readers)",
    })
    .min(1, "expected at least one secret");

/**
 * `secretshare:passwords` as config holds it: the names of the secrets it gives a password for.
 * The values stay out of every message; `configPasswords` reads them apart.
 */
export function parsePasswords(value: unknown, problems: string[]): string[] {
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

/**
 * The SecretSpecs of the validated entries, in config order, checked against the owner account,
 * the declared readers and the passwords given. Adds a line to `problems` for each mismatch.
 * `names`: every secret name listed; `used`: every reader id a secret names.
 */
export function secretSpecs(
    entries: readonly z.output<typeof secretEntry>[],
    owner: Account,
    readersById: ReadonlyMap<string, Reader>,
    passwordNames: readonly string[],
    problems: string[],
): { secrets: SecretSpec[]; names: Set<string>; used: Set<string> } {
    const secrets: SecretSpec[] = [];
    const seenSecrets = new Set<string>();
    const used = new Set<string>();
    entries.forEach((sec, i) => {
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
                regenerate: "1",
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
        problems.push(...rotationFunctionProblems(where, sec.rotation, owner));
        if (sec.rotation && !sec.rotation.function && passwordNames.includes(sec.name)) {
            problems.push(
                `${where}.rotation: ${sec.name}'s password is given in ${NAMESPACE}:passwords, so it is set somewhere this program's rotation function cannot reach; name the function that rotates it there (rotation.function), or remove the password to rotate a generated one (value not shown)`,
            );
        }
        secrets.push({
            name: sec.name,
            description: sec.description,
            username: sec.username,
            passwordLength: sec.passwordLength,
            recoveryWindowInDays: sec.recoveryWindowInDays,
            regenerate: sec.regenerate,
            ...(sec.rotation && { rotation: sec.rotation }),
            readers,
            passwordFromConfig: passwordNames.includes(sec.name),
        });
    });
    return { secrets, names: seenSecrets, used };
}

/** A problem line for each password given for a secret that `secretshare:secrets` does not list. */
export function unknownPasswords(passwordNames: readonly string[], secretNames: ReadonlySet<string>): string[] {
    return passwordNames
        .filter((name) => !secretNames.has(name))
        .map((name) => `${NAMESPACE}:passwords.${name}: no secret of that name in ${NAMESPACE}:secrets`);
}

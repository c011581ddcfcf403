import { parseSecretArn } from "../aws/arn";
import { UsageError } from "../common/errors";
import type { Options } from "./args";
import { identityOf, sameIdentity } from "./identity";
import { nameOfSecretArn, type Outputs } from "./outputs";
import type { Report } from "./report";

/**
 * Which secrets verify checks: every one the flags or outputs name, narrowed to those the owner
 * grants the consumer that STS says the credentials are.
 */

/** What the stack outputs (or flags) say about one secret. */
export interface Target {
    readonly name: string;
    readonly secretArn: string;
    readonly keyArn?: string;
    readonly region: string;
    readonly accountId: string;
}

function target(name: string, secretArn: string, keyArn: string | undefined): Target {
    const secret = parseSecretArn(secretArn);
    if ("error" in secret) throw new UsageError(`the secret ARN ${secretArn} of ${name} is not a complete secret ARN`);
    return { name, secretArn, keyArn, region: secret.region, accountId: secret.accountId };
}

/** Every secret the flags and outputs name: --secret-arn ones, then --secret ones or all of the outputs. */
export function namedTargets(options: Options, outputs: Outputs | undefined): Target[] {
    const all: Target[] = [];
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
    return all;
}

/**
 * The named secrets this consumer reads: those the owner grants it, when the outputs say so and
 * no --secret or --secret-arn chose. A consumer in the owner's account, or one the outputs do not
 * name as a reader, fails: it proves nothing about cross-account access.
 */
export function grantedTargets(
    report: Report,
    caller: string,
    all: readonly Target[],
    outputs: Outputs | undefined,
    options: Options,
): readonly Target[] {
    const callerAccount = identityOf(caller).account;
    if (all.some((t) => t.accountId === callerAccount)) {
        report.line("FAIL", `the consumer ${caller} is in the owner's account ${callerAccount}`, [
            "this proves nothing about cross-account access: pass the profile or role of a reader in a consumer account",
        ]);
    }
    if (!outputs || options.secrets.length > 0 || options.secretArns.length > 0) return all;
    const granted = outputs.readers?.find((r) => sameIdentity(caller, r.arn))?.secrets;
    const bySecrets = outputs.readerSecrets?.[identityOf(caller).name];
    const names = granted ?? (bySecrets ? Object.keys(bySecrets) : undefined);
    if (outputs.readers && !granted) {
        report.line("FAIL", `the consumer ${caller} is not a reader in the owner's outputs (grants)`, [
            `readers: ${outputs.readers.map((r) => r.arn).join(", ") || "none"}`,
            "pass the profile or role of one of them, or add this identity to secretshare:consumers and a secret's readers",
        ]);
        return all;
    }
    return names ? all.filter((t) => names.includes(t.name)) : all;
}

import * as fs from "fs";
import { parseSecretArn } from "../aws/arn";
import { UsageError } from "../common/errors";
import { ownerExportsSchema, type ReaderGrant, type WatchExports } from "../contract/ownerExports";

/**
 * Reads `pulumi stack output --json`: an owner stack's exports (their form is the contract,
 * contract/ownerExports.ts) or a consumer stack's, which name its readers' secrets as
 * `readerSecrets` and, for one reader of one secret, `secretArn`.
 */

/** The parts of the owner's or a consumer's stack outputs that verify reads. */
export interface Outputs {
    readonly file: string;
    readonly secretArns: Record<string, string>;
    readonly keyArns: Record<string, string>;
    /** Owner outputs: the key id of each secret (how the stack packed its keys). */
    readonly keyIds?: Record<string, string>;
    /** Owner outputs: every reader of every consumer account. */
    readonly readers?: readonly ReaderGrant[];
    /** Consumer outputs: secret name → ARN by reader name. */
    readonly readerSecrets?: Record<string, Record<string, string>>;
    /** Owner outputs: the watch's EventBridge rule ARNs by rule id, and their region. */
    readonly watch?: Pick<WatchExports, "region" | "rules">;
}

/** The owner's exports verify reads; each may be missing (a consumer stack has none of grants). */
const ownerPart = ownerExportsSchema
    .pick({
        secretArns: true,
        keyArns: true,
        keyIds: true,
        grants: true,
        secretName: true,
        secretArn: true,
        keyArn: true,
        watch: true,
    })
    .partial();

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const stringsOf = (v: unknown): Record<string, string> =>
    isRecord(v)
        ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string"))
        : {};

export function readOutputs(file: string): Outputs {
    const again = `pulumi stack output --json -s primary > ${file}`;
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UsageError(
            `cannot read --outputs ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): write it with ${again}`,
        );
    }
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch {
        throw new UsageError(`--outputs ${file} is not JSON: write it with ${again}`);
    }
    if (!isRecord(raw)) throw new UsageError(`--outputs ${file}: expected a JSON object of stack outputs`);
    const parsed = ownerPart.safeParse(raw);
    if (!parsed.success) {
        const paths = [...new Set(parsed.error.issues.map((i) => i.path.map(String).join(".")))];
        throw new UsageError(
            `--outputs ${file}: not of the form an owner stack exports (contract/ownerExports.ts): ${paths.join(", ")}; write it again with ${again}`,
        );
    }
    const owner = parsed.data;

    const secretArns = { ...owner.secretArns };
    const keyArns = { ...owner.keyArns };
    let readerSecrets: Record<string, Record<string, string>> | undefined;
    if (isRecord(raw.readerSecrets)) {
        readerSecrets = Object.fromEntries(Object.entries(raw.readerSecrets).map(([r, m]) => [r, stringsOf(m)]));
        for (const m of Object.values(readerSecrets)) Object.assign(secretArns, m);
    }
    if (owner.secretArn !== undefined && Object.keys(secretArns).length === 0) {
        secretArns[owner.secretName ?? nameOfSecretArn(owner.secretArn)] = owner.secretArn;
    }
    if (owner.keyArn !== undefined && Object.keys(secretArns).length === 1 && Object.keys(keyArns).length === 0) {
        keyArns[Object.keys(secretArns)[0]] = owner.keyArn;
    }
    if (Object.keys(secretArns).length === 0) {
        throw new UsageError(
            `--outputs ${file} has no secretArns, secretArn or readerSecrets output: is it the output of the owner stack ` +
                "after pulumi up (pulumi stack output --json -s primary)? A stack that was never deployed has no outputs.",
        );
    }
    const readers = owner.grants && Object.values(owner.grants).flatMap((account) => account.readers);
    const watch = owner.watch && {
        ...(owner.watch.region !== undefined && { region: owner.watch.region }),
        rules: owner.watch.rules,
    };
    return {
        file,
        secretArns,
        keyArns,
        ...(owner.keyIds && { keyIds: owner.keyIds }),
        readers,
        readerSecrets,
        ...(watch && { watch }),
    };
}

/** The secret's name, from its complete ARN; the ARN itself when it is not one. */
export function nameOfSecretArn(arn: string): string {
    const secret = parseSecretArn(arn);
    return "name" in secret ? secret.name : arn;
}

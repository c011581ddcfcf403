import * as fs from "fs";
import * as path from "path";
import { parseCommandLine } from "../common/args";
import { UsageError, isUserError } from "../common/errors";
import { errorMessage, errorName } from "./awsErrors";
import { whoAmI, type CredentialSource, type Side } from "./credentials";
import type { Deps } from "./deps";
import { Report } from "./report";
import { recordAccount, recordIdentity, recordKey, recordSecret, type Recording } from "./snapshotRecord";

/**
 * `npm run verify -- --snapshot FILE`: records what exists in AWS for the resources a project's
 * config names (plan/world/named.ts), with read-only calls (./snapshotRecord.ts), as a world
 * snapshot (plan/world/schema.ts) that `npm start -- --world FILE` plans against. The owner's
 * credentials read the key and the secrets; each consumer account's credentials read its users
 * and roles. Written only when every read succeeded: a partial snapshot would let the plan
 * prove something about what it did not read. Exit status: 0 written, 1 a read failed (nothing
 * written), 2 a usage or configuration error.
 */

export const SNAPSHOT_HELP = `Usage: npm run verify -- --snapshot FILE [options]

Records what exists in AWS for the resources the stacks' config names, with read-only calls,
as a world snapshot that the offline plan uses (npm start -- --world FILE; world.json beside
the stack files is used without --world). Never reads a secret's value.

  --snapshot FILE           where to write the snapshot (JSON, docs/existing.md)
  --dir DIR                 the project: Pulumi.yaml and Pulumi.<stack>.yaml (default: the repository)
  --stack NAME              only these stacks' config (repeatable; default: every stack file)
  --owner-profile NAME      the owner account's profile: kms:DescribeKey, kms:ListAliases,
  --owner-role-arn ARN      kms:GetKeyPolicy, secretsmanager:DescribeSecret, GetResourcePolicy
  --consumer-profile NAME   a consumer account's profile or role (each repeatable, one per
  --consumer-role-arn ARN   account): iam:GetUser, GetRole, List(Attached)UserPolicies,
                            GetUserPolicy, GetPolicy, GetPolicyVersion (and the role forms),
                            GetAccountSummary; the account is the one STS names
`;

interface SnapshotOptions {
    readonly help?: boolean;
    readonly file: string;
    readonly dir?: string;
    readonly stacks: readonly string[];
    readonly owner: CredentialSource;
    readonly consumers: readonly CredentialSource[];
}

export const wantsSnapshot = (argv: readonly string[]) =>
    argv.some((a) => a === "--snapshot" || a.startsWith("--snapshot="));

function parseSnapshotArgs(argv: readonly string[]): SnapshotOptions {
    const { values } = parseCommandLine(argv, {
        snapshot: { type: "string" },
        help: { type: "boolean", short: "h" },
        dir: { type: "string" },
        stack: { type: "string", multiple: true },
        "owner-profile": { type: "string" },
        "owner-role-arn": { type: "string" },
        "consumer-profile": { type: "string", multiple: true },
        "consumer-role-arn": { type: "string", multiple: true },
    });
    if (values.help) return { help: true } as unknown as SnapshotOptions;
    if (!values["owner-profile"] && !values["owner-role-arn"]) {
        throw new UsageError("--snapshot needs the owner's credentials: --owner-profile NAME or --owner-role-arn ARN");
    }
    return {
        file: values.snapshot as string,
        ...(values.dir !== undefined && { dir: values.dir }),
        stacks: values.stack ?? [],
        owner: { label: "owner", profile: values["owner-profile"], roleArn: values["owner-role-arn"] },
        consumers: [
            ...(values["consumer-profile"] ?? []).map((profile): CredentialSource => ({ label: "consumer", profile })),
            ...(values["consumer-role-arn"] ?? []).map((roleArn): CredentialSource => ({ label: "consumer", roleArn })),
        ],
    };
}

export async function snapshot(
    argv: readonly string[],
    deps: Deps,
    now: () => Date = () => new Date(),
): Promise<number> {
    let options: SnapshotOptions;
    let named: import("../plan/world/named").Named[];
    let stackNames: string[];
    try {
        options = parseSnapshotArgs(argv);
        if (options.help) {
            deps.out(SNAPSHOT_HELP);
            return 0;
        }
        ({ named, stackNames } = await namedInProject(options.dir ?? deps.root, options.stacks));
    } catch (e) {
        if (!isUserError(e)) throw e;
        deps.out(`verify --snapshot: ${e.message}`);
        deps.out("run npm run verify -- --help for usage");
        return 2;
    }
    const report = new Report(deps);
    const owners = [...new Set(named.filter((n) => n.kind !== "identity").map((n) => n.accountId))];
    report.note(
        `secretshare verify --snapshot: stacks ${stackNames.join(", ")}: ${named.length} resource(s) to record`,
    );

    // Each side's account, as STS names it.
    const sides = new Map<string, Side>();
    const callers: string[] = [];
    for (const source of [options.owner, ...options.consumers]) {
        const side: Side = { label: source.label, credentials: deps.credentials(source) };
        if (!(await whoAmI(deps, report, side, source, "us-east-1")) || !side.caller) continue;
        const account = side.caller.split(":")[4];
        callers.push(side.caller);
        if (source.label === "owner" && owners.length && !owners.includes(account)) {
            report.line(
                "FAIL",
                `owner credentials are for account ${account}, but the key and secrets are in ${owners.join(", ")}`,
            );
            continue;
        }
        if (!sides.has(account) || source.label === "owner") sides.set(account, side);
    }

    const into: Recording = { keys: [], secrets: [], identities: [], managedPolicies: [], absent: [], accounts: {} };
    for (const n of named) {
        const side = sides.get(n.accountId);
        const what = n.kind === "identity" ? `${n.identity} ${n.name}` : `${n.kind} ${n.ref}`;
        if (!side) {
            report.line("FAIL", `${what} (account ${n.accountId}): no credentials for this account`, [
                n.kind === "identity"
                    ? `pass --consumer-profile or --consumer-role-arn of account ${n.accountId}`
                    : `pass --owner-profile or --owner-role-arn of account ${n.accountId}`,
            ]);
            continue;
        }
        try {
            const before = into.absent.length;
            if (n.kind === "key") await recordKey(deps, side, n, into);
            else if (n.kind === "secret") await recordSecret(deps, side, n, into);
            else await recordIdentity(deps, side, n, into);
            report.line(
                "PASS",
                `${what} (account ${n.accountId}): ${into.absent.length > before ? "does not exist (recorded as absent)" : "recorded"}`,
            );
        } catch (e) {
            report.line("FAIL", `${what} (account ${n.accountId}): ${errorName(e)}: ${errorMessage(e)}`, [
                "these credentials need the read-only permissions listed in npm run verify -- --snapshot FILE --help",
            ]);
        }
    }
    for (const account of [...new Set(named.filter((n) => n.kind === "identity").map((n) => n.accountId))].sort()) {
        const side = sides.get(account);
        if (!side) continue;
        try {
            await recordAccount(deps, side, account, into);
        } catch (e) {
            report.line("FAIL", `IAM quotas of account ${account}: ${errorName(e)}: ${errorMessage(e)}`, [
                "the credentials need iam:GetAccountSummary",
            ]);
        }
    }

    const { FAIL } = report.counts;
    if (FAIL > 0) {
        deps.out(`verify --snapshot: ${FAIL} read(s) failed; ${options.file} not written`);
        return 1;
    }
    const { serializeWorld, WORLD_FORMAT, WORLD_VERSION } = await import("../plan/world/schema");
    const text = serializeWorld({
        format: WORLD_FORMAT,
        version: WORLD_VERSION,
        recorded: { at: now().toISOString(), stacks: stackNames, callers: [...new Set(callers)].sort() },
        ...into,
    });
    fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    fs.writeFileSync(options.file, text);
    deps.out(
        `verify --snapshot: wrote ${options.file}: ${into.keys.length} key(s), ${into.secrets.length} secret(s), ` +
            `${into.identities.length} identit${into.identities.length === 1 ? "y" : "ies"}, ${into.absent.length} absent`,
    );
    return 0;
}

/** What the project's stack files name as existing, from the program's own config parser. */
async function namedInProject(dir: string, only: readonly string[]) {
    const { listStacks, readStackFile } = await import("../plan/stackFiles");
    const { parseConfig, NAMESPACE } = await import("../config");
    const { namedExisting } = await import("../plan/world/named");
    const all = listStacks(dir);
    const unknown = only.filter((s) => !all.includes(s));
    if (unknown.length) throw new UsageError(`--stack ${unknown.join(", ")}: no such stack file in ${dir}`);
    const stackNames = only.length ? [...only] : all;
    if (!stackNames.length) throw new UsageError(`no stack files (Pulumi.<stack>.yaml) in ${dir}`);
    const stacks = stackNames.map((name) => {
        const file = readStackFile(dir, name);
        const raw: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(file.config)) {
            if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
        }
        return { name, config: parseConfig(name, raw) };
    });
    return { named: namedExisting(stacks), stackNames };
}

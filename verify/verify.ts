import * as path from "path";
import { UsageError } from "../common/errors";
import { accessChecks } from "./access";
import { analyzerChecks } from "./analyzer";
import { HELP, parseArgs, type Options } from "./args";
import { whoAmI, type CredentialSource, type Side } from "./credentials";
import type { Deps } from "./deps";
import { programDocuments, type ProgramDocuments } from "./documents";
import { identityOf } from "./identity";
import { readOutputs, type Outputs } from "./outputs";
import { policyChecks } from "./policies";
import { rotationChecks } from "./rotation";
import { Report } from "./report";
import { snapshot, wantsSnapshot } from "./snapshot";
import { grantedTargets, namedTargets, type Target } from "./targets";
import { watchChecks } from "./watch";

/**
 * `npm run verify`: the walk-through's last step (`aws secretsmanager get-secret-value
 * --version-stage AWSCURRENT` as the consumer), done with the AWS SDK after `pulumi up`, plus
 * what the walk-through leaves out: AWSPREVIOUS stays denied, and (as the owner) the deployed
 * secret policy is the program's, the watch alerts on the shared secrets and keys only, and IAM
 * Access Analyzer finds no error and no public access in the three documents.
 *
 * The suites: access.ts (the consumer), policies.ts and analyzer.ts (the documents), watch.ts.
 * Returns the exit status: 0 all passed, 1 a check failed, 2 a usage error.
 */
export async function verify(argv: readonly string[], deps: Deps): Promise<number> {
    // `--snapshot FILE`: record the world of existing resources instead (./snapshot.ts).
    if (wantsSnapshot(argv)) return snapshot(argv, deps);
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

    // Every secret the outputs or flags name; narrowed to the consumer's below.
    let all: Target[];
    try {
        all = namedTargets(options, outputs);
    } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        deps.out(`verify: ${e.message}`);
        return 2;
    }
    const report = new Report(deps);
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
    const targets =
        consumerOk && consumer.caller ? grantedTargets(report, consumer.caller, all, outputs, options) : all;
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
    const owner: Side | undefined =
        options.ownerProfile || options.ownerRoleArn
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

    await accessChecks(
        deps,
        report,
        { consumer, consumerOk, ...(owner && ownerOk && { owner }) },
        targets,
        options.ownerStack,
    );

    await rotationChecks(
        deps,
        report,
        { consumer, consumerOk, ...(owner && { owner }), ownerOk, rotate: options.rotate === true },
        targets,
    );

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

/** As the owner: the deployed secret policies, the watch, then Access Analyzer on every document. */
async function ownerChecks(
    deps: Deps,
    report: Report,
    owner: Side,
    targets: readonly Target[],
    outputs: Outputs | undefined,
    ownerStack: string,
): Promise<void> {
    let program: ProgramDocuments;
    try {
        program = await programDocuments(deps, ownerStack, targets, outputs);
    } catch (e) {
        report.line("FAIL", `the program's documents for stack ${ownerStack}: ${(e as Error).message.split("\n")[0]}`, [
            `pass the owner stack with --owner-stack (its Pulumi.<stack>.yaml must be in ${path.relative(process.cwd(), deps.root) || "."})`,
        ]);
        return;
    }
    const documents = await policyChecks(deps, report, owner, targets, program, ownerStack);
    await watchChecks(deps, report, owner, targets, outputs);
    await analyzerChecks(deps, report, owner, targets[0]?.region ?? "us-east-1", documents);
}

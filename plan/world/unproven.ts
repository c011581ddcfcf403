import { LIMITS, QUOTAS } from "../../aws/limits";
import type { UnknownResource } from "./standIn";

/**
 * What the plan cannot prove when it planned existing resources with stand-ins (./standIn.ts):
 * every access check whose documents include one of them (a key or secret whose current policy
 * is unknown, a reader whose other policies are unknown), and every limit that counts what such
 * a resource already holds. The checks are still simulated on what is known, and a failure there
 * is still a failure; one that is as expected is reported as not proven, never as proven. The
 * plan then exits 5 (cli.ts), so that CI cannot read it as a proof.
 */

/** The exit code of a plan in which nothing failed but something is not proven (docs/plan.md). */
export const NOT_PROVEN_EXIT = 5;

export interface UnknownWorldReport {
    readonly resources: readonly UnknownResource[];
    /** Access checks, by name, that depend on a stand-in, with the ARNs of the stand-ins. */
    readonly checks: readonly { readonly check: string; readonly unknown: readonly string[] }[];
    /** Limits and refusals that depend on what the resources hold now, in words. */
    readonly limits: readonly string[];
}

/** What a check uses that may be a stand-in: the resource whose policy it reads, and its principal. */
interface CheckLike {
    readonly name: string;
    /** A check that fails on what is known is a failure, not "not proven". */
    readonly ok: boolean;
    readonly resource: string;
    readonly principal: string;
}

const num = (n: number) => n.toLocaleString("en-US");

function limitsOf(r: UnknownResource): string[] {
    const at = r.what;
    if (r.kind === "key") {
        return [
            `${at}: the size of its key policy with the statements kept (${num(LIMITS.keyPolicy.size)} ${LIMITS.keyPolicy.unit}), ` +
                `the lock-out guard (kms:PutKeyPolicy kept for its administrators), and that it is an Enabled customer managed symmetric key`,
        ];
    }
    if (r.kind === "secret") {
        return [
            `${at}: the size of its resource policy with the statements kept (${num(LIMITS.secretPolicy.size)} ${LIMITS.secretPolicy.unit}), ` +
                `that no kept statement makes it public, and that it is encrypted with the key its readers are granted`,
        ];
    }
    const inline = r.kind === "user" ? LIMITS.userInline : LIMITS.roleInline;
    return [
        `${at}: its inline policies together (${num(inline.size)} ${inline.unit}) and its attached managed policies ` +
            `(${QUOTAS.attachedPolicies.value} by default), counting what it already holds`,
    ];
}

/** Undefined when nothing was planned with a stand-in. */
export function unknownWorld(
    resources: readonly UnknownResource[],
    checks: readonly CheckLike[],
): UnknownWorldReport | undefined {
    if (!resources.length) return undefined;
    const arns = new Map(resources.map((r) => [r.arn.toLowerCase(), r.arn]));
    const dependent = checks.flatMap((c) => {
        if (!c.ok) return [];
        const unknown = [c.resource, c.principal]
            .map((a) => arns.get(a.toLowerCase()))
            .filter((a): a is string => a !== undefined);
        return unknown.length ? [{ check: c.name, unknown: [...new Set(unknown)] }] : [];
    });
    return { resources, checks: dependent, limits: resources.flatMap(limitsOf) };
}

/** The report's lines about it: what was unknown, what is not proven, how to get a snapshot. */
export function unknownWorldLines(report: UnknownWorldReport, dir: string): string[] {
    return [
        "NOT PROVEN: no world snapshot, so what these existing resources hold now is unknown; they were planned with stand-ins:",
        ...report.resources.map((r) => `  - ${r.what}: ${r.unknown.join("; ")}`),
        `not proven with them: ${report.checks.length} access check${report.checks.length === 1 ? "" : "s"} (marked "not proven" in the matrix, npm start -- --verbose), and:`,
        ...report.limits.map((l) => `  - ${l}`),
        "to prove them, record what exists with read-only calls, then plan against it:",
        `  npm run verify -- --snapshot ${dir === "." ? "" : `${dir}/`}world.json --dir ${dir} --owner-profile <owner> --consumer-profile <consumer>`,
        `  npm start -- --dir ${dir}   (world.json beside the stack files is used; or --world FILE)`,
    ];
}

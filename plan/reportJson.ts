import * as path from "path";
import { isOk, isProven, originOf, redactInputs, type Report } from "./report";
import { whoCanReadJson } from "./analysis/report";

/** The `--json` document (schema in docs/plan.md). */
export function toJson(report: Report): unknown {
    const { plan, access, analysis } = report;
    const failed = access.checks.filter((c) => !c.ok).length;
    const unproven = access.notProvenInPreview;
    return {
        // ok: what exit code 0 promises; proven: false when existing resources were unknown (exit 5).
        ok: isOk(access, analysis) && isProven(access),
        proven: isProven(access),
        project: plan.project,
        preview: !!plan.preview,
        summary: {
            checks: access.checks.length,
            asExpected: access.checks.length - failed - (access.unknownWorld?.checks.length ?? 0),
            failed,
            ...(unproven && { notProvenInPreview: unproven.length }),
            ...(access.unknownWorld && { notProvenUnknownWorld: access.unknownWorld.checks.length }),
        },
        stacks: plan.stacks.map((s) => ({
            name: s.name,
            file: path.relative(plan.dir, s.file),
            mode: s.mode ?? null,
            reads: s.reference ? { reference: s.reference.name, stack: s.reference.stack } : null,
            ...(s.references && { readsAll: s.references.map((r) => ({ reference: r.name, stack: r.stack })) }),
            placeholders: s.placeholders,
            resources: s.resources.map((r) => ({
                type: r.type,
                name: r.name,
                account: r.provider?.accountId ?? null,
                region: r.provider?.region ?? null,
                origin: originOf(s, r),
                ...s.protection?.[`${r.type}::${r.name}`],
                ...(plan.preview && { id: r.custom ? r.id : null }),
                inputs: redactInputs(r),
            })),
            outputs: s.outputs,
        })),
        access: access.checks.map((c) => ({
            check: c.name,
            secret: c.secret,
            who: c.who,
            principal: c.principal,
            action: c.action,
            resource: c.resource,
            context: c.outcome.context,
            expected: c.expected,
            ...(c.kept && { kept: c.kept }),
            ...(c.role && { role: c.role }),
            decision: c.decision,
            // The documents simulated, as "<type> <resource name>": which change moved a decision.
            documents: [...c.identityPolicies, ...(c.resourcePolicy ? [c.resourcePolicy] : [])].map((p) => p.name),
            ok: c.ok,
            ...(c.reason && { reason: c.reason }),
            ...(c.outcome.ignoredContextKeys.length && { ignoredContextKeys: c.outcome.ignoredContextKeys }),
        })),
        notProven: access.notProven,
        ...(unproven && { notProvenInPreview: unproven }),
        warnings: access.warnings ?? [],
        ...(analysis && { whoCanRead: whoCanReadJson(analysis) }),
        world: plan.world?.file !== undefined ? path.relative(plan.dir, plan.world.file) : null,
        ...(access.unknownWorld && { unknownWorld: access.unknownWorld }),
    };
}

import {
    describePrincipal,
    describeValue,
    reach,
    spaceOf,
    type Document,
    type Grant,
    type Reach,
    type Service,
    type Via,
} from "./reach";
import { TooComplex, witness, type Cube, type Point } from "./solver";
import { PRINCIPAL, type Frame } from "./statements";

/**
 * One action's set, compared with intent: each grant classified (configured reader, the owner
 * account's principals, kept from others), and a counterexample for each grant beyond intent.
 */

export type Role = "reader" | "owner" | "kept" | "assumedBy" | "unintended";

export interface Entry {
    /** Who, in words: an ARN, "any principal of <account>", "anyone", a service. */
    readonly who: string;
    /** GetSecretValue: the version stages; AssumeRole: the source accounts; else absent. */
    readonly values?: string;
    readonly as: Role;
    readonly via: Via;
    /** It also needs its own IAM policies to allow (another account, or through its account). */
    readonly ownPolicies: boolean;
    readonly conditions: readonly string[];
    /** A concrete principal (and values) of the entry, as the simulator confirms it. */
    readonly instance?: Point;
}

export interface ActionReach {
    readonly action: string;
    readonly resource: string;
    readonly entries: readonly Entry[];
}

/** A principal outside what is intended, or an intended reader that cannot read. */
export interface Finding {
    readonly text: string;
    readonly action: string;
    readonly resource: string;
    readonly point?: Point;
    readonly via?: Via;
}

export const VAR_KEYS: Record<string, string> = {
    stage: "secretsmanager:VersionStage",
    versionId: "secretsmanager:VersionId",
    sourceAccount: "aws:SourceAccount",
};

export interface AnalyseArgs {
    readonly doc?: Document;
    readonly frame: Frame;
    readonly service: Service;
    readonly account: string;
    readonly partition: string;
    readonly preferred: Record<string, readonly string[]>;
    readonly intents: readonly Cube[];
    /** Principals that are configured readers (or assumedBy). */
    readonly readers: readonly string[];
    readonly subject: string;
    readonly verb: string;
    readonly intendedAs?: Role;
}

/** One action's set, classified against intent, with a counterexample for each grant beyond it. */
export function analyse(args: AnalyseArgs): {
    reach: Reach;
    result: ActionReach;
    failures: Finding[];
    instances: Point[];
} {
    const space = spaceOf(args.frame, args.partition, args.preferred);
    const r = reach(args.doc, args.frame, args.service, args.account, space);
    // Kept statements let in whom they let in: intended, listed as kept.
    const kept = r.grants.filter((g) => g.via.kept && !g.conditions.length).map((g) => g.cube);
    const intents = [...args.intents, ...kept];
    const entries: Entry[] = [];
    const failures: Finding[] = [];
    const instances: Point[] = [];
    for (const g of r.grants) {
        let as: Role;
        let point: Point | undefined;
        try {
            if (g.via.kept) as = "kept";
            else if (!g.via.sid) as = "owner";
            else {
                const outside = witness(g.cube, intents, space);
                if (outside) {
                    as = "unintended";
                    point = outside;
                    failures.push(finding(args, g, outside));
                } else as = roleOf(g, args);
            }
            point ??= witness(g.cube, [], space);
        } catch (e) {
            if (!(e instanceof TooComplex)) throw e;
            (r.notProven as string[]).push(
                `who statement ${g.via.sid ?? "?"} of the ${g.via.document} lets in: ${e.message}`,
            );
            continue;
        }
        if (point && !g.conditions.length) instances.push(point);
        entries.push({
            who: describePrincipal(g.cube[PRINCIPAL]),
            ...valuesOf(args.frame, g),
            as,
            via: g.via,
            ownPolicies: g.ownPolicies,
            conditions: g.conditions,
            ...(point && { instance: point }),
        });
    }
    return {
        reach: r,
        result: { action: args.frame.action, resource: args.frame.resource, entries },
        failures,
        instances,
    };
}

function roleOf(g: Grant, args: AnalyseArgs): Role {
    const p = g.cube[PRINCIPAL]?.pos.find((x) => x.exact !== undefined)?.exact;
    if (p !== undefined && args.readers.includes(p)) return args.intendedAs ?? "reader";
    return "owner";
}

function valuesOf(frame: Frame, g: Grant): { values?: string } {
    if (frame.vars["secretsmanager:versionstage"]) {
        const stage = describeValue(g.cube.stage, "no stage named");
        const id = g.cube.versionId;
        return {
            values:
                (stage === "any" ? "any stage" : `stage ${stage}`) +
                (id && (id.pos.length || id.absent !== undefined) ? `, version ID ${describeValue(id, "none")}` : ""),
        };
    }
    if (frame.vars["aws:sourceaccount"])
        return { values: `source account ${describeValue(g.cube.sourceAccount, "none")}` };
    return {};
}

function finding(args: AnalyseArgs, g: Grant, point: Point): Finding {
    const extra = Object.entries(point)
        .filter(([k, v]) => k !== PRINCIPAL && v !== undefined)
        .map(([k, v]) => `${VAR_KEYS[k] ?? k} = ${v}`);
    const principal = point[PRINCIPAL] ?? "?";
    return {
        text:
            `\`${principal}\` can ${args.verb} \`${args.subject}\`` +
            (extra.length ? ` (${extra.join(", ")})` : "") +
            ` because of statement \`${g.via.sid ?? "?"}\` of the ${g.via.document}` +
            (g.ownPolicies ? " (if its own IAM policies allow)" : ""),
        action: args.frame.action,
        resource: args.frame.resource,
        point,
        via: g.via,
    };
}

import { nameProblem, nameRuleOf, physicalName } from "../aws/names";
import {
    consumerWatchRules,
    ruleLogicalName,
    ruleNamePrefix,
    watchComponentName,
    watchSettings,
    watchTopicLogicalName,
    type WatchedReader,
} from "../watch";
import { show } from "./errors";
import { NAMESPACE } from "./problems";
import type { WatchSettings } from "./types";

/**
 * Checks of names that config alone decides, across keys: the physical names the consumer
 * side's watch derives from a consumer account's name, and IAM identity names that differ only
 * in case. Each is refused here, before any resource is registered; the plan checks every
 * registered name again (plan/preflight.ts), including those only known after a run.
 */

/**
 * The physical names of the consumer side's watch for consumer `name` (rules, targets, topic,
 * each autonamed by Pulumi), built with the watch's own rule ids and the component's naming
 * (aws/names.ts), checked against the catalogue. `kinds`: the kinds of readers watched; a
 * consumer stack does not know them from its config, so it checks both.
 */
export function consumerWatchNameProblems(
    /** The key and value as a problem line starts: `secretshare:consumer.name = "x"`. */
    subject: string,
    name: string,
    settings: WatchSettings | undefined,
    kinds: readonly ("user" | "role")[] = ["user", "role"],
): string[] {
    const s = watchSettings(settings);
    if (!s.enabled || !s.consumerSide || kinds.length === 0) return [];
    const readers: WatchedReader[] = [...new Set(kinds)].map((kind) => ({ kind, name: "reader" }));
    const component = watchComponentName(name);
    const derived: { type: string; logical: string }[] = [
        { type: "aws:sns/topic:Topic", logical: watchTopicLogicalName(component) },
        ...consumerWatchRules("aws", "000000000000", readers, "stack").flatMap((r) => [
            // The stack only changes the rule names' hash, not their length.
            {
                type: "aws:cloudwatch/eventRule:EventRule",
                logical: ruleLogicalName(ruleNamePrefix("", component, name), r.id),
            },
            {
                type: "aws:cloudwatch/eventTarget:EventTarget",
                logical: ruleLogicalName(ruleNamePrefix("", component, name), r.id),
            },
        ]),
    ];
    const out: string[] = [];
    let first: string | undefined;
    for (const d of derived) {
        const rule = nameRuleOf(d.type);
        if (!rule) continue;
        const physical = physicalName(rule, d.logical, {});
        const problem = nameProblem(rule, physical);
        if (problem) first ??= `its ${rule.what} would be "${physical.name}", ${problem}`;
    }
    // The watch shortens and hashes what does not fit (watch/names.ts): this is the guard that
    // config never accepts a name the watch's builders would still get wrong.
    if (first) {
        out.push(
            `${subject}: with ${NAMESPACE}:watch.consumerSide the watch in this account is named after it, and ${first}; ` +
                `expected a shorter consumer account name of [A-Za-z0-9_-] (or set ${NAMESPACE}:watch.consumerSide: false)`,
        );
    }
    return out;
}

/**
 * Readers of one consumer account whose names differ only in case: IAM names of users and of
 * roles are unique per account without regard to case, so both are one identity, and creating
 * the second fails. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */
export function identityCaseProblems(
    consumers: Readonly<Record<string, { readonly readers: readonly { user?: string; role?: string }[] }>>,
): string[] {
    const out: string[] = [];
    for (const name of Object.keys(consumers).sort()) {
        const seen = new Map<string, { index: number; name: string }>();
        consumers[name].readers.forEach((r, i) => {
            const kind = r.user !== undefined ? "user" : "role";
            const id = r.user ?? r.role;
            if (id === undefined) return;
            const key = `${kind}\n${id.toLowerCase()}`;
            const twin = seen.get(key);
            if (twin && twin.name !== id) {
                out.push(
                    `${NAMESPACE}:consumers.${name}.readers[${i}].${kind} = ${show(id)}: readers[${twin.index}] is ${show(twin.name)}, ` +
                        `the same ${kind} to IAM, which ignores case in names; name each ${kind} once, in one case`,
                );
            }
            if (!twin) seen.set(key, { index: i, name: id });
        });
    }
    return out;
}

import { z } from "zod";
import { QUOTAS } from "../aws/limits";
import { show } from "./errors";
import { NAMESPACE, pathText } from "./problems";
import type { WatchSettings, WatchSubscriber } from "./types";

/**
 * `secretshare:watch`: the alerts on the shared secrets and who receives them. Subscriber
 * addresses may carry tokens (an HTTPS endpoint) and are personal data (an email address):
 * messages name the expected form and never the value given.
 */

const EMAIL_FORM = "expected an email address such as team@example.com (value not shown)";
const HTTPS_FORM = "expected an https:// URL such as https://hooks.example.com/alerts (value not shown)";
const isEmail = (s: string) =>
    /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(
        s,
    );
const isHttps = (s: string) => {
    try {
        const u = new URL(s);
        return u.protocol === "https:" && u.hostname.length > 0 && !/\s/.test(s);
    } catch {
        return false;
    }
};

const RULES_FORM = `expected a whole number of rules: the event bus quota ("Rules" in Service Quotas, Amazon EventBridge) of the accounts and Regions this stack's watch writes to, when AWS has raised it above the default ${QUOTAS.rulesPerBus.value}`;

export const watchSubscriber = z
    .strictObject({
        email: z.string({ error: EMAIL_FORM }).refine(isEmail, EMAIL_FORM).optional(),
        https: z.string({ error: HTTPS_FORM }).refine(isHttps, HTTPS_FORM).optional(),
    })
    .superRefine((s, ctx) => {
        if ((s.email === undefined) === (s.https === undefined)) {
            ctx.addIssue({ code: "custom", message: "expected exactly one of email: <address> or https: <URL>" });
        }
    });

export const watch = z.strictObject({
    /** On by default: set false to deploy no watch resources. */
    enabled: z.boolean({ error: "expected true or false" }).default(true),
    subscribers: z
        .array(watchSubscriber, {
            error: "expected a list of subscribers, each { email: <address> } or { https: <URL> }",
        })
        .default([]),
    /** Also watch the consumer side (IAM events, delivered in us-east-1 only). */
    consumerSide: z.boolean({ error: "expected true or false" }).default(false),
    /**
     * The account's quota of EventBridge rules per event bus, once AWS has raised it above the
     * default: the plan refuses more rules per bus than this (or 300 when it is not set).
     * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html
     */
    rulesPerBus: z
        .number({ error: RULES_FORM })
        .int(RULES_FORM)
        .min(1, RULES_FORM)
        .max(1_000_000, RULES_FORM)
        .optional(),
});

/**
 * `secretshare:watch`. Unlike other keys, no message repeats a subscriber given (see above), so
 * those messages name the config path and the expected form only. Duplicate addresses are
 * refused by position.
 */
export function parseWatch(value: unknown, problems: string[]): WatchSettings | undefined {
    const result = watch.safeParse(value ?? {});
    if (!result.success) {
        for (const issue of result.error.issues) {
            const path = pathText(issue.path);
            // A quota is no personal data: its message shows the value given, as other keys do.
            const quota =
                issue.path[0] === "rulesPerBus"
                    ? ` = ${show((value as Record<string, unknown> | undefined)?.rulesPerBus)}`
                    : "";
            problems.push(
                issue.code === "unrecognized_keys"
                    ? `${NAMESPACE}:watch${path}: unknown setting ${issue.keys.map((k) => `"${k}"`).join(", ")} (a typo?)`
                    : `${NAMESPACE}:watch${path}${quota}: ${issue.message}`,
            );
        }
        return undefined;
    }
    const subscribers: WatchSubscriber[] = [];
    const seen = new Set<string>();
    result.data.subscribers.forEach((sub, i) => {
        const subscriber: WatchSubscriber =
            sub.email !== undefined
                ? { kind: "email", address: sub.email }
                : { kind: "https", address: sub.https as string };
        const k = `${subscriber.kind}:${subscriber.kind === "email" ? subscriber.address.toLowerCase() : subscriber.address}`;
        if (seen.has(k)) {
            problems.push(
                `${NAMESPACE}:watch.subscribers[${i}].${subscriber.kind}: the same address is listed earlier (value not shown); list each subscriber once`,
            );
        }
        seen.add(k);
        subscribers.push(subscriber);
    });
    return {
        enabled: result.data.enabled,
        subscribers,
        consumerSide: result.data.consumerSide,
        ...(result.data.rulesPerBus !== undefined && { rulesPerBus: result.data.rulesPerBus }),
    };
}

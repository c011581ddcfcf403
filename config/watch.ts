import { z } from "zod";
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
});

/**
 * `secretshare:watch`. Unlike other keys, no message repeats the value given (see above), so
 * each message names the config path and the expected form only. Duplicate addresses are
 * refused by position.
 */
export function parseWatch(value: unknown, problems: string[]): WatchSettings | undefined {
    const result = watch.safeParse(value ?? {});
    if (!result.success) {
        for (const issue of result.error.issues) {
            const path = pathText(issue.path);
            problems.push(
                issue.code === "unrecognized_keys"
                    ? `${NAMESPACE}:watch${path}: unknown setting ${issue.keys.map((k) => `"${k}"`).join(", ")} (a typo?)`
                    : `${NAMESPACE}:watch${path}: ${issue.message}`,
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
    return { enabled: result.data.enabled, subscribers, consumerSide: result.data.consumerSide };
}

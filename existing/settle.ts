import type * as pulumi from "@pulumi/pulumi";

/**
 * The value of an Output read from AWS (a `get` of an existing resource, an invoke), awaited
 * with a bound. `apply` alone can wait forever: its callback never runs when the read fails (the
 * Output rejects) or when the value is unknown (a preview), and a program awaiting it would
 * then never finish. Here a failed read rejects with its error, an unknown value rejects with
 * a reason, and no answer within `ms` rejects too.
 */

/** Long enough for the provider's own retries on a throttled IAM or KMS call. */
export const READ_TIMEOUT_MS = 120_000;

/**
 * Pulumi's Output exposes `isKnown` and `promise()` at runtime (output.js) but marks them
 * internal in its typings; both reject when the Output's resource or invoke failed.
 */
interface OutputInternals<T> {
    readonly isKnown: Promise<boolean>;
    promise(): Promise<T>;
}

export async function settle<T>(o: pulumi.Output<T>, what: string, ms = READ_TIMEOUT_MS): Promise<T> {
    const inner = o as unknown as OutputInternals<T>;
    return bounded(
        (async () => {
            if (!(await inner.isKnown)) throw new Error(`reading ${what}: its value is not known yet`);
            return inner.promise();
        })(),
        what,
        ms,
    );
}

/** A read's promise (an invoke, or `settle`'s), rejected when it has not settled within `ms`. */
export async function bounded<T>(value: Promise<T>, what: string, ms = READ_TIMEOUT_MS): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${what}: no answer within ${ms / 1000} s`)), ms);
    });
    try {
        return await Promise.race([value, timeout]);
    } finally {
        clearTimeout(timer);
        // The loser of the race must not surface later as an unhandled rejection.
        value.catch(() => undefined);
    }
}

import { errorName, isThrottling } from "./awsErrors";
import type { Deps } from "./deps";

export const RETRY = { attempts: 5, baseMs: 200, capMs: 5000 } as const;

/**
 * Calls `fn`, and again after a throttling error, with exponential backoff and jitter: the
 * delay before retry n (1-based) is min(cap, base * 2^(n-1)) * (0.5 + random/2). Cross-account
 * calls count against the caller's account quota, which other tooling may be using up.
 * The SDK clients are built with maxAttempts 1, so these retries are the only ones (visible and
 * tested) rather than multiplying the SDK's own.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export async function withRetry<T>(
    deps: Pick<Deps, "out" | "sleep" | "random">,
    what: string,
    fn: () => Promise<T>,
): Promise<T> {
    for (let attempt = 1; ; attempt++) {
        try {
            return await fn();
        } catch (e) {
            if (!isThrottling(e) || attempt >= RETRY.attempts) throw e;
            const delay = Math.round(
                Math.min(RETRY.capMs, RETRY.baseMs * 2 ** (attempt - 1)) * (0.5 + deps.random() / 2),
            );
            deps.out(
                `      ${what}: throttled (${errorName(e)}), retry ${attempt} of ${RETRY.attempts - 1} in ${delay} ms`,
            );
            await deps.sleep(delay);
        }
    }
}

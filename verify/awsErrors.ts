/**
 * What verify reads from an error the AWS SDK throws: the service's error code (the SDK puts it
 * in `name`), its message, and whether it was throttled or refused.
 */
export interface AwsError {
    name?: string;
    message?: string;
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number };
}

export const errorName = (e: unknown): string => (e as AwsError).name ?? "Error";
export const errorMessage = (e: unknown): string => (e as AwsError).message ?? String(e);
export const isAccessDenied = (e: unknown): boolean =>
    /AccessDenied|UnauthorizedOperation|NotAuthorized/i.test(errorName(e));

/** Error names AWS services use for throttling. */
const THROTTLING = new Set([
    "ThrottlingException",
    "Throttling",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
]);

export function isThrottling(e: unknown): boolean {
    const err = (e ?? {}) as AwsError;
    return (
        THROTTLING.has(err.name ?? "") || err.$retryable?.throttling === true || err.$metadata?.httpStatusCode === 429
    );
}

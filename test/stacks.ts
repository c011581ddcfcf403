import * as debuggable from "@pulumi/pulumi/runtime/debuggable";

/**
 * Loaded by mocha before the tests (.mocharc.json). Pulumi's runtime records the stack of every
 * promise it makes (`new Error().stack` in debuggablePromise) for its promise-leak report, which
 * it prints only with PULUMI_DEBUG_PROMISE_LEAKS set. The programs the tests run under the mock
 * runtime make a great many of those promises, and capturing and formatting their stacks (each
 * mapped back to the TypeScript sources by ts-node) costs more than the tests themselves. So
 * here those stacks, and only those, have no frames: Pulumi's function still runs, and still
 * tracks every promise for its leak check; every other error keeps its stack, mapped to the
 * TypeScript line that threw. With PULUMI_DEBUG_PROMISE_LEAKS set this file changes nothing.
 * https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/debuggable.ts
 */

/** The internal module's export (its declarations are stripped from the package). */
interface Debuggable {
    debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
}

const runtime = debuggable as unknown as Debuggable;
const record = runtime.debuggablePromise.bind(runtime);

if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    // Pulumi's modules call it through this export, so replacing the export reaches every call.
    runtime.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return record(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
}

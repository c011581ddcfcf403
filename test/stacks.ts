import { Resource } from "@pulumi/pulumi";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";

/**
 * Loaded by mocha before the tests (test/register.js). Pulumi's runtime captures two kinds of stacks
 * that the mock runtime never reads, and capturing and formatting them (each frame mapped back to
 * the TypeScript sources by ts-node) costs more than the tests themselves:
 *
 * - debuggablePromise records the stack of every promise it makes for its promise-leak report,
 *   which it prints only with PULUMI_DEBUG_PROMISE_LEAKS set. Here those stacks have no frames:
 *   Pulumi's function still runs, and still tracks every promise for its leak check. With
 *   PULUMI_DEBUG_PROMISE_LEAKS set they keep their frames.
 *   https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/debuggable.ts
 * - Resource.callsites captures and parses `new Error().stack`, every frame (it lifts
 *   Error.stackTraceLimit itself), for each resource's source position and stack trace, which the
 *   engine shows and the mock runtime never reads (its registerResource passes neither to the
 *   mocks). Here it finds no frames: Pulumi then registers the resource without a source position,
 *   as it does for a frame it cannot parse.
 *   https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/resource.ts
 *   https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/mocks.ts
 *
 * Every other error keeps its stack, mapped to the TypeScript line that threw.
 */

/** The internal module's export (its declarations are stripped from the package). */
interface Debuggable {
    debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
}

/** Resource's static method, private in its typings. */
interface Callsites {
    callsites: () => unknown[];
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

// The constructor calls it as `Resource.callsites()`, so replacing the static reaches every call.
(Resource as unknown as Callsites).callsites = () => [];

/**
 * Loaded by mocha before the tests (.mocharc.json). Pulumi records the stack of every promise
 * it makes (`new Error().stack` in its runtime/debuggable.js) for its promise-leak report,
 * which it prints only with PULUMI_DEBUG_PROMISE_LEAKS set. Under ts-node every stack is
 * mapped back to the TypeScript sources, frame by frame, and for the programs the tests run
 * under the mock runtime those discarded stacks cost more than the tests themselves. So those
 * stacks, and only those, keep V8's plain form here: every other error, a failing assertion's
 * included, is still mapped to the TypeScript line that threw.
 * https://github.com/pulumi/pulumi/blob/master/sdk/nodejs/runtime/debuggable.ts
 */

const PULUMI_PROMISE_STACK = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;

/** V8's own text of a frame: CallSite has a toString, which @types/node does not declare. */
const frame = (site: NodeJS.CallSite) => (site as NodeJS.CallSite & { toString(): string }).toString();

/** The stack as V8 writes it when no prepareStackTrace is set. */
const plain = (error: Error, sites: readonly NodeJS.CallSite[]): string =>
    [String(error), ...sites.map((s) => `    at ${frame(s)}`)].join("\n");

const mapped = Error.prepareStackTrace?.bind(Error);

if (mapped && !process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    Error.prepareStackTrace = (error: Error, sites: NodeJS.CallSite[]): unknown =>
        PULUMI_PROMISE_STACK.test(sites[0]?.getFileName() ?? "") ? plain(error, sites) : mapped(error, sites);
}

import { expect } from "chai";
import { isThrottling } from "../../verify/awsErrors";
import { withRetry } from "../../verify/retry";

/** The backoff of verify's AWS calls (the end-to-end cases are in verify.test.ts, throttling). */

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

describe("verify: withRetry", () => {
    it("withRetry: jitter halves the delay at most, capped at 5 s; other errors are not retried", async () => {
        const lines: string[] = [];
        const sleeps: number[] = [];
        const deps = {
            out: (line: string) => lines.push(line),
            sleep: (ms: number) => {
                sleeps.push(ms);
                return Promise.resolve();
            },
            random: () => 0,
        };
        let calls = 0;
        const result = await withRetry(deps, "x", () => {
            calls++;
            if (calls < 5)
                return Promise.reject(Object.assign(new Error("slow"), { $metadata: { httpStatusCode: 429 } }));
            return Promise.resolve("ok");
        });
        expect([result, calls, sleeps]).to.deep.equal(["ok", 5, [100, 200, 400, 800]]);
        calls = 0;
        const err = await withRetry(deps, "x", () => {
            calls++;
            return Promise.reject(awsError("AccessDeniedException", "no"));
        }).catch((e: Error) => e.name);
        expect([err, calls]).to.deep.equal(["AccessDeniedException", 1]);
        expect(isThrottling({ name: "Throttling" })).to.equal(true);
        expect(isThrottling({ $retryable: { throttling: true } })).to.equal(true);
        expect(isThrottling({ name: "ValidationException" })).to.equal(false);
    });

    it("says which call was throttled, and when it is tried again", async () => {
        const lines: string[] = [];
        let calls = 0;
        const deps = { out: (l: string) => lines.push(l), sleep: () => Promise.resolve(), random: () => 1 };
        await withRetry(deps, "GetSecretValue MySecret", () =>
            ++calls < 2 ? Promise.reject(awsError("ThrottlingException", "Rate exceeded")) : Promise.resolve("ok"),
        );
        expect(lines).to.deep.equal([
            "      GetSecretValue MySecret: throttled (ThrottlingException), retry 1 of 4 in 200 ms",
        ]);
    });
});

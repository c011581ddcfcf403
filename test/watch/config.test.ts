import { expect } from "chai";
import { parseConfig, type OwnerStackConfig } from "../../config";
import { errorOf, run, stackConfig } from "../mocks";

/** The committed stack file's config as parseConfig takes it: keys without the namespace. */
function rawConfig(stack: string, extra: Record<string, string> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(stackConfig(stack))) {
        if (k.startsWith("secretshare:")) out[k.slice("secretshare:".length)] = v;
    }
    return { ...out, ...extra };
}

describe("secretshare:watch config", () => {
    const parse = (watch: unknown) => parseConfig("primary", rawConfig("primary", { watch: JSON.stringify(watch) }));

    it("is on by default, with nobody subscribed", () => {
        const config = parseConfig("primary", rawConfig("primary")) as OwnerStackConfig;
        expect(config.watch).to.deep.equal({ enabled: true, subscribers: [], consumerSide: false });
    });

    it("reads email and HTTPS subscribers", () => {
        const config = parse({ subscribers: [{ email: "a@example.com" }, { https: "https://h.example.com/x" }] });
        expect((config as OwnerStackConfig).watch?.subscribers).to.deep.equal([
            { kind: "email", address: "a@example.com" },
            { kind: "https", address: "https://h.example.com/x" },
        ]);
    });

    it("names the path and the expected form of a bad address, never the address", async () => {
        const bad = ["not-an-address", "http://insecure.example.com/hook?token=s3cr3t", "dup@example.com"];
        const message = await errorOf(() =>
            run("primary", {
                "secretshare:watch": {
                    subscribers: [
                        { email: "ok@example.com" },
                        { email: bad[0] },
                        { https: bad[1] },
                        { email: bad[2] },
                        { email: "DUP@example.com" },
                        { email: "x@example.com", https: "https://x.example.com" },
                        { sms: "+15555550100" },
                    ],
                },
            }),
        );
        expect(message).to.equal(
            [
                'invalid secretshare configuration for stack "primary":',
                "  - secretshare:watch.subscribers[1].email: expected an email address such as team@example.com (value not shown)",
                "  - secretshare:watch.subscribers[2].https: expected an https:// URL such as https://hooks.example.com/alerts (value not shown)",
                "  - secretshare:watch.subscribers[5]: expected exactly one of email: <address> or https: <URL>",
                '  - secretshare:watch.subscribers[6]: unknown setting "sms" (a typo?)',
                "  - secretshare:watch.subscribers[6]: expected exactly one of email: <address> or https: <URL>",
            ].join("\n"),
        );
        for (const b of [...bad, "s3cr3t", "+15555550100"]) expect(message).to.not.include(b);
    });

    it("refuses the same address twice, by position and without the address", () => {
        expect(() => parse({ subscribers: [{ email: "dup@example.com" }, { email: "Dup@Example.com" }] })).to.throw(
            "secretshare:watch.subscribers[1].email: the same address is listed earlier (value not shown); list each subscriber once",
        );
    });

    it("refuses a non-boolean switch and unknown settings", () => {
        expect(() => parse({ enabled: "yes" })).to.throw("secretshare:watch.enabled: expected true or false");
        expect(() => parse({ enable: false })).to.throw('secretshare:watch: unknown setting "enable" (a typo?)');
    });
});

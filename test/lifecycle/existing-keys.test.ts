import * as path from "path";
import { Provider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { parseConfig, type OwnerStackConfig } from "../../config";
import { readExisting } from "../../existing/read";
import { EXAMPLE_KEY_ARN, EXAMPLE_KEY_ID, EXAMPLE_WORLD, keyPolicyText } from "../../plan/existingWorld";
import { AwsMocks } from "../../plan/mocks";
import { readStackFile } from "../../plan/stackFiles";
import { ownerLayout } from "../../policies/layout";
import { ROOT, errorOf } from "../mocks";
import { Cloud, changes, ok } from "../support/lifecycle";

/**
 * An existing key that is pending deletion or disabled gets a message of its own, not a failed
 * read; and no read of an existing resource can hang: each gives up after its bound, naming
 * what it was reading.
 */

const EXISTING = path.join(ROOT, "examples", "existing");
const config = () => ({ ...readStackFile(EXISTING, "primary").config });

describe("lifecycle: an existing key pending deletion, disabled, then usable again", () => {
    it("pending deletion: says so, with the date and how to cancel; the provider's policy read is not reached", async () => {
        const cloud = new Cloud(EXAMPLE_WORLD);
        const key = cloud.aws.key(EXAMPLE_KEY_ID) as { state: string; deleteOn?: number };
        key.state = "PendingDeletion";
        key.deleteOn = 7;
        const r = await cloud.stack("primary").up(config());
        expect(r.ok).to.equal(false);
        expect(r.steps).to.deep.equal([]);
        expect(r.error).to.include(
            `secretshare:key.existing = "alias/MyKey": alias/MyKey (${EXAMPLE_KEY_ARN}) is scheduled for deletion on 2026-12-08: ` +
                "KMS refuses every use of it until then, and deletes it for good after. If it must stay, cancel the deletion " +
                `(aws kms cancel-key-deletion --key-id ${EXAMPLE_KEY_ARN}), which leaves it disabled, enable it ` +
                `(aws kms enable-key --key-id ${EXAMPLE_KEY_ARN}), then run again; otherwise name another key`,
        );
        expect(r.error).not.to.include("cannot read the key policy");
    });

    it("disabled: says so and how to enable it; once enabled, the share deploys", async () => {
        const cloud = new Cloud(EXAMPLE_WORLD);
        const key = cloud.aws.key(EXAMPLE_KEY_ID) as { state: string };
        key.state = "Disabled";
        const r = await cloud.stack("primary").up(config());
        expect(r.error).to.include(
            `alias/MyKey (${EXAMPLE_KEY_ARN}) is disabled: Secrets Manager could not encrypt with it and readers could not decrypt. ` +
                `Enable it (aws kms enable-key --key-id ${EXAMPLE_KEY_ARN}), then run again; or name another key`,
        );
        key.state = "Enabled";
        expect(changes(ok(await cloud.stack("primary").up(config())))).to.include("create KeyPolicy share-key-policy");
    });

    it("the mocks answer a key-policy read of a key pending deletion as the provider does: not found", () => {
        const world = { keys: [{ ...EXAMPLE_WORLD.keys![0], keyState: "PendingDeletion" }] };
        expect(keyPolicyText(world, EXAMPLE_KEY_ID)).to.equal(undefined);
        expect(keyPolicyText(EXAMPLE_WORLD, EXAMPLE_KEY_ID)).to.be.a("string");
    });
});

/** Mocks whose answer to one read does not come until `release` (after the test). */
class Silent extends AwsMocks {
    private readonly pending: (() => void)[] = [];
    constructor(private readonly silent: string) {
        super();
    }
    private wait<T>(): T {
        return new Promise((_, reject) => this.pending.push(() => reject(new Error("released")))) as T;
    }
    release(): void {
        for (const r of this.pending.splice(0)) r();
    }
    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        return args.token === this.silent ? this.wait() : super.call(args);
    }
    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        return args.type === this.silent ? this.wait() : super.newResource(args);
    }
}

describe("existing resources: no read hangs", () => {
    const owner = (raw: Record<string, unknown>) => {
        const values = Object.fromEntries(
            Object.entries(raw)
                .filter(([k]) => k.startsWith("secretshare:"))
                .map(([k, v]) => [k.slice("secretshare:".length), v]),
        );
        return (parseConfig("primary", values) as OwnerStackConfig).owner;
    };

    for (const [silent, what, raw] of [
        ["aws:kms/getKey:getKey", "reading the key alias/MyKey: no answer within 0.05 s", config()],
        [
            "aws:kms/keyPolicy:KeyPolicy",
            `reading the key policy of ${EXAMPLE_KEY_ARN}: no answer within 0.05 s`,
            config(),
        ],
        ["aws:secretsmanager/getSecret:getSecret", "reading the secret MySecret: no answer within 0.05 s", config()],
        [
            "aws:kms/getAlias:getAlias",
            "reading the KMS alias alias/MyKey/MySecret: no answer within 0.05 s",
            { ...readStackFile(ROOT, "primary").config },
        ],
    ] as const) {
        it(`${silent}: gives up after the bound, naming what it read`, async () => {
            const mocks = new Silent(silent);
            await pulumi.runtime.setMocks(mocks, "secretshare", "primary", false, "organization");
            const o = owner(raw);
            const provider = new Provider("owner", { region: "us-east-1", allowedAccountIds: ["111111111111"] });
            const started = Date.now();
            const e = await errorOf(() => readExisting("primary", "share", o, ownerLayout(o), provider, 50));
            expect(e).to.include(what);
            expect(Date.now() - started).to.be.below(5000);
            mocks.release();
            await new Promise((resolve) => setTimeout(resolve, 10));
        });
    }
});

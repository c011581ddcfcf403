import * as path from "path";
import { expect } from "chai";
import { readStackFile } from "../../plan/stackFiles";
import { PRIMARY_ACCOUNT, ROOT, SECONDARY_ACCOUNT } from "../mocks";
import { Cloud, changes, ok } from "../support/lifecycle";

/**
 * examples/Pulumi.sandbox.yaml torn down and built again: its secret is deleted without a
 * recovery window (protection is off), so the next `pulumi up` can create it at once.
 */

function sandbox(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const config: Record<string, unknown> = { ...readStackFile(path.join(ROOT, "examples"), "sandbox").config };
    for (const [k, v] of Object.entries(overrides)) config[k] = v;
    return config;
}

const SECRETS = (recoveryWindowInDays: number) => [
    { name: "MySecret", username: "Alice", recoveryWindowInDays, readers: ["secondary/Stuart"] },
];

describe("lifecycle: the sandbox destroyed and rebuilt", () => {
    it("rebuilds at once: the secret is deleted without recovery, the key waits out its window, Stuart is adopted back", async () => {
        const cloud = new Cloud();
        const stack = cloud.stack("sandbox");
        ok(await stack.up(sandbox()));
        const firstKey = stack.find("aws:kms/key:Key", "share-key")?.id;

        const destroyed = ok(stack.destroy());
        expect(changes(destroyed)).to.include.members([
            "delete Secret share-MySecret",
            "delete Key share-key",
            "retain User secondary-Stuart",
        ]);
        expect(
            cloud.aws.secrets.filter((s) => s.name === "MySecret"),
            "gone at once",
        ).to.deep.equal([]);
        expect(cloud.aws.key(firstKey as string)?.state).to.equal("PendingDeletion");

        const rebuilt = ok(await stack.up(sandbox()));
        expect(changes(rebuilt)).to.include.members([
            "create Secret share-MySecret",
            "create Key share-key",
            "create Alias share-alias",
            "import User secondary-Stuart",
        ]);
        const key = stack.find("aws:kms/key:Key", "share-key");
        expect(key?.id, "a new key").not.to.equal(firstKey);
        expect(cloud.aws.secret(PRIMARY_ACCOUNT, "us-east-1", "MySecret")?.kmsKeyId).to.equal(key?.outputs.arn);
        expect(cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart")?.inline.size).to.equal(1);
    });

    it("with a recovery window, the name stays taken until the window ends: the rebuild fails for 7 days", async () => {
        const cloud = new Cloud();
        const stack = cloud.stack("sandbox");
        const config = sandbox({ "secretshare:secrets": SECRETS(7) });
        ok(await stack.up(config));
        ok(stack.destroy());
        const early = await stack.up(config);
        expect(early.ok).to.equal(false);
        expect(early.error).to.equal(
            "InvalidRequestException: You can't create this secret because a secret with this name is already scheduled for deletion.",
        );
        cloud.advance(6);
        expect((await stack.up(config)).ok, "day 6").to.equal(false);
        cloud.advance(1);
        ok(await stack.up(config));
    });

    it("a window of 0 is refused while protection is on, naming the setting and what to do", async () => {
        const cloud = new Cloud();
        const r = await cloud.stack("sandbox").up(
            sandbox({
                "secretshare:secrets": SECRETS(0),
                "secretshare:protection": { protect: true, retainOnDelete: false },
            }),
        );
        expect(r.ok).to.equal(false);
        expect(r.steps).to.deep.equal([]);
        expect(r.error).to.include(
            "secretshare:secrets (MySecret).recoveryWindowInDays = 0: deletes the secret at once, with no way to restore it, " +
                "and secretshare:protection has protect on; a window of 0 is for stacks that are torn down on purpose (a sandbox): " +
                "set protection.protect and protection.retainOnDelete to false, or give a window of 7 to 30 days.",
        );
        const retained = await cloud.stack("sandbox").up(
            sandbox({
                "secretshare:secrets": SECRETS(0),
                "secretshare:protection": { retainOnDelete: true, protect: false },
            }),
        );
        expect(retained.error).to.include("and secretshare:protection has retainOnDelete on;");
    });

    it("the committed owner stack is protected: destroy stops at the key, and the secret stays", async () => {
        const cloud = new Cloud();
        const primary = cloud.stack("primary");
        const config = { ...readStackFile(ROOT, "primary").config };
        ok(await primary.up(config));
        const r = primary.destroy();
        expect(r.ok).to.equal(false);
        expect(r.error).to.match(
            /^unable to delete resource "urn:pulumi:primary::secretshare::secretshare:index:SecretOwner\$aws:/,
        );
        expect(cloud.aws.secret(PRIMARY_ACCOUNT, "us-east-1", "MySecret")).not.to.equal(undefined);
    });
});

import * as path from "path";
import { expect } from "chai";
import { EXAMPLE_KEY_ID, EXAMPLE_SECRET_ARN, EXAMPLE_WORLD } from "../../plan/existingWorld";
import { readStackFile } from "../../plan/stackFiles";
import { PRIMARY_ACCOUNT, ROOT } from "../mocks";
import { Cloud, changes, ok } from "../support/lifecycle";

/**
 * An existing key and secret adopted (imported into the stack), then no longer adopted (shared
 * by their policies only), then adopted again; and what the first run after an import updates.
 */

const EXISTING = path.join(ROOT, "examples", "existing");

function owner(adopt: boolean): Record<string, unknown> {
    return {
        ...readStackFile(EXISTING, "primary").config,
        "secretshare:key": { existing: "alias/MyKey", adopt },
        "secretshare:secrets": [{ name: "MySecret", existing: true, adopt, readers: ["secondary/Stuart"] }],
    };
}

describe("lifecycle: adopting an existing key and secret, then not", () => {
    it("adopted: imported; the first up merges the provider's default tags into their tags", async () => {
        const cloud = new Cloud(EXAMPLE_WORLD);
        const r = ok(await cloud.stack("primary").up(owner(true)));
        expect(changes(r)).to.include.members([
            "import Key share-key [tags]",
            "import Secret share-MySecret [tags]",
            "create KeyPolicy share-key-policy",
            "create SecretPolicy share-MySecret-policy",
        ]);
        expect(cloud.aws.key(EXAMPLE_KEY_ID)?.tags).to.deep.equal({
            "managed-by": "secretshare",
            "secretshare:stack": "primary",
        });
        // The second run has nothing to import or update.
        expect(changes(ok(await cloud.stack("primary").up(owner(true))))).to.deep.equal([]);
    });

    it("no longer adopted: both leave the stack and stay in AWS as they are; their policies stay ours", async () => {
        const cloud = new Cloud(EXAMPLE_WORLD);
        const stack = cloud.stack("primary");
        ok(await stack.up(owner(true)));
        const policy = cloud.aws.key(EXAMPLE_KEY_ID)?.policy;

        // Adopted keys and secrets used to be protected: Pulumi refused to let them leave the stack.
        const released = ok(await stack.up(owner(false)));
        expect(changes(released)).to.have.members(["retain Secret share-MySecret", "retain Key share-key"]);
        expect(cloud.aws.key(EXAMPLE_KEY_ID)?.state).to.equal("Enabled");
        expect(cloud.aws.key(EXAMPLE_KEY_ID)?.policy).to.equal(policy);
        expect(cloud.aws.secret(PRIMARY_ACCOUNT, "us-east-1", "MySecret")?.arn).to.equal(EXAMPLE_SECRET_ARN);

        const again = ok(await stack.up(owner(true)));
        expect(changes(again)).to.have.members(["import Key share-key", "import Secret share-MySecret"]);
    });

    it("destroying a stack that adopted them leaves them, and the policies written into them, in AWS", async () => {
        const cloud = new Cloud(EXAMPLE_WORLD);
        const stack = cloud.stack("primary");
        ok(await stack.up({ ...owner(true), "secretshare:protection": { protect: false } }));
        const policy = cloud.aws.key(EXAMPLE_KEY_ID)?.policy;
        const r = ok(stack.destroy());
        expect(changes(r)).to.include.members([
            "retain Key share-key",
            "retain Secret share-MySecret",
            "retain KeyPolicy share-key-policy",
            "retain SecretPolicy share-MySecret-policy",
        ]);
        expect(cloud.aws.key(EXAMPLE_KEY_ID)?.policy).to.equal(policy);
    });
});

describe("lifecycle: an existing secret no longer shared", () => {
    it("revoked, then removed from config: its policy leaves the stack, as last written, and nothing fails", async () => {
        const cloud = new Cloud(EXAMPLE_WORLD);
        const stack = cloud.stack("primary");
        const base = readStackFile(EXISTING, "primary").config;
        const other = { name: "Other", username: "Bob", readers: ["secondary/Stuart"] };
        const secrets = (mine: string[]) => [{ name: "MySecret", existing: true, readers: mine }, other];
        ok(await stack.up({ ...base, "secretshare:secrets": secrets(["secondary/Stuart"]) }));
        // Revoke first (our statements go, the others' stay), then stop naming it.
        ok(await stack.up({ ...base, "secretshare:secrets": secrets([]) }));
        const revoked = cloud.aws.secret(PRIMARY_ACCOUNT, "us-east-1", "MySecret")?.policy;
        expect(revoked).not.to.include("SecretShare");
        // Protected (the default), this policy used to make the update fail: Pulumi refused to let it go.
        const removed = ok(await stack.up({ ...base, "secretshare:secrets": [other] }));
        // (The watch stops watching it too.)
        expect(changes(removed).filter((c) => !/ watch-/.test(c))).to.deep.equal([
            "retain SecretPolicy share-MySecret-policy",
        ]);
        expect(cloud.aws.secret(PRIMARY_ACCOUNT, "us-east-1", "MySecret")?.policy).to.equal(revoked);
    });
});

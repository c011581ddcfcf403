import * as path from "path";
import { expect } from "chai";
import { readStackFile } from "../../plan/stackFiles";
import { PRIMARY_ACCOUNT, ROOT, SECONDARY_ACCOUNT, stackConfig } from "../mocks";
import { Cloud, changes, ok } from "../support/lifecycle";

/**
 * `key.perSecret` toggled (refused while protection is on, with the steps; done with it off),
 * and a consumer account renamed (aliased: nothing is replaced).
 */

const primary = (overrides: Record<string, unknown> = {}) => stackConfig("primary", overrides);
const KEY = "aws:kms/key:Key";

describe("lifecycle: key.perSecret toggled", () => {
    it("while protection is on: refused before anything is registered, with the steps to take", async () => {
        const cloud = new Cloud();
        const stack = cloud.stack("primary");
        ok(await stack.up(primary()));
        const shared = stack.find(KEY, "share-key");
        const r = await stack.up(primary({ "secretshare:key": { alias: "MyKey", perSecret: true } }));
        expect(r.ok).to.equal(false);
        expect(r.steps).to.deep.equal([]);
        expect(r.error).to.include(
            `secretshare:key.perSecret = true: this stack has used one shared key until now (alias/MyKey is its key ${String(shared?.outputs.arn)}, which encrypts MySecret). ` +
                "Changing to one key per secret creates new keys, moves the secrets to them and deletes the old key; " +
                "secretshare:protection.protect = true makes Pulumi refuse that delete, so the update would fail halfway. " +
                "To change it: (1) set secretshare:protection.protect: false and run pulumi up (only the flag changes); ",
        );
        expect(stack.find(KEY, "share-key")?.id).to.equal(shared?.id);
    });

    it("back from one key per secret: refused the same way", async () => {
        const cloud = new Cloud();
        const stack = cloud.stack("primary");
        ok(await stack.up(primary({ "secretshare:key": { alias: "MyKey", perSecret: true } })));
        const r = await stack.up(primary());
        expect(r.ok).to.equal(false);
        expect(r.error).to.include(
            "secretshare:key.perSecret = false: this stack has used one key per secret until now (alias/MyKey/MySecret is its key",
        );
    });

    it("with protection off, the steps work: new key, the secret moved to it, the old key kept (retainOnDelete)", async () => {
        const cloud = new Cloud();
        const stack = cloud.stack("primary");
        ok(await stack.up(primary()));
        const old = stack.find(KEY, "share-key");
        const off = { protect: false, retainOnDelete: true };
        expect(changes(ok(await stack.up(primary({ "secretshare:protection": off }))))).to.deep.equal([]);
        const toggled = ok(
            await stack.up(
                primary({
                    "secretshare:protection": off,
                    "secretshare:key": { alias: "MyKey", perSecret: true },
                }),
            ),
        );
        expect(changes(toggled)).to.include.members([
            "create Key share-MySecret-key",
            "create Alias share-MySecret-alias",
            "update Secret share-MySecret [kmsKeyId]",
            "delete Alias share-alias",
            "retain Key share-key",
        ]);
        const secret = cloud.aws.secret(PRIMARY_ACCOUNT, "us-east-1", "MySecret");
        expect(secret?.kmsKeyId).to.equal(stack.find(KEY, "share-MySecret-key")?.outputs.arn);
        expect(cloud.aws.key(old?.id as string)?.state, "kept in AWS").to.equal("Enabled");
        // Protection back on: nothing else changes, and the next toggle is refused again.
        const on = primary({ "secretshare:key": { alias: "MyKey", perSecret: true } });
        expect(changes(ok(await stack.up(on)))).to.deep.equal([]);
    });
});

describe("lifecycle: a consumer account renamed", () => {
    const PAYMENTS = { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart" }] };
    const renamedOwner = primary({
        "secretshare:consumers": { payments: { ...PAYMENTS, formerNames: ["secondary"] } },
        "secretshare:secrets": [{ name: "MySecret", username: "Alice", readers: ["payments/Stuart"] }],
    });
    const consumer = (formerNames?: string[]) =>
        stackConfig("secondary", {
            "secretshare:consumer": {
                name: "payments",
                accountId: SECONDARY_ACCOUNT,
                region: "us-east-1",
                profile: "secondary",
                ...(formerNames && { formerNames }),
            },
        });

    it("with formerNames, the consumer stack replaces nothing: aliases carry every resource over", async () => {
        const cloud = new Cloud();
        ok(await cloud.stack("primary").up(primary()));
        ok(await cloud.stack("secondary").up(stackConfig("secondary")));
        const owner = ok(await cloud.stack("primary").up(renamedOwner));
        expect(changes(owner).filter((c) => !c.startsWith("update "))).to.deep.equal([]);
        const r = ok(await cloud.stack("secondary").up(consumer(["secondary"])));
        expect(changes(r)).to.deep.equal([]);
        expect(cloud.stack("secondary").find("aws:iam/user:User", "payments-Stuart")).not.to.equal(undefined);
        expect(cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart")?.inline.size).to.equal(1);
    });

    it("without them, the resources are new ones, and deleting the old inline policy takes Stuart's access", async () => {
        const cloud = new Cloud();
        ok(await cloud.stack("primary").up(primary()));
        ok(await cloud.stack("secondary").up(stackConfig("secondary")));
        ok(await cloud.stack("primary").up(renamedOwner));
        const r = ok(await cloud.stack("secondary").up(consumer()));
        expect(changes(r)).to.include.members([
            "import User payments-Stuart",
            "create UserPolicy payments-Stuart-read",
            "delete UserPolicy secondary-Stuart-read",
        ]);
        expect(cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart")?.inline.size).to.equal(0);
    });

    it("in one stack (mode all): the same, with formerNames on the consumer account", async () => {
        const cloud = new Cloud();
        const sandbox = readStackFile(path.join(ROOT, "examples"), "sandbox").config;
        const stack = cloud.stack("sandbox");
        ok(await stack.up(sandbox));
        const renamed = {
            ...sandbox,
            "secretshare:consumers": {
                payments: {
                    accountId: SECONDARY_ACCOUNT,
                    assumeRole: { roleArn: `arn:aws:iam::${SECONDARY_ACCOUNT}:role/secretshare-deployer` },
                    readers: [{ user: "Stuart" }],
                    formerNames: ["secondary"],
                },
            },
            "secretshare:secrets": [
                { name: "MySecret", username: "Alice", recoveryWindowInDays: 0, readers: ["payments/Stuart"] },
            ],
        };
        const r = ok(await stack.up(renamed));
        expect(changes(r).filter((c) => !c.startsWith("update "))).to.deep.equal([]);
        expect(changes(r).filter((c) => / (User|UserPolicy|Provider) /.test(c))).to.deep.equal([]);
    });

    it("a former name that is the current one, or another consumer's, is refused", async () => {
        const cloud = new Cloud();
        const r = await cloud.stack("primary").up(
            primary({
                "secretshare:consumers": {
                    secondary: {
                        accountId: SECONDARY_ACCOUNT,
                        readers: [{ user: "Stuart" }],
                        formerNames: ["secondary"],
                    },
                },
            }),
        );
        expect(r.error).to.include(
            'secretshare:consumers.secondary.formerNames[0] = "secondary": this is its current name; list only names this account had before',
        );
    });
});

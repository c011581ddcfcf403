import { expect } from "chai";
import { SECONDARY_ACCOUNT, stackConfig } from "../mocks";
import { Cloud, changes, ok } from "../support/lifecycle";

/**
 * Readers over time: added, removed and added back, flipped to `existing: true` and back, their
 * consumer stack destroyed and deployed again. Created users and roles are retained on delete
 * (they stay in AWS), and the stack adopts back, by import, the ones it created before.
 */

const STUART = { user: "Stuart" };
const REPORTS = { role: "Reports", assumedBy: ["ecs-tasks.amazonaws.com"] };
const MY_SECRET = { name: "MySecret", username: "Alice", recoveryWindowInDays: 30 };

/** The committed owner stack, with these readers in account secondary (all of them reading MySecret). */
function owner(readers: Record<string, unknown>[]) {
    const ids = readers.map((r) => `secondary/${(r.user ?? r.role) as string}`);
    return stackConfig("primary", {
        "secretshare:consumers": { secondary: { accountId: SECONDARY_ACCOUNT, readers } },
        "secretshare:secrets": [{ ...MY_SECRET, readers: ids }],
    });
}

/** Owner stack, then consumer stack, as docs/operations.md orders them. */
async function deploy(cloud: Cloud, readers: Record<string, unknown>[]) {
    const primary = ok(await cloud.stack("primary").up(owner(readers)));
    const secondary = ok(await cloud.stack("secondary").up(stackConfig("secondary")));
    return { primary, secondary };
}

const inline = (cloud: Cloud, kind: "user" | "role", name: string) => [
    ...(cloud.aws.identity(kind, SECONDARY_ACCOUNT, name)?.inline.keys() ?? []),
];

describe("lifecycle: a reader removed and added back", () => {
    it("a user: removed, it stays in AWS without its policy; added back, the stack adopts it again", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART, REPORTS]);
        expect(inline(cloud, "user", "Stuart")).to.have.length(1);

        const removed = await deploy(cloud, [REPORTS]);
        expect(changes(removed.secondary)).to.deep.equal(
            ["retain User secondary-Stuart", "delete UserPolicy secondary-Stuart-read"].reverse(),
        );
        expect(cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart"), "retained").not.to.equal(undefined);
        expect(inline(cloud, "user", "Stuart"), "no access left").to.deep.equal([]);

        // The old behaviour: a create of the name that exists. Now: imported back.
        const back = await deploy(cloud, [STUART, REPORTS]);
        expect(changes(back.secondary)).to.deep.equal([
            "import User secondary-Stuart",
            "create UserPolicy secondary-Stuart-read",
        ]);
        expect(inline(cloud, "user", "Stuart")).to.have.length(1);
        // And the next run has nothing to do.
        expect(changes(ok(await cloud.stack("secondary").up(stackConfig("secondary"))))).to.deep.equal([]);
    });

    it("a role: the same, its trust policy kept", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART, REPORTS]);
        const trust = cloud.aws.identity("role", SECONDARY_ACCOUNT, "Reports")?.trust;
        expect(trust).to.include("ecs-tasks.amazonaws.com");
        const removed = await deploy(cloud, [STUART]);
        expect(changes(removed.secondary)).to.have.members([
            "delete RolePolicy secondary-Reports-read",
            "retain Role secondary-Reports",
        ]);
        const back = await deploy(cloud, [STUART, REPORTS]);
        expect(changes(back.secondary)).to.deep.equal([
            "import Role secondary-Reports",
            "create RolePolicy secondary-Reports-read",
        ]);
        expect(cloud.aws.identity("role", SECONDARY_ACCOUNT, "Reports")?.trust).to.equal(trust);
    });

    it("a user with access keys made by hand: removed, nothing fails and the keys stay usable elsewhere", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART]);
        (cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart") as { credentials: number }).credentials = 1;
        await deploy(cloud, [REPORTS]);
        expect(cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart")?.credentials).to.equal(1);
    });

    it("a user of that name made outside the stack is not taken over: AWS refuses the create", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [REPORTS]);
        cloud.aws.identities.push({
            kind: "user",
            account: SECONDARY_ACCOUNT,
            name: "Stuart",
            path: "/",
            tags: {},
            inline: new Map(),
            attached: new Set(),
            credentials: 0,
        });
        ok(await cloud.stack("primary").up(owner([STUART, REPORTS])));
        const r = await cloud.stack("secondary").up(stackConfig("secondary"));
        expect(r.ok).to.equal(false);
        expect(r.error).to.equal("EntityAlreadyExists: User with name Stuart already exists.");
    });
});

describe("lifecycle: the consumer stack destroyed and deployed again", () => {
    it("destroy keeps the users and roles it created; the next up adopts them back", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART, REPORTS]);
        const destroyed = ok(cloud.stack("secondary").destroy());
        expect(changes(destroyed)).to.include.members([
            "retain User secondary-Stuart",
            "retain Role secondary-Reports",
        ]);
        expect(inline(cloud, "user", "Stuart")).to.deep.equal([]);
        const again = ok(await cloud.stack("secondary").up(stackConfig("secondary")));
        expect(changes(again)).to.include.members([
            "import User secondary-Stuart",
            "import Role secondary-Reports",
            "create UserPolicy secondary-Stuart-read",
            "create RolePolicy secondary-Reports-read",
        ]);
    });
});

describe("lifecycle: a reader flipped to existing: true and back", () => {
    it("flipped: the user leaves the stack and keeps its policy; back: adopted again, nothing recreated", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART]);
        const policy = inline(cloud, "user", "Stuart");

        const flipped = await deploy(cloud, [{ ...STUART, existing: true }]);
        expect(changes(flipped.secondary)).to.deep.equal(["retain User secondary-Stuart"]);
        expect(inline(cloud, "user", "Stuart")).to.deep.equal(policy);

        const back = await deploy(cloud, [STUART]);
        expect(changes(back.secondary)).to.deep.equal(["import User secondary-Stuart"]);
        expect(inline(cloud, "user", "Stuart")).to.deep.equal(policy);
    });

    it("a role: the same", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART, REPORTS]);
        const existing = { role: "Reports", existing: true };
        const flipped = await deploy(cloud, [STUART, existing]);
        expect(changes(flipped.secondary)).to.deep.equal(["retain Role secondary-Reports"]);
        const back = await deploy(cloud, [STUART, REPORTS]);
        expect(changes(back.secondary)).to.deep.equal(["import Role secondary-Reports"]);
    });

    it("a created role whose path changes is refused before anything is registered, with what to do", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART, REPORTS]);
        ok(await cloud.stack("primary").up(owner([STUART, { ...REPORTS, path: "/apps/" }])));
        const r = await cloud.stack("secondary").up(stackConfig("secondary"));
        expect(r.ok).to.equal(false);
        expect(r.steps).to.deep.equal([]);
        expect(r.error).to.include(
            "role Reports (account 222222222222): this stack created it at path /, and the owner's config now says /apps/; " +
                "IAM cannot move a role to another path, and a role of the same name cannot be created while it exists. " +
                "Keep path / (secretshare:consumers.<account>.readers[].path), or give the reader a new name.",
        );
    });
});

describe("lifecycle: a consumer stack moved to another organization", () => {
    it("its policy's name changes: replaced delete-first, so the user never holds both", async () => {
        const cloud = new Cloud();
        await deploy(cloud, [STUART]);
        const before = inline(cloud, "user", "Stuart");
        // Stuart's own team gave him 1,400 characters of inline policy: room for one of ours, not two.
        const stuart = cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart");
        stuart?.inline.set("TeamAccess", JSON.stringify({ Version: "2012-10-17", Sid: "x".repeat(1367) }));
        const secondary = cloud.stack("secondary");
        // `pulumi stack rename` to another organization: the same state, another name.
        cloud.organization = "acme";
        const moved = ok(await secondary.up(stackConfig("secondary")));
        expect(changes(moved)).to.deep.equal([
            "update User secondary-Stuart [tags]",
            "replace UserPolicy secondary-Stuart-read [name]",
        ]);
        const after = inline(cloud, "user", "Stuart").filter((n) => n !== "TeamAccess");
        expect(after).to.have.length(1);
        expect(after).not.to.deep.equal(before);
        expect(cloud.aws.identity("user", SECONDARY_ACCOUNT, "Stuart")?.tags["secretshare:createdBy"]).to.equal(
            "acme/secretshare/secondary",
        );
    });
});

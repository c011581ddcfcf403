import { expect } from "chai";
import { parseConfig } from "../../config";
import { PRIMARY_ACCOUNT, SECONDARY_ACCOUNT, stackConfig } from "../mocks";
import { MY_SECRET, OWNER, STACK_FORM, STUART, expectProblems, refused, without } from "./helpers";

describe("config: keys, modes and stack names", () => {
    it("a missing mode", async () => {
        await expectProblems(
            refused("primary", { "secretshare:mode": undefined }),
            `secretshare:mode = (not set): expected "owner" (the secrets' account), "consumer" (a reader account) or "all" (both in one stack)`,
        );
    });

    it("an unknown mode", async () => {
        await expectProblems(
            refused("primary", { "secretshare:mode": "both" }),
            `secretshare:mode = "both": expected "owner" (the secrets' account), "consumer" (a reader account) or "all" (both in one stack)`,
        );
    });

    for (const bad of [
        "primary",
        "secretshare/primary",
        "organization/secretshare/primary/x",
        "org/secret share/primary",
    ]) {
        it(`StackReference name ${JSON.stringify(bad)} is not org/project/stack`, async () => {
            await expectProblems(
                refused("secondary", { "secretshare:ownerStack": bad }),
                `secretshare:ownerStack = ${JSON.stringify(bad)}: ${STACK_FORM}`,
            );
        });
    }

    it("a typo at the top level of an owner stack lists the settings it has", async () => {
        // Settings of later features join the end of the list.
        const e = await refused("primary", { "secretshare:secret": [MY_SECRET] });
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]).to.match(
            /^secretshare:secret is not a setting of a "owner" stack \(a typo\?\); expected one of: secretshare:mode, secretshare:owner, secretshare:consumers, secretshare:secrets, secretshare:key, secretshare:secretPolicy, secretshare:protection, secretshare:passwords(,|$)/,
        );
    });

    it("an owner setting in a consumer stack", async () => {
        const e = await refused("secondary", { "secretshare:secrets": [MY_SECRET] });
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]).to.match(
            /^secretshare:secrets is not a setting of a "consumer" stack \(a typo\?\); expected one of: secretshare:mode, secretshare:consumer, secretshare:ownerStack(,|$)/,
        );
    });

    it("a nested typo names the setting and the ones expected there", async () => {
        // The key's settings grow with other features: check the start of the list.
        const key = await refused("primary", { "secretshare:key": { alias: "MyKey", deletionWindow: 7 } });
        expect(key.problems).to.have.length(1);
        expect(key.problems[0]).to.match(
            /^secretshare:key: unknown setting "deletionWindow" \(a typo\?\); expected one of: alias, deletionWindowInDays, perSecret, grantDescribeKey, type\b/,
        );
        const e = await refused("primary", { "secretshare:secretPolicy": { principalform: "principal-arn" } });
        expect(e.problems).to.deep.equal([
            'secretshare:secretPolicy: unknown setting "principalform" (a typo?); expected one of: principalForm, acceptDefaultStage',
        ]);
    });

    it("a typo deeper down: in a consumer's reader and in an owner's assumeRole", async () => {
        const e = await refused("primary", {
            "secretshare:consumers": { secondary: { ...STUART, readers: [{ user: "Stuart", existng: true }] } },
        });
        expect(e.problems).to.deep.equal([
            'secretshare:consumers.secondary.readers[0]: unknown setting "existng" (a typo?); expected one of: user, role, path, existing, assumedBy, externalAccounts',
        ]);
        const noProfile = without(OWNER, "profile");
        const e2 = await refused("primary", {
            "secretshare:owner": {
                ...noProfile,
                assumeRole: { roleArn: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/deployer`, externalID: "abc" },
            },
        });
        expect(e2.problems).to.deep.equal([
            'secretshare:owner.assumeRole: unknown setting "externalID" (a typo?); expected one of: roleArn, externalId, sessionName',
        ]);
    });

    it("every problem is reported at once, one line each", async () => {
        const e = await refused("primary", {
            "secretshare:owner": { ...OWNER, accountId: "1234", region: "mars-1" },
            "secretshare:key": { alias: "aws/x", deletionWindowInDays: 3 },
        });
        expect(e.problems).to.have.length(4);
        expect(e.message.split("\n")).to.have.length(5);
    });
});

describe("config: parseConfig of the committed stacks", () => {
    it("primary parses into the walk-through's owner config", () => {
        const raw = Object.fromEntries(
            Object.entries(stackConfig("primary"))
                .filter(([k]) => k.startsWith("secretshare:"))
                .map(([k, v]) => [k.slice("secretshare:".length), v]),
        );
        const config = parseConfig("primary", raw);
        expect(config.mode).to.equal("owner");
        if (config.mode === "consumer") throw new Error("unreachable");
        expect(config.owner.account).to.deep.equal({
            name: "owner",
            accountId: PRIMARY_ACCOUNT,
            region: "us-east-1",
            partition: "aws",
            profile: "primary",
        });
        expect(config.owner.key).to.deep.include({ alias: "MyKey", deletionWindowInDays: 30, perSecret: false });
        expect(config.owner.secretPolicy).to.deep.equal({ principalForm: "account-root", acceptDefaultStage: false });
        expect(config.owner.protection).to.deep.equal({ protect: true, retainOnDelete: true });
        expect(config.owner.consumers.secondary.readers).to.deep.equal([
            {
                id: "secondary/Stuart",
                account: "secondary",
                accountId: SECONDARY_ACCOUNT,
                kind: "user",
                name: "Stuart",
                path: "/",
                existing: false,
                arn: `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart`,
            },
        ]);
        expect(config.owner.secrets.map((s) => [s.name, s.username, s.recoveryWindowInDays, s.readers])).to.deep.equal([
            ["MySecret", "Alice", 30, ["secondary/Stuart"]],
        ]);
    });

    it("secondary parses into a consumer of organization/secretshare/primary", () => {
        const raw = Object.fromEntries(
            Object.entries(stackConfig("secondary"))
                .filter(([k]) => k.startsWith("secretshare:"))
                .map(([k, v]) => [k.slice("secretshare:".length), v]),
        );
        expect(parseConfig("secondary", raw)).to.deep.include({
            mode: "consumer",
            stack: "secondary",
            ownerStack: "organization/secretshare/primary",
            consumer: {
                name: "secondary",
                accountId: SECONDARY_ACCOUNT,
                region: "us-east-1",
                partition: "aws",
                profile: "secondary",
            },
        });
    });
});

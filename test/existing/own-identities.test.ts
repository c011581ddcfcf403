import { Provider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import type { OwnerConfig } from "../../config/types";
import { exactNames, invokeFailure, invokeReason } from "../../existing/invokeError";
import { keyLayoutProblem } from "../../existing/keyLayout";
import { CREATED_BY, findRetainedIdentities, type CreatedReader } from "../../existing/ownIdentities";
import { awsError, describeIdentity, listIdentities, type ExistingWorld } from "../../plan/existingWorld";
import { AwsMocks } from "../../plan/mocks";
import { SECONDARY_ACCOUNT, errorOf, stackConfig } from "../mocks";
import { Cloud, changes, ok } from "../support/lifecycle";

/**
 * A created reader is looked up before it is registered, to adopt back one this stack created
 * before. "Not there" must be an answer, not an error whose text is guessed: the provider's
 * single-identity data sources fail on a missing name with their own text, wrapped by the engine
 * with the cause on the second line.
 */

const USER_NOT_FOUND = invokeFailure("aws:iam/getUser:getUser", "reading IAM User (Alice): couldn't find resource");
const ALIAS_NOT_FOUND = invokeFailure(
    "aws:kms/getAlias:getAlias",
    "reading KMS Alias (alias/MyKey/MySecret): couldn't find resource",
);
const ME = "organization/secretshare/secondary";

/** AwsMocks whose answer to some invokes is a failure with the given text. */
class Failing extends AwsMocks {
    readonly asked: string[] = [];
    constructor(
        world: ExistingWorld,
        private readonly failures: Readonly<Record<string, string>>,
    ) {
        super({}, world);
    }
    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
        this.asked.push(args.token);
        const failure = this.failures[args.token];
        if (failure !== undefined) throw awsError(failure);
        return super.call(args);
    }
}

async function retained(world: ExistingWorld, failures: Record<string, string>, readers: CreatedReader[]) {
    const mocks = new Failing(world, failures);
    await pulumi.runtime.setMocks(mocks, "secretshare", "secondary", false, "organization");
    const provider = new Provider("consumer-secondary", {
        region: "us-east-1",
        allowedAccountIds: [SECONDARY_ACCOUNT],
    });
    const accounts = [{ consumer: "secondary", accountId: SECONDARY_ACCOUNT, readers, provider }];
    return { mocks, run: () => findRetainedIdentities("secondary", ME, accounts, 2000) };
}

const user = (name: string): CreatedReader => ({ kind: "user", name, path: "/", existing: false });
const role = (name: string): CreatedReader => ({ kind: "role", name, path: "/", existing: false });

describe("existing/invokeError.ts: the provider's failure text", () => {
    it("keeps the cause of a multi-line engine error, not its first line", () => {
        expect(USER_NOT_FOUND.split("\n")[0]).to.equal(
            "invocation of aws:iam/getUser:getUser returned an error: invoking aws:iam/getUser:getUser: 1 error occurred:",
        );
        expect(invokeReason(new Error(USER_NOT_FOUND))).to.equal("reading IAM User (Alice): couldn't find resource");
        expect(invokeReason(new Error("AccessDenied: not authorized\nmore"))).to.equal("AccessDenied: not authorized");
    });

    it("the mocks fail a read of a missing user or role with that text", () => {
        const world: ExistingWorld = { onlyListedIdentities: true };
        expect(() => describeIdentity(world, "user", "Alice", SECONDARY_ACCOUNT, "aws")).to.throw(USER_NOT_FOUND);
    });

    it("names as an anchored, case-insensitive expression: no prefix, suffix or wildcard matches", () => {
        const world: ExistingWorld = {
            identities: ["Stuart", "Stuart2", "xStuart", "axb", "a.b"].map(
                (n) => `arn:aws:iam::${SECONDARY_ACCOUNT}:user/${n}`,
            ),
        };
        const names = (...n: string[]) =>
            listIdentities(world, "user", { nameRegex: exactNames(n) }, SECONDARY_ACCOUNT).names;
        expect(exactNames(["a.b", "c+d"])).to.equal("(?i)^(a\\.b|c\\+d)$");
        expect(names("stuart")).to.deep.equal(["Stuart"]);
        expect(names("a.b")).to.deep.equal(["a.b"]);
        expect(names("Nobody")).to.deep.equal([]);
        expect(
            listIdentities(world, "role", { nameRegex: exactNames(["Stuart"]) }, SECONDARY_ACCOUNT).names,
        ).to.deep.equal([]);
    });
});

describe("existing/ownIdentities.ts: readers looked up by listing, not by a failed read", () => {
    it("a new user and role: listed as absent, never read, nothing to adopt (the read would fail with the provider's text)", async () => {
        const { mocks, run } = await retained(
            { onlyListedIdentities: true },
            {
                "aws:iam/getUser:getUser": USER_NOT_FOUND,
                "aws:iam/getRole:getRole": invokeFailure(
                    "aws:iam/getRole:getRole",
                    "reading IAM Role (Reports): couldn't find resource",
                ),
            },
            [user("Alice"), role("Reports")],
        );
        expect([...(await run())]).to.deep.equal([]);
        expect(mocks.asked.filter((t) => t.startsWith("aws:iam/"))).to.have.members([
            "aws:iam/getUsers:getUsers",
            "aws:iam/getRoles:getRoles",
        ]);
    });

    it("one this stack created, under another case: read and adopted back under the config's name", async () => {
        const arn = `arn:aws:iam::${SECONDARY_ACCOUNT}:user/alice`;
        const { run } = await retained(
            { onlyListedIdentities: true, identities: [arn], identityTags: { [arn]: { [CREATED_BY]: ME } } },
            {},
            [user("Alice"), user("Bob")],
        );
        expect([...((await run()).get("secondary") ?? [])]).to.deep.equal(["Alice"]);
    });

    it("a list that is refused: stops, naming the readers, the cause and the actions", async () => {
        const denied = invokeFailure(
            "aws:iam/getUsers:getUsers",
            "reading IAM Users: operation error IAM: ListUsers, https response error StatusCode: 403, api error AccessDenied: not authorized to perform: iam:ListUsers",
        );
        const { run } = await retained({}, { "aws:iam/getUsers:getUsers": denied }, [user("Alice")]);
        const e = await errorOf(run);
        expect(e).to.include(
            `users Alice (account ${SECONDARY_ACCOUNT}): cannot list them (reading IAM Users: operation error IAM: ListUsers`,
        );
        expect(e).to.include("this stack's credentials need iam:ListUsers and iam:GetUser, in preview too.");
        expect(e).not.to.include("invocation of");
    });

    it("a first deploy of new readers in the stateful world passes (the old lookup stopped on this text)", async () => {
        const cloud = new Cloud();
        const readers = [{ user: "Alice" }, { role: "Reports", assumedBy: ["ecs-tasks.amazonaws.com"] }];
        ok(
            await cloud.stack("primary").up(
                stackConfig("primary", {
                    "secretshare:consumers": { secondary: { accountId: SECONDARY_ACCOUNT, readers } },
                    "secretshare:secrets": [
                        { name: "MySecret", username: "Alice", readers: ["secondary/Alice", "secondary/Reports"] },
                    ],
                }),
            ),
        );
        const secondary = ok(await cloud.stack("secondary").up(stackConfig("secondary")));
        expect(changes(secondary)).to.include.members(["create User secondary-Alice", "create Role secondary-Reports"]);
    });
});

describe("existing/keyLayout.ts: a missing alias is told by the provider's text in the whole message", () => {
    const owner = {
        secrets: [{ name: "MySecret", existing: false }],
        key: { perSecret: false, alias: "MyKey" },
        protection: { protect: true },
    } as unknown as OwnerConfig;

    async function problem(failures: Record<string, string>) {
        await pulumi.runtime.setMocks(new Failing({}, failures), "secretshare", "primary", false, "organization");
        const provider = new Provider("owner", { region: "us-east-1", allowedAccountIds: ["111111111111"] });
        return keyLayoutProblem(owner, { provider }, 2000);
    }

    it("not found (couldn't find resource, or empty result): no layout change", async () => {
        expect(await problem({ "aws:kms/getAlias:getAlias": ALIAS_NOT_FOUND })).to.equal(undefined);
        expect(
            await problem({
                "aws:kms/getAlias:getAlias": invokeFailure(
                    "aws:kms/getAlias:getAlias",
                    "reading KMS Alias (alias/MyKey/MySecret): empty result",
                ),
            }),
        ).to.equal(undefined);
    });

    it("any other failure: reported with its cause and the actions", async () => {
        const denied = invokeFailure(
            "aws:kms/getAlias:getAlias",
            "reading KMS Alias (alias/MyKey/MySecret): operation error KMS: ListAliases, AccessDeniedException: not authorized",
        );
        const p = await problem({ "aws:kms/getAlias:getAlias": denied });
        expect(p).to.include(
            "(reading KMS Alias (alias/MyKey/MySecret): operation error KMS: ListAliases, AccessDeniedException: not authorized)",
        );
        expect(p).to.include("kms:ListAliases and kms:DescribeKey");
    });
});

import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { consumerPolicyPlan } from "../../components/secretConsumer";
import { settle } from "../../existing/settle";
import { identityQuotaProblems, storedPolicySize } from "../../existing/identity";
import { EXAMPLE_STUART_POLICIES, EXAMPLE_WORLD, type ExistingWorld } from "../../plan/existingWorld";
import { withPlannedPolicies } from "../../plan/identityWorld";
import { consumerInlinePolicyName, consumerManagedPolicyName, writerStackId } from "../../policies/names";
import {
    APPS,
    consumerValues,
    errorOf,
    MANAGED_POLICY,
    OWNER,
    ownerAndConsumer,
    ownerValues,
    policyOfSize,
    PROGRAM_TIMEOUT,
    ref,
    REGION,
    ROLE_POLICY,
    secretNames,
    stackConfig,
    USER_ATTACHMENT,
    USER_POLICY,
    type ReaderSpec,
} from "./helpers";
import { runStack } from "../../plan/runtime";
import { AwsMocks } from "../../plan/mocks";

/**
 * IAM's per-identity quotas count what an existing identity already holds: a user's inline
 * policies together at most 2,048 characters (a role 10,240), at most 10 managed policies
 * attached. The consumer side reads them (from the mock world here) and refuses, before it
 * writes anything, a policy AWS would refuse at deploy.
 */

const num = (n: number) => n.toLocaleString("en-US");
const CONSUMER = "apps-stack";
const STACK_ID = writerStackId(ref(CONSUMER));

/** What the consumer stack writes on `reader` reading `secrets` of the owner (one key). */
function ours(reader: ReaderSpec, secrets: readonly string[]) {
    const kind = reader.user ? "user" : "role";
    const name = (reader.user ?? reader.role) as string;
    return consumerPolicyPlan("apps", {
        readers: [
            {
                kind,
                name,
                path: "/",
                existing: reader.existing ?? false,
                arn: `arn:aws:iam::${APPS}:${kind}/${name}`,
                secrets,
            },
        ],
        keyOf: Object.fromEntries(secrets.map((s) => [s, "shared"])),
        secretsRegion: REGION,
        ownerAccountId: OWNER,
        writerStack: ref(CONSUMER),
    })[0];
}

/** A world where `identity` (user/Name or role/Name in APPS) holds `inline` and `attached`. */
function worldWith(identity: string, inline: Record<string, unknown>, attached: string[] = []): ExistingWorld {
    return { ...EXAMPLE_WORLD, identityPolicies: [{ identity: `arn:aws:iam::${APPS}:${identity}`, inline, attached }] };
}

const run = (readers: ReaderSpec[], secrets: readonly string[], world: ExistingWorld) =>
    ownerAndConsumer("platform", CONSUMER, ownerValues("platform", secrets, readers), world);

/** The consumer stack's error, and its mocks to inspect what it read and registered. */
async function runCatching(readers: ReaderSpec[], secrets: readonly string[], world: ExistingWorld) {
    const owner = await runStack({
        stack: "platform",
        config: stackConfig(ownerValues("platform", secrets, readers)),
        world,
    });
    const mocks = new AwsMocks({ [ref("platform")]: owner.outputs }, world);
    const error = await errorOf(() =>
        runStack({ stack: CONSUMER, config: stackConfig(consumerValues("platform")), mocks }),
    );
    return { mocks, error };
}

describe("existing identities: their inline policies count against the 2,048 of a user", function () {
    this.timeout(PROGRAM_TIMEOUT);
    const stuart: ReaderSpec = { user: "Stuart", existing: true };
    const mine = ours(stuart, ["db"]);

    it("what this stack writes on Stuart for one secret, as sized before the run", () => {
        expect(mine.packing.mode).to.equal("inline");
        expect(mine.names).to.deep.equal([consumerInlinePolicyName(STACK_ID)]);
        expect(mine.sizes[0]).to.be.within(300, 600);
    });

    it("1,900 characters of other inline policy: refused, naming the identity, sizes, limit and what to do", async () => {
        const world = worldWith("user/Stuart", { TeamAccess: policyOfSize(1200), Legacy: policyOfSize(700) });
        const e = await errorOf(() => run([stuart], ["db"], world));
        expect(e).to.equal(
            'cannot share the existing resources named in the config of stack "organization/secretshare/platform":\n' +
                `  - existing user Stuart (account ${APPS}) already has 1,900 characters of inline policy (TeamAccess: 1,200, Legacy: 700); ` +
                `the inline policy ${mine.names[0]} this stack writes on it needs ${num(mine.sizes[0])} more: ${num(1900 + mine.sizes[0])} in all, ` +
                "over the 2,048 characters IAM allows for all inline policies of one user together (whitespace not counted). " +
                "Remove or shrink one of its other inline policies, or move it to a customer managed policy " +
                "(aws iam create-policy, then aws iam attach-user-policy), then deploy this stack again; " +
                "or let a role read the secrets instead (10,240 characters for a role).",
        );
    });

    it("nothing is registered on the identity when refused", async () => {
        const world = worldWith("user/Stuart", { TeamAccess: policyOfSize(2048 - mine.sizes[0] + 1) });
        const { mocks, error } = await runCatching([stuart], ["db"], world);
        expect(error).to.include(`${num(2049)} in all, over the 2,048 characters`);
        expect(mocks.resources.filter((r) => r.type.startsWith("aws:iam/"))).to.deep.equal([]);
    });

    it("exactly 2,048 together (whitespace not counted) passes, and the policy is written", async () => {
        const spaced = JSON.stringify(policyOfSize(2048 - mine.sizes[0]), null, 4);
        expect(storedPolicySize(spaced, "user")).to.equal(2048 - mine.sizes[0]);
        const { consumer } = await run([stuart], ["db"], worldWith("user/Stuart", { TeamAccess: spaced }));
        const policy = consumer.resources.filter((r) => r.type === USER_POLICY);
        expect(policy.map((p) => [p.inputs.user, p.inputs.name])).to.deep.equal([["Stuart", mine.names[0]]]);
    });

    it("our own policy (its name now, and the name of before the stack id) is replaced, not added", async () => {
        const big = policyOfSize(1800);
        const world = worldWith("user/Stuart", {
            [mine.names[0]]: big,
            "secretshare-read": big,
            TeamAccess: policyOfSize(300),
        });
        const { consumer, mocks } = await run([stuart], ["db"], world);
        expect(consumer.resources.filter((r) => r.type === USER_POLICY)).to.have.length(1);
        // Only the foreign policy's document is read (iam:GetUserPolicy); ours are not.
        expect(mocks.reads.filter((r) => r.type === USER_POLICY).map((r) => r.id)).to.deep.equal(["Stuart:TeamAccess"]);
    });

    it("the example world's Stuart: his own inline policy is read and counted, and ours fits beside it", async () => {
        const { consumer, mocks } = await run([stuart], ["db"], EXAMPLE_WORLD);
        expect(mocks.reads.map((r) => `${r.type} ${r.id}`)).to.have.members([
            "aws:iam/userPoliciesExclusive:UserPoliciesExclusive Stuart",
            "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive Stuart",
            "aws:iam/userPolicy:UserPolicy Stuart:ManageOwnAccessKeys",
        ]);
        expect(Object.keys(EXAMPLE_STUART_POLICIES.inline ?? {})).to.deep.equal(["ManageOwnAccessKeys"]);
        expect(consumer.resources.filter((r) => r.type === USER_POLICY)).to.have.length(1);
    });

    it("a created (not existing) user is not read", async () => {
        const { mocks } = await run(
            [{ user: "Stuart" }],
            ["db"],
            worldWith("user/Stuart", { Big: policyOfSize(2000) }),
        );
        expect(mocks.reads).to.deep.equal([]);
    });

    it("an existing identity that does not exist: refused before any read, with what to do", async () => {
        const world: ExistingWorld = { ...EXAMPLE_WORLD, missingIdentities: ["user/Stuart"] };
        const { mocks, error } = await runCatching([stuart], ["db"], world);
        expect(error).to.include(
            `existing user Stuart (account ${APPS}) was not found (reading IAM User (Stuart): couldn't find resource). ` +
                "Create it, or let this program create it (remove existing: true from the reader in the owner stack's config), then deploy again.",
        );
        expect(mocks.reads).to.deep.equal([]);
    });
});

describe("existing identities: roles (10,240) and attached managed policies (10)", function () {
    this.timeout(PROGRAM_TIMEOUT);
    const legacy: ReaderSpec = { role: "legacy", existing: true };
    const mine = ours(legacy, ["db"]);

    it("a role: exactly 10,240 together passes, one character more is refused", async () => {
        const under = await run(
            [legacy],
            ["db"],
            worldWith("role/legacy", { Other: policyOfSize(10240 - mine.sizes[0]) }),
        );
        expect(under.consumer.resources.filter((r) => r.type === ROLE_POLICY)).to.have.length(1);
        const e = await errorOf(() =>
            run([legacy], ["db"], worldWith("role/legacy", { Other: policyOfSize(10240 - mine.sizes[0] + 1) })),
        );
        expect(e).to.include(
            `existing role legacy (account ${APPS}) already has ${num(10240 - mine.sizes[0] + 1)} characters of inline policy`,
        );
        expect(e).to.include(
            "10,241 in all, over the 10,240 characters IAM allows for all inline policies of one role together",
        );
    });

    const stuart: ReaderSpec = { user: "Stuart", existing: true };
    // Long names: few secrets (each costs the owner's run its resources) are over a user's 2,048.
    const many = secretNames(`s${"x".repeat(150)}`, 15);
    const managed = ours(stuart, many);
    const attached = (n: number) => Array.from({ length: n }, (_, i) => `arn:aws:iam::${APPS}:policy/team-${i}`);

    it("ours needs the managed fallback: one customer managed policy for 15 secrets of long names", () => {
        expect(managed.packing.mode).to.equal("managed");
        expect(managed.names).to.deep.equal([consumerManagedPolicyName(STACK_ID, "Stuart", 1)]);
    });

    it("9 attached plus ours is 10: passes and attaches", async () => {
        const { consumer } = await run([stuart], many, worldWith("user/Stuart", {}, attached(9)));
        expect(consumer.resources.filter((r) => r.type === MANAGED_POLICY)).to.have.length(1);
        expect(consumer.resources.filter((r) => r.type === USER_ATTACHMENT)).to.have.length(1);
    });

    it("10 attached already: refused, naming them, ours, the quota and what to do", async () => {
        const e = await errorOf(() => run([stuart], many, worldWith("user/Stuart", {}, attached(10))));
        expect(e).to.include(
            `existing user Stuart (account ${APPS}) already has 10 managed policies attached (${attached(10)
                .map((a) => a.split("/").pop())
                .sort()
                .join(
                    ", ",
                )}); its grants do not fit inline, and the managed policy this stack attaches (${managed.names[0]}) make 11, ` +
                "over the 10 IAM attaches to one user by default (the quota this check assumes). Detach a policy it does not need",
        );
    });

    it("our own attachments (now and of before the stack id) are not counted", async () => {
        const own = [
            `arn:aws:iam::${APPS}:policy/${managed.names[0]}`,
            `arn:aws:iam::${APPS}:policy/${consumerManagedPolicyName(STACK_ID, "Stuart", 2)}`,
            `arn:aws:iam::${APPS}:policy/secretshare-Stuart-read-1`,
        ];
        const { consumer } = await run([stuart], many, worldWith("user/Stuart", {}, [...attached(9), ...own]));
        expect(consumer.resources.filter((r) => r.type === USER_ATTACHMENT)).to.have.length(1);
    });

    it("an inline policy does not count against attachments, nor attachments against inline", () => {
        const held = {
            kind: "user" as const,
            name: "Stuart",
            inline: [{ name: "Big", size: 1000 }],
            attached: attached(10),
        };
        expect(identityQuotaProblems(held, ours(stuart, ["db"]), ref(CONSUMER), "x")).to.deep.equal([]);
        expect(
            identityQuotaProblems(
                { ...held, inline: [{ name: "Big", size: 2000 }], attached: [] },
                managed,
                ref(CONSUMER),
                "x",
            ),
        ).to.deep.equal([]);
    });
});

describe("existing identities: the reads are bounded, and the plan's world grows stack by stack", () => {
    it("a read that never answers is abandoned with its name after the bound", async () => {
        const never = pulumi.output(new Promise<string>(() => undefined));
        const started = Date.now();
        const e = await errorOf(() => settle(never, "the inline policies of user Stuart", 50));
        expect(e).to.equal("reading the inline policies of user Stuart: no answer within 0.05 s");
        expect(Date.now() - started).to.be.below(5000);
    });

    it("a read that fails rejects with its error (apply alone would wait forever)", async () => {
        const failed = pulumi.output(Promise.reject(new Error("NoSuchEntity: The user with name X cannot be found.")));
        expect(await errorOf(() => settle(failed, "x", 5000))).to.equal(
            "NoSuchEntity: The user with name X cannot be found.",
        );
    });

    it("a value unknown in a preview is refused, not waited for", async () => {
        const unknown = pulumi.output(pulumi.unknown as unknown as string);
        expect(await errorOf(() => settle(unknown, "x", 5000))).to.equal("reading x: its value is not known yet");
    });

    it("withPlannedPolicies adds a stack's identity policies to what the next stack reads", () => {
        const world = withPlannedPolicies(EXAMPLE_WORLD, [
            {
                type: USER_POLICY,
                inputs: { user: "stuart", name: "secretshare-read-x", policy: "{}" },
                accountId: APPS,
            },
            {
                type: USER_ATTACHMENT,
                inputs: { user: "Stuart", policyArn: "arn:aws:iam::222222222222:policy/p" },
                accountId: APPS,
            },
        ]);
        const stuart = world.identityPolicies?.find((h) => h.identity.endsWith("user/Stuart"));
        expect(Object.keys(stuart?.inline ?? {})).to.deep.equal(["ManageOwnAccessKeys", "secretshare-read-x"]);
        expect(stuart?.attached).to.deep.equal([
            ...(EXAMPLE_STUART_POLICIES.attached ?? []),
            "arn:aws:iam::222222222222:policy/p",
        ]);
        // The world it started from is unchanged.
        expect(Object.keys(EXAMPLE_STUART_POLICIES.inline ?? {})).to.deep.equal(["ManageOwnAccessKeys"]);
    });
});

describe('existing identities in an "all" stack', function () {
    this.timeout(PROGRAM_TIMEOUT);

    it("are checked before anything is registered", async () => {
        const world = worldWith("user/Stuart", { TeamAccess: policyOfSize(1900) });
        const mocks = new AwsMocks({}, world);
        const e = await errorOf(() =>
            runStack({
                stack: "everything",
                config: stackConfig(ownerValues("everything", ["db"], [{ user: "Stuart", existing: true }], "all")),
                mocks,
            }),
        );
        expect(e).to.include('cannot share the existing resources named in the config of stack "everything"');
        expect(e).to.include(
            `existing user Stuart (account ${APPS}) already has 1,900 characters of inline policy (TeamAccess: 1,900)`,
        );
        expect(
            mocks.resources.filter((r) => r.type.startsWith("aws:") && !r.type.startsWith("aws:index")),
        ).to.deep.equal([]);
    });
});

import { expect } from "chai";
import {
    consumerInlinePolicyName,
    consumerManagedPolicyName,
    CONSUMER_INLINE_POLICY,
    CONSUMER_MANAGED_POLICY_PREFIX,
    isLegacyConsumerPolicy,
    MAX_POLICY_NAME,
    writerStackId,
} from "../../policies/names";
import { consumerPolicyPlan } from "../../components/secretConsumer";
import { runStack, type StackRun } from "../../plan/runtime";
import type { RegisteredResource } from "../../plan/mocks";
import { plan, planJson, tempProject, withExampleWorld } from "../plan/helpers";
import {
    APPS,
    consumerValues,
    KEY,
    MANAGED_POLICY,
    OWNER,
    ownerAndConsumer,
    ownerValues,
    PROGRAM_TIMEOUT,
    ref,
    REGION,
    SECRET,
    secretNames,
    stackConfig,
    USER_ATTACHMENT,
    USER_POLICY,
} from "./helpers";

/**
 * Several owner stacks granting one consumer identity, each through its own consumer stack:
 * every stack writes policies of its own name (no stack overwrites or deletes another's), and
 * the mock runtime gives each owner stack its own keys and secrets even when their logical
 * names are the same.
 */

const of = (run: StackRun, type: string) => run.resources.filter((r) => r.type === type);
const one = (run: StackRun, type: string): RegisteredResource => {
    // The share's own key, not the watch's.
    const found = of(run, type).filter((r) => type !== KEY || r.name === "share-key");
    expect(found, `${type} in ${run.stack}`).to.have.length(1);
    return found[0];
};
const STUART = `arn:aws:iam::${APPS}:user/Stuart`;
const num = (n: number) => n.toLocaleString("en-US");
const statements = (r: RegisteredResource) =>
    (JSON.parse(r.inputs.policy as string) as { Statement: { Resource: string | string[] }[] }).Statement;

describe("names: one policy name per writing stack", () => {
    it("the stack id is 8 hex characters of sha256 over <org>/<project>/<stack>, stable", () => {
        expect(writerStackId("organization/secretshare/secondary")).to.equal("a2a6eefa");
        expect(writerStackId("acme/secretshare/secondary")).to.match(/^[0-9a-f]{8}$/);
        expect(writerStackId("acme/secretshare/secondary")).to.not.equal(
            writerStackId("organization/secretshare/secondary"),
        );
    });

    it("inline and managed names start with the exported prefixes, and the stack's own prefix", () => {
        const id = writerStackId(ref("apps-a"));
        expect(consumerInlinePolicyName(id)).to.equal(`secretshare-read-${id}`);
        expect(consumerInlinePolicyName(id).startsWith(CONSUMER_INLINE_POLICY)).to.equal(true);
        expect(consumerManagedPolicyName(id, "Stuart", 2)).to.equal(`secretshare-read-${id}-Stuart-2`);
        expect(consumerManagedPolicyName(id, "Stuart", 2).startsWith(CONSUMER_MANAGED_POLICY_PREFIX)).to.equal(true);
    });

    it("a reader name of 64 characters (IAM's longest) gives a managed name within 128", () => {
        const name = consumerManagedPolicyName(writerStackId(ref("apps-a")), "r".repeat(64), 10);
        expect(name.length).to.equal(93);
        expect(name.length).to.be.at.most(MAX_POLICY_NAME);
    });

    it("knows the names of before the stack id, and only those", () => {
        expect(isLegacyConsumerPolicy("secretshare-read", "Stuart")).to.equal(true);
        expect(isLegacyConsumerPolicy("secretshare-Stuart-read-3", "Stuart")).to.equal(true);
        expect(isLegacyConsumerPolicy("secretshare-Stuart-read-3", "Bob")).to.equal(false);
        expect(isLegacyConsumerPolicy("secretshare-read-a2a6eefa", "Stuart")).to.equal(false);
        expect(isLegacyConsumerPolicy("secretshare-Stuart-read-x", "Stuart")).to.equal(false);
    });
});

describe("several owner stacks granting one existing user", function () {
    this.timeout(PROGRAM_TIMEOUT);
    const owners = ["team-a", "team-b", "team-c"];
    const runs: { owner: StackRun; consumer: StackRun }[] = [];

    before(async () => {
        // The same logical names in one owner account and region; only the aliases differ.
        for (const o of owners) {
            runs.push(await ownerAndConsumer(o, `apps-${o}`, ownerValues(o, ["db"])));
        }
    });

    it("each consumer stack writes an inline policy named after itself: three distinct names", () => {
        const names = runs.map((r) => one(r.consumer, USER_POLICY).inputs.name);
        expect(names).to.deep.equal(owners.map((o) => consumerInlinePolicyName(writerStackId(ref(`apps-${o}`)))));
        expect(new Set(names).size).to.equal(3);
        for (const r of runs) expect(one(r.consumer, USER_POLICY).inputs.user).to.equal("Stuart");
    });

    it("two owner stacks with the same logical names get distinct keys, secrets and ARNs", () => {
        const keys = runs.map((r) => one(r.owner, KEY).state.arn);
        const secrets = runs.map((r) => one(r.owner, SECRET).state.arn);
        expect(new Set(keys).size).to.equal(3);
        expect(new Set(secrets).size).to.equal(3);
        for (const k of keys) expect(k).to.match(/^arn:aws:kms:us-east-1:111111111111:key\/[0-9a-f-]{36}$/);
        for (const s of secrets) expect(s).to.match(/^arn:aws:secretsmanager:us-east-1:111111111111:secret:db-\w{6}$/);
    });

    it("each consumer's policy names exactly its own owner's secret and key", () => {
        runs.forEach((r) => {
            const [read, decrypt] = statements(one(r.consumer, USER_POLICY));
            expect(read.Resource).to.equal(one(r.owner, SECRET).state.arn);
            expect(decrypt.Resource).to.equal(one(r.owner, KEY).state.arn);
        });
    });

    it("the same stack planned twice gets the same IDs (deterministic)", async () => {
        const again = await runStack({ stack: "team-a", config: stackConfig(ownerValues("team-a", ["db"])) });
        expect(one(again, KEY).state.arn).to.equal(one(runs[0].owner, KEY).state.arn);
    });

    it("managed policies (per account names) are distinct too", async () => {
        // 15 secrets of long names do not fit a user's 2,048 inline characters: a managed policy each.
        const many = secretNames(`s${"x".repeat(150)}`, 15);
        const a = await ownerAndConsumer("team-a", "apps-team-a", ownerValues("team-a", many));
        const b = await ownerAndConsumer("team-b", "apps-team-b", ownerValues("team-b", many));
        const names = [a, b].map((r) => one(r.consumer, MANAGED_POLICY).inputs.name);
        expect(names).to.deep.equal([
            consumerManagedPolicyName(writerStackId(ref("apps-team-a")), "Stuart", 1),
            consumerManagedPolicyName(writerStackId(ref("apps-team-b")), "Stuart", 1),
        ]);
        const arns = [a, b].map((r) => one(r.consumer, MANAGED_POLICY).state.arn);
        expect(arns[0]).to.not.equal(arns[1]);
        expect([a, b].map((r) => one(r.consumer, USER_ATTACHMENT).inputs.policyArn)).to.deep.equal(arns);
    });

    it("a policy is deleted before its replacement is created (a rename never counts twice)", () => {
        for (const r of runs) {
            const policy = one(r.consumer, USER_POLICY);
            const opts = r.consumer.options.get(`${USER_POLICY}::${policy.name}`) as { deleteBeforeReplace?: boolean };
            expect(opts.deleteBeforeReplace).to.equal(true);
        }
    });
});

describe("several owner stacks granting one existing user: the offline plan", function () {
    this.timeout(PROGRAM_TIMEOUT * 2);

    /** Owner stacks team-<x> each granting Stuart `perOwner` secrets, and a consumer stack each. */
    // Stuart as the example world records him: his own inline policy counts with the stacks'.
    const project = (owners: readonly string[], perOwner: number) =>
        withExampleWorld(
            tempProject(
                Object.fromEntries(
                    owners.flatMap((o) => [
                        [o, stackConfig(ownerValues(o, secretNames(`${o}-db`, perOwner)))],
                        [`apps-${o}`, stackConfig(consumerValues(o))],
                    ]),
                ),
            ),
        );

    // The plans of owners of two secrets each, by owners: planned once, read by both cases below.
    const plans = new Map<string, ReturnType<typeof planJson>>();
    const planOf = (owners: readonly string[]) => {
        const known = plans.get(owners.join(" ")) ?? planJson([], project(owners, 2));
        plans.set(owners.join(" "), known);
        return known;
    };

    it("two and three owner stacks: distinct policy names and key ARNs, each secret readable", async () => {
        for (const owners of [
            ["team-a", "team-b"],
            ["team-a", "team-b", "team-c"],
        ]) {
            const { code, report, stderr } = await planOf(owners);
            expect(code, stderr).to.equal(0);
            const byName = new Map(report.stacks.map((s) => [s.name, s]));
            const policies = owners.map(
                (o) =>
                    (byName.get(`apps-${o}`)?.resources.find((r) => r.type === USER_POLICY)?.inputs.name as string) ??
                    "",
            );
            expect(new Set(policies).size, policies.join(", ")).to.equal(owners.length);
            const keyArns = owners.map((o) => (byName.get(o)?.outputs.keyArn as string) ?? "");
            expect(new Set(keyArns).size, keyArns.join(", ")).to.equal(owners.length);
            for (const o of owners) {
                const allowed = report.access.filter(
                    (c) =>
                        c.action === "secretsmanager:GetSecretValue" &&
                        c.expected === "Allowed" &&
                        c.secret.startsWith(`${o}-db`),
                );
                expect(allowed.length, `${o}: ${JSON.stringify(report.access.map((c) => c.secret))}`).to.be.above(0);
                expect(allowed.every((c) => c.ok)).to.equal(true);
            }
        }
    });

    it("the stacks' policies on one identity are counted together: the third that would not fit is refused", async () => {
        const ours = (o: string) =>
            consumerPolicyPlan("apps", {
                readers: [
                    {
                        kind: "user",
                        name: "Stuart",
                        path: "/",
                        existing: true,
                        arn: STUART,
                        secrets: secretNames(`${o}-db`, 3),
                    },
                ],
                keyOf: Object.fromEntries(secretNames(`${o}-db`, 3).map((s) => [s, "shared"])),
                secretsRegion: REGION,
                ownerAccountId: OWNER,
                writerStack: ref(`apps-${o}`),
            })[0];
        const [a, b, c] = ["team-a", "team-b", "team-c"].map(ours);
        const stuart = 270; // ManageOwnAccessKeys, in the example world
        // Two fit the 2,048 characters of a user, three do not.
        expect(stuart + a.sizes[0] + b.sizes[0]).to.be.at.most(2048);
        expect(stuart + a.sizes[0] + b.sizes[0] + c.sizes[0]).to.be.above(2048);
        const { code, stderr } = await plan([], project(["team-a", "team-b", "team-c"], 3));
        expect(code, stderr).to.equal(2);
        const held = stuart + a.sizes[0] + b.sizes[0];
        const listed = [
            [a.names[0], a.sizes[0]],
            [b.names[0], b.sizes[0]],
            ["ManageOwnAccessKeys", stuart],
        ] as const;
        expect(stderr).to.include(
            'cannot share the existing resources named in the config of stack "organization/secretshare/team-c"',
        );
        expect(stderr).to.include(
            `existing user Stuart (account ${APPS}) already has ${num(held)} characters of inline policy ` +
                `(${[...listed]
                    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
                    .map(([n, z]) => `${n}: ${num(z)}`)
                    .join(", ")}); ` +
                `the inline policy ${c.names[0]} this stack writes on it needs ${num(c.sizes[0])} more: ` +
                `${num(held + c.sizes[0])} in all, over the 2,048 characters IAM allows for all inline policies of one user together`,
        );
        // With two secrets each, the three fit.
        const fit = await planOf(["team-a", "team-b", "team-c"]);
        expect(fit.code, fit.stderr).to.equal(0);
    });
});

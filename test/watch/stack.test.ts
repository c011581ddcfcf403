import { expect } from "chai";
import { AUTONAME_SUFFIX } from "../../aws/names";
import {
    MAX_RULE_NAME,
    ownerWatchRules,
    ruleNamePrefix,
    subscriberId,
    watchComponentName,
    type EventPattern,
} from "../../watch";
import {
    ofType,
    policyOf,
    PRIMARY_ACCOUNT,
    PRIMARY_STACK_REF,
    resource,
    run,
    SECONDARY_ACCOUNT,
    stackConfig,
    type RegisteredResource,
    type StackRun,
} from "../mocks";
import { fixtures, KEY_ARN, KEY_ID, matching, owned, SECRET_ARN } from "./cloudtrail";

describe("the watch in the owner stack (mock runtime)", () => {
    const EMAIL = "platform-team@example.com";
    const HOOK = "https://hooks.example.com/services/T000/B000/XXXXSECRETTOKEN";
    let primary: StackRun;
    let logged = "";

    before(async () => {
        const write = process.stdout.write.bind(process.stdout);
        const writeErr = process.stderr.write.bind(process.stderr);
        const capture = (chunk: unknown) => {
            logged += String(chunk);
            return true;
        };
        process.stdout.write = capture;
        process.stderr.write = capture;
        try {
            primary = await run("primary", {
                "secretshare:watch": { subscribers: [{ email: EMAIL }, { https: HOOK }] },
            });
        } finally {
            process.stdout.write = write;
            process.stderr.write = writeErr;
        }
    });

    it("creates the topic with its own customer managed key, in the owner account", () => {
        const topic = resource(primary, "aws:sns/topic:Topic", "watch-topic");
        const key = resource(primary, "aws:kms/key:Key", "watch-key");
        expect(topic.provider?.accountId).to.equal(PRIMARY_ACCOUNT);
        expect(topic.inputs.kmsMasterKeyId).to.equal(key.state.arn);
        expect(topic.inputs.kmsMasterKeyId).to.not.equal(resource(primary, "aws:kms/key:Key", "share-key").state.arn);
        expect(policyOf(key).Statement).to.deep.equal([
            {
                Sid: "SecretShareOwnerAdministers",
                Effect: "Allow",
                Principal: { AWS: "arn:aws:iam::111111111111:root" },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "SecretShareEventBridgeEncryptsAlerts",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
            },
        ]);
    });

    it("lets only EventBridge publish, for this stack's watch rules, named by their prefix", () => {
        const topic = resource(primary, "aws:sns/topic:Topic", "watch-topic");
        const rules = ofType(primary, "aws:cloudwatch/eventRule:EventRule");
        const policy = policyOf(resource(primary, "aws:sns/topicPolicy:TopicPolicy", "watch-topic-policy"));
        expect(resource(primary, "aws:sns/topicPolicy:TopicPolicy", "watch-topic-policy").inputs.arn).to.equal(
            topic.state.arn,
        );
        const prefix = ruleNamePrefix(PRIMARY_STACK_REF, "watch", "primary");
        expect(prefix).to.match(/^watch-primary-[0-9a-f]{8}-$/);
        const pattern = `arn:aws:events:us-east-1:111111111111:rule/${prefix}*`;
        expect(policy.Statement).to.deep.equal([
            {
                Sid: "SecretShareEventBridgePublishes",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.state.arn,
                Condition: {
                    StringEqualsIfExists: { "aws:SourceAccount": PRIMARY_ACCOUNT },
                    ArnLikeIfExists: { "aws:SourceArn": pattern },
                },
            },
        ]);
        // Every deployed rule's ARN is one the pattern admits (ArnLike: "*" is any run of characters).
        for (const r of rules) expect(r.state.arn).to.satisfy((a: string) => a.startsWith(pattern.slice(0, -1)));
    });

    it("deploys the same patterns as the pure builder, and they match the fixtures for the deployed ARNs", () => {
        const secretArn = resource(primary, "aws:secretsmanager/secret:Secret", "share-MySecret").state.arn as string;
        const keyArn = resource(primary, "aws:kms/key:Key", "share-key").state.arn as string;
        const expected = ownerWatchRules(
            {
                partition: "aws",
                region: "us-east-1",
                accountId: PRIMARY_ACCOUNT,
                secrets: [{ name: "MySecret", arn: secretArn, keyId: "shared" }],
                keys: [{ id: "shared", alias: "MyKey", arn: keyArn }],
            },
            "primary",
        );
        // Registration order follows which ARNs each rule waits for; compare in the builder's order.
        const byName = new Map(ofType(primary, "aws:cloudwatch/eventRule:EventRule").map((r) => [r.name, r]));
        const prefix = ruleNamePrefix(PRIMARY_STACK_REF, "watch", "primary");
        expect([...byName.keys()].sort()).to.deep.equal(expected.map((r) => `${prefix}${r.id}`).sort());
        const deployed = expected.map((r) => byName.get(`${prefix}${r.id}`) as RegisteredResource);
        const asDeployed = deployed.map((r, i) => ({
            ...expected[i],
            pattern: JSON.parse(r.inputs.eventPattern as string) as EventPattern,
        }));
        expect(asDeployed.map((r) => r.pattern)).to.deep.equal(expected.map((r) => r.pattern));
        for (const f of owned(fixtures("match"))) {
            const event = JSON.parse(
                JSON.stringify(f.event)
                    .split(SECRET_ARN)
                    .join(secretArn)
                    .split(KEY_ARN)
                    .join(keyArn)
                    .split(KEY_ID)
                    .join(keyArn.split("/").pop()),
            ) as unknown;
            const hits = matching(asDeployed, event);
            expect(hits, f.file).to.have.length(1);
            expect(
                hits[0].calls.map((c) => c.call),
                f.file,
            ).to.include(f.event.detail.eventName);
        }
    });

    it("sends every rule to the topic through an input transformer, without a role", () => {
        const topic = resource(primary, "aws:sns/topic:Topic", "watch-topic");
        const targets = ofType(primary, "aws:cloudwatch/eventTarget:EventTarget");
        const rules = ofType(primary, "aws:cloudwatch/eventRule:EventRule");
        expect(targets.map((t) => t.inputs.rule)).to.deep.equal(rules.map((r) => r.state.name));
        for (const t of targets) {
            expect(t.inputs.arn).to.equal(topic.state.arn);
            expect(t.inputs.roleArn).to.equal(undefined);
            expect(t.provider?.accountId).to.equal(PRIMARY_ACCOUNT);
            const transformer = t.inputs.inputTransformer as {
                inputPaths: Record<string, string>;
                inputTemplate: string;
            };
            expect(transformer.inputPaths.by).to.equal("$.detail.userIdentity");
            expect(transformer.inputPaths.detail).to.equal("$.detail");
            expect(transformer.inputTemplate).to.include('"meaning": ');
        }
    });

    it("subscribes each subscriber once, with the protocol of its kind", () => {
        const subs = ofType(primary, "aws:sns/topicSubscription:TopicSubscription");
        expect(subs.map((s) => s.inputs.protocol)).to.deep.equal(["email", "https"]);
        const topic = resource(primary, "aws:sns/topic:Topic", "watch-topic");
        for (const s of subs) expect(s.inputs.topic).to.equal(topic.state.arn);
        expect(subs.map((s) => s.name)).to.deep.equal([
            `watch-${subscriberId("primary", { kind: "email", address: EMAIL })}`,
            `watch-${subscriberId("primary", { kind: "https", address: HOOK })}`,
        ]);
        expect(subs.map((s) => s.name)[0]).to.match(/^watch-email-[0-9a-f]{10}$/);
    });

    it("keeps subscriber addresses out of outputs, resource names and logs", () => {
        const outputs = JSON.stringify(primary.outputs);
        const names = primary.resources.map((r) => r.name).join(" ");
        for (const address of [EMAIL, HOOK, "XXXXSECRETTOKEN", "platform-team"]) {
            expect(outputs).to.not.include(address);
            expect(names).to.not.include(address);
            expect(logged).to.not.include(address);
        }
        expect(primary.outputs.watch).to.deep.include({
            region: "us-east-1",
            subscribers: { total: 2, email: 1, https: 1 },
        });
        expect((primary.outputs.watch as { events: string[] }).events).to.have.length(11);
    });

    it("warns, without failing, when nobody is subscribed", async () => {
        let out = "";
        const write = process.stderr.write.bind(process.stderr);
        const writeOut = process.stdout.write.bind(process.stdout);
        process.stderr.write = (c: unknown) => ((out += String(c)), true);
        process.stdout.write = (c: unknown) => ((out += String(c)), true);
        let r: StackRun;
        try {
            r = await run("primary");
        } finally {
            process.stderr.write = write;
            process.stdout.write = writeOut;
        }
        expect(ofType(r, "aws:sns/topicSubscription:TopicSubscription")).to.have.length(0);
        expect(ofType(r, "aws:cloudwatch/eventRule:EventRule")).to.have.length(2);
        expect(out).to.include("secretshare:watch has no subscribers");
    });

    it("creates no watch resources when switched off", async () => {
        const r = await run("primary", { "secretshare:watch": { enabled: false, subscribers: [{ email: EMAIL }] } });
        for (const type of [
            "aws:sns/topic:Topic",
            "aws:sns/topicPolicy:TopicPolicy",
            "aws:sns/topicSubscription:TopicSubscription",
            "aws:cloudwatch/eventRule:EventRule",
            "aws:cloudwatch/eventTarget:EventTarget",
        ]) {
            expect(ofType(r, type), type).to.have.length(0);
        }
        expect(ofType(r, "aws:kms/key:Key").map((k) => k.name)).to.deep.equal(["share-key"]);
        expect(r.outputs.watch).to.equal(undefined);
    });
});

describe("the consumer-side watch (mock runtime)", () => {
    it("in a consumer stack: IAM rules in the consumer account, in us-east-1", async () => {
        const primary = await run("primary");
        const secondary = await run(
            "secondary",
            { "secretshare:watch": { consumerSide: true, subscribers: [{ email: "team@example.com" }] } },
            { stacks: { [PRIMARY_STACK_REF]: primary.outputs } },
        );
        const rules = ofType(secondary, "aws:cloudwatch/eventRule:EventRule");
        const prefix = ruleNamePrefix("organization/secretshare/secondary", "watch-secondary", "secondary");
        expect(rules.map((r) => r.name)).to.deep.equal(
            ["inline-users-0", "managed-users-0", "users-0"].map((id) => `${prefix}${id}`),
        );
        for (const r of [...rules, ...ofType(secondary, "aws:sns/topic:Topic")]) {
            expect(r.provider?.accountId).to.equal(SECONDARY_ACCOUNT);
            expect(r.provider?.region).to.equal("us-east-1");
        }
        expect(JSON.stringify(secondary.outputs)).to.not.include("team@example.com");
    });

    it("off by default in a consumer stack", async () => {
        const primary = await run("primary");
        const secondary = await run("secondary", {}, { stacks: { [PRIMARY_STACK_REF]: primary.outputs } });
        expect(ofType(secondary, "aws:cloudwatch/eventRule:EventRule")).to.have.length(0);
    });

    it("in an all stack with consumerSide: owner rules in the owner account, IAM rules in each consumer's", async () => {
        const r = await run("primary", {
            "secretshare:mode": "all",
            "secretshare:watch": { consumerSide: true },
        });
        const rules = ofType(r, "aws:cloudwatch/eventRule:EventRule");
        expect(rules.filter((x) => x.provider?.accountId === PRIMARY_ACCOUNT)).to.have.length(2);
        const prefix = ruleNamePrefix(PRIMARY_STACK_REF, "watch-secondary", "secondary");
        expect(
            rules
                .filter((x) => x.provider?.accountId === SECONDARY_ACCOUNT)
                .map((x) => `${x.name}@${x.provider?.region}`),
        ).to.deep.equal(["inline-users-0", "managed-users-0", "users-0"].map((id) => `${prefix}${id}@us-east-1`));
    });
});

describe("the watch at scale (mock runtime)", function () {
    this.timeout(120000);

    it("writes the same topic policy, of constant size, for 1 secret and for 40", async () => {
        const secrets = (n: number) =>
            Array.from({ length: n }, (_, i) => ({
                name: `team-${String(i).padStart(2, "0")}/database`,
                username: "app",
                readers: ["secondary/Stuart"],
            }));
        const sizes: number[] = [];
        const rules: number[] = [];
        for (const n of [1, 40]) {
            const r = await run("primary", { "secretshare:secrets": secrets(n) });
            sizes.push(
                (resource(r, "aws:sns/topicPolicy:TopicPolicy", "watch-topic-policy").inputs.policy as string).length,
            );
            rules.push(ofType(r, "aws:cloudwatch/eventRule:EventRule").length);
        }
        expect(rules[1]).to.be.greaterThan(rules[0]);
        expect(sizes[1]).to.equal(sizes[0]);
        expect(sizes[0]).to.be.below(1000);
    });

    it("names every rule and target within 64 characters with Pulumi's suffix, at the longest consumer name", async () => {
        const longest = `c${"o".repeat(62)}n`;
        const consumers = JSON.parse(stackConfig("primary")["secretshare:consumers"]) as Record<string, unknown>;
        const r = await run("primary", {
            "secretshare:mode": "all",
            "secretshare:watch": { consumerSide: true },
            "secretshare:consumers": { [longest]: consumers.secondary },
            "secretshare:secrets": [{ name: "MySecret", username: "Alice", readers: [`${longest}/Stuart`] }],
        });
        const named = [
            ...ofType(r, "aws:cloudwatch/eventRule:EventRule"),
            ...ofType(r, "aws:cloudwatch/eventTarget:EventTarget"),
        ];
        expect(named.filter((x) => x.provider?.accountId === SECONDARY_ACCOUNT)).to.have.length(6);
        for (const x of named) expect(x.name.length + AUTONAME_SUFFIX, x.name).to.be.at.most(MAX_RULE_NAME);
        for (const x of ofType(r, "aws:cloudwatch/eventRule:EventRule")) {
            expect((x.state.name as string).length, x.state.name as string).to.be.at.most(MAX_RULE_NAME);
        }
        // Pulumi names a topic itself up to 80 characters, of [A-Za-z0-9_-].
        for (const t of ofType(r, "aws:sns/topic:Topic")) {
            expect(t.name.length + AUTONAME_SUFFIX, t.name).to.be.at.most(80);
            expect(t.name).to.match(/^[\w-]+$/);
        }
    });

    it('gives a consumer whose name SNS would refuse in a topic name (a ".") a topic name it accepts', () => {
        expect(watchComponentName("team.payments")).to.match(/^watch-team-payments-[0-9a-f]{8}$/);
        expect(watchComponentName("secondary")).to.equal("watch-secondary");
        expect(watchComponentName(`c${"o".repeat(58)}n`)).to.equal(`watch-c${"o".repeat(58)}n`);
        expect(watchComponentName(`c${"o".repeat(59)}n`)).to.match(/^watch-co{50}-[0-9a-f]{8}$/);
        expect(watchComponentName()).to.equal("watch");
    });
});

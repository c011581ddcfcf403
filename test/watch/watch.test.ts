import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { parseConfig, type OwnerStackConfig } from "../../config";
import {
    matchesPattern,
    renderInputTemplate,
    UnsupportedPatternError,
    type EventPattern,
} from "../../watch/eventPattern";
import {
    consumerWatchRules,
    KEY_CALLS,
    MAX_PATTERN_LENGTH,
    ownerWatchRules,
    SECRET_CALLS,
    subscriberId,
    watchSummary,
    type WatchRule,
} from "../../watch/events";
import {
    errorOf,
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

/** The committed stack file's config as parseConfig takes it: keys without the namespace. */
function rawConfig(stack: string, extra: Record<string, string> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(stackConfig(stack))) {
        if (k.startsWith("secretshare:")) out[k.slice("secretshare:".length)] = v;
    }
    return { ...out, ...extra };
}

const FIXTURES = path.join(__dirname, "..", "fixtures", "cloudtrail");
type Fixture = { file: string; event: Record<string, unknown> & { detail: Record<string, unknown> } };
function fixtures(dir: "match" | "other", prefix = ""): Fixture[] {
    return fs
        .readdirSync(path.join(FIXTURES, dir))
        .filter((f) => f.endsWith(".json") && f.startsWith(prefix))
        .sort()
        .map((f) => ({
            file: `${dir}/${f}`,
            event: JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, f), "utf8")) as Fixture["event"],
        }));
}
const owned = (list: Fixture[]) => list.filter((f) => !f.file.includes("/iam-"));
const consumerSide = (list: Fixture[]) => list.filter((f) => f.file.includes("/iam-"));

// The values the fixtures use for "our" secret and key (the key ID is AWS's documentation example).
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf";
const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN = `arn:aws:kms:us-east-1:111111111111:key/${KEY_ID}`;

function primaryRules(): WatchRule[] {
    return ownerWatchRules(
        {
            partition: "aws",
            region: "us-east-1",
            accountId: PRIMARY_ACCOUNT,
            secrets: [{ name: "MySecret", arn: SECRET_ARN, keyId: "shared" }],
            keys: [{ id: "shared", alias: "MyKey", arn: KEY_ARN }],
        },
        "primary",
    );
}
const matching = (rules: readonly WatchRule[], event: unknown) => rules.filter((r) => matchesPattern(r.pattern, event));

describe("EventBridge pattern matcher, against the EventBridge user guide's examples", () => {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
    const ec2 = {
        version: "0",
        id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "EC2 Instance State-change Notification",
        source: "aws.ec2",
        account: "111122223333",
        time: "2017-12-22T18:43:48Z",
        region: "us-west-1",
        resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
        detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
    };
    const terminated: EventPattern = {
        source: ["aws.ec2"],
        "detail-type": ["EC2 Instance State-change Notification"],
        detail: { state: ["terminated"] },
    };

    it("matches on equal values, ANDs fields and ORs values", () => {
        expect(matchesPattern(terminated, ec2)).to.equal(true);
        expect(matchesPattern(terminated, { ...ec2, detail: { ...ec2.detail, state: "running" } })).to.equal(false);
        expect(matchesPattern({ ...terminated, detail: { state: ["running", "terminated"] } }, ec2)).to.equal(true);
        expect(matchesPattern({ ...terminated, source: ["aws.s3"] }, ec2)).to.equal(false);
    });

    it("prefix: time starting with 2017-10-02", () => {
        const p: EventPattern = { time: [{ prefix: "2017-10-02" }] };
        expect(matchesPattern(p, { time: "2017-10-02T18:43:48Z" })).to.equal(true);
        expect(matchesPattern(p, { time: "2017-10-03T18:43:48Z" })).to.equal(false);
    });

    it("anything-but with a string, a number, lists and a prefix", () => {
        const state = (s: unknown) => ({ detail: { state: s, "x-limit": s } });
        expect(matchesPattern({ detail: { state: [{ "anything-but": "initializing" }] } }, state("running"))).to.equal(
            true,
        );
        expect(
            matchesPattern({ detail: { state: [{ "anything-but": "initializing" }] } }, state("initializing")),
        ).to.equal(false);
        expect(matchesPattern({ detail: { "x-limit": [{ "anything-but": 123 }] } }, state(123))).to.equal(false);
        expect(matchesPattern({ detail: { "x-limit": [{ "anything-but": 123 }] } }, state(124))).to.equal(true);
        const list: EventPattern = { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } };
        expect(matchesPattern(list, state("stopped"))).to.equal(false);
        expect(matchesPattern(list, state("pending"))).to.equal(true);
        const nums: EventPattern = { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } };
        expect(matchesPattern(nums, state(200))).to.equal(false);
        expect(matchesPattern(nums, state(250))).to.equal(true);
        const prefix: EventPattern = { detail: { state: [{ "anything-but": { prefix: "init" } }] } };
        expect(matchesPattern(prefix, state("initializing"))).to.equal(false);
        expect(matchesPattern(prefix, state("running"))).to.equal(true);
        // A field the pattern names must be present: anything-but does not match its absence.
        expect(matchesPattern(list, { detail: {} })).to.equal(false);
    });

    it("numeric ranges (ANDed across fields)", () => {
        const p: EventPattern = {
            detail: {
                "c-count": [{ numeric: [">", 0, "<=", 5] }],
                "d-count": [{ numeric: ["<", 10] }],
                "x-limit": [{ numeric: ["=", 3.018e2] }],
            },
        };
        expect(matchesPattern(p, { detail: { "c-count": 5, "d-count": 9, "x-limit": 301.8 } })).to.equal(true);
        expect(matchesPattern(p, { detail: { "c-count": 0, "d-count": 9, "x-limit": 301.8 } })).to.equal(false);
        expect(matchesPattern(p, { detail: { "c-count": "5", "d-count": 9, "x-limit": 301.8 } })).to.equal(false);
    });

    it("exists: false matches an absent field, and a field that is not a leaf", () => {
        const p: EventPattern = { detail: { "c-count": [{ exists: false }] } };
        expect(matchesPattern(p, { detail: { state: ["initializing", "running"] } })).to.equal(true);
        expect(matchesPattern(p, { detail: { state: ["initializing", "running"], "c-count": { c1: 100 } } })).to.equal(
            true,
        );
        expect(matchesPattern(p, { detail: { "c-count": 3 } })).to.equal(false);
        expect(matchesPattern({ detail: { "c-count": [{ exists: true }] } }, { detail: { "c-count": 3 } })).to.equal(
            true,
        );
    });

    it("arrays: a non-empty intersection of the pattern's and the event's values matches", () => {
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
        const p: EventPattern = {
            resources: [
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
            ],
        };
        const event = {
            resources: [
                "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate",
                "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            ],
        };
        expect(matchesPattern(p, event)).to.equal(true);
        expect(matchesPattern(p, { resources: [event.resources[0]] })).to.equal(false);
    });

    it("null and the empty string are distinct values", () => {
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
        const event = { detail: { eventVersion: "", responseElements: null } };
        expect(matchesPattern({ detail: { eventVersion: [""] } }, event)).to.equal(true);
        expect(matchesPattern({ detail: { responseElements: [null] } }, event)).to.equal(true);
        expect(matchesPattern({ detail: { responseElements: [""] } }, event)).to.equal(false);
        expect(matchesPattern({ detail: { eventVersion: [null] } }, event)).to.equal(false);
    });

    it("wildcard and equals-ignore-case", () => {
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
        const png: EventPattern = { FilePath: [{ wildcard: "dir/*.png" }] };
        expect(matchesPattern(png, { FilePath: "dir/a/b.png" })).to.equal(true);
        expect(matchesPattern(png, { FilePath: "dir/b.jpg" })).to.equal(false);
        expect(matchesPattern({ Name: [{ "equals-ignore-case": "alice" }] }, { Name: "ALICE" })).to.equal(true);
    });

    it("refuses operators it does not implement rather than ignoring them", () => {
        expect(() => matchesPattern({ $or: [] }, {})).to.throw(UnsupportedPatternError);
        expect(() =>
            matchesPattern({ ip: [{ cidr: "10.0.0.0/24" }] } as unknown as EventPattern, { ip: "10.0.0.1" }),
        ).to.throw(UnsupportedPatternError, "operator cidr is not supported");
    });
});

describe("watch rules against recorded CloudTrail events", () => {
    const rules = primaryRules();

    it("builds one rule per watched call for one secret and one key", () => {
        expect(rules.map((r) => r.id)).to.deep.equal([
            "DeleteSecret-0",
            "PutResourcePolicy-0",
            "DeleteResourcePolicy-0",
            "RestoreSecret-0",
            "CancelRotateSecret-0",
            "RemoveRegionsFromReplication-0",
            "UpdateSecret-0",
            "ScheduleKeyDeletion-0",
            "DisableKey-0",
            "PutKeyPolicy-0",
            "CreateGrant-0",
        ]);
        for (const r of rules) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
    });

    it("names our secret by name, partial ARN and full ARN, and our key by ID and ARN", () => {
        const del = rules.find((r) => r.id === "DeleteSecret-0") as WatchRule;
        expect(del.pattern).to.deep.equal({
            source: ["aws.secretsmanager"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                eventSource: ["secretsmanager.amazonaws.com"],
                eventName: ["DeleteSecret"],
                requestParameters: {
                    secretId: ["MySecret", "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret", SECRET_ARN],
                },
            },
        });
        const grant = rules.find((r) => r.id === "CreateGrant-0") as WatchRule;
        expect(grant.pattern).to.deep.equal({
            source: ["aws.kms"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                eventSource: ["kms.amazonaws.com"],
                eventName: ["CreateGrant"],
                requestParameters: { keyId: [KEY_ID, KEY_ARN] },
                userIdentity: { accountId: [{ "anything-but": PRIMARY_ACCOUNT }] },
            },
        });
    });

    for (const f of owned(fixtures("match"))) {
        it(`${f.file}: matched by exactly the ${String(f.event.detail.eventName)} rule`, () => {
            expect(matching(rules, f.event).map((r) => r.call.call)).to.deep.equal([f.event.detail.eventName]);
        });
    }
    for (const f of fixtures("other")) {
        it(`${f.file}: matched by no rule`, () => {
            expect(matching(rules, f.event).map((r) => r.id)).to.deep.equal([]);
        });
    }

    it("has a matching fixture for every watched call", () => {
        const seen = new Set(owned(fixtures("match")).map((f) => f.event.detail.eventName));
        expect([...SECRET_CALLS, ...KEY_CALLS].map((c) => c.call).filter((c) => !seen.has(c))).to.deep.equal([]);
    });

    it("renders each alert as JSON that says what happened, to which secret or key, by whom, and what to check", () => {
        for (const f of owned(fixtures("match"))) {
            const [rule] = matching(rules, f.event);
            const alert = JSON.parse(renderInputTemplate(rule.inputPaths, rule.inputTemplate, f.event)) as Record<
                string,
                unknown
            >;
            const detail = f.event.detail as { requestParameters: Record<string, unknown>; userIdentity: unknown };
            expect(alert.alert, f.file).to.equal(`secretshare (primary): ${rule.call.what}`);
            expect(alert.call, f.file).to.equal(f.event.detail.eventName);
            if (rule.call.service === "kms") {
                expect(alert.key, f.file).to.equal(detail.requestParameters.keyId);
                expect(alert.secretsEncryptedByKey, f.file).to.deep.equal({ [KEY_ARN]: ["MySecret"] });
            } else {
                expect(alert.secret, f.file).to.equal(detail.requestParameters.secretId);
            }
            expect(alert.by, f.file).to.deep.equal(detail.userIdentity);
            expect(alert.check, f.file).to.equal(rule.call.check);
            expect(alert.event, f.file).to.deep.equal(f.event);
        }
    });

    it("names the caller even when a cross-account event carries no userIdentity.arn", () => {
        const [f] = fixtures("match", "CreateGrant-from-other-account");
        const [rule] = matching(rules, f.event);
        const alert = JSON.parse(renderInputTemplate(rule.inputPaths, rule.inputTemplate, f.event)) as {
            by: { accountId: string; principalId: string };
        };
        expect(alert.by).to.deep.equal({
            type: "AWSAccount",
            principalId: "AROAOTHEREXAMPLE:intruder",
            accountId: SECONDARY_ACCOUNT,
        });
    });

    it("splits long secret lists over several rules, each within the pattern limit, covering every secret", () => {
        const secrets = Array.from({ length: 40 }, (_, i) => {
            const name = `team-${String(i).padStart(2, "0")}/database/credentials/production`;
            return {
                name,
                arn: `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}-AbCdEf`,
                keyId: "shared",
            };
        });
        const many = ownerWatchRules(
            {
                partition: "aws",
                region: "us-east-1",
                accountId: PRIMARY_ACCOUNT,
                secrets,
                keys: [{ id: "shared", alias: "MyKey", arn: KEY_ARN }],
            },
            "primary",
        );
        const deletes = many.filter((r) => r.call.call === "DeleteSecret");
        // About 265 characters per secret (name, partial ARN, full ARN): 7 fit in 2,048.
        expect(deletes.map((r) => r.secrets.length)).to.deep.equal([7, 7, 7, 7, 7, 5]);
        for (const r of many) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
        expect(deletes.flatMap((r) => r.secrets)).to.deep.equal(secrets.map((s) => s.name));
        for (const s of secrets) {
            const event = { ...fixtures("match", "DeleteSecret-by-name")[0].event };
            event.detail = { ...event.detail, requestParameters: { secretId: s.arn } };
            expect(matching(many, event).map((r) => r.call.call)).to.deep.equal(["DeleteSecret"]);
        }
    });

    it("with one key per secret, flags a secret moved to another secret's key", () => {
        const keyB = "arn:aws:kms:us-east-1:111111111111:key/0987dcba-09fe-87dc-65ba-ab0987654321";
        const perSecret = ownerWatchRules(
            {
                partition: "aws",
                region: "us-east-1",
                accountId: PRIMARY_ACCOUNT,
                secrets: [
                    { name: "MySecret", arn: SECRET_ARN, keyId: "MySecret" },
                    {
                        name: "Other",
                        arn: "arn:aws:secretsmanager:us-east-1:111111111111:secret:Other-QwErTy",
                        keyId: "Other",
                    },
                ],
                keys: [
                    { id: "MySecret", alias: "MyKey-MySecret", arn: KEY_ARN },
                    { id: "Other", alias: "MyKey-Other", arn: keyB },
                ],
            },
            "primary",
        );
        const [f] = fixtures("match", "UpdateSecret-other-key");
        expect(f.event.detail.requestParameters).to.deep.equal({ secretId: "MySecret", kmsKeyId: keyB });
        expect(matching(perSecret, f.event).map((r) => r.id)).to.deep.equal(["UpdateSecret-0"]);
        const sameKey = {
            ...f.event,
            detail: { ...f.event.detail, requestParameters: { secretId: "MySecret", kmsKeyId: KEY_ID } },
        };
        expect(matching(perSecret, sameKey)).to.deep.equal([]);
    });
});

describe("consumer-side watch rules (IAM events)", () => {
    const rules = consumerWatchRules("aws", SECONDARY_ACCOUNT, [{ kind: "user", name: "Stuart" }], "secondary");

    it("watches the reader's inline policy, managed policies and the reader itself", () => {
        expect(rules.map((r) => r.id)).to.deep.equal(["DeleteUserPolicy-0", "DetachUserPolicy-0", "DeleteUser-0"]);
        expect((rules[0].pattern.detail as EventPattern).requestParameters).to.deep.equal({
            userName: [{ "equals-ignore-case": "Stuart" }],
            policyName: ["secretshare-read"],
        });
    });
    for (const f of consumerSide(fixtures("match"))) {
        it(`${f.file}: matched by exactly the ${String(f.event.detail.eventName)} rule`, () => {
            expect(matching(rules, f.event).map((r) => r.call.call)).to.deep.equal([f.event.detail.eventName]);
            const [rule] = matching(rules, f.event);
            const alert = JSON.parse(renderInputTemplate(rule.inputPaths, rule.inputTemplate, f.event)) as {
                identity: string;
            };
            expect(alert.identity).to.equal((f.event.detail.requestParameters as { userName: string }).userName);
        });
    }
    for (const f of consumerSide(fixtures("other"))) {
        it(`${f.file}: matched by no rule`, () => expect(matching(rules, f.event)).to.deep.equal([]));
    }
});

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

    it("lets only EventBridge publish, for this account's watch rules", () => {
        const topic = resource(primary, "aws:sns/topic:Topic", "watch-topic");
        const rules = ofType(primary, "aws:cloudwatch/eventRule:EventRule");
        const policy = policyOf(resource(primary, "aws:sns/topicPolicy:TopicPolicy", "watch-topic-policy"));
        expect(resource(primary, "aws:sns/topicPolicy:TopicPolicy", "watch-topic-policy").inputs.arn).to.equal(
            topic.state.arn,
        );
        expect(policy.Statement).to.deep.equal([
            {
                Sid: "SecretShareEventBridgePublishes",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic.state.arn,
                Condition: {
                    StringEqualsIfExists: { "aws:SourceAccount": PRIMARY_ACCOUNT },
                    ArnEqualsIfExists: { "aws:SourceArn": rules.map((r) => r.state.arn as string).sort() },
                },
            },
        ]);
        expect(
            rules
                .map((r) => r.state.arn as string)
                .every((a) => a.startsWith("arn:aws:events:us-east-1:111111111111:rule/watch-")),
        ).to.equal(true);
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
        expect([...byName.keys()].sort()).to.deep.equal(expected.map((r) => `watch-${r.id}`).sort());
        const deployed = expected.map((r) => byName.get(`watch-${r.id}`) as RegisteredResource);
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
            expect(
                matching(asDeployed, event).map((r) => r.call.call),
                f.file,
            ).to.deep.equal([f.event.detail.eventName]);
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
            expect(transformer.inputTemplate).to.include('"check": ');
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
        expect(ofType(r, "aws:cloudwatch/eventRule:EventRule")).to.have.length(11);
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

describe("secretshare:watch config", () => {
    const parse = (watch: unknown) => parseConfig("primary", rawConfig("primary", { watch: JSON.stringify(watch) }));

    it("is on by default, with nobody subscribed", () => {
        const config = parseConfig("primary", rawConfig("primary")) as OwnerStackConfig;
        expect(config.watch).to.deep.equal({ enabled: true, subscribers: [], consumerSide: false });
    });

    it("reads email and HTTPS subscribers", () => {
        const config = parse({ subscribers: [{ email: "a@example.com" }, { https: "https://h.example.com/x" }] });
        expect((config as OwnerStackConfig).watch?.subscribers).to.deep.equal([
            { kind: "email", address: "a@example.com" },
            { kind: "https", address: "https://h.example.com/x" },
        ]);
    });

    it("names the path and the expected form of a bad address, never the address", async () => {
        const bad = ["not-an-address", "http://insecure.example.com/hook?token=s3cr3t", "dup@example.com"];
        const message = await errorOf(() =>
            run("primary", {
                "secretshare:watch": {
                    subscribers: [
                        { email: "ok@example.com" },
                        { email: bad[0] },
                        { https: bad[1] },
                        { email: bad[2] },
                        { email: "DUP@example.com" },
                        { email: "x@example.com", https: "https://x.example.com" },
                        { sms: "+15555550100" },
                    ],
                },
            }),
        );
        expect(message).to.equal(
            [
                'invalid secretshare configuration for stack "primary":',
                "  - secretshare:watch.subscribers[1].email: expected an email address such as team@example.com (value not shown)",
                "  - secretshare:watch.subscribers[2].https: expected an https:// URL such as https://hooks.example.com/alerts (value not shown)",
                "  - secretshare:watch.subscribers[5]: expected exactly one of email: <address> or https: <URL>",
                '  - secretshare:watch.subscribers[6]: unknown setting "sms" (a typo?)',
                "  - secretshare:watch.subscribers[6]: expected exactly one of email: <address> or https: <URL>",
            ].join("\n"),
        );
        for (const b of [...bad, "s3cr3t", "+15555550100"]) expect(message).to.not.include(b);
    });

    it("refuses the same address twice, by position and without the address", () => {
        expect(() => parse({ subscribers: [{ email: "dup@example.com" }, { email: "Dup@Example.com" }] })).to.throw(
            "secretshare:watch.subscribers[1].email: the same address is listed earlier (value not shown); list each subscriber once",
        );
    });

    it("refuses a non-boolean switch and unknown settings", () => {
        expect(() => parse({ enabled: "yes" })).to.throw("secretshare:watch.enabled: expected true or false");
        expect(() => parse({ enable: false })).to.throw('secretshare:watch: unknown setting "enable" (a typo?)');
    });
});

describe("watchSummary (for the plan)", () => {
    it("lists the watched calls, their rules and the subscribers by kind, without addresses", () => {
        const config = parseConfig(
            "primary",
            rawConfig("primary", {
                watch: JSON.stringify({
                    subscribers: [{ email: "oncall@example.com" }, { https: "https://h.example.com/t0k3n" }],
                }),
            }),
        ) as OwnerStackConfig;
        const summary = watchSummary(config);
        expect(summary.enabled).to.equal(true);
        expect(summary.rules).to.equal(11);
        expect(summary.events.map((e) => `${e.service}:${e.call}:${e.rules}:${e.secrets}`)).to.deep.equal([
            "secretsmanager:DeleteSecret:1:1",
            "secretsmanager:PutResourcePolicy:1:1",
            "secretsmanager:DeleteResourcePolicy:1:1",
            "secretsmanager:UpdateSecret:1:1",
            "secretsmanager:RestoreSecret:1:1",
            "secretsmanager:CancelRotateSecret:1:1",
            "secretsmanager:RemoveRegionsFromReplication:1:1",
            "kms:ScheduleKeyDeletion:1:1",
            "kms:DisableKey:1:1",
            "kms:PutKeyPolicy:1:1",
            "kms:CreateGrant:1:1",
        ]);
        expect(summary.subscribers).to.deep.equal({ total: 2, email: 1, https: 1 });
        expect(JSON.stringify(summary)).to.not.match(/oncall|t0k3n|example\.com/);
        expect(summary.prerequisite).to.include("CloudTrail trail logging management events");
    });

    it("is empty when the watch is off", () => {
        const config = parseConfig(
            "primary",
            rawConfig("primary", { watch: JSON.stringify({ enabled: false }) }),
        ) as OwnerStackConfig;
        expect(watchSummary(config)).to.deep.include({ enabled: false, rules: 0, events: [] });
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
        expect(rules.map((r) => r.name)).to.deep.equal([
            "watch-secondary-DeleteUserPolicy-0",
            "watch-secondary-DetachUserPolicy-0",
            "watch-secondary-DeleteUser-0",
        ]);
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
        expect(rules.filter((x) => x.provider?.accountId === PRIMARY_ACCOUNT)).to.have.length(11);
        expect(
            rules
                .filter((x) => x.provider?.accountId === SECONDARY_ACCOUNT)
                .map((x) => `${x.name}@${x.provider?.region}`),
        ).to.deep.equal([
            "watch-secondary-DeleteUserPolicy-0@us-east-1",
            "watch-secondary-DetachUserPolicy-0@us-east-1",
            "watch-secondary-DeleteUser-0@us-east-1",
        ]);
    });
});

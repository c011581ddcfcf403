import { expect } from "chai";
import {
    matchesPattern,
    renderInputTemplate,
    UnsupportedPatternError,
    type EventPattern,
} from "../support/eventPattern";

// The matcher the watch tests use in place of EventBridge, held to the user guide's examples.
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

    it("$or: one branch must match, besides the other fields of its object (also inside detail)", () => {
        // The comparison operators page's example: source AND (metricName OR (metricType AND namespace) OR scope).
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
        const p: EventPattern = {
            source: ["aws.cloudwatch"],
            $or: [
                { metricName: ["CPUUtilization", "ReadLatency"] },
                { metricType: ["MetricType"], namespace: ["AWS/EC2", "AWS/ES"] },
                { scope: ["Service"] },
            ],
        };
        const cw = { source: "aws.cloudwatch" };
        expect(matchesPattern(p, { ...cw, metricName: "ReadLatency" })).to.equal(true);
        expect(matchesPattern(p, { ...cw, metricType: "MetricType", namespace: "AWS/ES" })).to.equal(true);
        expect(matchesPattern(p, { ...cw, metricType: "MetricType", namespace: "AWS/S3" })).to.equal(false);
        expect(matchesPattern(p, { ...cw, scope: "Service" })).to.equal(true);
        expect(matchesPattern(p, { source: "aws.ec2", scope: "Service" })).to.equal(false);
        // A branch names fields under an object that also has fields outside the $or.
        const nested: EventPattern = {
            detail: {
                requestParameters: { secretId: ["s"] },
                $or: [{ eventName: ["A"] }, { eventName: ["B"], requestParameters: { kmsKeyId: [{ exists: true }] } }],
            },
        };
        const call = (eventName: string, params: Record<string, unknown>) => ({
            detail: { eventName, requestParameters: params },
        });
        expect(matchesPattern(nested, call("A", { secretId: "s" }))).to.equal(true);
        expect(matchesPattern(nested, call("B", { secretId: "s" }))).to.equal(false);
        expect(matchesPattern(nested, call("B", { secretId: "s", kmsKeyId: "k" }))).to.equal(true);
        expect(matchesPattern(nested, call("B", { secretId: "t", kmsKeyId: "k" }))).to.equal(false);
    });

    it("refuses operators it does not implement rather than ignoring them", () => {
        expect(() => matchesPattern({ $or: [] }, {})).to.throw(UnsupportedPatternError, "two or more");
        expect(() => matchesPattern({ $and: [] }, {})).to.throw(
            UnsupportedPatternError,
            "operator $and is not supported",
        );
        expect(() =>
            matchesPattern({ ip: [{ cidr: "10.0.0.0/24" }] } as unknown as EventPattern, { ip: "10.0.0.1" }),
        ).to.throw(UnsupportedPatternError, "operator cidr is not supported");
    });
});

describe("renderInputTemplate (the tests' stand-in for EventBridge's input transformer)", () => {
    const event = {
        id: "1",
        account: "111111111111",
        detail: { eventName: "DeleteSecret", errorCode: "AccessDenied" },
    };

    it("fills <aws.events.event> with the event without its detail, as EventBridge documents it", () => {
        expect(JSON.parse(renderInputTemplate({}, "<aws.events.event>", event))).to.deep.equal({
            id: "1",
            account: "111111111111",
        });
    });

    it("fills <aws.events.event.json> and a $.detail input path with what happened", () => {
        expect(JSON.parse(renderInputTemplate({}, "<aws.events.event.json>", event))).to.deep.equal(event);
        expect(JSON.parse(renderInputTemplate({ d: "$.detail" }, "<d>", event))).to.deep.equal(event.detail);
    });

    it("quotes a bare string variable and fills one inside a string as it is, as the guide's examples show", () => {
        const ec2 = { detail: { "instance-id": "i-0123456789", state: "RUNNING" } };
        const paths = { instance: "$.detail.instance-id", state: "$.detail.state" };
        expect(
            JSON.parse(renderInputTemplate(paths, '{"instance" : <instance>, "state": <state>}', ec2)),
        ).to.deep.equal({ instance: "i-0123456789", state: "RUNNING" });
        expect(
            JSON.parse(
                renderInputTemplate(
                    paths,
                    '{"state": "<state>", "status": "instance \\"<instance>\\" is in <state>"}',
                    ec2,
                ),
            ),
        ).to.deep.equal({ state: "RUNNING", status: 'instance "i-0123456789" is in RUNNING' });
    });

    it("does not escape a string value (EventBridge's documented common issue): a quote breaks out of its string", () => {
        const forged = { detail: { name: 'x", "admin": "yes' } };
        expect(JSON.parse(renderInputTemplate({ n: "$.detail.name" }, '{"name": <n>}', forged))).to.deep.equal({
            name: "x",
            admin: "yes",
        });
        // An object variable is JSON: its strings stay strings.
        expect(JSON.parse(renderInputTemplate({ d: "$.detail" }, "<d>", forged))).to.deep.equal(forged.detail);
    });

    it("refuses a variable whose path the event lacks (EventBridge would drop it)", () => {
        expect(() => renderInputTemplate({ e: "$.detail.errorMessage" }, "<e>", event)).to.throw("is not in the event");
    });
});

import { expect } from "chai";
import {
    consumerWatchRules,
    KEY_CALLS,
    MAX_PATTERN_LENGTH,
    ownerWatchRules,
    SECRET_CALLS,
    type EventPattern,
    type WatchRule,
} from "../../watch";
import { PRIMARY_ACCOUNT, SECONDARY_ACCOUNT } from "../mocks";
import { matchesPattern, renderInputTemplate } from "../support/eventPattern";
import { consumerSide, fixtures, KEY_ARN, KEY_ID, matching, owned, primaryRules, SECRET_ARN } from "./cloudtrail";

/** The alert a rule sends for `event`, parsed. */
const alertOf = (rule: WatchRule, event: unknown) =>
    JSON.parse(renderInputTemplate(rule.inputPaths, rule.inputTemplate, event)) as Record<string, unknown>;

describe("watch rules against recorded CloudTrail events", () => {
    const rules = primaryRules();

    it("builds one rule per kind of scoping, not one per call, for one secret and one key", () => {
        expect(rules.map((r) => [r.id, r.calls.map((c) => c.call)])).to.deep.equal([
            [
                "secrets-0",
                [
                    "DeleteSecret",
                    "PutResourcePolicy",
                    "DeleteResourcePolicy",
                    "RestoreSecret",
                    "CancelRotateSecret",
                    "RemoveRegionsFromReplication",
                ],
            ],
            ["reencrypt-0", ["UpdateSecret"]],
            ["keys-0", ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"]],
            ["grants-0", ["CreateGrant"]],
        ]);
        for (const r of rules) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
    });

    it("names our secret by name, partial ARN and full ARN, and our key by its ID (which ends its ARN)", () => {
        const [secrets, reencrypt, keys, grants] = rules;
        expect(secrets.pattern).to.deep.equal({
            source: ["aws.secretsmanager"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                eventSource: ["secretsmanager.amazonaws.com"],
                eventName: secrets.calls.map((c) => c.call),
                requestParameters: {
                    secretId: ["MySecret", "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret", SECRET_ARN],
                },
            },
        });
        expect((reencrypt.pattern.detail as EventPattern).requestParameters).to.deep.equal({
            secretId: ["MySecret", "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret", SECRET_ARN],
            kmsKeyId: [
                {
                    "anything-but": [KEY_ID, KEY_ARN, "alias/MyKey", "arn:aws:kms:us-east-1:111111111111:alias/MyKey"],
                },
            ],
        });
        expect((keys.pattern.detail as EventPattern).requestParameters).to.deep.equal({ keyId: [{ suffix: KEY_ID }] });
        expect(grants.pattern).to.deep.equal({
            source: ["aws.kms"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                eventSource: ["kms.amazonaws.com"],
                eventName: ["CreateGrant"],
                requestParameters: { keyId: [{ suffix: KEY_ID }] },
                userIdentity: { accountId: [{ "anything-but": PRIMARY_ACCOUNT }] },
            },
        });
    });

    for (const f of owned(fixtures("match"))) {
        it(`${f.file}: matched by exactly one rule, which lists ${String(f.event.detail.eventName)}`, () => {
            const hits = matching(rules, f.event);
            expect(hits).to.have.length(1);
            expect(hits[0].calls.map((c) => c.call)).to.include(f.event.detail.eventName);
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

    it("sends an alert that says what happened, to which secret or key, by whom, what to check, and the CloudTrail record", () => {
        for (const f of owned(fixtures("match"))) {
            const [rule] = matching(rules, f.event);
            const alert = alertOf(rule, f.event);
            const detail = f.event.detail as { requestParameters: Record<string, unknown>; userIdentity: unknown };
            const call = rule.calls.find((c) => c.call === f.event.detail.eventName);
            expect(alert.call, f.file).to.equal(f.event.detail.eventName);
            expect((alert.meaning as Record<string, unknown>)[alert.call as string], f.file).to.deep.equal({
                what: call?.what,
                check: call?.check,
            });
            if (rule.calls[0].service === "kms") {
                expect(alert.key, f.file).to.equal(detail.requestParameters.keyId);
                expect(alert.secretsEncryptedByKey, f.file).to.deep.equal({ [KEY_ID]: 1 });
                expect(alert.whichSecrets, f.file).to.include("pulumi stack output keyArns --stack primary");
            } else {
                expect(alert.secret, f.file).to.equal(detail.requestParameters.secretId);
            }
            expect(alert.by, f.file).to.deep.equal(detail.userIdentity);
            // The whole CloudTrail record: who, which call, which parameters, and the error if any.
            expect(alert.detail, f.file).to.deep.equal(f.event.detail);
        }
    });

    it("carries the error code of a failed call, and never uses <aws.events.event> (the event without its detail)", () => {
        const [f] = fixtures("match", "DeleteSecret-access-denied");
        const detail = f.event.detail as { errorCode: string; errorMessage: string };
        expect(detail.errorCode).to.be.a("string");
        const [rule] = matching(rules, f.event);
        const alert = alertOf(rule, f.event) as { detail: { errorCode: string; errorMessage: string } };
        expect(alert.detail.errorCode).to.equal(detail.errorCode);
        expect(alert.detail.errorMessage).to.equal(detail.errorMessage);
        for (const r of rules) {
            expect(r.inputTemplate).not.to.include("<aws.events.event>");
            expect(r.inputPaths.detail).to.equal("$.detail");
        }
    });

    it("names the caller even when a cross-account event carries no userIdentity.arn", () => {
        const [f] = fixtures("match", "CreateGrant-from-other-account");
        const [rule] = matching(rules, f.event);
        expect(alertOf(rule, f.event).by).to.deep.equal({
            type: "AWSAccount",
            principalId: "AROAOTHEREXAMPLE:intruder",
            accountId: SECONDARY_ACCOUNT,
        });
    });

    it("splits long secret lists over several rules of one kind, each within the pattern limit, covering every secret once", () => {
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
        const secretRules = many.filter((r) => r.kind === "secrets");
        // About 265 characters per secret (name, partial ARN, full ARN): 7 fit next to the six calls.
        expect(secretRules.map((r) => r.secrets.length)).to.deep.equal([7, 7, 7, 7, 7, 5]);
        expect(secretRules.map((r) => r.id)).to.deep.equal(secretRules.map((_, i) => `secrets-${i}`));
        for (const r of many) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
        expect(secretRules.flatMap((r) => r.secrets)).to.deep.equal(secrets.map((s) => s.name));
        const [template] = fixtures("match", "DeleteSecret-by-name");
        for (const s of secrets) {
            for (const secretId of [s.name, s.arn]) {
                const event = {
                    ...template.event,
                    detail: { ...template.event.detail, requestParameters: { secretId } },
                };
                expect(matching(many, event).map((r) => r.kind)).to.deep.equal(["secrets"]);
                const sibling = {
                    ...event,
                    detail: { ...event.detail, requestParameters: { secretId: `${s.name}-other` } },
                };
                expect(matching(many, sibling)).to.deep.equal([]);
            }
        }
        // One key: every reencrypt rule excludes exactly that key's four forms.
        for (const r of many.filter((x) => x.kind === "reencrypt")) expect(r.keys).to.deep.equal(["shared"]);
    });

    it("with one key per secret, flags a secret moved to a key outside its rule, not one moved to its own key", () => {
        const keyB = "arn:aws:kms:us-east-1:111111111111:key/0987dcba-09fe-87dc-65ba-ab0987654321";
        const perSecret = ownerWatchRules(
            {
                partition: "aws",
                region: "us-east-1",
                accountId: PRIMARY_ACCOUNT,
                secrets: [{ name: "MySecret", arn: SECRET_ARN, keyId: "MySecret" }],
                keys: [
                    { id: "MySecret", alias: "MyKey/MySecret", arn: KEY_ARN },
                    { id: "Other", alias: "MyKey/Other", arn: keyB },
                ],
            },
            "primary",
        );
        const [f] = fixtures("match", "UpdateSecret-other-key");
        expect(f.event.detail.requestParameters).to.deep.equal({ secretId: "MySecret", kmsKeyId: keyB });
        expect(matching(perSecret, f.event).map((r) => r.id)).to.deep.equal(["reencrypt-0"]);
        for (const own of [KEY_ID, KEY_ARN, "alias/MyKey/MySecret"]) {
            const sameKey = {
                ...f.event,
                detail: { ...f.event.detail, requestParameters: { secretId: "MySecret", kmsKeyId: own } },
            };
            expect(matching(perSecret, sameKey), own).to.deep.equal([]);
        }
    });

    it("with one key per secret, a reencrypt rule excludes the keys of all its secrets (documented in docs/watch.md)", () => {
        // Two secrets share one reencrypt rule: moving one onto the other's key is not flagged,
        // moving it to any key outside the rule is.
        const keyB = "arn:aws:kms:us-east-1:111111111111:key/0987dcba-09fe-87dc-65ba-ab0987654321";
        const otherArn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:Other-QwErTy";
        const two = ownerWatchRules(
            {
                partition: "aws",
                region: "us-east-1",
                accountId: PRIMARY_ACCOUNT,
                secrets: [
                    { name: "MySecret", arn: SECRET_ARN, keyId: "MySecret" },
                    { name: "Other", arn: otherArn, keyId: "Other" },
                ],
                keys: [
                    { id: "MySecret", alias: "MyKey/MySecret", arn: KEY_ARN },
                    { id: "Other", alias: "MyKey/Other", arn: keyB },
                ],
            },
            "primary",
        );
        expect(two.filter((r) => r.kind === "reencrypt").map((r) => r.keys)).to.deep.equal([["MySecret", "Other"]]);
        const [f] = fixtures("match", "UpdateSecret-other-key");
        expect(matching(two, f.event)).to.deep.equal([]);
        const [managed] = fixtures("match", "UpdateSecret-aws-managed-key");
        expect(matching(two, managed.event).map((r) => r.id)).to.deep.equal(["reencrypt-0"]);
    });
});

describe("consumer-side watch rules (IAM events)", () => {
    const rules = consumerWatchRules("aws", SECONDARY_ACCOUNT, [{ kind: "user", name: "Stuart" }], "secondary");

    it("watches the reader's inline policy, managed policies and the reader itself", () => {
        expect(rules.map((r) => r.id)).to.deep.equal(["inline-users-0", "managed-users-0", "users-0"]);
        expect((rules[0].pattern.detail as EventPattern).requestParameters).to.deep.equal({
            userName: [{ "equals-ignore-case": "Stuart" }],
            policyName: [{ prefix: "secretshare-read" }],
        });
    });
    for (const f of consumerSide(fixtures("match"))) {
        it(`${f.file}: matched by exactly the ${String(f.event.detail.eventName)} rule`, () => {
            expect(matching(rules, f.event).map((r) => r.calls.map((c) => c.call))).to.deep.equal([
                [f.event.detail.eventName],
            ]);
            const [rule] = matching(rules, f.event);
            const alert = alertOf(rule, f.event);
            expect(alert.identity).to.equal((f.event.detail.requestParameters as { userName: string }).userName);
            expect(alert.detail).to.deep.equal(f.event.detail);
        });
    }
    for (const f of consumerSide(fixtures("other"))) {
        it(`${f.file}: matched by no rule`, () => expect(matching(rules, f.event)).to.deep.equal([]));
    }

    it("matches the inline policy of every stack that writes on the reader (secretshare-read-<stack id>)", () => {
        const [f] = fixtures("match", "iam-DeleteUserPolicy");
        const event = {
            ...f.event,
            detail: {
                ...f.event.detail,
                requestParameters: { userName: "Stuart", policyName: "secretshare-read-1a2b3c4d" },
            },
        };
        expect(matching(rules, event).map((r) => r.id)).to.deep.equal(["inline-users-0"]);
    });

    it("splits many readers over several rules of one kind instead of failing", () => {
        const readers = Array.from({ length: 60 }, (_, i) => ({
            kind: "role" as const,
            name: `${"r".repeat(60)}${String(i).padStart(4, "0")}`,
        }));
        const many = consumerWatchRules("aws", SECONDARY_ACCOUNT, readers, "secondary");
        expect(many.every((r) => JSON.stringify(r.pattern).length <= MAX_PATTERN_LENGTH)).to.equal(true);
        const roleRules = many.filter((r) => r.kind === "roles");
        expect(roleRules.length).to.be.greaterThan(1);
        for (const r of readers) {
            const hits = roleRules.filter((rule) =>
                matchesPattern(rule.pattern, {
                    source: "aws.iam",
                    "detail-type": "AWS API Call via CloudTrail",
                    detail: {
                        eventSource: "iam.amazonaws.com",
                        eventName: "DeleteRole",
                        requestParameters: { roleName: r.name.toUpperCase() },
                    },
                }),
            );
            expect(hits, r.name).to.have.length(1);
        }
    });
});

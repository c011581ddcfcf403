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
import { renderInputTemplate } from "../support/eventPattern";
import { consumerSide, fixtures, KEY_ARN, KEY_ID, matching, owned, primaryRules, SECRET_ARN } from "./cloudtrail";

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

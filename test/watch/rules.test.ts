import { expect } from "chai";
import {
    consumerWatchRules,
    KEY_CALLS,
    MAX_PATTERN_LENGTH,
    OBJECT_PATHS,
    STRING_PATHS,
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
    const SECRET_IDS = ["MySecret", "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret", SECRET_ARN];

    it("builds one rule per kind of scoping, not one per call, for one secret and one key", () => {
        expect(rules.map((r) => [r.id, r.calls.map((c) => c.call)])).to.deep.equal([
            [
                "secrets-0",
                [
                    "DeleteSecret",
                    "PutResourcePolicy",
                    "DeleteResourcePolicy",
                    "UpdateSecret",
                    "RestoreSecret",
                    "CancelRotateSecret",
                    "RemoveRegionsFromReplication",
                ],
            ],
            ["keys-0", ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy", "CreateGrant"]],
        ]);
        for (const r of rules) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
    });

    it("names our secret by name, partial ARN and full ARN, and our key by key ID and key ARN, as exact values", () => {
        const [secrets, keys] = rules;
        expect(secrets.pattern).to.deep.equal({
            source: ["aws.secretsmanager"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                requestParameters: { secretId: SECRET_IDS },
                $or: [
                    {
                        eventName: [
                            "DeleteSecret",
                            "PutResourcePolicy",
                            "DeleteResourcePolicy",
                            "RestoreSecret",
                            "CancelRotateSecret",
                            "RemoveRegionsFromReplication",
                        ],
                    },
                    { eventName: ["UpdateSecret"], requestParameters: { kmsKeyId: [{ exists: true }] } },
                ],
            },
        });
        expect(keys.pattern).to.deep.equal({
            source: ["aws.kms"],
            "detail-type": ["AWS API Call via CloudTrail"],
            detail: {
                requestParameters: { keyId: [KEY_ID, KEY_ARN] },
                $or: [
                    { eventName: ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"] },
                    { eventName: ["CreateGrant"], userIdentity: { accountId: [{ "anything-but": PRIMARY_ACCOUNT }] } },
                ],
            },
        });
        expect(rules.map((r) => r.ids)).to.deep.equal([
            [0, 1, 2].map((form) => ({ of: "MySecret", form })),
            [0, 1].map((form) => ({ of: "shared", form })),
        ]);
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
            // The secret or key as the caller named it, with every other parameter.
            expect(alert.request, f.file).to.deep.equal(detail.requestParameters);
            if (rule.kind === "keys") {
                expect(alert.secretsEncryptedByKey, f.file).to.deep.equal({ [KEY_ID]: 1 });
                expect(alert.whichSecrets, f.file).to.include("pulumi stack output keyArns --stack primary");
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

    it("alerts on every UpdateSecret that names a KmsKeyId, whatever the key (deploys included), not on a description change", () => {
        for (const name of ["other-key", "aws-managed-key", "same-key-by-arn", "same-key-by-alias"]) {
            const [f] = fixtures("match", `UpdateSecret-${name}`);
            expect(f.event.detail.requestParameters, name).to.have.property("kmsKeyId");
            expect(
                matching(rules, f.event).map((r) => r.id),
                name,
            ).to.deep.equal(["secrets-0"]);
        }
        const [description] = fixtures("other", "UpdateSecret-description-only");
        expect(description.event.detail.requestParameters).not.to.have.property("kmsKeyId");
        const update = SECRET_CALLS.find((c) => c.call === "UpdateSecret");
        expect(update?.check).to.include("Deploys of this program also make this call");
    });
});

describe("watch alerts: caller-chosen values", () => {
    const rules = [
        ...primaryRules(),
        ...consumerWatchRules("aws", SECONDARY_ACCOUNT, [{ kind: "user", name: "Stuart" }], "secondary"),
    ];
    const templateKeys = (template: string) => [...template.matchAll(/^"([\w]+)":/gm)].map((m) => m[1]);

    it("reach the alert only inside object variables; string variables are values AWS sets or the pattern pins", () => {
        for (const r of rules) {
            for (const path of Object.values(r.inputPaths)) {
                expect([...OBJECT_PATHS, ...STRING_PATHS], `${r.id}: ${path}`).to.include(path);
            }
            // eventName, the one string variable an event could vary, is pinned to the calls listed.
            const detail = r.pattern.detail as EventPattern;
            const branches = (detail.$or as EventPattern[] | undefined) ?? [detail];
            const listed = branches.flatMap((b) => b.eventName as string[]);
            expect(
                listed.every((c) => typeof c === "string"),
                r.id,
            ).to.equal(true);
            expect([...listed].sort(), r.id).to.deep.equal(r.calls.map((c) => c.call).sort());
        }
    });

    for (const f of fixtures("match").filter((x) => x.file.includes("-quotes-in-"))) {
        it(`${f.file}: the alert parses, with only the template's fields and the parameters as given`, () => {
            const [rule] = matching(rules, f.event);
            expect(rule, f.file).not.to.equal(undefined);
            const alert = alertOf(rule, f.event);
            expect(Object.keys(alert)).to.deep.equal(templateKeys(rule.inputTemplate));
            expect(alert.alert).to.match(/^secretshare \((primary|secondary)\): /);
            expect(alert.request).to.deep.equal(f.event.detail.requestParameters);
            expect(JSON.stringify(alert.request)).to.include('\\"alert\\": \\"forged');
        });
    }

    it("would be forged under the previous watch: a suffix on the key ID and the key as a string variable", () => {
        // What the renderer does with a string variable is what EventBridge documents: no escaping.
        const [f] = fixtures("other", "DisableKey-quotes-ending-in-key-id");
        const loose: EventPattern = {
            source: ["aws.kms"],
            detail: { eventName: ["DisableKey"], requestParameters: { keyId: [{ suffix: KEY_ID }] } },
        };
        expect(matchesPattern(loose, f.event)).to.equal(true);
        const forged = JSON.parse(
            renderInputTemplate(
                { subject: "$.detail.requestParameters.keyId" },
                '{"alert": "secretshare (primary): the key was disabled", "key": <subject>}',
                f.event,
            ),
        ) as Record<string, unknown>;
        expect(forged.alert).to.equal("forged: nothing happened");
        // Today's rules list the key's exact ID and ARN: neither made-up key ID matches.
        expect(matching(primaryRules(), f.event)).to.deep.equal([]);
    });
});

describe("watch rules: splitting the ID lists", () => {
    it("splits long secret lists over several rules of one kind, each within the pattern limit, covering every ID once", () => {
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
        // About 240 characters per secret (name, partial ARN, full ARN) next to about 360 of
        // calls: 7 secrets, 21 IDs, a rule.
        expect(secretRules.map((r) => r.ids.length)).to.deep.equal([21, 21, 21, 21, 21, 15]);
        expect(secretRules.map((r) => r.id)).to.deep.equal(secretRules.map((_, i) => `secrets-${i}`));
        for (const r of many) expect(JSON.stringify(r.pattern).length).to.be.at.most(MAX_PATTERN_LENGTH);
        expect(secretRules.flatMap((r) => r.ids)).to.deep.equal(
            secrets.flatMap((s) => [0, 1, 2].map((form) => ({ of: s.name, form }))),
        );
        const [template] = fixtures("match", "DeleteSecret-by-name");
        for (const s of secrets) {
            for (const secretId of [s.name, `arn:aws:secretsmanager:us-east-1:111111111111:secret:${s.name}`, s.arn]) {
                const event = {
                    ...template.event,
                    detail: { ...template.event.detail, requestParameters: { secretId } },
                };
                expect(matching(many, event).map((r) => r.kind)).to.deep.equal(["secrets"]);
            }
            const sibling = {
                ...template.event,
                detail: { ...template.event.detail, requestParameters: { secretId: `${s.name}-other` } },
            };
            expect(matching(many, sibling)).to.deep.equal([]);
        }
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
            expect(alert.request).to.deep.equal(f.event.detail.requestParameters);
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

import { expect } from "chai";
import { placeholderKeyArn, placeholderSecretArn } from "../../aws/arn";
import { rotationWatchRules, type OwnerWatchInput } from "../../watch";
import { matchesPattern } from "../support/eventPattern";

/**
 * The watch on rotation (watch/rotation.ts): its pattern matches Secrets Manager's RotationFailed
 * and RotationAbandoned events of our rotated secrets only, by exact ARN, and splits into rules
 * by the pattern limit.
 */

const ACCOUNT = "111111111111";
const REGION = "us-east-1";
const arnOf = (name: string) => `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-AbCdEf`;

function input(names: string[]): OwnerWatchInput {
    return {
        partition: "aws",
        region: REGION,
        accountId: ACCOUNT,
        secrets: names.map((name) => ({
            name,
            arn: placeholderSecretArn("aws", REGION, ACCOUNT, name),
            keyId: "shared",
        })),
        keys: [{ id: "shared", alias: "k", arn: placeholderKeyArn("aws", REGION, ACCOUNT) }],
    };
}

/** A Secrets Manager rotation event as CloudTrail delivers it to EventBridge. */
const event = (eventName: string, secretArn: string, detailType = "AWS Service Event via CloudTrail") => ({
    version: "0",
    source: "aws.secretsmanager",
    "detail-type": detailType,
    account: ACCOUNT,
    region: REGION,
    detail: {
        eventSource: "secretsmanager.amazonaws.com",
        eventName,
        userIdentity: { accountId: ACCOUNT, invokedBy: "secretsmanager.amazonaws.com" },
        eventTime: "2026-12-06T02:14:00Z",
        requestParameters: null,
        responseElements: null,
        additionalEventData: { SecretId: secretArn },
        errorMessage: "Error when executing lambda during createSecret step",
        eventType: "AwsServiceEvent",
    },
});

describe("watch: failed and abandoned rotations", () => {
    it("no rule when no secret rotates", () => {
        expect(rotationWatchRules(input(["AppToken"]), [], "primary")).to.deep.equal([]);
    });

    it("one rule matching RotationFailed and RotationAbandoned of the rotated secrets only", () => {
        const [rule, ...more] = rotationWatchRules(
            input(["AppToken", "DbUser", "Plain"]),
            ["DbUser", "AppToken"],
            "primary",
        );
        expect(more).to.deep.equal([]);
        expect(rule.id).to.equal("rotation-0");
        expect(rule.secrets).to.deep.equal(["AppToken", "DbUser"]);
        for (const name of ["AppToken", "DbUser"]) {
            expect(matchesPattern(rule.pattern, event("RotationFailed", arnOf(name))), name).to.equal(true);
            expect(matchesPattern(rule.pattern, event("RotationAbandoned", arnOf(name))), name).to.equal(true);
        }
        // Not: a secret that does not rotate here, another account's secret, a name prefix, other events.
        expect(matchesPattern(rule.pattern, event("RotationFailed", arnOf("Plain")))).to.equal(false);
        expect(
            matchesPattern(rule.pattern, event("RotationFailed", arnOf("AppToken").replace(ACCOUNT, "999999999999"))),
        ).to.equal(false);
        expect(matchesPattern(rule.pattern, event("RotationFailed", `${arnOf("AppToken")}x`))).to.equal(false);
        expect(matchesPattern(rule.pattern, event("RotationSucceeded", arnOf("AppToken")))).to.equal(false);
        expect(
            matchesPattern(rule.pattern, event("RotationFailed", arnOf("AppToken"), "AWS API Call via CloudTrail")),
        ).to.equal(false);
    });

    it("the alert reads only paths every rotation event has, and says what to check", () => {
        const [rule] = rotationWatchRules(input(["AppToken"]), ["AppToken"], "primary");
        expect(Object.values(rule.inputPaths).sort()).to.deep.equal([
            "$.account",
            "$.detail",
            "$.detail.eventName",
            "$.detail.eventTime",
            "$.region",
        ]);
        expect(rule.inputTemplate).to.include("a rotation of a shared secret failed or was abandoned");
        expect(rule.inputTemplate).to.include("Read the rotation function's log");
        expect(rule.inputTemplate).to.not.include("requestParameters");
    });

    it("many rotated secrets split over rules within the pattern limit, each secret in one rule", () => {
        const names = Array.from({ length: 200 }, (_, i) => `app/service-${String(i).padStart(3, "0")}`);
        const rules = rotationWatchRules(input(names), names, "primary");
        expect(rules.length).to.be.greaterThan(1);
        for (const r of rules) expect(JSON.stringify(r.pattern).length).to.be.at.most(2048);
        expect(rules.flatMap((r) => r.secrets)).to.deep.equal([...names].sort((a, b) => a.localeCompare(b)));
        expect(rules.map((r) => r.id)).to.deep.equal(rules.map((_, i) => `rotation-${i}`));
    });
});

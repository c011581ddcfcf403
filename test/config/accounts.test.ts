import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { readStackFile } from "../../plan/stackFiles";
import { PRIMARY_ACCOUNT, SECONDARY_ACCOUNT } from "../mocks";
import {
    ACCOUNT_FORM,
    CONSUMER,
    MY_SECRET,
    OWNER,
    REGION_FORM,
    ROLE_FORM,
    STUART,
    expectProblems,
    refused,
    refusedConfig,
    without,
} from "./helpers";

describe("config: account IDs", () => {
    it("an unquoted account ID in a YAML stack file: says YAML read a number, quote it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secretshare-config-"));
        try {
            const yaml = fs
                .readFileSync(path.join(__dirname, "..", "..", "Pulumi.primary.yaml"), "utf8")
                .replace('accountId: "111111111111"', "accountId: 012345678901");
            expect(yaml).to.include("accountId: 012345678901");
            fs.writeFileSync(path.join(dir, "Pulumi.primary.yaml"), yaml);
            const e = await refusedConfig("primary", readStackFile(dir, "primary").config);
            // YAML 1.2 reads 012345678901 as the integer 12345678901: the leading zero is gone.
            expect(e.problems).to.deep.equal([
                `secretshare:owner.accountId = 12345678901: YAML read this account ID as the number 12345678901; ${ACCOUNT_FORM}`,
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a consumer's account ID as a number, in the owner's and in the consumer's own config", async () => {
        await expectProblems(
            refused("primary", { "secretshare:consumers": { secondary: { ...STUART, accountId: 222222222222 } } }),
            `secretshare:consumers.secondary.accountId = 222222222222: YAML read this account ID as the number 222222222222; ${ACCOUNT_FORM}`,
        );
        await expectProblems(
            refused("secondary", { "secretshare:consumer": { ...CONSUMER, accountId: 222222222222 } }),
            `secretshare:consumer.accountId = 222222222222: YAML read this account ID as the number 222222222222; ${ACCOUNT_FORM}`,
        );
    });

    for (const bad of ["12345", "1234567890123", "11111111111a", "", " 111111111111"]) {
        it(`a non-12-digit account ID ${JSON.stringify(bad)} is refused`, async () => {
            await expectProblems(
                refused("primary", { "secretshare:owner": { ...OWNER, accountId: bad } }),
                `secretshare:owner.accountId = ${JSON.stringify(bad)}: ${ACCOUNT_FORM}`,
            );
        });
    }

    it("the owner's account as a consumer: same-account access needs no sharing", async () => {
        await expectProblems(
            refused("primary", { "secretshare:consumers": { secondary: { ...STUART, accountId: PRIMARY_ACCOUNT } } }),
            `secretshare:consumers.secondary.accountId = "${PRIMARY_ACCOUNT}": this is the owner's account; a consumer must be another account (same-account access needs no sharing)`,
        );
    });

    it("the same account under two consumer names", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": {
                    secondary: STUART,
                    tertiary: { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Bob" }] },
                },
                "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/Stuart", "tertiary/Bob"] }],
            }),
            `secretshare:consumers.tertiary.accountId = "${SECONDARY_ACCOUNT}": already used by consumer "secondary"; give each account one entry`,
        );
    });
});

describe("config: regions and credentials", () => {
    for (const bad of ["us-east", "US-EAST-1", "useast1", "moon-central-1", "us-east-1a", "us-iso-east-1"]) {
        it(`region ${JSON.stringify(bad)} is refused`, async () => {
            const e = await refused("primary", { "secretshare:owner": { ...OWNER, region: bad } });
            expect(e.problems).to.have.length(1);
            expect(e.problems).to.deep.equal([`secretshare:owner.region = ${JSON.stringify(bad)}: ${REGION_FORM}`]);
        });
    }

    it("a bad consumer region, and a consumer stack without a region", async () => {
        await expectProblems(
            refused("primary", { "secretshare:consumers": { secondary: { ...STUART, region: "eu-west" } } }),
            `secretshare:consumers.secondary.region = "eu-west": ${REGION_FORM}`,
        );
        const noRegion = without(CONSUMER, "region");
        await expectProblems(
            refused("secondary", { "secretshare:consumer": noRegion }),
            `secretshare:consumer.region = (not set): ${REGION_FORM}`,
        );
    });

    it("an owner without a region", async () => {
        const noRegion = without(OWNER, "region");
        await expectProblems(
            refused("primary", { "secretshare:owner": noRegion }),
            "secretshare:owner.region = (not set): expected the AWS region that holds the secrets, e.g. eu-west-1",
        );
    });

    for (const bad of [
        "deployer",
        `arn:aws:iam::${PRIMARY_ACCOUNT}:user/deployer`,
        `arn:aws:iam::1111:role/deployer`,
        `arn:aws:sts::${PRIMARY_ACCOUNT}:assumed-role/deployer/session`,
        `arn:aws:iam::${PRIMARY_ACCOUNT}:role/`,
    ]) {
        it(`a malformed role ARN ${JSON.stringify(bad)} is refused`, async () => {
            const noProfile = without(OWNER, "profile");
            await expectProblems(
                refused("primary", { "secretshare:owner": { ...noProfile, assumeRole: { roleArn: bad } } }),
                `secretshare:owner.assumeRole.roleArn = ${JSON.stringify(bad)}: ${ROLE_FORM}`,
            );
        });
    }

    it("a role in another account than the one it deploys to", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": {
                    secondary: { ...STUART, assumeRole: { roleArn: "arn:aws:iam::333333333333:role/deployer" } },
                },
            }),
            `secretshare:consumers.secondary.assumeRole.roleArn = "arn:aws:iam::333333333333:role/deployer": the role is in account 333333333333 but accountId is ${SECONDARY_ACCOUNT}; use a role in the account it deploys to`,
        );
    });

    it("profile and assumeRole together", async () => {
        const assumeRole = { roleArn: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/deployer` };
        await expectProblems(
            refused("primary", { "secretshare:owner": { ...OWNER, assumeRole } }),
            `secretshare:owner.assumeRole = ${JSON.stringify(assumeRole)}: set either profile or assumeRole, not both`,
        );
    });

    it("an invalid external ID and session name", async () => {
        const noProfile = without(OWNER, "profile");
        await expectProblems(
            refused("primary", {
                "secretshare:owner": {
                    ...noProfile,
                    assumeRole: {
                        roleArn: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/deployer`,
                        externalId: "x",
                        sessionName: "my session",
                    },
                },
            }),
            'secretshare:owner.assumeRole.externalId = "x": expected 2 to 1224 characters of [A-Za-z0-9+=,.@:/_-]',
            'secretshare:owner.assumeRole.sessionName = "my session": expected 2 to 64 characters of [A-Za-z0-9+=,.@_-]',
        );
    });
});

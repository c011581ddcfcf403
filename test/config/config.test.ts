import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { ConfigError, parseConfig } from "../../config";
import { readStackFile } from "../../plan/stackFiles";
import { AwsMocks, PRIMARY_ACCOUNT, SECONDARY_ACCOUNT, run, runStack, stackConfig } from "../mocks";

/**
 * Bad input: each case runs the real program under mocks and must fail before any resource is
 * registered, with a ConfigError (a pulumi.RunError: the CLI prints no stack trace) whose
 * message names the key, the value and the expected form.
 */

const OWNER = { accountId: PRIMARY_ACCOUNT, region: "us-east-1", profile: "primary" };
const CONSUMER = { name: "secondary", accountId: SECONDARY_ACCOUNT, region: "us-east-1", profile: "secondary" };
const STUART = { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart" }] };
const MY_SECRET = { name: "MySecret", username: "Alice", readers: ["secondary/Stuart"] };

const ACCOUNT_FORM =
    'expected a 12-digit account ID as a quoted string, e.g. "012345678901" (YAML reads an unquoted number and drops leading zeros)';
const REGION_FORM = "expected an AWS region name such as eu-west-1 (partitions aws, aws-cn and aws-us-gov)";
const ROLE_FORM = "expected an IAM role ARN such as arn:aws:iam::123456789012:role/deployer";
const IAM_NAME_FORM = "expected 1 to 64 characters of [A-Za-z0-9+=,.@_-]";
const WILDCARD = "wildcards are not allowed: name one exact user or role";
const SECRET_NAME_FORM = "expected 1 to 512 characters of [A-Za-z0-9/_+=.@-]";
const DAYS_FORM = "expected a whole number of days from 7 to 30";
const STACK_FORM = "expected a fully qualified stack name <org>/<project>/<stack>";

/** `o` without the setting `k`. */
function without<T extends object>(o: T, k: keyof T): Partial<T> {
    const copy: Partial<T> = { ...o };
    delete copy[k];
    return copy;
}

/** Runs `config` as stack `stack`; expects a ConfigError before any registration. */
async function refusedConfig(
    stack: string,
    config: Record<string, string>,
    secretKeys?: string[],
): Promise<ConfigError> {
    const mocks = new AwsMocks({});
    let error: unknown;
    try {
        await runStack({ stack, config, mocks, ...(secretKeys && { secretKeys }) });
    } catch (e) {
        error = e;
    }
    expect(error, "the run should fail with a ConfigError").to.be.instanceOf(ConfigError);
    expect(pulumi.RunError.isInstance(error), "a RunError: the CLI prints no stack trace").to.equal(true);
    // Nothing but the stack itself: no provider, component, aws or random resource.
    expect(mocks.resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type)).to.deep.equal([]);
    expect(mocks.providers.size).to.equal(0);
    expect(mocks.stackReads).to.deep.equal([]);
    return error as ConfigError;
}

/** The committed stack's config with `overrides` (full keys; undefined removes a key). */
function refused(stack: "primary" | "secondary", overrides: Record<string, unknown>): Promise<ConfigError> {
    return refusedConfig(stack, stackConfig(stack, overrides));
}

/** One problem line, exactly; the header names the stack. */
async function expectProblems(p: Promise<ConfigError>, ...lines: string[]): Promise<void> {
    const e = await p;
    expect(e.problems).to.deep.equal(lines);
    expect(e.message).to.equal(
        `invalid secretshare configuration for stack "${/stack "([^"]+)"/.exec(e.message)?.[1]}":\n` +
            lines.map((l) => `  - ${l}`).join("\n"),
    );
}

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

describe("config: readers and principals", () => {
    const withReader = (reader: Record<string, unknown>) =>
        refused("primary", { "secretshare:consumers": { secondary: { ...STUART, readers: [reader] } } });

    it("an empty user name", async () => {
        await expectProblems(
            withReader({ user: "" }),
            `secretshare:consumers.secondary.readers[0].user = "": ${IAM_NAME_FORM}`,
        );
    });

    it("an invalid user name", async () => {
        await expectProblems(
            withReader({ user: "Stuart Smith" }),
            `secretshare:consumers.secondary.readers[0].user = "Stuart Smith": ${IAM_NAME_FORM}`,
        );
        await expectProblems(
            withReader({ user: "x".repeat(65) }),
            `secretshare:consumers.secondary.readers[0].user = "${"x".repeat(65)}": ${IAM_NAME_FORM}`,
        );
    });

    for (const wild of ["*", "Stu*", "Stuar?"]) {
        it(`a wildcard principal ${JSON.stringify(wild)} as a user or role name`, async () => {
            await expectProblems(
                withReader({ user: wild }),
                `secretshare:consumers.secondary.readers[0].user = ${JSON.stringify(wild)}: ${WILDCARD}`,
            );
            await expectProblems(
                withReader({ role: wild }),
                `secretshare:consumers.secondary.readers[0].role = ${JSON.stringify(wild)}: ${WILDCARD}`,
            );
        });
    }

    it("a wildcard in a reader's path or in a secret's reader list", async () => {
        await expectProblems(
            withReader({ user: "Stuart", path: "/apps*/" }),
            'secretshare:consumers.secondary.readers[0].path = "/apps*/": wildcards are not allowed in a path',
        );
        await expectProblems(
            refused("primary", { "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/*"] }] }),
            'secretshare:secrets[0].readers[0] = "secondary/*": expected <consumer account name>/<user or role name>, e.g. secondary/Stuart',
        );
    });

    it("a reader with both user and role, or neither", async () => {
        const both = { user: "Stuart", role: "reader" };
        await expectProblems(
            withReader(both),
            `secretshare:consumers.secondary.readers[0] = ${JSON.stringify(both)}: expected exactly one of user: <name> or role: <name>`,
        );
        await expectProblems(
            withReader({ path: "/apps/" }),
            'secretshare:consumers.secondary.readers[0] = {"path":"/apps/"}: expected exactly one of user: <name> or role: <name>',
        );
    });

    it("a secret that names an unknown reader", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/Stuart", "secondary/Bob"] }],
            }),
            'secretshare:secrets[0].readers = "secondary/Bob": no such reader; expected one of secondary/Stuart',
        );
    });

    it("a reader that reads no secret", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": { secondary: { ...STUART, readers: [{ user: "Stuart" }, { user: "Bob" }] } },
            }),
            "secretshare:consumers: reader secondary/Bob reads no secret; add it to a secret's readers or remove it",
        );
    });

    it("a reader declared twice in one account", async () => {
        await expectProblems(
            refused("primary", {
                "secretshare:consumers": {
                    secondary: { ...STUART, readers: [{ user: "Stuart" }, { user: "Stuart" }] },
                },
            }),
            'secretshare:consumers.secondary.readers[1] = "Stuart": secondary/Stuart is declared twice; name each user or role once per account',
        );
    });

    it("a consumer account name with a space", async () => {
        const e = await refused("primary", {
            "secretshare:consumers": { "my account": STUART },
            "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/Stuart"] }],
        });
        expect(e.problems[0]).to.equal(
            'secretshare:consumers key "my account": expected a consumer account name of 1 to 64 characters of [A-Za-z0-9_.-]',
        );
    });
});

describe("config: secrets, key and windows", () => {
    const withSecret = (secret: Record<string, unknown>) =>
        refused("primary", { "secretshare:secrets": [{ ...MY_SECRET, ...secret }] });

    it("an empty and an invalid secret name", async () => {
        await expectProblems(withSecret({ name: "" }), `secretshare:secrets[0].name = "": ${SECRET_NAME_FORM}`);
        await expectProblems(
            withSecret({ name: "My Secret" }),
            `secretshare:secrets[0].name = "My Secret": ${SECRET_NAME_FORM}`,
        );
    });

    it("a secret name ending in a hyphen and six characters", async () => {
        await expectProblems(
            withSecret({ name: "MySecret-abc123" }),
            'secretshare:secrets[0].name = "MySecret-abc123": a secret name must not end with a hyphen and six characters (AWS adds such a suffix to the ARN)',
        );
    });

    it("the same secret listed twice", async () => {
        await expectProblems(
            refused("primary", { "secretshare:secrets": [MY_SECRET, MY_SECRET] }),
            'secretshare:secrets[1].name = "MySecret": a secret of that name is already listed',
        );
    });

    for (const days of [6, 31, 0, 7.5]) {
        it(`recovery window ${days} is out of range`, async () => {
            await expectProblems(
                withSecret({ recoveryWindowInDays: days }),
                `secretshare:secrets[0].recoveryWindowInDays = ${days}: ${DAYS_FORM}`,
            );
        });
    }

    for (const days of [6, 31]) {
        it(`deletion window ${days} is out of range`, async () => {
            await expectProblems(
                refused("primary", { "secretshare:key": { alias: "MyKey", deletionWindowInDays: days } }),
                `secretshare:key.deletionWindowInDays = ${days}: ${DAYS_FORM}`,
            );
        });
    }

    it("a window given as text", async () => {
        await expectProblems(
            refused("primary", { "secretshare:key": { alias: "MyKey", deletionWindowInDays: "30" } }),
            `secretshare:key.deletionWindowInDays = "30": ${DAYS_FORM}`,
        );
    });

    for (const alias of ["aws/secretsmanager", "alias/aws/mine"]) {
        it(`alias ${alias} (AWS managed keys' namespace) is refused`, async () => {
            await expectProblems(
                refused("primary", { "secretshare:key": { alias } }),
                `secretshare:key.alias = "${alias}": alias/aws/* belongs to AWS managed keys, which cannot be shared across accounts; choose another alias`,
            );
        });
    }

    it("the AWS managed key is refused with the cross-account reason", async () => {
        await expectProblems(
            refused("primary", { "secretshare:key": { alias: "MyKey", type: "aws-managed" } }),
            'secretshare:key.type = "aws-managed": secrets encrypted with the AWS managed key aws/secretsmanager cannot be read from another account; use customer-managed',
        );
    });

    it("an empty username and no secrets at all", async () => {
        await expectProblems(
            withSecret({ username: "" }),
            'secretshare:secrets[0].username = "": expected a non-empty username',
        );
        await expectProblems(
            refused("primary", { "secretshare:secrets": [] }),
            "secretshare:secrets = []: expected at least one secret",
        );
    });
});

describe("config: keys, modes and stack names", () => {
    it("a missing mode", async () => {
        await expectProblems(
            refused("primary", { "secretshare:mode": undefined }),
            `secretshare:mode = (not set): expected "owner" (the secrets' account), "consumer" (a reader account) or "all" (both in one stack)`,
        );
    });

    it("an unknown mode", async () => {
        await expectProblems(
            refused("primary", { "secretshare:mode": "both" }),
            `secretshare:mode = "both": expected "owner" (the secrets' account), "consumer" (a reader account) or "all" (both in one stack)`,
        );
    });

    for (const bad of [
        "primary",
        "secretshare/primary",
        "organization/secretshare/primary/x",
        "org/secret share/primary",
    ]) {
        it(`StackReference name ${JSON.stringify(bad)} is not org/project/stack`, async () => {
            await expectProblems(
                refused("secondary", { "secretshare:ownerStack": bad }),
                `secretshare:ownerStack = ${JSON.stringify(bad)}: ${STACK_FORM}`,
            );
        });
    }

    it("a typo at the top level of an owner stack lists the settings it has", async () => {
        // Settings of later features join the end of the list.
        const e = await refused("primary", { "secretshare:secret": [MY_SECRET] });
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]).to.match(
            /^secretshare:secret is not a setting of a "owner" stack \(a typo\?\); expected one of: secretshare:mode, secretshare:owner, secretshare:consumers, secretshare:secrets, secretshare:key, secretshare:secretPolicy, secretshare:protection, secretshare:passwords(,|$)/,
        );
    });

    it("an owner setting in a consumer stack", async () => {
        const e = await refused("secondary", { "secretshare:secrets": [MY_SECRET] });
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]).to.match(
            /^secretshare:secrets is not a setting of a "consumer" stack \(a typo\?\); expected one of: secretshare:mode, secretshare:consumer, secretshare:ownerStack(,|$)/,
        );
    });

    it("a nested typo names the setting and the ones expected there", async () => {
        // The key's settings grow with other features: check the start of the list.
        const key = await refused("primary", { "secretshare:key": { alias: "MyKey", deletionWindow: 7 } });
        expect(key.problems).to.have.length(1);
        expect(key.problems[0]).to.match(
            /^secretshare:key: unknown setting "deletionWindow" \(a typo\?\); expected one of: alias, deletionWindowInDays, perSecret, grantDescribeKey, type\b/,
        );
        const e = await refused("primary", { "secretshare:secretPolicy": { principalform: "principal-arn" } });
        expect(e.problems).to.deep.equal([
            'secretshare:secretPolicy: unknown setting "principalform" (a typo?); expected one of: principalForm, acceptDefaultStage',
        ]);
    });

    it("the seed's principal-arn form with a reader this program creates: refused, with the reason", async () => {
        const e = await refused("primary", { "secretshare:secretPolicy": { principalForm: "principal-arn" } });
        expect(e.problems).to.deep.equal([
            'secretshare:secretPolicy.principalForm = "principal-arn": this form names each reader\'s ARN as Principal, ' +
                "and AWS refuses to save a policy that names a principal that does not exist yet; " +
                "secondary/Stuart is created by this program after the owner's policies. " +
                "Use principalForm: account-root (the default); principal-arn suits readers that exist outside this program (existing: true).",
        ]);
    });

    it("a typo deeper down: in a consumer's reader and in an owner's assumeRole", async () => {
        const e = await refused("primary", {
            "secretshare:consumers": { secondary: { ...STUART, readers: [{ user: "Stuart", existng: true }] } },
        });
        expect(e.problems).to.deep.equal([
            'secretshare:consumers.secondary.readers[0]: unknown setting "existng" (a typo?); expected one of: user, role, path, existing, assumedBy',
        ]);
        const noProfile = without(OWNER, "profile");
        const e2 = await refused("primary", {
            "secretshare:owner": {
                ...noProfile,
                assumeRole: { roleArn: `arn:aws:iam::${PRIMARY_ACCOUNT}:role/deployer`, externalID: "abc" },
            },
        });
        expect(e2.problems).to.deep.equal([
            'secretshare:owner.assumeRole: unknown setting "externalID" (a typo?); expected one of: roleArn, externalId, sessionName',
        ]);
    });

    it("every problem is reported at once, one line each", async () => {
        const e = await refused("primary", {
            "secretshare:owner": { ...OWNER, accountId: "1234", region: "mars-1" },
            "secretshare:key": { alias: "aws/x", deletionWindowInDays: 3 },
        });
        expect(e.problems).to.have.length(4);
        expect(e.message.split("\n")).to.have.length(5);
    });
});

describe("config: passwords", () => {
    it("a short password is refused without showing it", async () => {
        const config = stackConfig("primary", { "secretshare:passwords": { MySecret: "hunter2" } });
        const e = await refusedConfig("primary", config, ["secretshare:passwords"]);
        expect(e.problems).to.deep.equal([
            "secretshare:passwords.MySecret: expected a secure string of at least 8 characters (value not shown)",
        ]);
        expect(e.message).not.to.include("hunter2");
    });

    it("a password for a secret that is not listed", async () => {
        const config = stackConfig("primary", { "secretshare:passwords": { Other: "correct-horse-battery" } });
        const e = await refusedConfig("primary", config, ["secretshare:passwords"]);
        expect(e.problems).to.deep.equal([
            "secretshare:passwords.Other: no secret of that name in secretshare:secrets",
        ]);
        expect(e.message).not.to.include("correct-horse-battery");
    });
});

describe("config: parseConfig of the committed stacks", () => {
    it("primary parses into the seed's owner config", () => {
        const raw = Object.fromEntries(
            Object.entries(stackConfig("primary"))
                .filter(([k]) => k.startsWith("secretshare:"))
                .map(([k, v]) => [k.slice("secretshare:".length), v]),
        );
        const config = parseConfig("primary", raw);
        expect(config.mode).to.equal("owner");
        if (config.mode === "consumer") throw new Error("unreachable");
        expect(config.owner.account).to.deep.equal({
            name: "owner",
            accountId: PRIMARY_ACCOUNT,
            region: "us-east-1",
            partition: "aws",
            profile: "primary",
        });
        expect(config.owner.key).to.deep.include({ alias: "MyKey", deletionWindowInDays: 30, perSecret: false });
        expect(config.owner.secretPolicy).to.deep.equal({ principalForm: "account-root", acceptDefaultStage: false });
        expect(config.owner.protection).to.deep.equal({ protect: true, retainOnDelete: true });
        expect(config.owner.consumers.secondary.readers).to.deep.equal([
            {
                id: "secondary/Stuart",
                account: "secondary",
                accountId: SECONDARY_ACCOUNT,
                kind: "user",
                name: "Stuart",
                path: "/",
                existing: false,
                arn: `arn:aws:iam::${SECONDARY_ACCOUNT}:user/Stuart`,
            },
        ]);
        expect(config.owner.secrets.map((s) => [s.name, s.username, s.recoveryWindowInDays, s.readers])).to.deep.equal([
            ["MySecret", "Alice", 30, ["secondary/Stuart"]],
        ]);
    });

    it("secondary parses into a consumer of organization/secretshare/primary", () => {
        const raw = Object.fromEntries(
            Object.entries(stackConfig("secondary"))
                .filter(([k]) => k.startsWith("secretshare:"))
                .map(([k, v]) => [k.slice("secretshare:".length), v]),
        );
        expect(parseConfig("secondary", raw)).to.deep.include({
            mode: "consumer",
            stack: "secondary",
            ownerStack: "organization/secretshare/primary",
            consumer: {
                name: "secondary",
                accountId: SECONDARY_ACCOUNT,
                region: "us-east-1",
                partition: "aws",
                profile: "secondary",
            },
        });
    });
});

describe("config: one key per secret needs alias-safe secret names", () => {
    it("refuses a secret whose per-secret alias KMS would reject, naming the secret and the alias", async () => {
        const e = await refused("primary", {
            "secretshare:key": { alias: "MyKey", perSecret: true },
            "secretshare:secrets": [
                { name: "MySecret", username: "Alice", readers: ["secondary/Stuart"] },
                { name: "db.prod@x", username: "Bob", readers: ["secondary/Stuart"] },
            ],
        });
        expect(e.problems).to.deep.equal([
            'secretshare:secrets[1].name = "db.prod@x": with secretshare:key.perSecret its key\'s alias would be ' +
                '"alias/MyKey/db.prod@x", and KMS aliases allow at most 256 characters of [A-Za-z0-9/_-]; ' +
                "rename the secret, shorten key.alias, or use one shared key (perSecret: false)",
        ]);
    });

    it("accepts the same name with one shared key", async () => {
        const r = await run("primary", {
            "secretshare:secrets": [{ name: "db.prod@x", username: "Bob", readers: ["secondary/Stuart"] }],
        });
        expect(r.resources.some((x) => x.type === "aws:secretsmanager/secret:Secret")).to.equal(true);
    });
});

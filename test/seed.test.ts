import * as path from "path";
import { expect } from "chai";
import { readStackFile } from "../plan/stackFiles";
import { PRIMARY_ACCOUNT, ROOT, SECONDARY_ACCOUNT, ofType, policyOf, resource, runSeed } from "./mocks";

describe("the seed's two stacks (smoke)", () => {
    it("share one secret from primary with Stuart in secondary", async () => {
        const { primary, secondary } = await runSeed();
        const secret = resource(primary, "aws:secretsmanager/secret:Secret", "share-MySecret");
        expect(secret.provider?.accountId).to.equal(PRIMARY_ACCOUNT);
        const policy = policyOf(resource(secondary, "aws:iam/userPolicy:UserPolicy", "secondary-Stuart-read"));
        expect(policy.Statement[0].Resource).to.equal(secret.state.arn);
        expect(ofType(secondary, "aws:iam/user:User")[0].provider?.accountId).to.equal(SECONDARY_ACCOUNT);
    });

    it("the seed's names: MySecret holds username Alice, encrypted with alias/MyKey, read by Stuart", async () => {
        const { primary, secondary } = await runSeed();
        expect(resource(primary, "aws:kms/alias:Alias", "share-alias").inputs.name).to.equal("alias/MyKey");
        const value = resource(primary, "aws:secretsmanager/secretVersion:SecretVersion", "share-MySecret-value").inputs
            .secretString as { value: string };
        expect(JSON.parse(value.value)).to.have.property("username", "Alice");
        expect(secondary.outputs.userName).to.equal("Stuart");
        // The seed's check: aws secretsmanager get-secret-value --secret-id <secretArn> --version-stage AWSCURRENT
        expect(secondary.outputs.secretArn).to.equal(primary.outputs.secretArn);
    });
});

describe("stack files", () => {
    const files: [string, string][] = [
        [ROOT, "primary"],
        [ROOT, "secondary"],
        [path.join(ROOT, "examples"), "sandbox"],
    ];
    for (const [dir, stack] of files) {
        it(`${path.relative(ROOT, path.join(dir, `Pulumi.${stack}.yaml`))} disables the default aws provider`, () => {
            const { config, secretKeys } = readStackFile(dir, stack);
            expect(JSON.parse(config["pulumi:disable-default-providers"])).to.deep.equal(["aws"]);
            // Nothing secret is committed in a stack file.
            expect(secretKeys).to.deep.equal([]);
        });
    }

    it("Pulumi.primary.yaml: the owner 111111111111 in us-east-1 by profile, MySecret for secondary/Stuart", () => {
        const { config } = readStackFile(ROOT, "primary");
        expect(config["secretshare:mode"]).to.equal("owner");
        expect(JSON.parse(config["secretshare:owner"])).to.deep.equal({
            accountId: PRIMARY_ACCOUNT,
            region: "us-east-1",
            profile: "primary",
        });
        expect(JSON.parse(config["secretshare:consumers"])).to.deep.equal({
            secondary: { accountId: SECONDARY_ACCOUNT, readers: [{ user: "Stuart" }] },
        });
        expect(JSON.parse(config["secretshare:secrets"])).to.deep.equal([
            { name: "MySecret", username: "Alice", recoveryWindowInDays: 30, readers: ["secondary/Stuart"] },
        ]);
    });

    it("Pulumi.secondary.yaml: the consumer secondary 222222222222 reading organization/secretshare/primary", () => {
        const { config } = readStackFile(ROOT, "secondary");
        expect(config["secretshare:mode"]).to.equal("consumer");
        expect(config["secretshare:ownerStack"]).to.equal("organization/secretshare/primary");
        expect(JSON.parse(config["secretshare:consumer"])).to.deep.equal({
            name: "secondary",
            accountId: SECONDARY_ACCOUNT,
            region: "us-east-1",
            profile: "secondary",
        });
    });

    it('examples/Pulumi.sandbox.yaml: mode "all", a role to assume in each account', () => {
        const { config } = readStackFile(path.join(ROOT, "examples"), "sandbox");
        expect(config["secretshare:mode"]).to.equal("all");
        const owner = JSON.parse(config["secretshare:owner"]) as { accountId: string; assumeRole: { roleArn: string } };
        const consumers = JSON.parse(config["secretshare:consumers"]) as Record<
            string,
            { accountId: string; assumeRole: { roleArn: string } }
        >;
        expect(owner.accountId).to.equal(PRIMARY_ACCOUNT);
        expect(owner.assumeRole.roleArn).to.equal(`arn:aws:iam::${PRIMARY_ACCOUNT}:role/secretshare-deployer`);
        expect(consumers.secondary.accountId).to.equal(SECONDARY_ACCOUNT);
        expect(consumers.secondary.assumeRole.roleArn).to.equal(
            `arn:aws:iam::${SECONDARY_ACCOUNT}:role/secretshare-deployer`,
        );
    });
});

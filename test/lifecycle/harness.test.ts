import { expect } from "chai";
import { Aws } from "../support/lifecycle";

/** The lifecycle harness's AWS, on its own: the rules the sequences rely on. */

const ACCOUNT = "111111111111";
const REGION = "us-east-1";
const at = { account: ACCOUNT, region: REGION, defaultTags: {}, outputs: {} };
const KEY_ID = "11111111-2222-4333-8444-555555555555";
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:MySecret-AbCdEf`;

const key = () => ({ ...at, type: "aws:kms/key:Key", id: KEY_ID, inputs: {}, outputs: { arn: KEY_ARN } });
const secret = (recoveryWindowInDays?: number) => ({
    ...at,
    type: "aws:secretsmanager/secret:Secret",
    id: SECRET_ARN,
    inputs: {
        name: "MySecret",
        kmsKeyId: KEY_ARN,
        ...(recoveryWindowInDays !== undefined && { recoveryWindowInDays }),
    },
});
const errorOf = (fn: () => unknown) => {
    try {
        fn();
    } catch (e) {
        return (e as Error).message;
    }
    return "no error";
};

describe("lifecycle harness: AWS's rules", () => {
    it("IAM names are case-insensitive per account: a second STUART is refused, in another account not", () => {
        const aws = new Aws();
        const user = (name: string, account = ACCOUNT) => ({
            ...at,
            account,
            type: "aws:iam/user:User",
            id: name,
            inputs: { name },
        });
        aws.create(user("Stuart"));
        expect(errorOf(() => aws.create(user("STUART")))).to.equal(
            "EntityAlreadyExists: User with name STUART already exists.",
        );
        aws.create(user("Stuart", "222222222222"));
    });

    it("a deleted secret's name stays taken for its window; a window of 0 frees it at once", () => {
        const aws = new Aws();
        aws.create(key());
        aws.create(secret(7));
        aws.delete(secret(7));
        expect(errorOf(() => aws.create(secret(7)))).to.contain("already scheduled for deletion");
        expect(aws.world().secrets, "DescribeSecret no longer finds it").to.deep.equal([]);
        aws.advance(7);
        aws.create(secret(0));
        aws.delete(secret(0));
        aws.create(secret(0));
    });

    it("a deleted key is pending deletion for its window and cannot be used; then it is gone", () => {
        const aws = new Aws();
        aws.create(key());
        aws.delete({ ...key(), inputs: { deletionWindowInDays: 7 } });
        expect(aws.key(KEY_ID)?.state).to.equal("PendingDeletion");
        expect(errorOf(() => aws.create(secret()))).to.equal(
            `KMSInvalidStateException: ${KEY_ARN} is pending deletion.`,
        );
        expect(aws.world().keys?.[0]).to.deep.include({
            keyState: "PendingDeletion",
            deletionDate: "2026-12-08T00:00:00.000Z",
        });
        aws.advance(6);
        expect(aws.key(KEY_ID)).not.to.equal(undefined);
        aws.advance(1);
        expect(aws.key(KEY_ID)).to.equal(undefined);
    });

    it("an alias name is taken until its alias is deleted", () => {
        const aws = new Aws();
        aws.create(key());
        const alias = {
            ...at,
            type: "aws:kms/alias:Alias",
            id: "alias/MyKey",
            inputs: { name: "alias/MyKey", targetKeyId: KEY_ID },
        };
        aws.create(alias);
        expect(errorOf(() => aws.create(alias))).to.contain("AlreadyExistsException: An alias with the name");
        aws.delete(alias);
        aws.create(alias);
    });

    it("an identity with policies or access keys is deleted only with force; an import needs it to exist", () => {
        const aws = new Aws();
        const user = { ...at, type: "aws:iam/user:User", id: "Stuart", inputs: { name: "Stuart" } };
        aws.create(user);
        aws.create({
            ...at,
            type: "aws:iam/userPolicy:UserPolicy",
            id: "Stuart:p",
            inputs: { user: "Stuart", name: "p", policy: "{}" },
        });
        expect(errorOf(() => aws.delete(user))).to.contain("DeleteConflict");
        aws.delete({ ...user, inputs: { name: "Stuart", forceDestroy: true } });
        expect(aws.live("aws:iam/user:User", "Stuart", ACCOUNT)).to.equal(undefined);
    });
});

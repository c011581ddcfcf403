import { expect } from "chai";
import { deployMatrix, deployRoleVariable, outputLines, previewMatrix } from "../../deploy/matrix";
import { UsageError } from "../../common/errors";
import { tempProject } from "../plan/helpers";

/** deploy/matrix.ts: the deploy workflow's waves, from the stack files. */

const owner = (profile: string, region = "us-east-1") => ({
    "secretshare:mode": "owner",
    "secretshare:owner": { accountId: "111111111111", region, profile },
    "secretshare:consumers": { apps: { accountId: "222222222222", readers: [{ user: "Stuart", existing: true }] } },
    "secretshare:secrets": [{ name: `db-${profile}`, username: "app", readers: ["apps/Stuart"] }],
});
const consumer = (owners: readonly string[]) => ({
    "secretshare:mode": "consumer",
    "secretshare:ownerStacks": owners.map((o) => `organization/secretshare/${o}`),
    "secretshare:consumer": { name: "apps", accountId: "222222222222", region: "us-east-1", profile: "apps" },
});

describe("deploy/matrix.ts", () => {
    it("puts owner stacks in the first wave and consumer stacks, with what they read, in the second", () => {
        const dir = tempProject({
            "team-a": owner("team-a"),
            "team-b": owner("team-b", "eu-west-1"),
            apps: consumer(["team-a", "team-b"]),
        });
        const m = deployMatrix(dir);
        expect(m.owners).to.deep.equal([
            { stack: "team-a", profile: "team-a", region: "us-east-1", role: "AWS_DEPLOY_ROLE_ARN_TEAM_A" },
            { stack: "team-b", profile: "team-b", region: "eu-west-1", role: "AWS_DEPLOY_ROLE_ARN_TEAM_B" },
        ]);
        expect(m.consumers).to.deep.equal([
            {
                stack: "apps",
                profile: "apps",
                region: "us-east-1",
                role: "AWS_DEPLOY_ROLE_ARN_APPS",
                reads: ["team-a", "team-b"],
            },
        ]);
        expect(outputLines(m)).to.deep.equal([
            `owners=${JSON.stringify({ include: m.owners })}`,
            `consumers=${JSON.stringify({ include: m.consumers })}`,
            "has-consumers=true",
        ]);
    });

    it("previews every stack, owners first, each with its preview role's variable", () => {
        const dir = tempProject({
            apps: consumer(["team-a", "team-b"]),
            "team-a": owner("team-a"),
            "team-b": owner("team-b", "eu-west-1"),
        });
        expect(previewMatrix(deployMatrix(dir))).to.deep.equal([
            { stack: "team-a", profile: "team-a", region: "us-east-1", role: "AWS_PREVIEW_ROLE_ARN_TEAM_A" },
            { stack: "team-b", profile: "team-b", region: "eu-west-1", role: "AWS_PREVIEW_ROLE_ARN_TEAM_B" },
            {
                stack: "apps",
                profile: "apps",
                region: "us-east-1",
                role: "AWS_PREVIEW_ROLE_ARN_APPS",
                reads: ["team-a", "team-b"],
            },
        ]);
    });

    it("says there are no consumers when there are none (GitHub refuses an empty matrix)", () => {
        const m = deployMatrix(tempProject({ "team-a": owner("team-a") }));
        expect(outputLines(m).slice(1)).to.deep.equal(['consumers={"include":[]}', "has-consumers=false"]);
    });

    it("refuses a project without stack files: the matrices would be empty, which GitHub refuses", () => {
        expect(() => deployMatrix(tempProject({}))).to.throw(UsageError, "no stack files (Pulumi.<stack>.yaml) in ");
    });

    it("refuses a consumer reading a stack without a stack file, naming both", () => {
        const dir = tempProject({ "team-a": owner("team-a"), apps: consumer(["team-a", "team-z"]) });
        expect(() => deployMatrix(dir)).to.throw(UsageError, "stack apps reads team-z, which has no stack file");
    });

    it("names each stack's deploy role variable in capitals, other characters as _", () => {
        expect(deployRoleVariable("primary")).to.equal("AWS_DEPLOY_ROLE_ARN_PRIMARY");
        expect(deployRoleVariable("team-a.eu")).to.equal("AWS_DEPLOY_ROLE_ARN_TEAM_A_EU");
    });
});

import { expect } from "chai";
import { LIMITS, sizeOf } from "../../aws/limits";
import { parseConfig } from "../../config";
import { KNOWN_SERVICES, roleTrustPolicy } from "../../policies/documents";
import { preflightFindings } from "../../plan/preflight";
import type { RegisteredResource } from "../../plan/mocks";
import { run, SECONDARY_ACCOUNT } from "../mocks";
import { committed, plan, tempProject } from "../plan/helpers";
import { MY_SECRET, OWNER, STUART, expectProblems, refused } from "./helpers";

/**
 * What config decides of a created role's trust policy, refused before any resource is
 * registered: only service principals whose trust needs the program knows (IAM refuses one it
 * does not know, such as a misspelt one), and a trust policy within IAM's role trust policy
 * length (2,048 characters by default, raised on request up to 4,096:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */

const KEY = "secretshare:consumers.secondary";
const role = (assumedBy: string[], account: Record<string, unknown> = {}) => ({
    "secretshare:consumers": { secondary: { ...STUART, ...account, readers: [{ role: "r", assumedBy }] } },
    "secretshare:secrets": [{ ...MY_SECRET, readers: ["secondary/r"] }],
});
const arn = (name: string) => `arn:aws:iam::${SECONDARY_ACCOUNT}:role/${name}`;
const trustSize = (assumedBy: string[]) => sizeOf(roleTrustPolicy("aws", SECONDARY_ACCOUNT, assumedBy), "trustPolicy");

/** `assumedBy` ARNs of the consumer account whose trust policy is exactly `target` characters. */
function assumedByOfSize(target: number): string[] {
    const list: string[] = [];
    for (let i = 0; i < 1000; i++) {
        const withLast = (n: number) => [...list, arn(`z${"a".repeat(n - 1)}`)];
        const room = target - trustSize(withLast(1));
        if (room >= 0 && room <= 63) return withLast(1 + room);
        // Each filler adds less than a last name can vary (64), so some count lands in range.
        list.push(arn(`w${String(i).padStart(3, "0")}${"a".repeat(16)}`));
    }
    throw new Error(`no assumedBy list of ${target} characters`);
}

describe("config: the service principals a role may trust", () => {
    it("a misspelt service principal (ecs-task for ecs-tasks): refused, naming the known services", async () => {
        await expectProblems(
            refused("primary", role(["ecs-task.amazonaws.com"])),
            `${KEY}.readers[0].assumedBy[0] = "ecs-task.amazonaws.com": not a service principal this program knows the trust needs of; ` +
                `expected one of ${KNOWN_SERVICES.join(", ")}, or an exact IAM role or user ARN`,
        );
        expect(KNOWN_SERVICES).to.deep.equal([
            "ec2.amazonaws.com",
            "ecs-tasks.amazonaws.com",
            "lambda.amazonaws.com",
            "pods.eks.amazonaws.com",
            "rolesanywhere.amazonaws.com",
            "scheduler.amazonaws.com",
            "states.amazonaws.com",
        ]);
    });

    it("every known service is accepted, IAM Roles Anywhere among them", async () => {
        const primary = await run("primary", role([...KNOWN_SERVICES]));
        expect(
            (primary.outputs.grants as Record<string, { readers: { assumedBy: string[] }[] }>).secondary.readers[0]
                .assumedBy,
        ).to.deep.equal([...KNOWN_SERVICES]);
    });
});

describe("config: a created role's trust policy within IAM's role trust policy length", function () {
    this.timeout(60000);

    it(`${LIMITS.trustPolicy.size} characters pass, ${LIMITS.trustPolicy.size + 1} are refused with the setting named`, async () => {
        const at = assumedByOfSize(2048);
        expect(trustSize(at)).to.equal(2048);
        await run("primary", role(at));
        const over = assumedByOfSize(2049);
        const e = await refused("primary", role(over));
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]).to.match(/^secretshare:consumers\.secondary\.readers\[0\]\.assumedBy = \["arn:aws:iam::/);
        expect(e.problems[0]).to.have.string(
            ": the trust policy of role r would be 2,049 characters (whitespace not counted), over the 2,048 IAM allows by default " +
                "(role trust policy length); name fewer principals (e.g. one role that the workloads assume in turn), " +
                `or have AWS raise the quota "Role trust policy length" of account ${SECONDARY_ACCOUNT} (up to 4,096) and set ` +
                `${KEY}.roleTrustPolicyLength to it`,
        );
    });

    it("with roleTrustPolicyLength: 4096, 4,096 characters pass and 4,097 are refused", async () => {
        await run("primary", role(assumedByOfSize(4096), { roleTrustPolicyLength: 4096 }));
        const e = await refused("primary", role(assumedByOfSize(4097), { roleTrustPolicyLength: 4096 }));
        expect(e.problems).to.have.length(1);
        expect(e.problems[0]).to.have.string(
            `: the trust policy of role r would be 4,097 characters (whitespace not counted), over the 4,096 of ${KEY}.roleTrustPolicyLength; ` +
                "name fewer principals (e.g. one role that the workloads assume in turn)",
        );
        expect(e.problems[0]).to.not.have.string("have AWS raise");
    });

    for (const bad of [2047, 4097, 3000.5, "4096"]) {
        it(`roleTrustPolicyLength ${JSON.stringify(bad)}: refused with the expected form`, async () => {
            await expectProblems(
                refused("primary", role([arn("w")], { roleTrustPolicyLength: bad })),
                `${KEY}.roleTrustPolicyLength = ${JSON.stringify(bad)}: expected a whole number of characters from 2,048 to 4,096: ` +
                    `this account's IAM quota "Role trust policy length" (Service Quotas), once AWS has raised it above the default 2,048`,
            );
        });
    }

    it("the review's case (40 assumedBy ARNs, 2,770 characters): refused in config, and planned with the raised quota", async () => {
        const forty = Array.from({ length: 40 }, (_, i) =>
            arn(`some-long-workload-role-name-${String(i).padStart(3, "0")}`),
        );
        expect(trustSize(forty)).to.equal(2770);
        const consumers = (extra: Record<string, unknown>) => ({
            secondary: { accountId: SECONDARY_ACCOUNT, ...extra, readers: [{ role: "r", assumedBy: forty }] },
        });
        const project = (extra: Record<string, unknown>) =>
            tempProject({
                primary: {
                    ...committed("primary").config,
                    "secretshare:consumers": consumers(extra),
                    "secretshare:secrets": [{ name: "MySecret", username: "Alice", readers: ["secondary/r"] }],
                },
                secondary: committed("secondary").config,
            });
        const refusedPlan = await plan([], project({}));
        expect(refusedPlan.code).to.equal(2);
        expect(refusedPlan.stderr).to.include("over the 2,048 IAM allows by default");
        // The plan's own check of the registered role reads the same setting.
        const raised = await plan([], project({ roleTrustPolicyLength: 4096 }));
        expect(raised.stderr).to.equal("");
        expect(raised.code).to.equal(0);
    });
});

describe("plan preflight: the registered trust policy against the stated quota", () => {
    const roleWithTrust = (n: number): RegisteredResource => ({
        type: "aws:iam/role:Role",
        name: "c-r",
        inputs: { assumeRolePolicy: `{"Id":"${"a".repeat(n - 9)}"}` },
        state: {},
        id: "r",
        provider: { id: "p", name: "p", accountId: SECONDARY_ACCOUNT, region: "us-east-1", inputs: {} },
        custom: true,
    });
    const findings = (n: number, stated?: number) =>
        preflightFindings([{ name: "secondary", resources: [roleWithTrust(n)] }], {
            roleTrustPolicyLength: (account) => (account === SECONDARY_ACCOUNT ? stated : undefined),
        }).problems;

    it("3,000 characters: refused by default, passes with 3,000 stated, refused with 2,999", () => {
        expect(findings(3000)).to.have.length(1);
        expect(findings(3000, 3000)).to.deep.equal([]);
        expect(findings(3001, 3000)).to.deep.equal([
            `role trust policy (3,000 characters, from secretshare:consumers.<account>.roleTrustPolicyLength): assumeRolePolicy of Role "c-r" of stack "secondary" ` +
                `(account ${SECONDARY_ACCOUNT}, us-east-1) is 3,001 characters, over the 3,000 AWS allows; name fewer principals in the reader's assumedBy, ` +
                "or set secretshare:consumers.<account>.roleTrustPolicyLength once AWS has raised the account's quota (up to 4,096)",
        ]);
    });

    it("the parsed config keeps each consumer account's setting, which the plan's check reads", () => {
        const parse = (account: Record<string, unknown>) =>
            parseConfig("primary", {
                mode: "owner",
                owner: OWNER,
                consumers: { secondary: { ...STUART, ...account } },
                secrets: [MY_SECRET],
            });
        const stated = parse({ roleTrustPolicyLength: 4096 });
        const unstated = parse({});
        if (stated.mode === "consumer" || unstated.mode === "consumer") throw new Error("expected an owner stack");
        expect(stated.owner.consumers.secondary.roleTrustPolicyLength).to.equal(4096);
        expect(unstated.owner.consumers.secondary).to.not.have.property("roleTrustPolicyLength");
    });
});

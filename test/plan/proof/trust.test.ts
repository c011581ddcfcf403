import { expect } from "chai";
import type { RegisteredResource } from "../../../plan/mocks";
import { roleTrustPolicy, SERVICE_TRUST } from "../../../policies/documents";
import { committed, plan, planJson, tempProject, type JsonReport } from "../helpers";

/**
 * Trust in the proof: for each reader role the plan creates, the matrix proves who can assume it
 * from the trust policy the program registers. Each over-grant class is shown failing the plan on
 * the trust policy the program wrote before (one statement, sts:AssumeRole only, no condition)
 * or on a widened one.
 */

const CONSUMER = "222222222222";
const DEPLOYER = `arn:aws:iam::${CONSUMER}:role/deployer`;
const ROLE = "aws:iam/role:Role";

/** The committed stacks with two role readers: `app` trusted by workloads, `plain` by its account. */
function project(extraReader: Record<string, unknown> = {}): string {
    return tempProject({
        primary: {
            ...committed("primary").config,
            "secretshare:consumers": {
                secondary: {
                    accountId: CONSUMER,
                    readers: [
                        {
                            role: "app",
                            assumedBy: ["pods.eks.amazonaws.com", "ecs-tasks.amazonaws.com", DEPLOYER],
                            ...extraReader,
                        },
                        { role: "plain" },
                    ],
                },
            },
            "secretshare:secrets": [
                { name: "MySecret", username: "Alice", readers: ["secondary/app", "secondary/plain"] },
            ],
        },
        secondary: committed("secondary").config,
    });
}

const trustRows = (report: JsonReport) =>
    report.access
        .filter((a) => a.check.startsWith("trust of "))
        .map((a) => [a.secret, a.who, a.action, a.context["aws:SourceAccount"] ?? "-", a.expected, a.decision]);

/** Replaces the trust policy of the role `name` with `doc`, as if the program had registered it. */
const withTrust = (name: string, doc: unknown) => (_stack: string, resources: RegisteredResource[]) =>
    resources.map((r) =>
        r.type === ROLE && r.inputs.name === name
            ? { ...r, inputs: { ...r.inputs, assumeRolePolicy: JSON.stringify(doc) } }
            : r,
    );

/** What roleTrustPolicy wrote before: one statement, sts:AssumeRole only, no condition. */
const OLD_TRUST = {
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "AssumeReaderRole",
            Effect: "Allow",
            Principal: { AWS: DEPLOYER, Service: ["ecs-tasks.amazonaws.com", "pods.eks.amazonaws.com"] },
            Action: "sts:AssumeRole",
        },
    ],
};

const failedLines = (stdout: string) =>
    stdout
        .split("\n")
        .filter((l) => l.startsWith("failed: "))
        .map((l) => l.slice(0, l.indexOf(": expected")));

describe("roleTrustPolicy", () => {
    it("EKS Pod Identity gets sts:TagSession; services that send aws:SourceAccount get it as a condition", () => {
        expect(
            roleTrustPolicy("aws", CONSUMER, [
                DEPLOYER,
                "ecs-tasks.amazonaws.com",
                "pods.eks.amazonaws.com",
                "ec2.amazonaws.com",
            ]),
        ).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                { Sid: "AssumeReaderRole", Effect: "Allow", Principal: { AWS: DEPLOYER }, Action: "sts:AssumeRole" },
                {
                    Sid: "ServiceAssumesReaderRole",
                    Effect: "Allow",
                    Principal: { Service: "ec2.amazonaws.com" },
                    Action: "sts:AssumeRole",
                },
                {
                    Sid: "ServiceAssumesReaderRoleForItsAccount",
                    Effect: "Allow",
                    Principal: { Service: "ecs-tasks.amazonaws.com" },
                    Action: "sts:AssumeRole",
                    Condition: { StringEquals: { "aws:SourceAccount": CONSUMER } },
                },
                {
                    Sid: "ServiceAssumesAndTagsReaderRole",
                    Effect: "Allow",
                    Principal: { Service: "pods.eks.amazonaws.com" },
                    Action: ["sts:AssumeRole", "sts:TagSession"],
                },
            ],
        });
    });

    it("without assumedBy: its own account; each service of the table cites its documentation", () => {
        expect(roleTrustPolicy("aws", CONSUMER, [])).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AssumeReaderRole",
                    Effect: "Allow",
                    Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
                    Action: "sts:AssumeRole",
                },
            ],
        });
        for (const [service, t] of Object.entries(SERVICE_TRUST)) {
            expect(t.source, service).to.match(/^https:\/\/docs\.aws\.amazon\.com\//);
        }
        expect(SERVICE_TRUST["pods.eks.amazonaws.com"]).to.deep.include({
            actions: ["sts:AssumeRole", "sts:TagSession"],
            sourceAccount: false,
        });
    });
});

describe("trust in the access matrix", function () {
    this.timeout(60000);

    it("each assumedBy principal may assume the role, nobody else; a role without assumedBy trusts its account", async () => {
        const { code, report } = await planJson([], project());
        expect(report.access.filter((a) => !a.ok)).to.deep.equal([]);
        expect(code).to.equal(0);
        expect(trustRows(report)).to.deep.equal([
            ["role secondary/app", DEPLOYER, "sts:AssumeRole", "-", "Allowed", "Allowed"],
            ["role secondary/app", "ecs-tasks.amazonaws.com", "sts:AssumeRole", CONSUMER, "Allowed", "Allowed"],
            [
                "role secondary/app",
                "ecs-tasks.amazonaws.com for a resource of unrelated 999999999999",
                "sts:AssumeRole",
                "999999999999",
                "Denied",
                "ImplicitlyDenied",
            ],
            ["role secondary/app", "pods.eks.amazonaws.com", "sts:AssumeRole", "-", "Allowed", "Allowed"],
            ["role secondary/app", "pods.eks.amazonaws.com", "sts:TagSession", "-", "Allowed", "Allowed"],
            [
                "role secondary/app",
                `another principal of ${CONSUMER}`,
                "sts:AssumeRole",
                "-",
                "Denied",
                "ImplicitlyDenied",
            ],
            [
                "role secondary/app",
                "principal of unrelated 999999999999",
                "sts:AssumeRole",
                "-",
                "Denied",
                "ImplicitlyDenied",
            ],
            [
                "role secondary/plain",
                `any principal of ${CONSUMER} its own IAM policies allow`,
                "sts:AssumeRole",
                "-",
                "Allowed",
                "Allowed",
            ],
            [
                "role secondary/plain",
                "principal of unrelated 999999999999",
                "sts:AssumeRole",
                "-",
                "Denied",
                "ImplicitlyDenied",
            ],
        ]);
        const trust = report.access.find(
            (a) => a.check === "trust of secondary/app: pods.eks.amazonaws.com sts:TagSession",
        );
        expect((trust as unknown as { role: string }).role).to.equal("secondary/app");
        expect(trust?.resource).to.equal(`arn:aws:iam::${CONSUMER}:role/app`);
        // The text report prints each trust policy it proves.
        const text = (await plan(["--verbose"], project())).stdout;
        expect(text).to.include("trust policy of role app (who may assume it):\n");
    });

    // Before: EKS Pod Identity could never assume its role, and ECS could be made to assume it
    // for a task of any account. The plan said all ok.
    it("the trust policy the program wrote before fails: no sts:TagSession for EKS, no aws:SourceAccount for ECS", async () => {
        const out = await plan([], project(), { mutate: withTrust("app", OLD_TRUST) });
        expect(out.code).to.equal(1);
        expect(failedLines(out.stdout)).to.deep.equal([
            "failed: trust of secondary/app: ecs-tasks.amazonaws.com for a resource of unrelated 999999999999 sts:AssumeRole",
            "failed: trust of secondary/app: pods.eks.amazonaws.com sts:TagSession",
        ]);
    });

    it("a trust policy that ignores assumedBy (the account root): another principal of the account fails", async () => {
        const out = await plan([], project(), { mutate: withTrust("app", roleTrustPolicy("aws", CONSUMER, [])) });
        expect(out.code).to.equal(1);
        expect(failedLines(out.stdout)).to.deep.equal([
            "failed: trust of secondary/app: ecs-tasks.amazonaws.com sts:AssumeRole",
            "failed: trust of secondary/app: pods.eks.amazonaws.com sts:AssumeRole",
            "failed: trust of secondary/app: pods.eks.amazonaws.com sts:TagSession",
            `failed: trust of secondary/app: another principal of ${CONSUMER} sts:AssumeRole`,
        ]);
    });

    it("a trust policy open to every AWS principal: the unrelated account's principal fails", async () => {
        const open = {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }],
        };
        const out = await plan([], project(), { mutate: withTrust("plain", open) });
        expect(out.code).to.equal(1);
        expect(failedLines(out.stdout)).to.deep.equal([
            "failed: trust of secondary/plain: principal of unrelated 999999999999 sts:AssumeRole",
        ]);
    });

    // The case, now allowed only with the account named in config: shown, and warned about.
    it("an assumedBy principal of an external account named in externalAccounts: proven, and a warning line", async () => {
        const outsider = "arn:aws:iam::999999999999:role/anyone";
        const dir = project({
            assumedBy: ["pods.eks.amazonaws.com", "ecs-tasks.amazonaws.com", DEPLOYER, outsider],
            externalAccounts: ["999999999999"],
        });
        const warning =
            `role secondary/app trusts ${outsider} of external account 999999999999 (named in its externalAccounts): ` +
            "principals there that may assume it read MySecret";
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect((report as unknown as { warnings: string[] }).warnings).to.deep.equal([warning]);
        const rows = trustRows(report);
        expect(rows).to.deep.include([
            "role secondary/app",
            `${outsider} (external account 999999999999)`,
            "sts:AssumeRole",
            "-",
            "Allowed",
            "Allowed",
        ]);
        // The unrelated account of the probes is then another one.
        expect(rows).to.deep.include([
            "role secondary/app",
            "principal of unrelated 999999999998",
            "sts:AssumeRole",
            "-",
            "Denied",
            "ImplicitlyDenied",
        ]);
        const text = await plan([], dir);
        expect(text.stdout).to.include(`\nwarning: ${warning}\n`);
        const md = await plan(["--markdown"], dir);
        expect(md.stdout).to.include(`> **Warning:** ${warning}`);
    });
});

import { expect } from "chai";
import { PlanError } from "../../../common/errors";
import type { ReaderGrant } from "../../../contract/ownerExports";
import { REQUIRED_TRUST_ACTIONS, trustChecks } from "../../../plan/proof/trust";
import { roleTrustPolicy, SERVICE_TRUST, type ServiceTrust } from "../../../policies/documents";
import { committed, plan, planJson, tempProject, type JsonReport } from "../helpers";

/**
 * The trust probes expect what each service's documentation requires (REQUIRED_TRUST_ACTIONS),
 * not what the trust policy builder writes (SERVICE_TRUST): a builder that forgets an action
 * fails the plan. IAM Roles Anywhere needs sts:AssumeRole, sts:TagSession and
 * sts:SetSourceIdentity (https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html).
 */

const CONSUMER = "222222222222";

/** The committed stacks with one role reader `app`, assumed by `services`. */
function project(services: string[]): string {
    return tempProject({
        primary: {
            ...committed("primary").config,
            "secretshare:consumers": {
                secondary: { accountId: CONSUMER, readers: [{ role: "app", assumedBy: services }] },
            },
            "secretshare:secrets": [{ name: "MySecret", username: "Alice", readers: ["secondary/app"] }],
        },
        secondary: committed("secondary").config,
    });
}

const allowedTrust = (report: JsonReport) =>
    report.access
        .filter((a) => a.check.startsWith("trust of ") && a.expected === "Allowed")
        .map((a) => [a.who, a.action, a.decision]);

const failedLines = (stdout: string) =>
    stdout
        .split("\n")
        .filter((l) => l.startsWith("failed: "))
        .map((l) => l.slice(0, l.indexOf(": expected")));

/** Runs `fn` with the builder's entry for `service` replaced by `entry`, as a builder bug would. */
async function withBuilderEntry<T>(service: string, entry: ServiceTrust, fn: () => Promise<T>): Promise<T> {
    const table = SERVICE_TRUST as Record<string, ServiceTrust>;
    const before = table[service];
    table[service] = entry;
    try {
        return await fn();
    } finally {
        table[service] = before;
    }
}

describe("trust probes: the actions each service requires, from a table of their own", function () {
    this.timeout(60000);

    it("the proof's table and the builder's name the same services, each with its documentation", () => {
        expect(Object.keys(REQUIRED_TRUST_ACTIONS).sort()).to.deep.equal(Object.keys(SERVICE_TRUST).sort());
        for (const [service, r] of Object.entries(REQUIRED_TRUST_ACTIONS)) {
            expect(r.source, service).to.match(/^https:\/\/docs\.aws\.amazon\.com\//);
            expect(r.actions, service).to.include("sts:AssumeRole");
            // What the builder writes today agrees with what the documentation requires.
            expect([...SERVICE_TRUST[service].actions], service).to.deep.equal([...r.actions]);
            expect(SERVICE_TRUST[service].sourceAccount, service).to.equal(r.sendsSourceAccount);
        }
        expect(REQUIRED_TRUST_ACTIONS["rolesanywhere.amazonaws.com"]).to.deep.equal({
            actions: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            sendsSourceAccount: false,
            source: "https://docs.aws.amazon.com/rolesanywhere/latest/userguide/trust-model.html",
        });
    });

    it("IAM Roles Anywhere: the trust policy allows its three actions, and the plan proves each", async () => {
        expect(roleTrustPolicy("aws", CONSUMER, ["rolesanywhere.amazonaws.com"]).Statement).to.deep.equal([
            {
                Sid: "ServiceAssumesTagsAndSetsSourceIdentityReaderRole",
                Effect: "Allow",
                Principal: { Service: "rolesanywhere.amazonaws.com" },
                Action: ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            },
        ]);
        const { code, report } = await planJson([], project(["rolesanywhere.amazonaws.com"]));
        expect(report.access.filter((a) => !a.ok)).to.deep.equal([]);
        expect(code).to.equal(0);
        expect(allowedTrust(report)).to.deep.equal([
            ["rolesanywhere.amazonaws.com", "sts:AssumeRole", "Allowed"],
            ["rolesanywhere.amazonaws.com", "sts:TagSession", "Allowed"],
            ["rolesanywhere.amazonaws.com", "sts:SetSourceIdentity", "Allowed"],
        ]);
    });

    // The builder's table is the only place that says what EKS needs in the trust policy: if it
    // forgets sts:TagSession, the probes (from the proof's own table) still ask for it.
    it("a builder without sts:TagSession for EKS Pod Identity fails the plan", async () => {
        const dir = project(["pods.eks.amazonaws.com"]);
        const out = await withBuilderEntry(
            "pods.eks.amazonaws.com",
            { ...SERVICE_TRUST["pods.eks.amazonaws.com"], actions: ["sts:AssumeRole"] },
            () => plan([], dir),
        );
        expect(out.code).to.equal(1);
        expect(failedLines(out.stdout)).to.deep.equal([
            "failed: trust of secondary/app: pods.eks.amazonaws.com sts:TagSession",
        ]);
        // With the builder as it is, the same project passes.
        expect((await plan([], dir)).code).to.equal(0);
    });

    it("a builder without sts:SetSourceIdentity for IAM Roles Anywhere fails the plan", async () => {
        const out = await withBuilderEntry(
            "rolesanywhere.amazonaws.com",
            { ...SERVICE_TRUST["rolesanywhere.amazonaws.com"], actions: ["sts:AssumeRole", "sts:TagSession"] },
            () => plan([], project(["rolesanywhere.amazonaws.com"])),
        );
        expect(out.code).to.equal(1);
        expect(failedLines(out.stdout)).to.deep.equal([
            "failed: trust of secondary/app: rolesanywhere.amazonaws.com sts:SetSourceIdentity",
        ]);
    });

    it("a service principal the proof does not know: the plan cannot prove the role, and says so", () => {
        const reader: ReaderGrant = {
            kind: "role",
            name: "app",
            path: "/",
            existing: false,
            arn: `arn:aws:iam::${CONSUMER}:role/app`,
            assumedBy: ["ecs-task.amazonaws.com"],
            secrets: ["MySecret"],
        };
        const call = () =>
            trustChecks({
                account: "secondary",
                reader,
                identity: { arn: reader.arn, policies: [] },
                stranger: "999999999999",
                taken: new Set(),
                inside: new Set([CONSUMER]),
            });
        expect(call).to.throw(PlanError, /^role secondary\/app trusts ecs-task\.amazonaws\.com, a service principal/);
    });
});

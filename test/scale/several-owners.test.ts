import { expect } from "chai";
import { plan, planJson, tempProject, withExampleWorld, type JsonReport } from "../plan/helpers";
import { parseConfig } from "../../config";
import { ConfigError } from "../../common/errors";

/**
 * A consumer stack that reads several owner stacks (`secretshare:ownerStacks`): two and three
 * owner stacks granting one identity, owners in two Regions, each proven end to end by the
 * offline plan (the real program under the mock runtime, then the access matrix).
 */

const OWNER = "111111111111";
const APPS = "222222222222";
const ref = (stack: string) => `organization/secretshare/${stack}`;
const PLAN_TIMEOUT = 300_000;

/** An owner stack whose `secrets` are read by the existing user Stuart and the created role app-reader. */
function owner(
    alias: string,
    secrets: readonly string[],
    region = "us-east-1",
    watch = false,
): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["aws"],
        "secretshare:mode": "owner",
        "secretshare:owner": { accountId: OWNER, region },
        "secretshare:key": { alias },
        "secretshare:consumers": {
            apps: { accountId: APPS, readers: [{ user: "Stuart", existing: true }, { role: "app-reader" }] },
        },
        "secretshare:secrets": secrets.map((name) => ({
            name,
            username: "app",
            readers: ["apps/Stuart", "apps/app-reader"],
        })),
        ...(!watch && { "secretshare:watch": { enabled: false } }),
    };
}

function consumer(owners: readonly string[]): Record<string, unknown> {
    return {
        "pulumi:disable-default-providers": ["aws"],
        "secretshare:mode": "consumer",
        "secretshare:ownerStacks": owners.map(ref),
        "secretshare:consumer": { name: "apps", accountId: APPS, region: "us-east-1" },
    };
}

const allowed = (report: JsonReport, who: string, secretPrefix: string) =>
    report.access.filter(
        (c) =>
            c.who.includes(who) &&
            c.expected === "Allowed" &&
            c.action === "secretsmanager:GetSecretValue" &&
            c.secret.startsWith(secretPrefix),
    );

describe("several owner stacks, one consumer stack", function () {
    this.timeout(PLAN_TIMEOUT);

    it("two owner stacks granting one identity: one policy per reader naming both owners' secrets, both proven", async () => {
        // Both in one owner account and Region, both watched: their keys, aliases and watch rules must not collide.
        const dir = withExampleWorld(
            tempProject({
                "team-a": owner("team-a", ["a-db"], "us-east-1", true),
                "team-b": owner("team-b", ["b-db"], "us-east-1", true),
                apps: consumer(["team-a", "team-b"]),
            }),
        );
        const { code, report, stderr } = await planJson(["--dir", dir]);
        expect(code, stderr).to.equal(0);
        expect(report.stacks.map((s) => s.name)).to.deep.equal(["team-a", "team-b", "apps"]);
        const apps = report.stacks.find((s) => s.name === "apps") as JsonReport["stacks"][number];
        // `reads` keeps its form (the first owner); `readsAll` lists each owner stack read.
        const read = (stack: string) => ({ reference: ref(stack), stack });
        expect([apps.reads, apps.readsAll]).to.deep.equal([read("team-a"), [read("team-a"), read("team-b")]]);
        expect(report.stacks.find((s) => s.name === "team-a")).to.not.have.property("readsAll");
        // One inline policy per reader (user and role), naming both secrets and both keys.
        const policies = apps.resources.filter(
            (r) => r.type === "aws:iam/userPolicy:UserPolicy" || r.type === "aws:iam/rolePolicy:RolePolicy",
        );
        expect(policies).to.have.length(2);
        for (const p of policies) {
            const doc = JSON.parse(p.inputs.policy as string) as { Statement: { Resource: string[] }[] };
            expect(doc.Statement[0].Resource).to.have.length(2);
            expect(doc.Statement[0].Resource.some((r) => r.includes(":secret:a-db-"))).to.equal(true);
            expect(doc.Statement[0].Resource.some((r) => r.includes(":secret:b-db-"))).to.equal(true);
            expect(doc.Statement[1].Resource).to.have.length(2);
        }
        // The matrix: Stuart reads both owners' secrets.
        expect(allowed(report, "Stuart", "a-db").every((c) => c.ok)).to.equal(true);
        expect(allowed(report, "Stuart", "a-db")).to.not.deep.equal([]);
        expect(allowed(report, "Stuart", "b-db")).to.not.deep.equal([]);
        expect(report.summary.failed).to.equal(0);
        // The consumer's exports qualify each secret by its owner stack.
        expect(
            Object.keys((apps.outputs.readerSecrets as Record<string, Record<string, string>>).Stuart).sort(),
        ).to.deep.equal([`${ref("team-a")}:a-db`, `${ref("team-b")}:b-db`]);
    });

    it("three owner stacks granting one identity, two with a secret of the same name (in two Regions)", async () => {
        const dir = withExampleWorld(
            tempProject({
                "team-a": owner("team-a", ["db"]),
                "team-b": owner("team-b", ["db"], "eu-west-1"),
                "team-c": owner("team-c", ["db-c", "cache"]),
                apps: consumer(["team-a", "team-b", "team-c"]),
            }),
        );
        const { code, report, stderr } = await planJson(["--dir", dir]);
        expect(code, stderr).to.equal(0);
        expect(report.stacks.map((s) => s.name).slice(-1)).to.deep.equal(["apps"]);
        const apps = report.stacks.find((s) => s.name === "apps") as JsonReport["stacks"][number];
        const user = apps.resources.find((r) => r.type === "aws:iam/userPolicy:UserPolicy");
        const doc = JSON.parse(user?.inputs.policy as string) as { Statement: { Resource: string[] }[] };
        expect(doc.Statement[0].Resource).to.have.length(4);
        // Keys of us-east-1 (team-a, team-c) in one statement, team-b's of eu-west-1 in another.
        expect(doc.Statement[1].Resource).to.have.length(2);
        expect(doc.Statement[2].Resource).to.match(/^arn:aws:kms:eu-west-1:/);
        expect(
            Object.keys((apps.outputs.readerSecrets as Record<string, Record<string, string>>).Stuart).sort(),
        ).to.deep.equal([
            `${ref("team-a")}:db`,
            `${ref("team-b")}:db`,
            `${ref("team-c")}:cache`,
            `${ref("team-c")}:db-c`,
        ]);
        expect(allowed(report, "Stuart", "db")).to.not.deep.equal([]);
        expect(report.summary.failed).to.equal(0);
    });

    it("owners in two Regions: a Decrypt statement per Region, through Secrets Manager of that Region", async () => {
        const dir = withExampleWorld(
            tempProject({
                east: owner("east", ["east-db"], "us-east-1"),
                west: owner("west", ["west-db"], "eu-west-1"),
                apps: consumer(["east", "west"]),
            }),
        );
        const { code, report, stderr } = await planJson(["--dir", dir]);
        expect(code, stderr).to.equal(0);
        const apps = report.stacks.find((s) => s.name === "apps") as JsonReport["stacks"][number];
        const role = apps.resources.find((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
        const doc = JSON.parse(role?.inputs.policy as string) as {
            Statement: {
                Sid: string;
                Resource: string | string[];
                Condition?: Record<string, Record<string, string>>;
            }[];
        };
        expect(doc.Statement.map((s) => s.Sid)).to.deep.equal([
            "ReadSharedSecrets",
            "DecryptViaSecretsManager",
            "DecryptViaSecretsManagereuwest1",
        ]);
        expect(doc.Statement[1].Condition?.StringEquals["kms:ViaService"]).to.equal(
            "secretsmanager.us-east-1.amazonaws.com",
        );
        expect(doc.Statement[1].Resource).to.match(/^arn:aws:kms:us-east-1:/);
        expect(doc.Statement[2].Condition?.StringEquals["kms:ViaService"]).to.equal(
            "secretsmanager.eu-west-1.amazonaws.com",
        );
        expect(doc.Statement[2].Resource).to.match(/^arn:aws:kms:eu-west-1:/);
        expect(allowed(report, "app-reader", "west-db")).to.not.deep.equal([]);
        expect(allowed(report, "app-reader", "east-db")).to.not.deep.equal([]);
        expect(report.summary.failed).to.equal(0);
    });

    it("two owners granting one name as different identities: the consumer stack refuses, naming both", async () => {
        const b = owner("team-b", ["b-db"]);
        b["secretshare:consumers"] = {
            apps: {
                accountId: APPS,
                readers: [
                    { user: "Stuart", existing: true },
                    { role: "app-reader", path: "/apps/" },
                ],
            },
        };
        const dir = withExampleWorld(
            tempProject({
                "team-a": owner("team-a", ["a-db"]),
                "team-b": b,
                apps: consumer(["team-a", "team-b"]),
            }),
        );
        const { code, stderr } = await plan(["--dir", dir]);
        expect(code).to.not.equal(0);
        expect(stderr).to.contain(
            `owner stacks ${ref("team-a")} and ${ref("team-b")} grant role app-reader as different identities`,
        );
    });
});

describe("config: secretshare:ownerStacks", () => {
    const base = { mode: "consumer", consumer: { name: "apps", accountId: APPS, region: "us-east-1" } };
    const problems = (values: Record<string, unknown>) => {
        try {
            parseConfig("apps", values);
            return [];
        } catch (e) {
            if (e instanceof ConfigError) return e.problems;
            throw e;
        }
    };

    it("accepts a list, and the single ownerStack as a list of one", () => {
        const many = parseConfig("apps", { ...base, ownerStacks: [ref("a"), ref("b")] });
        expect(many.mode === "consumer" && many.ownerStacks).to.deep.equal([ref("a"), ref("b")]);
        const one = parseConfig("apps", { ...base, ownerStack: ref("a") });
        expect(one.mode === "consumer" && [one.ownerStack, one.ownerStacks]).to.deep.equal([ref("a"), [ref("a")]]);
    });

    it("refuses both at once, naming both keys and their values", () => {
        expect(problems({ ...base, ownerStack: ref("a"), ownerStacks: [ref("b")] })).to.deep.equal([
            `secretshare:ownerStack = "${ref("a")}" and secretshare:ownerStacks = ["${ref("b")}"]: set one of them: ` +
                "ownerStack for one owner stack, or ownerStacks for a list of them (the one as its only item)",
        ]);
    });

    it("refuses an empty list, a malformed reference and a stack listed twice", () => {
        expect(problems({ ...base, ownerStacks: [] })[0]).to.contain("expected at least one owner stack");
        expect(problems({ ...base, ownerStacks: ["team-a"] })[0]).to.contain(
            "expected a fully qualified stack name <org>/<project>/<stack>",
        );
        expect(problems({ ...base, ownerStacks: [ref("a"), ref("a")] })[0]).to.contain(`${ref("a")} is listed twice`);
    });
});

import * as path from "path";
import { expect } from "chai";
import { EXAMPLE_KEY_POLICY, EXAMPLE_SECRET_POLICY, EXAMPLE_WORLD, EXAMPLE_KEY_ARN } from "../../plan/existingWorld";
import { originsOf } from "../../plan/origins";
import { committed, plan, planJson, tempProject, withExampleWorld, type JsonReport } from "./helpers";
import { AwsMocks, ROOT, run } from "../mocks";

/** The plan marks each AWS resource  created, adopted, policy-only or read. */

const EXISTING = path.join(ROOT, "examples", "existing");

const reportOrigins = (report: JsonReport, stack: string) =>
    Object.fromEntries(
        (report.stacks.find((s) => s.name === stack)?.resources ?? [])
            .filter((r) => r.type.startsWith("aws:") && !r.name.startsWith("watch"))
            .map((r) => [`${r.type} ${r.name}`, r.origin]),
    );

describe("plan: where each resource comes from", () => {
    it("the committed stacks create everything they register", async () => {
        const { code, report } = await planJson();
        expect(code).to.equal(0);
        expect(reportOrigins(report, "primary")).to.deep.equal({
            "aws:kms/key:Key share-key": "created",
            "aws:kms/alias:Alias share-alias": "created",
            "aws:secretsmanager/secret:Secret share-MySecret": "created",
            "aws:secretsmanager/secretPolicy:SecretPolicy share-MySecret-policy": "created",
            "aws:secretsmanager/secretVersion:SecretVersion share-MySecret-value": "created",
        });
        expect(reportOrigins(report, "secondary")).to.deep.equal({
            "aws:iam/user:User secondary-Stuart": "created",
            "aws:iam/userPolicy:UserPolicy secondary-Stuart-read": "created",
        });
    });

    it("the seed's own starting point: only the three policies, each policy-only, and Stuart still reads", async () => {
        const { code, report } = await planJson([], EXISTING);
        expect(code).to.equal(0);
        // Stuart's 14, and 8 for what other teams' statements let principals do (kept).
        expect(report.summary).to.deep.equal({ checks: 22, asExpected: 22, failed: 0 });
        expect(reportOrigins(report, "primary")).to.deep.equal({
            "aws:kms/keyPolicy:KeyPolicy share-key-policy": "policy-only",
            "aws:secretsmanager/secretPolicy:SecretPolicy share-MySecret-policy": "policy-only",
        });
        expect(reportOrigins(report, "secondary")).to.deep.equal({
            "aws:iam/userPolicy:UserPolicy secondary-Stuart-read": "policy-only",
        });
        // Every statement someone else put there is still in the documents the plan proved.
        const primary = report.stacks.find((s) => s.name === "primary")?.resources ?? [];
        const doc = (type: string) =>
            JSON.parse(primary.find((r) => r.type === type)?.inputs.policy as string) as {
                Statement: { Sid: string }[];
            };
        const sids = (d: { Statement: { Sid?: string }[] }) => d.Statement.map((s) => s.Sid);
        expect(sids(doc("aws:kms/keyPolicy:KeyPolicy"))).to.include.members(sids(EXAMPLE_KEY_POLICY));
        expect(sids(doc("aws:secretsmanager/secretPolicy:SecretPolicy"))).to.include.members(
            sids(EXAMPLE_SECRET_POLICY),
        );
    });

    it("an adopted key is marked adopted", async () => {
        const primary = committed("primary").config;
        const dir = withExampleWorld(
            tempProject({
                primary: { ...primary, "secretshare:key": { existing: "alias/MyKey", adopt: true } },
                secondary: committed("secondary").config,
            }),
        );
        const { code, report } = await planJson([], dir);
        expect(code).to.equal(0);
        expect(reportOrigins(report, "primary")["aws:kms/key:Key share-key"]).to.equal("adopted");
        expect(reportOrigins(report, "primary")["aws:secretsmanager/secret:Secret share-MySecret"]).to.equal("created");
    });
});

describe("origins of a mix of existing and created keys and secrets", () => {
    const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:111111111111:secret:${name}-Ab12Cd`;
    // A is shared as it is, B adopted, C re-encrypted (so adopted) from aws/secretsmanager, D created.
    const world = {
        ...EXAMPLE_WORLD,
        secrets: [
            { arn: arn("A"), kmsKeyId: EXAMPLE_KEY_ARN },
            { arn: arn("B"), kmsKeyId: EXAMPLE_KEY_ARN },
            { arn: arn("C") },
        ],
    };
    const readers = ["secondary/Stuart"];

    it("an existing key is policy-only; existing secrets policy-only or adopted; a new one created", async () => {
        const r = await run(
            "primary",
            {
                "secretshare:key": { existing: "alias/MyKey" },
                "secretshare:secrets": [
                    { name: "A", existing: true, readers },
                    { name: "B", existing: true, adopt: true, readers },
                    { name: "C", existing: true, reencrypt: true, readers },
                    { name: "D", username: "Dora", readers },
                ],
            },
            { mocks: new AwsMocks({}, world) },
        );
        const origins = originsOf(r.resources, r.options);
        const of = (type: string, name: string) => origins[`${type}::${name}`];
        expect(of("aws:kms/keyPolicy:KeyPolicy", "share-key-policy")).to.equal("policy-only");
        expect(Object.keys(origins).filter((k) => k.startsWith("aws:kms/key:Key::share"))).to.deep.equal([]);
        expect(of("aws:secretsmanager/secretPolicy:SecretPolicy", "share-A-policy")).to.equal("policy-only");
        expect(Object.keys(origins).filter((k) => k === "aws:secretsmanager/secret:Secret::share-A")).to.deep.equal([]);
        expect(of("aws:secretsmanager/secret:Secret", "share-B")).to.equal("adopted");
        expect(of("aws:secretsmanager/secret:Secret", "share-C")).to.equal("adopted");
        expect(of("aws:secretsmanager/secret:Secret", "share-D")).to.equal("created");
        expect(of("aws:secretsmanager/secretPolicy:SecretPolicy", "share-D-policy")).to.equal("created");
    });

    it("one key per secret: each created key is marked created", async () => {
        const r = await run("primary", { "secretshare:key": { alias: "MyKey", perSecret: true } });
        expect(originsOf(r.resources, r.options)["aws:kms/key:Key::share-MySecret-key"]).to.equal("created");
    });
});

describe("plan: the watch it lists", () => {
    it("lists the watched calls and counts subscribers by kind, never their addresses", async () => {
        const dir = tempProject({
            primary: {
                ...committed("primary").config,
                "secretshare:watch": {
                    subscribers: [{ email: "platform-team@example.com" }, { https: "https://hooks.example.com/x" }],
                },
            },
            secondary: committed("secondary").config,
        });
        const out = await plan([], dir);
        expect(out.code).to.equal(0);
        expect(out.stdout).to.include(
            "watch: 2 EventBridge rules in us-east-1 on DeleteSecret, PutResourcePolicy, DeleteResourcePolicy, " +
                "UpdateSecret, RestoreSecret, CancelRotateSecret, RemoveRegionsFromReplication, ScheduleKeyDeletion, " +
                "DisableKey, PutKeyPolicy, CreateGrant; subscribers: 2 (email 1, https 1)\n",
        );
        const md = await plan(["--markdown"], dir);
        expect(md.stdout).to.include("> watch: 2 EventBridge rules");
        for (const form of [out.stdout, out.stderr, md.stdout]) {
            expect(form).not.to.include("platform-team@example.com");
            expect(form).not.to.include("hooks.example.com");
        }
    });

    it("says when nobody is subscribed (the committed stacks)", async () => {
        const out = await plan([]);
        expect(out.stdout).to.match(
            /^watch: 2 EventBridge rules .*subscribers: 0 \(email 0, https 0\) - nobody is told/m,
        );
    });
});

import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import type { RegisteredResource } from "../../../plan/mocks";
import { parseWorld, serializeWorld, WORLD_FILE } from "../../../plan/world";
import { ROOT } from "../../mocks";
import { plan, planJson } from "../helpers";
import { TEAM_KEY_ARN, TEAM_SECRET_ARN, teamProject, teamWorld, writeWorld } from "./helpers";

/**
 * `npm start -- --world FILE`: the plan against a world snapshot, the example world as a file,
 * a team's own existing key and secret, what a snapshot does not record, a file that is not a
 * snapshot, and the plan without a snapshot: not proven, with exit code 4.
 */

const EXAMPLE = path.join(ROOT, "examples", "existing");

describe("npm start: the world snapshot", () => {
    it("plans examples/existing against its world.json by default, as with --world", async () => {
        const beside = await plan(["--verbose"], EXAMPLE);
        expect(beside.code, beside.stderr).to.equal(0);
        expect(beside.stdout.split("\n")[1]).to.equal(
            `note: existing resources as the world snapshot ${path.join(EXAMPLE, WORLD_FILE)} recorded them (2026-11-28T09:00:00.000Z)`,
        );
        const given = await plan(["--verbose", "--world", path.join(EXAMPLE, WORLD_FILE)], EXAMPLE);
        expect(given.code).to.equal(0);
        const body = (s: string) => s.split("\n").slice(2).join("\n");
        expect(body(given.stdout)).to.equal(body(beside.stdout));
        expect(beside.stdout).to.match(/access: 22 checks, 22 as expected; 8 kept/);
    });

    it("the committed example world is a snapshot in its stable form", () => {
        const file = path.join(EXAMPLE, WORLD_FILE);
        const world = parseWorld(fs.readFileSync(file, "utf8"), file);
        expect(world.keys.map((k) => k.aliases)).to.deep.equal([["alias/MyKey"]]);
        expect(world.identities.map((i) => Object.keys(i.inline))).to.deep.equal([["ManageOwnAccessKeys"]]);
        // The same content whatever order the lists come in.
        const shuffled = {
            ...world,
            absent: ["arn:aws:iam::222222222222:user/Zed", "arn:aws:iam::222222222222:user/Amy"],
        };
        const text = serializeWorld(shuffled);
        expect(serializeWorld({ ...shuffled, absent: [...shuffled.absent].reverse() })).to.equal(text);
        expect(Object.keys(JSON.parse(text) as object)).to.deep.equal([
            "format",
            "version",
            "recorded",
            "keys",
            "secrets",
            "identities",
            "managedPolicies",
            "accounts",
            "absent",
        ]);
    });

    it("with --world, a team's own alias/TeamKey and TeamDb plan with exit 0", async () => {
        const dir = teamProject();
        const file = writeWorld(dir, teamWorld(), "team-world.json");
        const { code, report, stderr } = await planJson(["--world", file], dir);
        expect(code, stderr).to.equal(0);
        expect(report.ok).to.equal(true);
        const allowed = report.access.filter((c) => c.expected === "Allowed");
        expect(allowed.map((c) => [c.who, c.action, c.resource, c.decision])).to.deep.equal([
            ["secondary/Stuart", "secretsmanager:GetSecretValue", TEAM_SECRET_ARN, "Allowed"],
            ["secondary/Stuart", "kms:Decrypt", TEAM_KEY_ARN, "Allowed"],
        ]);
        // Before snapshots, planning this stopped with "no such key".
        expect(stderr).not.to.include("no such key");
    });

    it("simulates what an existing reader already holds: its own team's Deny fails the grant", async () => {
        const dir = teamProject();
        const world = teamWorld();
        const deny = {
            Version: "2012-10-17",
            Statement: [{ Sid: "NoSecrets", Effect: "Deny", Action: "secretsmanager:*", Resource: "*" }],
        };
        const file = writeWorld(dir, { ...world, identities: [{ ...world.identities[0], inline: { Guard: deny } }] });
        const { code, report } = await planJson(["--world", file], dir);
        expect(code).to.equal(1);
        const read = report.access.find(
            (c) =>
                c.who === "secondary/Stuart" &&
                c.action === "secretsmanager:GetSecretValue" &&
                c.expected === "Allowed",
        );
        expect(read?.decision).to.equal("ExplicitlyDenied");
        expect(read?.ok).to.equal(false);
    });

    it("stops, naming each resource, when the snapshot does not record what the config names", async () => {
        const dir = teamProject();
        const file = writeWorld(dir, { ...teamWorld(), secrets: [], identities: [] }, "old.json");
        const { code, stdout, stderr } = await plan(["--world", file], dir);
        expect(code).to.equal(2);
        expect(stdout).to.equal("");
        expect(stderr).to.equal(
            `error: world snapshot ${file} records nothing about 2 resources the config names, so the plan cannot tell ` +
                "what they hold (the snapshot is older than the config?):\n" +
                '  - secret TeamDb (secretshare:secrets[0] of stack "primary", account 111111111111, us-east-1)\n' +
                '  - user Stuart (secretshare:consumers.secondary.readers (user Stuart) of stack "primary", account 222222222222)\n' +
                `Record the snapshot again with the owner's and the consumers' credentials: npm run verify -- --snapshot ${file} ` +
                "--dir <project> --owner-profile <name> --consumer-profile <name> (docs/existing.md)\n",
        );
    });

    it("refuses a file that is not a snapshot, naming the file, each field's path and what it expects", async () => {
        const dir = teamProject();
        const world = teamWorld();
        const bad = {
            ...world,
            keys: [{ ...world.keys[0], keyManager: "customer", colour: "blue" }],
            secrets: [{ ...world.secrets[0], arn: "TeamDb" }],
        };
        const file = writeWorld(dir, bad, "bad.json");
        const { code, stderr } = await plan(["--world", file], dir);
        expect(code).to.equal(2);
        expect(stderr).to.equal(
            `error: world snapshot ${file} does not fit the snapshot format (secretshare-world version 1, docs/existing.md):\n` +
                '  - keys[0].keyManager: expected "CUSTOMER" or "AWS" (DescribeKey\'s KeyManager)\n' +
                '  - keys[0]: unknown field "colour"\n' +
                "  - secrets[0].arn: expected an ARN such as arn:aws:secretsmanager:us-east-1:111111111111:secret:<name>-<6 characters>\n",
        );
        const version = writeWorld(dir, { ...world, version: 2 }, "v2.json");
        expect((await plan(["--world", version], dir)).stderr).to.include(
            "  - version: expected 1: this plan reads version 1 snapshots; record the snapshot again",
        );
        const notJson = path.join(dir, "not.json");
        fs.writeFileSync(notJson, "{ keys: ");
        expect((await plan(["--world", notJson], dir)).stderr).to.match(
            new RegExp(`^error: world snapshot ${notJson.replace(/[.]/g, "\\.")}: not valid JSON \\(`),
        );
        const missing = path.join(dir, "nope.json");
        expect((await plan(["--world", missing], dir)).stderr).to.equal(
            `error: world snapshot ${missing}: cannot be read (ENOENT)\n`,
        );
    });

    it("without a snapshot: existing resources unknown, every check on them not proven, exit 5", async () => {
        const dir = teamProject();
        const { code, report, stderr } = await planJson([], dir);
        expect(code, stderr).to.equal(5);
        const json = report as unknown as {
            ok: boolean;
            proven: boolean;
            summary: { asExpected: number; notProvenUnknownWorld: number };
            unknownWorld: { resources: { kind: string; arn: string }[]; checks: { check: string }[]; limits: string[] };
        };
        expect(json.ok).to.equal(false);
        expect(json.proven).to.equal(false);
        expect(json.unknownWorld.resources.map((r) => r.kind)).to.deep.equal(["key", "secret", "user"]);
        // Every check is on the unknown secret, key or reader: none is counted as proven.
        expect(json.unknownWorld.checks.map((c) => c.check)).to.deep.equal(report.access.map((c) => c.check));
        expect(json.summary.asExpected).to.equal(0);
        expect(json.unknownWorld.limits).to.have.length(3);

        const text = await plan(["--verbose"], dir);
        expect(text.code).to.equal(5);
        expect(text.stdout).to.match(/^not proven {2}TeamDb {2}secondary\/Stuart +secretsmanager:GetSecretValue/m);
        expect(text.stdout).not.to.match(/^ok /m);
        expect(text.stdout).to.include(
            "NOT PROVEN: no world snapshot, so what these existing resources hold now is unknown; they were planned with stand-ins:\n" +
                '  - key alias/TeamKey (secretshare:key.existing of stack "primary", account 111111111111, us-east-1): ' +
                "its key policy (planned as AWS's default key policy: the account root only)",
        );
        expect(text.stdout).to.include(`npm run verify -- --snapshot ${dir}/world.json --dir ${dir} --owner-profile`);
        expect(text.stdout.trimEnd().split("\n").at(-1)).to.match(
            /^access: \d+ checks, 0 as expected, \d+ NOT PROVEN \(with 3 limit checks: they depend on 3 existing resources unknown without a world snapshot\)/,
        );
        const md = await plan(["--markdown"], dir);
        expect(md.code).to.equal(5);
        const short = await plan([], dir);
        expect(short.code).to.equal(5);
        expect(short.stdout).to.include("NOT PROVEN: no world snapshot");
        expect(md.stdout.split("\n")[0]).to.match(/^## secretshare plan: ❔ access: /);
    });

    it("without a snapshot, who can read is not proven for a secret on stand-ins, never 'every set as intended'", async () => {
        const dir = teamProject();
        const { code, report, stderr } = await planJson([], dir);
        expect(code, stderr).to.equal(5);
        const who = (report as unknown as { whoCanRead: { secrets: { name: string; notProven: string[] }[] } })
            .whoCanRead;
        const team = who.secrets.find((s) => s.name === "TeamDb");
        expect(team?.notProven).to.include.members([
            'key alias/TeamKey (secretshare:key.existing of stack "primary", account 111111111111, us-east-1) is planned with a stand-in (no world snapshot)',
        ]);
        expect(
            team?.notProven.filter((n) => n.endsWith("is planned with a stand-in (no world snapshot)")),
        ).to.have.length(3);
        const text = await plan([], dir);
        expect(text.stdout).to.match(/^who can read: 1 secrets, 0 reader roles; 3 not proven;/m);
        expect(text.stdout).not.to.include("every set as intended");
    });

    it("without a snapshot, a check that fails on what is known still fails (exit 1, not 5)", async () => {
        const dir = teamProject();
        // The secret policy as if the program had written no statement for Stuart.
        const mutate = (_stack: string, resources: RegisteredResource[]) =>
            resources.map((r) =>
                r.type === "aws:secretsmanager/secretPolicy:SecretPolicy"
                    ? {
                          ...r,
                          inputs: {
                              ...r.inputs,
                              policy: JSON.stringify({
                                  Version: "2012-10-17",
                                  Statement: [
                                      { Sid: "Other", Effect: "Deny", Principal: "*", Action: "*", Resource: "*" },
                                  ],
                              }),
                          },
                      }
                    : r,
            );
        const { code, stdout } = await plan(["--verbose"], dir, { mutate });
        expect(code).to.equal(1);
        expect(stdout).to.match(/^FAIL +TeamDb +secondary\/Stuart +secretsmanager:GetSecretValue/m);
    });

    it("without a snapshot, refuses to guess the key of an existing secret when the stack creates its key", async () => {
        const dir = teamProject(["secretshare:key"]);
        const { code, stderr } = await plan([], dir);
        expect(code).to.equal(2);
        expect(stderr).to.equal(
            'error: secret TeamDb (secretshare:secrets[0] of stack "primary", account 111111111111, us-east-1): without a ' +
                "world snapshot the plan cannot tell which KMS key encrypts this existing secret (the stack creates its key, " +
                "so only a key an earlier deploy created would do). Plan against a snapshot (npm start -- --world FILE; " +
                "record one with npm run verify -- --snapshot FILE, docs/existing.md)\n",
        );
    });

    it("a plan that names nothing existing needs no snapshot (the committed stacks: exit 0)", async () => {
        const { code, report } = await planJson([], ROOT);
        expect(code).to.equal(0);
        expect((report as unknown as { proven: boolean; world: string | null }).proven).to.equal(true);
        expect((report as unknown as { world: string | null }).world).to.equal(null);
    });
});

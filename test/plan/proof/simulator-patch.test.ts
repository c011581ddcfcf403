import { execFileSync } from "child_process";
import * as path from "path";
import { expect } from "chai";
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { placeholderKeyArn, placeholderSecretArn, secretArnPattern, secretsManagerService } from "../../../aws/arn";
import { identityPolicy, keyPolicy, type PolicyDocument } from "../../../policies/documents";

/**
 * patches/@cloud-copilot+iam-simulate+0.1.173.patch (applied by `postinstall: patch-package`)
 * teaches the simulator the variable condition key `kms:EncryptionContext:${EncryptionContextKey}`.
 * Unpatched, 0.1.173 only resolves variable keys after a '/' (aws:PrincipalTag/x), so it drops
 * `kms:EncryptionContext:SecretARN` from the request as an ignored key and every condition on it
 * fails: the plan could not prove the key-policy binding. These tests run the real key and
 * identity policies of this program through both builds (CommonJS in process, ESM in a child).
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
 */

const PARTITION = "aws";
const REGION = "us-east-1";
const OWNER = "111111111111";
const CONSUMER = "222222222222";
const READER = `arn:aws:iam::${CONSUMER}:user/stuart`;
const KEY = placeholderKeyArn(PARTITION, REGION, OWNER);
const SECRET = placeholderSecretArn(PARTITION, REGION, OWNER, "MySecret");
const OTHER_SECRET = placeholderSecretArn(PARTITION, REGION, OWNER, "OtherSecret");
const VIA = secretsManagerService(REGION);
const EC = "kms:EncryptionContext:SecretARN";

/** The program's own key policy: the reader may Decrypt via Secrets Manager for MySecret only. */
const KEY_POLICY = keyPolicy({
    partition: PARTITION,
    region: REGION,
    ownerAccountId: OWNER,
    grants: [{ readerArn: READER, secretArns: [secretArnPattern(PARTITION, REGION, OWNER, "MySecret")] }],
    principalForm: "account-root",
    grantDescribeKey: false,
});

const IDENTITY_POLICY = identityPolicy({ region: REGION, grants: [{ secretArn: SECRET, keyArn: KEY }] });

/** A key policy whose reader statement has exactly `condition` (and the principal binding). */
function keyPolicyWith(condition: Record<string, Record<string, string | string[]>>): PolicyDocument {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${CONSUMER}:root` },
                Action: "kms:Decrypt",
                Resource: "*",
                Condition: condition,
            },
        ],
    };
}

interface Case {
    readonly name: string;
    readonly keyPolicy: PolicyDocument;
    readonly context: Record<string, string | string[]>;
    readonly expected: "Allowed" | "ImplicitlyDenied";
    readonly ignored?: readonly string[];
}

/** Derived, never typed by hand per case: the simulator does not derive them from the principal. */
const PRINCIPAL_CONTEXT = { "aws:PrincipalArn": READER, "aws:PrincipalAccount": CONSUMER };

const CASES: readonly Case[] = [
    {
        name: "StringLike on the secret's ARN pattern, the right secret",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, [EC]: SECRET },
        expected: "Allowed",
    },
    {
        name: "StringLike on the secret's ARN pattern, another secret",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, [EC]: OTHER_SECRET },
        expected: "ImplicitlyDenied",
    },
    {
        name: "StringLike on the secret's ARN pattern, no encryption context",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA },
        expected: "ImplicitlyDenied",
    },
    {
        name: "StringLike, the pattern's six characters must all be there",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, [EC]: SECRET.slice(0, -1) },
        expected: "ImplicitlyDenied",
    },
    {
        name: "StringLike, the right secret ARN under another encryption context key",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, "kms:EncryptionContext:SecretName": SECRET },
        expected: "ImplicitlyDenied",
    },
    {
        name: "StringLike, the context key in another case (condition keys are case-insensitive)",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, "kms:encryptioncontext:secretarn": SECRET },
        expected: "Allowed",
    },
    {
        name: "StringEquals on the exact ARN, the right secret",
        keyPolicy: keyPolicyWith({ StringEquals: { [EC]: SECRET } }),
        context: { "kms:ViaService": VIA, [EC]: SECRET },
        expected: "Allowed",
    },
    {
        name: "StringEquals on the exact ARN, another secret",
        keyPolicy: keyPolicyWith({ StringEquals: { [EC]: SECRET } }),
        context: { "kms:ViaService": VIA, [EC]: OTHER_SECRET },
        expected: "ImplicitlyDenied",
    },
    {
        name: "StringEquals on the exact ARN, no encryption context",
        keyPolicy: keyPolicyWith({ StringEquals: { [EC]: SECRET } }),
        context: { "kms:ViaService": VIA },
        expected: "ImplicitlyDenied",
    },
    // Unrelated behaviour the patch must leave alone.
    {
        name: "kms:ViaService of another service is still denied",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": "ssm.us-east-1.amazonaws.com", [EC]: SECRET },
        expected: "ImplicitlyDenied",
    },
    {
        name: "kms:ViaService missing is still denied",
        keyPolicy: KEY_POLICY,
        context: { [EC]: SECRET },
        expected: "ImplicitlyDenied",
    },
    {
        name: "a '/' variable key (aws:PrincipalTag/team) still resolves",
        keyPolicy: keyPolicyWith({ StringEquals: { "aws:PrincipalTag/team": "payments" } }),
        context: { "kms:ViaService": VIA, "aws:PrincipalTag/team": "payments" },
        expected: "Allowed",
    },
    {
        name: "kms:EncryptionContextKeys (no variable, a neighbour by prefix) still resolves",
        keyPolicy: keyPolicyWith({ "ForAnyValue:StringEquals": { "kms:EncryptionContextKeys": "SecretARN" } }),
        context: { "kms:ViaService": VIA, "kms:EncryptionContextKeys": ["SecretARN"] },
        expected: "Allowed",
    },
    {
        name: "an unknown kms key is still ignored",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, [EC]: SECRET, "kms:NoSuchKey": "x" },
        expected: "Allowed",
        ignored: ["kms:NoSuchKey"],
    },
    {
        name: "an encryption context key with an empty name is still ignored",
        keyPolicy: KEY_POLICY,
        context: { "kms:ViaService": VIA, [EC]: SECRET, "kms:EncryptionContext:": SECRET },
        expected: "Allowed",
        ignored: ["kms:EncryptionContext:"],
    },
];

function simulation(c: Case): Simulation {
    return {
        request: {
            principal: READER,
            action: "kms:Decrypt",
            resource: { resource: KEY, accountId: OWNER },
            contextVariables: { ...PRINCIPAL_CONTEXT, ...c.context },
        },
        identityPolicies: [{ name: "reader", policy: IDENTITY_POLICY }],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: c.keyPolicy,
    };
}

interface Outcome {
    readonly decision: string;
    readonly ignored: readonly string[];
}

async function runCjs(c: Case): Promise<Outcome> {
    const r = await runSimulation(simulation(c), {});
    if (r.resultType !== "single") throw new Error(`${c.name}: simulation ${r.resultType}: ${JSON.stringify(r)}`);
    return { decision: r.overallResult, ignored: r.result.ignoredContextKeys ?? [] };
}

/** The ESM build, in a child process (this test runs as CommonJS), all cases in one run. */
function runEsm(cases: readonly Case[]): Outcome[] {
    const entry = require
        .resolve("@cloud-copilot/iam-simulate")
        .replace(`${path.sep}dist${path.sep}cjs${path.sep}`, `${path.sep}dist${path.sep}esm${path.sep}`);
    expect(entry).to.match(/dist[\\/]esm[\\/]index\.js$/);
    const script = `
        const { runSimulation } = await import(${JSON.stringify(`file://${entry}`)});
        const sims = JSON.parse(process.argv[1]);
        const out = [];
        for (const s of sims) {
            const r = await runSimulation(s, {});
            out.push({ decision: r.overallResult ?? r.resultType, ignored: r.result?.ignoredContextKeys ?? [] });
        }
        process.stdout.write(JSON.stringify(out));`;
    const stdout = execFileSync(
        process.execPath,
        ["--input-type=module", "-e", script, JSON.stringify(cases.map(simulation))],
        { encoding: "utf8" },
    );
    return JSON.parse(stdout) as Outcome[];
}

describe("iam-simulate patch: kms:EncryptionContext:<key>", () => {
    it("is applied (else run `npx patch-package`; npm ci runs it as postinstall)", async () => {
        const r = await runCjs(CASES[0]);
        expect(r.ignored, "kms:EncryptionContext:SecretARN ignored: the patch is not applied").to.not.include(EC);
    });

    describe("CommonJS build", () => {
        for (const c of CASES) {
            it(`${c.name}: ${c.expected}`, async () => {
                expect(await runCjs(c)).to.deep.equal({ decision: c.expected, ignored: c.ignored ?? [] });
            });
        }
    });

    it("ESM build: every case decides the same", () => {
        const esm = runEsm(CASES);
        expect(esm.map((r, i) => ({ name: CASES[i].name, ...r }))).to.deep.equal(
            CASES.map((c) => ({ name: c.name, decision: c.expected, ignored: c.ignored ?? [] })),
        );
    });
});

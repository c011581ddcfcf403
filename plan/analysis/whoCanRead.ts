import { accountOfArn, parseArn, secretsManagerService } from "../../aws/arn";
import type { ReaderGrant } from "../../contract/ownerExports";
import type { Plan } from "../plan";
import { exportsOf } from "../proof/checks";
import { isOwnStatement } from "../../existing/merge";
import { Registry } from "../proof/registry";
import { isServicePrincipal, type PolicyRef } from "../proof/simulator";
import { REQUIRED_TRUST_ACTIONS } from "../proof/trust";
import { exact } from "./glob";
import { analyse, VAR_KEYS, type ActionReach, type Finding } from "./intent";
import { accountCube, decide, type Document } from "./reach";
import type { Cube, Point } from "./solver";
import { PRINCIPAL, type Frame } from "./statements";

export type { ActionReach, Entry, Finding, Role } from "./intent";
export { VAR_KEYS };

/**
 * Who can read each secret, exhaustively, from the documents the plan registers: the principals
 * each document lets `GetSecretValue` (by version stage) and `kms:Decrypt` through Secrets Manager,
 * and who can assume each reader role created here, compared with what is intended: the
 * configured readers, the owner account's own principals (its administrators, through its IAM
 * policies) and whoever a statement kept from others lets in (listed as kept, with the statement).
 * Any other principal fails the plan with a counterexample: a concrete principal and the statement
 * that lets it in. The method: docs/analysis.md.
 */

export interface Subject {
    /** A secret's name, or `role <account>/<name>`. */
    readonly name: string;
    readonly arn: string;
    readonly actions: readonly ActionReach[];
    readonly failures: readonly Finding[];
    readonly notProven: readonly string[];
    readonly notes: readonly string[];
    /** For a role: the secrets its holders read. */
    readonly reads?: readonly string[];
    /** What the simulator is asked to confirm (./confirm.ts): the documents of each action. */
    readonly requests: readonly ConfirmInput[];
}

export interface ConfirmInput {
    readonly frame: Frame;
    readonly context: Readonly<Record<string, string>>;
    readonly resourcePolicy?: PolicyRef;
    /** The principal's identity policies when the plan writes them; else it is assumed to allow. */
    readonly identity: (principal: string) => readonly PolicyRef[] | undefined;
    readonly point: Point;
    readonly what: string;
}

export interface WhoCanRead {
    readonly secrets: readonly Subject[];
    readonly roles: readonly Subject[];
}

export function whoCanRead(plan: Plan): WhoCanRead {
    const stacks = plan.preview ? plan.preview.up : plan.stacks;
    const reg = new Registry(stacks);
    const secrets: Subject[] = [];
    const roles: Subject[] = [];
    const rolesDone = new Set<string>();
    const unknown = new Map((plan.world?.unknown ?? []).map((u) => [u.arn.toLowerCase(), u]));
    for (const stack of stacks) {
        const exports = exportsOf(stack);
        const acceptDefaultStage =
            stack.config !== undefined && stack.config.mode !== "consumer"
                ? stack.config.owner.secretPolicy.acceptDefaultStage
                : false;
        const readers = exports.grants.flatMap((g) => g.readers.map((r) => ({ account: g.account, reader: r })));
        const planned = (r: ReaderGrant) => {
            const a = accountOfArn(r.arn);
            return reg.accounts.has(a) || !plan.unplanned.some((u) => u.consumerAccountId === a);
        };
        for (const name of Object.keys(exports.secretArns).sort()) {
            const arn = exports.secretArns[name];
            const keyArn = reg.secrets.get(arn)?.keyArn ?? exports.keyArns[name];
            const mine = readers.filter((r) => r.reader.secrets.includes(name));
            const subject = secretReach(
                name,
                arn,
                keyArn,
                reg,
                mine.map((r) => r.reader),
                acceptDefaultStage,
                planned,
            );
            // A stand-in (no world snapshot) is not what AWS holds: a set drawn from it proves nothing.
            const standIns = [arn, keyArn, ...mine.map((r) => r.reader.arn)].flatMap((a) => {
                const u = a === undefined ? undefined : unknown.get(a.toLowerCase());
                return u ? [u] : [];
            });
            secrets.push(
                standIns.length
                    ? {
                          ...subject,
                          notProven: [
                              ...subject.notProven,
                              ...standIns.map((u) => `${u.what} is planned with a stand-in (no world snapshot)`),
                          ],
                      }
                    : subject,
            );
        }
        for (const { account, reader } of readers) {
            if (reader.kind !== "role" || reader.existing) continue;
            const id = reg.identityOf(reader);
            if (!id.arn || !id.trust || rolesDone.has(id.arn)) continue;
            rolesDone.add(id.arn);
            roles.push(roleReach(`role ${account}/${reader.name}`, id.arn, id.trust, reader));
        }
    }
    return { secrets, roles };
}

const keptOf = (s: Parameters<typeof isOwnStatement>[0]) => !isOwnStatement(s);

function secretReach(
    name: string,
    arn: string,
    keyArn: string | undefined,
    reg: Registry,
    readers: readonly ReaderGrant[],
    acceptDefaultStage: boolean,
    planned: (r: ReaderGrant) => boolean,
): Subject {
    const owner = accountOfArn(arn);
    const parsed = parseArn(arn);
    const partition = parsed?.partition ?? "aws";
    const secretDoc = reg.secretPolicies.get(arn);
    const keyDoc = keyArn ? reg.keyPolicies.get(keyArn) : undefined;
    const gsvFrame: Frame = {
        action: "secretsmanager:GetSecretValue",
        resource: arn,
        fixed: {},
        vars: { "secretsmanager:versionstage": "stage", "secretsmanager:versionid": "versionId" },
    };
    const viaContext = {
        "kms:ViaService": secretsManagerService(parsed?.region ?? ""),
        "kms:EncryptionContext:SecretARN": arn,
    };
    const decryptFrame: Frame = {
        action: "kms:Decrypt",
        resource: keyArn ?? "",
        fixed: Object.fromEntries(Object.entries(viaContext).map(([k, v]) => [k.toLowerCase(), v])),
        vars: {},
    };
    const identity = (principal: string) => {
        const r = readers.find((x) => x.arn === principal);
        return r && planned(r) ? reg.identityOf(r).policies : undefined;
    };
    const current = { pos: [exact("AWSCURRENT")], neg: [] };
    const readerCubes = (r: ReaderGrant): Cube[] => [
        { [PRINCIPAL]: { pos: [exact(r.arn)], neg: [] }, stage: current },
        ...(acceptDefaultStage
            ? [
                  {
                      [PRINCIPAL]: { pos: [exact(r.arn)], neg: [] },
                      stage: { pos: [], neg: [], absent: true },
                      versionId: { pos: [], neg: [], absent: true },
                  },
              ]
            : []),
    ];
    const gsv = analyse({
        doc: secretDoc && { ...secretDoc, kept: keptOf },
        frame: gsvFrame,
        service: "secretsmanager",
        account: owner,
        partition,
        preferred: { stage: ["AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"] },
        intents: [...readers.flatMap(readerCubes), accountCube(owner)],
        readers: readers.map((r) => r.arn),
        subject: name,
        verb: "read",
    });
    const actions = [gsv];
    const pointsOf = (r: ReaderGrant) => [
        { [PRINCIPAL]: r.arn, stage: "AWSCURRENT" },
        ...(acceptDefaultStage ? [{ [PRINCIPAL]: r.arn }] : []),
    ];
    let decrypt: ReturnType<typeof analyse> | undefined;
    if (keyArn) {
        decrypt = analyse({
            doc: keyDoc && { ...keyDoc, kept: keptOf },
            frame: decryptFrame,
            service: "kms",
            account: accountOfArn(keyArn),
            partition,
            preferred: {},
            intents: [...readers.map((r) => ({ [PRINCIPAL]: { pos: [exact(r.arn)], neg: [] } })), accountCube(owner)],
            readers: readers.map((r) => r.arn),
            subject: name,
            verb: "decrypt (kms:Decrypt via Secrets Manager)",
        });
        actions.push(decrypt);
    }
    const failures = [...gsv.failures, ...(decrypt?.failures ?? [])];
    const notProven = [...gsv.reach.notProven, ...(decrypt?.reach.notProven ?? [])];
    if (!keyArn) notProven.push(`the key of ${name} is not known to the plan: who can decrypt it is not proven`);
    // Each configured reader reads: both sides of both calls, with the identity policies written here.
    for (const r of readers) {
        if (!planned(r)) continue;
        const idp = reg.identityOf(r).policies.map((p): Document => ({ name: p.name, policy: p.policy }));
        for (const point of pointsOf(r)) {
            const stage = point.stage ? `at ${point.stage}` : "naming no stage";
            const d = decide(secretDoc, idp, gsvFrame, "secretsmanager", owner, point);
            if (d === "unknown") notProven.push(`whether configured reader ${r.arn} can read ${name} ${stage}`);
            else if (d !== "Allowed")
                failures.push({
                    text: `configured reader \`${r.arn}\` cannot read \`${name}\` ${stage}: ${d}`,
                    action: gsvFrame.action,
                    resource: arn,
                    point,
                });
        }
        if (keyArn) {
            const point = { [PRINCIPAL]: r.arn };
            const d = decide(keyDoc, idp, decryptFrame, "kms", accountOfArn(keyArn), point);
            if (d === "unknown") notProven.push(`whether configured reader ${r.arn} can decrypt ${name}`);
            else if (d !== "Allowed")
                failures.push({
                    text: `configured reader \`${r.arn}\` cannot decrypt \`${name}\` through Secrets Manager: ${d}`,
                    action: "kms:Decrypt",
                    resource: keyArn,
                    point,
                });
        }
    }
    const requests: ConfirmInput[] = [
        ...gsv.instances.map((point) => ({
            frame: gsvFrame,
            context: {},
            ...(secretDoc && { resourcePolicy: secretDoc }),
            identity,
            point,
            what: `read ${name}`,
        })),
        ...(decrypt?.instances ?? []).map((point) => ({
            frame: decryptFrame,
            context: viaContext,
            ...(keyDoc && { resourcePolicy: keyDoc }),
            identity,
            point,
            what: `decrypt ${name}`,
        })),
    ];
    return {
        name,
        arn,
        actions: actions.map((a) => a.result),
        failures,
        notProven,
        notes: [...gsv.reach.unapplied, ...(decrypt?.reach.unapplied ?? [])],
        requests,
    };
}

function roleReach(name: string, roleArn: string, trust: PolicyRef, reader: ReaderGrant): Subject {
    const account = accountOfArn(roleArn);
    const frame: Frame = {
        action: "sts:AssumeRole",
        resource: roleArn,
        fixed: {},
        vars: { "aws:sourceaccount": "sourceAccount" },
    };
    const assumedBy = reader.assumedBy ?? [];
    const intents: Cube[] = assumedBy.length
        ? assumedBy.map((p) => ({
              [PRINCIPAL]: { pos: [exact(p)], neg: [] },
              ...(isServicePrincipal(p) &&
                  REQUIRED_TRUST_ACTIONS[p]?.sendsSourceAccount && {
                      sourceAccount: { pos: [exact(account)], neg: [] },
                  }),
          }))
        : [accountCube(account)];
    const a = analyse({
        doc: { ...trust },
        frame,
        service: "sts",
        account,
        partition: parseArn(roleArn)?.partition ?? "aws",
        preferred: {},
        intents,
        readers: assumedBy,
        subject: name,
        verb: "assume",
        intendedAs: "assumedBy",
    });
    const failures = [...a.failures];
    for (const p of assumedBy) {
        const sends = isServicePrincipal(p) && REQUIRED_TRUST_ACTIONS[p]?.sendsSourceAccount;
        const point = { [PRINCIPAL]: p, ...(sends && { sourceAccount: account }) };
        const allowAll: Document = {
            name: "own",
            policy: { Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] },
        };
        const d = decide(trust, isServicePrincipal(p) ? [] : [allowAll], frame, "sts", account, point);
        if (d !== "Allowed" && d !== "unknown")
            failures.push({
                text: `\`${p}\` (assumedBy) cannot assume ${name}: ${d}`,
                action: frame.action,
                resource: roleArn,
                point,
            });
    }
    return {
        name,
        arn: roleArn,
        actions: [a.result],
        failures,
        notProven: a.reach.notProven,
        notes: a.reach.unapplied,
        reads: reader.secrets,
        requests: a.instances.map((point) => ({
            frame,
            context: {},
            resourcePolicy: trust,
            identity: () => undefined,
            point,
            what: `assume ${name}`,
        })),
    };
}

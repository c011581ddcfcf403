import {
    anonymousPrincipal,
    getDenialReasons,
    runSimulation,
    type RunSimulationResults,
    type Simulation,
} from "@cloud-copilot/iam-simulate";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { accountOfArn, partitionOf, secretsManagerService } from "../aws/arn";
import type { RegisteredResource } from "./mocks";
import type { Plan, PlannedStack } from "./plan";
import type { BatchMessage, WorkerInput } from "./simulateWorker";

/**
 * The access matrix: who can read each secret, proven with an IAM policy simulator
 * (@cloud-copilot/iam-simulate) on the documents the program registered in the plan — the key
 * policy (`aws:kms/key:Key` input `policy`), the secret's resource policy (`SecretPolicy`) and the
 * consumer identities' policies (`UserPolicy`, `RolePolicy`, `Policy` + attachments). What must
 * hold comes from the owner stack's `grants` export: each reader of each secret gets the whole
 * cross-account chain, and a set of probes that must be denied.
 *
 * Two traps of the simulator are closed in `simulate`: it does not derive `aws:PrincipalArn`
 * and `aws:PrincipalAccount` from the principal (we do, from the ARN, never by hand), and it
 * drops context keys it does not know (`ignoredContextKeys`), which here fails the check: a
 * condition the simulator cannot see proves nothing.
 */

export const ANONYMOUS = "anonymous";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";
export type Expectation = "Allowed" | "Denied";

export interface PolicyRef {
    /** Where the document comes from, e.g. "aws:iam/userPolicy:UserPolicy secondary-Stuart-read". */
    readonly name: string;
    readonly policy: unknown;
}

/** One simulated request. `principal` is an IAM user or role ARN, or ANONYMOUS. */
export interface SimulationRequest {
    readonly principal: string;
    readonly action: string;
    readonly resource: string;
    /** Context keys of the request. `aws:PrincipalArn`/`aws:PrincipalAccount` are derived, never given. */
    readonly context: Readonly<Record<string, string | string[]>>;
    readonly identityPolicies: readonly PolicyRef[];
    readonly resourcePolicy?: PolicyRef;
}

export interface SimulationOutcome {
    /** The simulator's decision; undefined when it refused the request (see `error`). */
    readonly decision?: Decision;
    /** The context actually sent, derived principal keys included. */
    readonly context: Record<string, string | string[]>;
    readonly ignoredContextKeys: readonly string[];
    /** Which policy types denied, for an explanation. */
    readonly deniedBy: readonly string[];
    readonly error?: string;
}

/**
 * The request as AWS would see it: a role acts through a session of that role, and
 * `aws:PrincipalArn` is then the role's ARN; `aws:PrincipalAccount` is the principal's account.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
export function principalContext(principal: string): {
    caller: string;
    context: Record<string, string>;
} {
    if (principal === ANONYMOUS) return { caller: ANONYMOUS, context: {} };
    const m = /^arn:([\w-]+):iam::(\d{12}):(user|role)(\/(?:[^/]+\/)*)?([^/]+)$/.exec(principal);
    if (!m) throw new Error(`not an IAM user or role ARN: ${principal}`);
    const [, partition, account, kind, , name] = m;
    const caller =
        kind === "role" ? `arn:${partition}:sts::${account}:assumed-role/${name}/secretshare-plan` : principal;
    return { caller, context: { "aws:PrincipalArn": principal, "aws:PrincipalAccount": accountOfArn(principal) } };
}

/** Runs one request through the simulator (one action per simulation). */
export async function simulate(request: SimulationRequest): Promise<SimulationOutcome> {
    for (const k of Object.keys(request.context)) {
        if (/^aws:Principal(Arn|Account)$/i.test(k)) {
            throw new Error(`${k} is derived from the principal; do not pass it (${request.principal})`);
        }
    }
    const { caller, context: derived } = principalContext(request.principal);
    const context = { ...derived, ...request.context };
    const simulation: Simulation = {
        request: {
            principal: caller === ANONYMOUS ? anonymousPrincipal : caller,
            action: request.action,
            resource: { resource: request.resource, accountId: accountOfArn(request.resource) },
            contextVariables: context,
        },
        identityPolicies: request.identityPolicies.map((p) => ({ name: p.name, policy: p.policy })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(request.resourcePolicy && { resourcePolicy: request.resourcePolicy.policy }),
    };
    let result: RunSimulationResults;
    try {
        result = await runSimulation(simulation, {});
    } catch (e) {
        return { context, ignoredContextKeys: [], deniedBy: [], error: (e as Error).message };
    }
    if (result.resultType === "error") {
        return { context, ignoredContextKeys: [], deniedBy: [], error: result.errors.message };
    }
    const results = result.resultType === "single" ? [result.result] : result.results;
    const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))].sort();
    const deniedBy =
        result.overallResult === "Allowed"
            ? []
            : [
                  ...new Set(
                      results.flatMap((r) =>
                          getDenialReasons(r.analysis).map(
                              (d) =>
                                  `${d.policyType} policy` +
                                  (d.denialType === "Explicit" && d.statementId ? ` (${d.statementId})` : ""),
                          ),
                      ),
                  ),
              ];
    // Cross-account, a request with no resource policy at all is denied without a statement to name.
    if (result.overallResult !== "Allowed" && !request.resourcePolicy && deniedBy.length === 0) {
        deniedBy.push("no resource policy");
    }
    return { decision: result.overallResult, context, ignoredContextKeys: ignored, deniedBy };
}

// ---------------------------------------------------------------------------------------------
// The checks, from the plan's registered resources.

export interface Check extends SimulationRequest {
    /** A stable name for the line, e.g. "MySecret: secondary/Stuart GetSecretValue AWSCURRENT". */
    readonly name: string;
    readonly secret: string;
    /** `<consumer account>/<reader>`, or who the probe is. */
    readonly who: string;
    readonly expected: Expectation;
}

export interface CheckResult extends Check {
    readonly decision: Decision | "Error";
    readonly outcome: SimulationOutcome;
    readonly ok: boolean;
    /** Why the check failed, in words. */
    readonly reason?: string;
}

/** A grant that no check can prove, because the stack that provisions the reader was not planned. */
export interface NotProven {
    readonly secret: string;
    readonly reader: string;
    readonly reason: string;
}

export interface AccessMatrix {
    readonly checks: readonly CheckResult[];
    readonly notProven: readonly NotProven[];
}

interface SecretInfo {
    readonly name: string;
    readonly arn: string;
    readonly keyArn?: string;
    readonly stack: string;
}

interface Identity {
    arn?: string;
    readonly policies: PolicyRef[];
}

interface Reader {
    readonly kind: "user" | "role";
    readonly name: string;
    readonly arn: string;
    readonly secrets: readonly string[];
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const parse = (v: unknown): unknown => (typeof v === "string" ? (JSON.parse(v) as unknown) : v);
const label = (r: RegisteredResource) => `${r.type} ${r.name}`;
const identityKey = (account: string, kind: string, name: string) => `${account}:${kind}:${name}`;

/** Everything the checks need, indexed from the registered resources of every planned stack. */
class Registered {
    readonly secrets = new Map<string, SecretInfo>();
    readonly secretPolicies = new Map<string, PolicyRef>();
    readonly keyPolicies = new Map<string, PolicyRef>();
    readonly identities = new Map<string, Identity>();
    /** Accounts in which a planned stack registered anything. */
    readonly accounts = new Set<string>();

    constructor(stacks: readonly PlannedStack[]) {
        const managed = new Map<string, PolicyRef>();
        const keyArnOf = new Map<string, string>();
        const keyPolicyResources: { keyId: string; ref: PolicyRef }[] = [];
        const attachments: { account: string; kind: string; name: string; policyArn: string }[] = [];
        const identity = (account: string, kind: string, name: string) => {
            const k = identityKey(account, kind, name);
            const found = this.identities.get(k) ?? { policies: [] };
            this.identities.set(k, found);
            return found;
        };
        for (const stack of stacks) {
            for (const r of stack.resources) {
                const account = r.provider?.accountId;
                if (account) this.accounts.add(account);
                const arn = str(r.state.arn);
                switch (r.type) {
                    case "aws:secretsmanager/secret:Secret":
                        if (arn) {
                            const keyArn = str(r.inputs.kmsKeyId);
                            this.secrets.set(arn, {
                                name: str(r.state.name) ?? r.name,
                                arn,
                                ...(keyArn && { keyArn }),
                                stack: stack.name,
                            });
                        }
                        break;
                    case "aws:secretsmanager/secretPolicy:SecretPolicy": {
                        const secretArn = str(r.inputs.secretArn);
                        if (secretArn)
                            this.secretPolicies.set(secretArn, { name: label(r), policy: parse(r.inputs.policy) });
                        break;
                    }
                    case "aws:kms/key:Key":
                        if (arn) {
                            keyArnOf.set(str(r.state.keyId) ?? r.id, arn);
                            if (r.inputs.policy !== undefined) {
                                this.keyPolicies.set(arn, { name: label(r), policy: parse(r.inputs.policy) });
                            }
                        }
                        break;
                    case "aws:kms/keyPolicy:KeyPolicy": {
                        // The policy of a key this program does not create (or sets apart from it).
                        let keyId = str(r.inputs.keyId);
                        // A key ID of a key this stack does not hold: its ARN is built the way AWS
                        // builds it, in the account and region of the KeyPolicy's provider.
                        if (keyId && !keyId.startsWith("arn:") && r.provider?.accountId && r.provider.region) {
                            const region = r.provider.region;
                            const partition = partitionOf(region);
                            const built = `arn:${partition}:kms:${region}:${r.provider.accountId}:key/${keyId}`;
                            keyId = keyArnOf.has(keyId) ? keyId : built;
                        }
                        if (keyId)
                            keyPolicyResources.push({ keyId, ref: { name: label(r), policy: parse(r.inputs.policy) } });
                        break;
                    }
                    case "aws:iam/user:User":
                    case "aws:iam/role:Role": {
                        const kind = r.type === "aws:iam/user:User" ? "user" : "role";
                        const name = str(r.state.name) ?? str(r.inputs.name);
                        if (account && name) identity(account, kind, name).arn = arn;
                        break;
                    }
                    case "aws:iam/userPolicy:UserPolicy":
                    case "aws:iam/rolePolicy:RolePolicy": {
                        const kind = r.type === "aws:iam/userPolicy:UserPolicy" ? "user" : "role";
                        const name = str(r.inputs[kind]);
                        if (account && name) {
                            identity(account, kind, name).policies.push({
                                name: label(r),
                                policy: parse(r.inputs.policy),
                            });
                        }
                        break;
                    }
                    case "aws:iam/policy:Policy":
                        if (arn) managed.set(arn, { name: label(r), policy: parse(r.inputs.policy) });
                        break;
                    case "aws:iam/userPolicyAttachment:UserPolicyAttachment":
                    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
                        const kind = r.type === "aws:iam/userPolicyAttachment:UserPolicyAttachment" ? "user" : "role";
                        const name = str(r.inputs[kind]);
                        const policyArn = str(r.inputs.policyArn);
                        if (account && name && policyArn) attachments.push({ account, kind, name, policyArn });
                        break;
                    }
                }
            }
        }
        for (const k of keyPolicyResources) {
            const arn = k.keyId.startsWith("arn:") ? k.keyId : keyArnOf.get(k.keyId);
            if (arn) this.keyPolicies.set(arn, k.ref);
        }
        for (const a of attachments) {
            const doc = managed.get(a.policyArn);
            // An attachment of a policy this plan did not create (an AWS managed policy, say)
            // cannot be simulated; the reader's checks then show what the plan does prove.
            if (doc) identity(a.account, a.kind, a.name).policies.push(doc);
        }
    }

    identityOf(reader: Reader): Identity {
        return this.identities.get(identityKey(accountOfArn(reader.arn), reader.kind, reader.name)) ?? { policies: [] };
    }
}

/** The owner stacks' grants: what the plan must prove. */
function grantsOf(stack: PlannedStack): { account: string; readers: Reader[] }[] {
    const grants = stack.outputs.grants;
    if (!grants || typeof grants !== "object") return [];
    return Object.entries(grants as Record<string, { readers?: Reader[] }>).map(([account, g]) => ({
        account,
        readers: [...(g.readers ?? [])],
    }));
}

/** An account ID no planned stack uses, for the "unrelated account" probe. */
function unrelatedAccount(used: ReadonlySet<string>): string {
    for (let n = 999999999999; ; n--) if (!used.has(String(n))) return String(n);
}

/** Another principal of the reader's kind in the reader's account, not itself a reader. */
function otherPrincipal(reader: Reader, readerArns: ReadonlySet<string>): string {
    const base = reader.arn.slice(0, reader.arn.length - reader.name.length);
    for (let i = 1; ; i++) {
        const arn = `${base}${reader.name}-other${i > 1 ? i : ""}`;
        if (!readerArns.has(arn)) return arn;
    }
}

/** Builds every check of the plan, in a stable order. */
export function buildChecks(plan: Plan): { checks: Check[]; notProven: NotProven[] } {
    const reg = new Registered(plan.stacks);
    const checks: Check[] = [];
    const notProven: NotProven[] = [];
    const used = new Set([
        ...reg.accounts,
        ...plan.stacks.flatMap((s) => grantsOf(s).flatMap((g) => g.readers.map((r) => accountOfArn(r.arn)))),
    ]);
    const stranger = unrelatedAccount(used);

    for (const stack of plan.stacks) {
        const secretArns = (stack.outputs.secretArns ?? {}) as Record<string, string>;
        const keyArns = (stack.outputs.keyArns ?? {}) as Record<string, string>;
        const grants = grantsOf(stack);
        const readerArns = new Set(grants.flatMap((g) => g.readers.map((r) => r.arn)));
        // Secrets encrypted by each key, to probe that a reader of one cannot decrypt another.
        const byKey = new Map<string, SecretInfo[]>();
        for (const [name, arn] of Object.entries(secretArns)) {
            const keyArn = reg.secrets.get(arn)?.keyArn ?? keyArns[name];
            const s = { name, arn, ...(keyArn && { keyArn }), stack: stack.name };
            if (keyArn) byKey.set(keyArn, [...(byKey.get(keyArn) ?? []), s]);
        }
        const anonymousDone = new Set<string>();

        for (const secretName of Object.keys(secretArns).sort()) {
            const secretArn = secretArns[secretName];
            const secret = reg.secrets.get(secretArn);
            const region = secretArn.split(":")[3];
            // An existing secret is not registered: its key is then the one the owner exports.
            const keyArn = secret?.keyArn ?? keyArns[secretName] ?? `(no key for ${secretName})`;
            const secretPolicy = reg.secretPolicies.get(secretArn);
            const keyPolicy = reg.keyPolicies.get(keyArn);
            const viaSecretsManager = {
                "kms:ViaService": secretsManagerService(region),
                "kms:EncryptionContext:SecretARN": secretArn,
            };
            const current = { "secretsmanager:VersionStage": "AWSCURRENT" };
            const get = (who: string, principal: string, identityPolicies: readonly PolicyRef[]) => ({
                who,
                principal,
                identityPolicies,
                resource: secretArn,
                ...(secretPolicy && { resourcePolicy: secretPolicy }),
            });
            const decrypt = (who: string, principal: string, identityPolicies: readonly PolicyRef[]) => ({
                who,
                principal,
                identityPolicies,
                action: "kms:Decrypt",
                resource: keyArn,
                ...(keyPolicy && { resourcePolicy: keyPolicy }),
            });
            const add = (probe: string, check: Omit<Check, "name" | "secret">) =>
                checks.push({ name: `${secretName}: ${check.who} ${probe}`, secret: secretName, ...check });

            for (const g of grants.sort((a, b) => a.account.localeCompare(b.account))) {
                for (const reader of [...g.readers].sort((a, b) => a.name.localeCompare(b.name))) {
                    if (!reader.secrets.includes(secretName)) continue;
                    const who = `${g.account}/${reader.name}`;
                    const readerAccount = accountOfArn(reader.arn);
                    const elsewhere = plan.unplanned.find((u) => u.consumerAccountId === readerAccount);
                    if (!reg.accounts.has(readerAccount) && elsewhere) {
                        notProven.push({
                            secret: secretName,
                            reader: who,
                            reason: `its identity policy is written by stack ${elsewhere.name}, which is not in this plan`,
                        });
                        continue;
                    }
                    const id = reg.identityOf(reader);
                    const arn = id.arn ?? reader.arn;
                    const idp = id.policies;

                    add("GetSecretValue AWSCURRENT", {
                        ...get(who, arn, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: current,
                        expected: "Allowed",
                    });
                    add("kms:Decrypt via Secrets Manager", {
                        ...decrypt(who, arn, idp),
                        context: viaSecretsManager,
                        expected: "Allowed",
                    });
                    add("GetSecretValue AWSPREVIOUS", {
                        ...get(who, arn, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: { "secretsmanager:VersionStage": "AWSPREVIOUS" },
                        expected: "Denied",
                    });
                    add("kms:Decrypt not via Secrets Manager", {
                        ...decrypt(who, arn, idp),
                        context: { "kms:EncryptionContext:SecretARN": secretArn },
                        expected: "Denied",
                    });
                    for (const action of ["PutResourcePolicy", "DeleteSecret", "UpdateSecret", "PutSecretValue"]) {
                        add(action, {
                            ...get(who, arn, idp),
                            action: `secretsmanager:${action}`,
                            context: {},
                            expected: "Denied",
                        });
                    }
                    // Another secret on the same key: the encryption context must stop the reader.
                    const other = (byKey.get(keyArn) ?? [])
                        .filter((s) => !reader.secrets.includes(s.name))
                        .sort((a, b) => a.name.localeCompare(b.name))[0];
                    if (other) {
                        add(`kms:Decrypt for ${other.name} (same key, not granted)`, {
                            ...decrypt(who, arn, idp),
                            context: { ...viaSecretsManager, "kms:EncryptionContext:SecretARN": other.arn },
                            expected: "Denied",
                        });
                    }

                    const sibling = otherPrincipal(reader, readerArns);
                    const siblingWho = `other ${reader.kind} in ${readerAccount}, ${reader.name}'s policy`;
                    add("GetSecretValue AWSCURRENT", {
                        ...get(siblingWho, sibling, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: current,
                        expected: "Denied",
                    });
                    add("kms:Decrypt via Secrets Manager", {
                        ...decrypt(siblingWho, sibling, idp),
                        context: viaSecretsManager,
                        expected: "Denied",
                    });
                    const strangerArn = `arn:${reader.arn.split(":")[1]}:iam::${stranger}:${reader.kind}/${reader.name}`;
                    const strangerWho = `${reader.kind} in unrelated ${stranger}, ${reader.name}'s policy`;
                    add("GetSecretValue AWSCURRENT", {
                        ...get(strangerWho, strangerArn, idp),
                        action: "secretsmanager:GetSecretValue",
                        context: current,
                        expected: "Denied",
                    });
                    add("kms:Decrypt via Secrets Manager", {
                        ...decrypt(strangerWho, strangerArn, idp),
                        context: viaSecretsManager,
                        expected: "Denied",
                    });
                }
            }
            if (!anonymousDone.has(secretArn)) {
                anonymousDone.add(secretArn);
                add("GetSecretValue AWSCURRENT", {
                    ...get(ANONYMOUS, ANONYMOUS, []),
                    action: "secretsmanager:GetSecretValue",
                    context: current,
                    expected: "Denied",
                });
                add("kms:Decrypt via Secrets Manager", {
                    ...decrypt(ANONYMOUS, ANONYMOUS, []),
                    context: viaSecretsManager,
                    expected: "Denied",
                });
            }
        }
    }
    return { checks, notProven };
}

/** Judges one check's outcome: the decision must match, and the simulator must have seen every key. */
export function judge(check: Check, outcome: SimulationOutcome): CheckResult {
    const decision = outcome.decision ?? "Error";
    const problems: string[] = [];
    if (outcome.error) problems.push(`the simulator refused the request: ${outcome.error}`);
    const matches = check.expected === "Allowed" ? decision === "Allowed" : decision.endsWith("Denied");
    if (!outcome.error && !matches) {
        problems.push(
            `expected ${check.expected}, got ${decision}` +
                (outcome.deniedBy.length ? ` (denied by: ${outcome.deniedBy.join(", ")})` : ""),
        );
    }
    if (outcome.ignoredContextKeys.length) {
        problems.push(
            `the simulator ignored context key(s) ${outcome.ignoredContextKeys.join(", ")}: conditions on them were not evaluated`,
        );
    }
    if (check.expected === "Allowed" && check.principal !== ANONYMOUS && check.identityPolicies.length === 0) {
        problems.push(`no identity policy for ${check.principal} in the planned stacks`);
    }
    return {
        ...check,
        decision,
        outcome,
        ok: problems.length === 0,
        ...(problems.length && { reason: problems.join("; ") }),
    };
}

/** An outcome, or the message of what `simulate` threw (a request it must not send). */
export type SettledOutcome = SimulationOutcome | { readonly thrown: string };

/** `simulate`, with what it throws kept as a value, so that a batch can carry it between threads. */
export async function simulateSettled(request: SimulationRequest): Promise<SettledOutcome> {
    try {
        return await simulate(request);
    } catch (e) {
        return { thrown: e instanceof Error ? e.message : String(e) };
    }
}

export interface MatrixOptions {
    /**
     * Worker threads that share the simulation with the main thread. Default: one less than the
     * machine's parallelism (`os.availableParallelism()`), as the main thread simulates too;
     * env SECRETSHARE_SIMULATION_WORKERS. 0: all in the main thread.
     */
    readonly workers?: number;
    /**
     * Fewer checks than this run in the main thread: starting a worker (a module loader of its
     * own, compiling TypeScript, the simulator's data files) costs about as much as 300 checks.
     * Default 1000; env SECRETSHARE_SIMULATION_THRESHOLD.
     */
    readonly threshold?: number;
    /** Checks per batch a thread claims at a time. */
    readonly batchSize?: number;
}

const envNumber = (name: string): number | undefined => {
    const v = process.env[name];
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} = ${v}: expected a whole number >= 0`);
    return n;
};

/** The whole matrix: every check simulated, one action per simulation, judged in the checks' order. */
export async function accessMatrix(plan: Plan, options: MatrixOptions = {}): Promise<AccessMatrix> {
    const { checks, notProven } = buildChecks(plan);
    const workers =
        options.workers ?? envNumber("SECRETSHARE_SIMULATION_WORKERS") ?? Math.max(1, os.availableParallelism() - 1);
    const threshold = options.threshold ?? envNumber("SECRETSHARE_SIMULATION_THRESHOLD") ?? 1000;
    const outcomes =
        workers > 0 && checks.length >= threshold
            ? await simulateInParallel(checks, workers, options.batchSize ?? 50)
            : await simulateInOrder(checks);
    const results: CheckResult[] = [];
    for (const [i, check] of checks.entries()) {
        const outcome = outcomes[i];
        // As the sequential loop would: the first request in order that `simulate` refused throws.
        if ("thrown" in outcome) throw new Error(outcome.thrown);
        results.push(judge(check, outcome));
    }
    return { checks: results, notProven };
}

async function simulateInOrder(requests: readonly SimulationRequest[]): Promise<SettledOutcome[]> {
    const outcomes: SettledOutcome[] = [];
    for (const request of requests) outcomes.push(await simulateSettled(request));
    return outcomes;
}

/**
 * Worker threads (plan/simulateWorker.ts) and the main thread claim batches of requests from one
 * shared counter until none is left; each outcome lands at its request's position. A worker that
 * fails (to start, say) leaves holes that the main thread fills: the outcomes are those of
 * `simulateInOrder` in any case, only the time differs.
 */
async function simulateInParallel(
    requests: readonly SimulationRequest[],
    workers: number,
    batchSize: number,
): Promise<SettledOutcome[]> {
    const outcomes: (SettledOutcome | undefined)[] = new Array<SettledOutcome | undefined>(requests.length);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    // Only what `simulate` reads crosses to the workers; the structured clone keeps the documents
    // shared between requests shared (each is copied once per worker, not once per request).
    const input: WorkerInput = {
        requests: requests.map((r) => ({
            principal: r.principal,
            action: r.action,
            resource: r.resource,
            context: r.context,
            identityPolicies: r.identityPolicies,
            ...(r.resourcePolicy && { resourcePolicy: r.resourcePolicy }),
        })),
        counter,
        batchSize,
    };
    const finished = Array.from({ length: workers }, () => {
        const worker = new Worker(workerBootstrap(), { eval: true, workerData: input });
        worker.on("message", (m: BatchMessage) => m.outcomes.forEach((o, i) => (outcomes[m.start + i] = o)));
        return new Promise<void>((resolve) => {
            worker.once("error", () => resolve());
            worker.once("exit", () => resolve());
        });
    });
    for (;;) {
        const start = Atomics.add(counter, 0, 1) * batchSize;
        if (start >= requests.length) break;
        for (let i = start; i < Math.min(start + batchSize, requests.length); i++) {
            outcomes[i] = await simulateSettled(requests[i]);
        }
        // Let the workers' messages in between batches.
        await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(finished);
    for (let i = 0; i < requests.length; i++) outcomes[i] ??= await simulateSettled(requests[i]);
    return outcomes as SettledOutcome[];
}

/**
 * A worker starts with a module loader of its own: the TypeScript hook of `npm start` (ts-node
 * with SWC) or of mocha is not inherited, so the worker registers ts-node itself (transpile only;
 * `npm test` type-checks) before it loads plan/simulateWorker.ts and, through it, this module and
 * the simulator patched in node_modules. With TypeScript's own transpiler, not SWC: SWC's native
 * addon crashed the process (segmentation fault) when a second set of workers loaded it.
 * Compiled to JavaScript, it loads simulateWorker.js as is.
 */
function workerBootstrap(): string {
    const ext = path.extname(__filename);
    const file = path.join(__dirname, `simulateWorker${ext}`);
    const register =
        ext === ".ts"
            ? `require(${JSON.stringify(require.resolve("ts-node"))}).register(${JSON.stringify({
                  transpileOnly: true,
                  project: path.join(__dirname, "..", "tsconfig.json"),
              })});`
            : "";
    return `${register}require(${JSON.stringify(file)});`;
}

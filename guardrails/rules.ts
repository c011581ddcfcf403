import type { ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { checkRotationSchedule, SECRET_ROTATION } from "./rotation";

/**
 * The guardrails of a secret share, as pure checks over a resource's inputs (plain values, as
 * the Pulumi engine hands them to a policy pack) and the policies that apply them. Only types are
 * imported from @pulumi/policy: the tests load this module without starting a policy server
 * (guardrails/index.ts does that). Slightly over 400 lines: every rule and the checks it applies
 * stay side by side, as the pack's one table.
 *
 * During `pulumi preview` an input that is not known yet (the ARN of a key created in the same
 * run, say) throws when read; @pulumi/policy turns that into an advisory "can't run during
 * preview" and the rule runs for real at `pulumi up`. So every check reads a property before any
 * try/catch, never inside one.
 */

export const TYPES = {
    secret: "aws:secretsmanager/secret:Secret",
    secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
    key: "aws:kms/key:Key",
    keyPolicy: "aws:kms/keyPolicy:KeyPolicy",
    userPolicy: "aws:iam/userPolicy:UserPolicy",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    groupPolicy: "aws:iam/groupPolicy:GroupPolicy",
    policy: "aws:iam/policy:Policy",
    awsProvider: "pulumi:providers:aws",
} as const;

/** A resource's inputs. */
export type Props = Readonly<Record<string, unknown>>;

/** The resource options a check may look at (the engine sends them to the pack). */
export interface CheckOptions {
    readonly ignoreChanges?: readonly string[];
}

/** A rule's check: one message per violation, none when the resource complies. */
export type Check = (props: Props, name: string, opts?: CheckOptions) => string[];

// ---------------------------------------------------------------------------------------------
// Policy documents

type OneOrMany = string | string[];

interface Statement {
    Sid?: string;
    Effect?: string;
    Principal?: "*" | Record<string, OneOrMany>;
    NotPrincipal?: unknown;
    Action?: OneOrMany;
    NotAction?: OneOrMany;
    Resource?: OneOrMany;
    NotResource?: OneOrMany;
    Condition?: Record<string, Record<string, OneOrMany>>;
}

/** A JSON value as text: strings as they are, anything else JSON-encoded (never "[object Object]"). */
const text = (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x));
/** IAM's "one or many" as a list. */
const list = (v: unknown): string[] =>
    v === undefined || v === null ? [] : (Array.isArray(v) ? (v as unknown[]) : [v]).map(text);

/** A policy input (a JSON string, or an object) as its statements, or why it is not a policy. */
function statementsOf(value: unknown): { statements: Statement[] } | { error: string } {
    let doc: unknown = value;
    if (typeof value === "string") {
        try {
            doc = JSON.parse(value);
        } catch {
            return { error: "is not valid JSON" };
        }
    }
    if (!doc || typeof doc !== "object") return { error: "is not a policy document" };
    const statement = (doc as { Statement?: unknown }).Statement;
    if (statement === undefined) return { error: "has no Statement" };
    const statements = (Array.isArray(statement) ? statement : [statement]) as unknown[];
    if (statements.some((s) => !s || typeof s !== "object")) return { error: "has a Statement that is not an object" };
    return { statements: statements as Statement[] };
}

const sidOf = (s: Statement, i: number) => (s.Sid ? `statement "${s.Sid}"` : `statement ${i + 1}`);

/** IAM wildcard match (`*`, `?`), case-insensitive as action names are. */
function matches(pattern: string, value: string): boolean {
    const re = pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${re}$`, "i").test(value);
}

/** Whether an Allow statement grants `action` (through Action, or by not excluding it in NotAction). */
function allows(s: Statement, action: string): boolean {
    if (s.Effect !== "Allow") return false;
    if (s.Action !== undefined) return list(s.Action).some((p) => matches(p, action));
    if (s.NotAction !== undefined) return !list(s.NotAction).some((p) => matches(p, action));
    return false;
}

// ---------------------------------------------------------------------------------------------
// 1. Every secret is encrypted with a customer managed key.

/** `alias/aws/secretsmanager`, or any AWS managed key's alias, by name or ARN. */
const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\//;

export const checkSecretKey: Check = (props, name) => {
    const kmsKeyId = props.kmsKeyId;
    const secret = typeof props.name === "string" ? props.name : name;
    if (kmsKeyId === undefined || kmsKeyId === null || kmsKeyId === "") {
        return [
            `secret ${secret} has no kmsKeyId, so Secrets Manager encrypts it with the AWS managed key aws/secretsmanager, ` +
                "which no other account can use: set kmsKeyId to the ARN of a customer managed key",
        ];
    }
    if (typeof kmsKeyId === "string" && AWS_MANAGED_ALIAS.test(kmsKeyId)) {
        return [
            `secret ${secret} is encrypted with the AWS managed key ${kmsKeyId}, which no other account can use: ` +
                "set kmsKeyId to the ARN of a customer managed key",
        ];
    }
    return [];
};

// ---------------------------------------------------------------------------------------------
// 2. Every secret policy blocks public policies.

export const checkBlockPublicPolicy: Check = (props, name) => {
    const block = props.blockPublicPolicy;
    if (block === true) return [];
    return [
        `secret policy ${name} sets blockPublicPolicy to ${block === undefined ? "nothing" : JSON.stringify(block)}: ` +
            "set blockPublicPolicy: true, so Secrets Manager refuses a policy that would make the secret public " +
            "(AWS does not block them unless asked)",
    ];
};

// ---------------------------------------------------------------------------------------------
// 3. No Principal "*" (or wildcard account) in a secret or key policy without a restricting condition.

/** Condition keys that name who may call, each with the form a restricting value must have. */
const RESTRICTING_KEYS: Readonly<Record<string, (v: string) => boolean>> = {
    "aws:principalarn": (v) => /^arn:[^:*?]+:[^:*?]+:[^:]*:\d{12}:/.test(v),
    "aws:sourcearn": (v) => /^arn:[^:*?]+:[^:*?]+:[^:]*:\d{12}:/.test(v),
    "aws:principalaccount": (v) => /^\d{12}$/.test(v),
    "aws:sourceaccount": (v) => /^\d{12}$/.test(v),
    "kms:calleraccount": (v) => /^\d{12}$/.test(v),
    "aws:principalorgid": (v) => /^o-[a-z0-9]+$/.test(v),
    "aws:sourceorgid": (v) => /^o-[a-z0-9]+$/.test(v),
    "aws:principalorgpaths": (v) => /^o-[a-z0-9]+\//.test(v),
    "aws:sourceorgpaths": (v) => /^o-[a-z0-9]+\//.test(v),
};

/**
 * A condition restricts who may call when one of its operators compares a RESTRICTING_KEYS key
 * positively against concrete values. Negated operators, IfExists and ForAllValues (true when
 * the key is absent) do not restrict.
 */
function restricts(condition: Statement["Condition"]): boolean {
    if (!condition || typeof condition !== "object") return false;
    return Object.entries(condition).some(([operator, keys]) => {
        if (/IfExists$/.test(operator) || operator.startsWith("ForAllValues:")) return false;
        const base = operator.replace(/^ForAnyValue:/, "");
        if (!/^(StringEquals|StringEqualsIgnoreCase|StringLike|ArnEquals|ArnLike)$/.test(base)) return false;
        return Object.entries(keys ?? {}).some(([key, values]) => {
            const valid = RESTRICTING_KEYS[key.toLowerCase()];
            const vs = list(values);
            return valid !== undefined && vs.length > 0 && vs.every(valid);
        });
    });
}

/** `*`, or an ARN or account with a wildcard in it (`arn:aws:iam::*:root`). */
const isWildcard = (principal: string) => principal.includes("*") || principal.includes("?");

function publicStatements(kind: string, name: string, policy: unknown): string[] {
    const parsed = statementsOf(policy);
    if ("error" in parsed) return [`${kind} ${name}: the policy ${parsed.error}`];
    const problems: string[] = [];
    parsed.statements.forEach((s, i) => {
        if (s.Effect !== "Allow") return;
        const where = `${kind} ${name}, ${sidOf(s, i)}`;
        if (s.NotPrincipal !== undefined) {
            problems.push(
                `${where}: Allow with NotPrincipal grants everyone but the principals it lists; name the principals in Principal`,
            );
            return;
        }
        const principals =
            s.Principal === "*" ? ["*"] : s.Principal && typeof s.Principal === "object" ? list(s.Principal.AWS) : [];
        const wild = principals.filter(isWildcard);
        if (wild.length === 0 || restricts(s.Condition)) return;
        problems.push(
            `${where}: Principal ${wild.map((p) => JSON.stringify(p)).join(", ")} allows ${list(s.Action).join(", ") || "actions"} ` +
                "to any AWS account without a condition that restricts the caller " +
                "(aws:PrincipalArn, aws:PrincipalAccount or aws:PrincipalOrgID with exact values); name the readers instead",
        );
    });
    return problems;
}

export const checkSecretPolicyPrincipals: Check = (props, name) =>
    publicStatements("secret policy", name, props.policy);

/** An aws.secretsmanager.Secret may carry a resource policy of its own (`policy`). */
export const checkSecretInlinePolicyPrincipals: Check = (props, name) => {
    const policy = props.policy;
    return policy === undefined || policy === null || policy === "" ? [] : publicStatements("secret", name, policy);
};

export const checkKeyPolicyPrincipals: Check = (props, name) => {
    const policy = props.policy;
    // A key created without a policy gets the AWS default key policy: the owner account only.
    return policy === undefined || policy === null || policy === ""
        ? []
        : publicStatements("key policy of", name, policy);
};

// ---------------------------------------------------------------------------------------------
// 4. KMS keys rotate.

/**
 * Whether the stack decides the key's rotation: an adopted key has `enableKeyRotation` among its
 * `ignoreChanges` (components/secretOwner.ts), and the engine hands the pack its live value. The
 * pack cannot see the `import` option (not among the options the engine sends it).
 * https://github.com/pulumi/pulumi/blob/master/pkg/resource/deploy/step_generator.go
 */
const decidesRotation = (opts?: CheckOptions) => !(opts?.ignoreChanges ?? []).includes("enableKeyRotation");
const rotationValue = (rotation: unknown) => (rotation === undefined ? "nothing" : JSON.stringify(rotation));

/** Mandatory: a key whose rotation the stack decides rotates. */
export const checkKeyRotation: Check = (props, name, opts) => {
    const rotation = props.enableKeyRotation;
    if (rotation === true || !decidesRotation(opts)) return [];
    return [
        `KMS key ${name} sets enableKeyRotation to ${rotationValue(rotation)}: ` +
            "set enableKeyRotation: true (KMS then rotates the key material yearly; secrets stay readable)",
    ];
};

/** Advisory: an adopted key (rotation left as it is in AWS) that does not rotate. */
export const checkAdoptedKeyRotation: Check = (props, name, opts) => {
    const rotation = props.enableKeyRotation;
    if (rotation === true || decidesRotation(opts)) return [];
    return [
        `KMS key ${name} is adopted with its rotation left as it is in AWS, and enableKeyRotation is ${rotationValue(rotation)}: ` +
            "this stack does not change it; turn rotation on outside the stack (aws kms enable-key-rotation --key-id <key id>), " +
            "which this warning then stops reporting",
    ];
};

// ---------------------------------------------------------------------------------------------
// 5. Identity policies name exact secret and key ARNs for GetSecretValue and Decrypt.

/** A complete secret ARN: Secrets Manager appends "-" and six characters to the name. */
const SECRET_ARN = /^arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
/** A key ARN (single- or multi-Region key); an alias ARN does not decide Decrypt on a key. */
const KEY_ARN = /^arn:aws(-[a-z]+)*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-)?[A-Za-z0-9-]+$/;

const EXACT: readonly { action: string; form: RegExp; expected: string }[] = [
    {
        action: "secretsmanager:GetSecretValue",
        form: SECRET_ARN,
        expected:
            "the exact ARN of each secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)",
    },
    {
        action: "kms:Decrypt",
        form: KEY_ARN,
        expected: "the exact ARN of each key (arn:aws:kms:<region>:<account>:key/<key id>)",
    },
];

export const checkIdentityPolicyArns: Check = (props, name) => {
    const parsed = statementsOf(props.policy);
    if ("error" in parsed) return [`identity policy ${name}: the policy ${parsed.error}`];
    const problems: string[] = [];
    parsed.statements.forEach((s, i) => {
        for (const { action, form, expected } of EXACT) {
            if (!allows(s, action)) continue;
            const where = `identity policy ${name}, ${sidOf(s, i)}`;
            if (s.NotResource !== undefined) {
                problems.push(`${where} allows ${action} through NotResource: list ${expected} in Resource`);
                continue;
            }
            const bad = list(s.Resource).filter((r) => !form.test(r));
            if (list(s.Resource).length === 0) problems.push(`${where} allows ${action} without a Resource`);
            if (bad.length) {
                problems.push(
                    `${where} allows ${action} on ${bad.map((r) => JSON.stringify(r)).join(", ")}: name ${expected}, no wildcard`,
                );
            }
        }
    });
    return problems;
};

// ---------------------------------------------------------------------------------------------
// 6. Every aws.Provider pins allowedAccountIds.

export const checkProviderAccounts: Check = (props, name) => {
    // The Node.js SDK sends a provider's non-string inputs JSON-encoded.
    const raw = props.allowedAccountIds;
    let ids: unknown = raw;
    if (typeof raw === "string") {
        try {
            ids = JSON.parse(raw);
        } catch {
            ids = [raw];
        }
    }
    const accounts = list(ids);
    const hint = name.startsWith("default")
        ? " This is the default provider: set pulumi:disable-default-providers: [aws] in the stack file and give every resource an explicit provider."
        : "";
    if (accounts.length === 0) {
        return [
            `AWS provider ${name} does not pin allowedAccountIds: with credentials for another account it would deploy there. ` +
                `Set allowedAccountIds to the account it deploys to.${hint}`,
        ];
    }
    const bad = accounts.filter((a) => !/^\d{12}$/.test(a));
    if (bad.length) {
        return [
            `AWS provider ${name} has allowedAccountIds ${bad.map((a) => JSON.stringify(a)).join(", ")}: expected 12-digit account IDs`,
        ];
    }
    return [];
};

// ---------------------------------------------------------------------------------------------
// The policies

/**
 * Runs `checks` (by resource type) and reports each message, like @pulumi/policy's
 * validateResourceOfType but over type tokens, so the pack needs no @pulumi/aws classes.
 */
export function validateTypes(checks: Readonly<Record<string, Check>>): ResourceValidation {
    return (args, reportViolation) => {
        const check = checks[args.type];
        if (!check) return args.notApplicable(`applies to ${Object.keys(checks).join(", ")}`);
        for (const message of check(args.props, args.name, args.opts)) reportViolation(message);
    };
}

export const POLICIES: ResourceValidationPolicy[] = [
    {
        name: "secret-customer-managed-key",
        description:
            "Every secret is encrypted with a customer managed KMS key: a secret encrypted with aws/secretsmanager cannot be read from another account.",
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: validateTypes({ [TYPES.secret]: checkSecretKey }),
    },
    {
        name: "secret-policy-block-public",
        description: "Every secret policy sets blockPublicPolicy: true.",
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: validateTypes({ [TYPES.secretPolicy]: checkBlockPublicPolicy }),
    },
    {
        name: "no-public-principal",
        description:
            'No secret or key policy allows Principal "*" or a wildcard account without a condition that restricts the caller.',
        enforcementLevel: "mandatory",
        severity: "critical",
        validateResource: validateTypes({
            [TYPES.secretPolicy]: checkSecretPolicyPrincipals,
            [TYPES.secret]: checkSecretInlinePolicyPrincipals,
            [TYPES.key]: checkKeyPolicyPrincipals,
            [TYPES.keyPolicy]: checkKeyPolicyPrincipals,
        }),
    },
    {
        name: "kms-key-rotation",
        description:
            "Every KMS key whose rotation the stack decides rotates its key material (enableKeyRotation: true); adopted keys are the next policy's.",
        enforcementLevel: "mandatory",
        severity: "medium",
        validateResource: validateTypes({ [TYPES.key]: checkKeyRotation }),
    },
    {
        name: "kms-key-rotation-adopted",
        description:
            "An adopted KMS key (enableKeyRotation ignored: left as it is in AWS) that does not rotate is reported, without failing the run.",
        enforcementLevel: "advisory",
        severity: "low",
        validateResource: validateTypes({ [TYPES.key]: checkAdoptedKeyRotation }),
    },
    {
        name: "identity-policy-exact-arns",
        description:
            "Identity policies allow secretsmanager:GetSecretValue and kms:Decrypt only on exact secret and key ARNs, never on a wildcard.",
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: validateTypes({
            [TYPES.userPolicy]: checkIdentityPolicyArns,
            [TYPES.rolePolicy]: checkIdentityPolicyArns,
            [TYPES.groupPolicy]: checkIdentityPolicyArns,
            [TYPES.policy]: checkIdentityPolicyArns,
        }),
    },
    {
        name: "secret-rotation-schedule",
        description:
            "Every rotated secret has a schedule: rotationRules sets the days between rotations or a rate()/cron() expression.",
        enforcementLevel: "mandatory",
        severity: "medium",
        validateResource: validateTypes({ [SECRET_ROTATION]: checkRotationSchedule }),
    },
    {
        name: "provider-allowed-account-ids",
        description:
            "Every AWS provider pins allowedAccountIds, so a run with another account's credentials fails before any change.",
        enforcementLevel: "mandatory",
        severity: "high",
        validateResource: validateTypes({ [TYPES.awsProvider]: checkProviderAccounts }),
    },
];

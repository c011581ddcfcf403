/**
 * The catalogue's name rules: for each resource type this program registers with a physical
 * name, AWS's length and characters, how Pulumi names it when no `name` is given, and where
 * AWS requires it to be unique. The offline plan (plan/preflight.ts) checks every registered
 * resource against these; config (config/names.ts) and the watch's name builders
 * (watch/names.ts) use them so that config never accepts a value that could only produce a name
 * outside them.
 *
 * Pulumi's autonaming: without an explicit `name`, pulumi-aws names a resource after its
 * logical name, a "-" and 7 random hex characters (8 characters more), and refuses, before
 * anything is created, a logical name too long for its own cap ("name '...' plus 7 random chars
 * is longer than maximum length N"). Its cap is 255 unless the provider sets another for the
 * type; AWS's own limit can be lower (an IAM user: 64), and then AWS refuses it at deploy.
 * https://github.com/pulumi/pulumi-aws/blob/master/provider/autonaming.go
 * https://github.com/pulumi/pulumi-aws/blob/master/provider/resource_overrides.go
 * https://github.com/pulumi/pulumi/blob/master/sdk/go/common/resource/resource_id.go (NewUniqueHex)
 * pulumi-aws autonames only an input called `name`: a resource whose physical name is another
 * input (an EventBridge target's `targetId`) and that gets none is named by the Terraform
 * provider at create, whatever the logical name (`generated` below).
 * A `namePrefix` gets Terraform's 26-character unique suffix instead.
 * https://github.com/hashicorp/terraform-plugin-sdk/blob/main/helper/id/id.go (UniqueIDSuffixLength)
 */

/** "-" and 7 random hex characters. */
export const AUTONAME_SUFFIX = 8;
/** Terraform's `name_prefix` suffix: a timestamp and a counter. */
export const NAME_PREFIX_SUFFIX = 26;

export interface NameRule {
    /** The Pulumi type token. */
    readonly type: string;
    readonly what: string;
    /** The input that holds the physical name. */
    readonly input: string;
    /** AWS's maximum length, in characters. */
    readonly max: number;
    /** The characters AWS accepts, as a whole-string pattern, and in words. */
    readonly charset: RegExp;
    readonly charsetText: string;
    /** Pulumi's autonaming, when the resource has no explicit name: the cap it applies. */
    readonly autoname?: { readonly max: number; readonly prefix?: string };
    /**
     * For a name Pulumi does not autoname: what the provider generates when the input is not
     * set: a fixed prefix and a unique part of `suffix` characters, and where that is documented.
     */
    readonly generated?: { readonly prefix: string; readonly suffix: number; readonly source: string };
    /** The input of a name prefix (Terraform appends 26 characters), if the type has one. */
    readonly prefixInput?: string;
    /** Where AWS requires the name to be unique. */
    readonly unique: "account" | "account and Region" | "rule" | "identity";
    /** IAM compares these names without case. */
    readonly caseInsensitive?: boolean;
    /** What in config the name comes from, for the message. */
    readonly fix: string;
    readonly source: string;
}

const IAM_CHARS = /^[\w+=,.@-]+$/;
const IAM_CHARS_TEXT = "[A-Za-z0-9+=,.@_-]";
const EB_CHARS = /^[.\-_A-Za-z0-9]+$/;
const EB_CHARS_TEXT = "[A-Za-z0-9._-]";
const CONSUMER_NAME_FIX =
    "give the consumer account a shorter name of [A-Za-z0-9_-] (its key under secretshare:consumers, and secretshare:consumer.name of its stack)";

export const NAME_RULES: readonly NameRule[] = [
    {
        type: "aws:cloudwatch/eventRule:EventRule",
        what: "EventBridge rule name",
        input: "name",
        max: 64,
        charset: EB_CHARS,
        charsetText: EB_CHARS_TEXT,
        autoname: { max: 64 },
        prefixInput: "namePrefix",
        unique: "account and Region",
        fix: CONSUMER_NAME_FIX,
        source: "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html",
    },
    {
        type: "aws:cloudwatch/eventTarget:EventTarget",
        what: "EventBridge target ID",
        input: "targetId",
        max: 64,
        charset: EB_CHARS,
        charsetText: EB_CHARS_TEXT,
        // Not `name`, so not autonamed: without a targetId (the watch sets none) the Terraform
        // provider uses its unique ID, "terraform-" and 26 characters (36 in all), whatever the
        // logical name. https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/events/target.go
        generated: {
            prefix: "terraform-",
            suffix: NAME_PREFIX_SUFFIX,
            source: "https://github.com/hashicorp/terraform-plugin-sdk/blob/main/helper/id/id.go",
        },
        unique: "rule",
        fix: CONSUMER_NAME_FIX,
        source: "https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html",
    },
    {
        type: "aws:iam/user:User",
        what: "IAM user name",
        input: "name",
        max: 64,
        charset: IAM_CHARS,
        charsetText: IAM_CHARS_TEXT,
        autoname: { max: 255 },
        unique: "account",
        caseInsensitive: true,
        fix: "rename the reader (secretshare:consumers.<account>.readers[].user), or declare it existing: true in all but one stack",
        source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html",
    },
    {
        type: "aws:iam/role:Role",
        what: "IAM role name",
        input: "name",
        max: 64,
        charset: IAM_CHARS,
        charsetText: IAM_CHARS_TEXT,
        autoname: { max: 64 },
        prefixInput: "namePrefix",
        unique: "account",
        caseInsensitive: true,
        fix: "rename the reader (secretshare:consumers.<account>.readers[].role), or declare it existing: true in all but one stack",
        source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html",
    },
    {
        type: "aws:iam/policy:Policy",
        what: "IAM managed policy name",
        input: "name",
        max: 128,
        charset: IAM_CHARS,
        charsetText: IAM_CHARS_TEXT,
        autoname: { max: 255 },
        prefixInput: "namePrefix",
        unique: "account",
        caseInsensitive: true,
        fix: "rename the reader whose policy it is (its name is part of the policy name)",
        source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html",
    },
    {
        type: "aws:iam/userPolicy:UserPolicy",
        what: "IAM inline policy name",
        input: "name",
        max: 128,
        charset: IAM_CHARS,
        charsetText: IAM_CHARS_TEXT,
        autoname: { max: 255 },
        prefixInput: "namePrefix",
        unique: "identity",
        fix: "let one stack write the reader's policy",
        source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutUserPolicy.html",
    },
    {
        type: "aws:iam/rolePolicy:RolePolicy",
        what: "IAM inline policy name",
        input: "name",
        max: 128,
        charset: IAM_CHARS,
        charsetText: IAM_CHARS_TEXT,
        autoname: { max: 255 },
        prefixInput: "namePrefix",
        unique: "identity",
        fix: "let one stack write the reader's policy",
        source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_PutRolePolicy.html",
    },
    {
        type: "aws:sns/topic:Topic",
        what: "SNS topic name",
        input: "name",
        max: 256,
        charset: /^[\w-]+(\.fifo)?$/,
        charsetText: "[A-Za-z0-9_-]",
        autoname: { max: 80 },
        prefixInput: "namePrefix",
        unique: "account and Region",
        fix: CONSUMER_NAME_FIX,
        source: "https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html",
    },
    {
        type: "aws:kms/alias:Alias",
        what: "KMS alias name",
        input: "name",
        max: 256,
        charset: /^alias\/[\w/-]+$/,
        charsetText: "alias/ and [A-Za-z0-9/_-]",
        autoname: { max: 238, prefix: "alias/" },
        prefixInput: "namePrefix",
        unique: "account and Region",
        fix: "give each owner stack of this account and Region its own secretshare:key.alias (with key.perSecret, shorten key.alias or the secret's name)",
        source: "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html",
    },
    {
        type: "aws:secretsmanager/secret:Secret",
        what: "secret name",
        input: "name",
        max: 512,
        charset: /^[\w/+=.@-]+$/,
        charsetText: "[A-Za-z0-9/_+=.@-]",
        autoname: { max: 255 },
        prefixInput: "namePrefix",
        unique: "account and Region",
        fix: "give the secret another name in one of the owner stacks of this account and Region",
        source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html",
    },
    {
        type: "aws:lambda/function:Function",
        what: "Lambda function name",
        input: "name",
        max: 64,
        charset: /^[\w-]+$/,
        charsetText: "[A-Za-z0-9_-]",
        autoname: { max: 64 },
        unique: "account and Region",
        fix: "the rotation function's name is made from the secret's name and a hash of the stack (policies/rotation.ts); report this as a bug",
        source: "https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html",
    },
    {
        type: "aws:cloudwatch/logGroup:LogGroup",
        what: "CloudWatch Logs log group name",
        input: "name",
        max: 512,
        charset: /^[\w\-./#]+$/,
        charsetText: "[A-Za-z0-9_./#-]",
        autoname: { max: 512 },
        prefixInput: "namePrefix",
        unique: "account and Region",
        fix: "the log group is named after the rotation function (policies/rotation.ts); report this as a bug",
        source: "https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html",
    },
];

/** The rule for a resource type, if it has a physical name this catalogue knows. */
export function nameRuleOf(type: string): NameRule | undefined {
    return NAME_RULES.find((r) => r.type === type);
}

/** How the physical name of a resource is decided. */
export interface PhysicalName {
    /** The name AWS gets; the random characters Pulumi or Terraform add shown as "x". */
    readonly name: string;
    /** The part the program chose: the explicit name, the prefix, the autoname's logical name, or the provider's prefix. */
    readonly chosen: string;
    readonly form: "explicit" | "prefix" | "autonamed" | "generated";
}

/**
 * The physical name a resource gets from its inputs and logical name: the explicit name, the
 * name prefix plus Terraform's suffix, the logical name plus Pulumi's autoname suffix, or, for a
 * name Pulumi does not autoname, the one the provider generates.
 */
export function physicalName(rule: NameRule, logicalName: string, inputs: Record<string, unknown>): PhysicalName {
    const explicit = inputs[rule.input];
    if (typeof explicit === "string") return { name: explicit, chosen: explicit, form: "explicit" };
    const prefix = rule.prefixInput ? inputs[rule.prefixInput] : undefined;
    if (typeof prefix === "string") {
        return { name: prefix + "x".repeat(NAME_PREFIX_SUFFIX), chosen: prefix, form: "prefix" };
    }
    if (rule.generated) {
        const g = rule.generated;
        return { name: g.prefix + "x".repeat(g.suffix), chosen: g.prefix, form: "generated" };
    }
    return {
        name: `${rule.autoname?.prefix ?? ""}${logicalName}-${"x".repeat(AUTONAME_SUFFIX - 1)}`,
        chosen: logicalName,
        form: "autonamed",
    };
}

/**
 * What is wrong with a physical name, in words ("67 characters with ..., over the 64 AWS
 * allows"), or nothing. The characters are checked on the part the program chose; the random
 * characters (hex digits) are valid everywhere.
 */
export function nameProblem(rule: NameRule, n: PhysicalName): string | undefined {
    const over: string[] = [];
    if (n.form === "autonamed" && rule.autoname && n.chosen.length + AUTONAME_SUFFIX > rule.autoname.max) {
        over.push(`the ${rule.autoname.max} Pulumi allows for an autonamed ${rule.type.split(":").pop()}`);
    }
    if (n.name.length > rule.max) over.push(`the ${rule.max} AWS allows`);
    if (over.length) {
        const suffix =
            n.form === "autonamed"
                ? ` with Pulumi's ${AUTONAME_SUFFIX}-character autoname suffix`
                : n.form === "prefix"
                  ? ` with the ${NAME_PREFIX_SUFFIX}-character suffix of namePrefix`
                  : n.form === "generated"
                    ? " as the provider generates it"
                    : "";
        return `${n.name.length} characters${suffix}, over ${over.join(" and ")}`;
    }
    const checked = n.name.replace(/x+$/, (x) => (n.form === "explicit" ? x : "0".repeat(x.length)));
    if (!rule.charset.test(checked)) return `has characters outside ${rule.charsetText}, which AWS refuses`;
    return undefined;
}

/** IAM paths: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html */
export const IAM_PATH = {
    max: 512,
    pattern: /^\/([\x21-\x7e]*\/)?$/,
    charsetText: "starting and ending with /, printable ASCII between",
    source: "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html",
    appliesTo: ["aws:iam/user:User path", "aws:iam/role:Role path", "aws:iam/policy:Policy path"],
} as const;

/**
 * Characters AWS reads as something other than themselves where a value reaches an ARN or a
 * policy condition: `*` and `?` are wildcards in ARN and string-like condition operators
 * (ArnEquals and ArnLike behave alike) and in Resource, `${` opens a policy variable.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
export function policyMetacharacters(value: string): string[] {
    const found: string[] = [];
    if (value.includes("*")) found.push('"*" (a wildcard)');
    if (value.includes("?")) found.push('"?" (a wildcard)');
    if (value.includes("${")) found.push('"${" (a policy variable)');
    return found;
}

/** Problems with an IAM path, in words, or none. */
export function iamPathProblems(path: string): string[] {
    const out: string[] = [];
    if (path.length > IAM_PATH.max)
        out.push(`${path.length} characters, over the ${IAM_PATH.max} IAM allows for a path`);
    if (!IAM_PATH.pattern.test(path)) out.push(`not an IAM path (${IAM_PATH.charsetText})`);
    const meta = policyMetacharacters(path);
    if (meta.length) {
        out.push(
            `has ${meta.join(" and ")}: the path is part of the identity's ARN, which the policies match with ArnEquals, so AWS would match other identities too`,
        );
    }
    return out;
}

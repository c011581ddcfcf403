import { parseArn, parseSecretArn } from "../aws/arn";
import { parseCommandLine } from "../common/args";
import { UsageError } from "../common/errors";

/** `npm run verify -- --help`. */
export const HELP = `Usage: npm run verify -- [options]
(npm itself takes a --help given without "--": use npm run verify -- --help)

After \`pulumi up\`, proves the share with real AWS calls (AWS SDK for JavaScript v3):
  as the consumer  GetSecretValue with VersionStage AWSCURRENT must succeed, and
                   AWSPREVIOUS, if the secret has one, must be denied;
  as the owner     (optional) IAM Access Analyzer ValidatePolicy on the three documents
                   (identity policy, secret policy, key policy) and CheckNoPublicAccess on
                   the secret and key policies.
Prints one PASS, FAIL or SKIP line per check. Exit status: 0 all passed, 1 a check failed,
2 a usage error (bad flag, missing outputs), 3 an internal error (a bug). Never prints a
secret value: only its JSON keys and version ID.

Where the ARNs come from:
  --outputs FILE            the stack outputs, as \`pulumi stack output --json -s primary > FILE\`
                            writes them (a consumer stack's outputs work too)
  --secret NAME             check only this secret of the outputs (repeatable); default: the
                            secrets the owner grants to the consumer identity
  --secret-arn ARN          a secret by complete ARN, instead of or besides --outputs (repeatable)
  --key-arn ARN             the KMS key of the --secret-arn secrets (for hints)

Consumer (one or both):
  --consumer-profile NAME   the AWS profile of a reader (Stuart, in the walk-through's example)
  --consumer-role-arn ARN   assume this reader role; source credentials: --consumer-profile,
                            else the default credential chain

Owner (optional; without them the owner checks are skipped):
  --owner-profile NAME      the AWS profile of the owner account (read-only is enough:
                            secretsmanager:DescribeSecret, secretsmanager:GetResourcePolicy,
                            access-analyzer:ValidatePolicy, access-analyzer:CheckNoPublicAccess)
  --owner-role-arn ARN      assume this role in the owner account (source: --owner-profile,
                            else the default chain)
  --owner-stack NAME        the owner stack whose Pulumi.<stack>.yaml the program builds the key
                            and identity policies from (default: primary)
  With owner credentials and an owner stack's outputs, the watch (docs/watch.md) is checked too:
  each deployed EventBridge rule's pattern (events:DescribeRule) must match, by EventBridge's
  own TestEventPattern, a CloudTrail event of its call on each shared secret or key, and must
  not match the same call on another secret or key.

  --rotate                  with owner credentials: for each secret whose automatic rotation
                            is on, rotate it now (RotateSecret: the owner needs
                            secretsmanager:RotateSecret and lambda:InvokeFunction on the function),
                            wait until the new version is AWSCURRENT, then the consumer must read
                            that version and be denied AWSPENDING (docs/rotation.md)

  --snapshot FILE           instead: record what exists for the resources the config names, for
                            the offline plan (npm start -- --world FILE); npm run verify --
                            --snapshot FILE --help lists its options
  --help                    this text

Example (the walk-through's example share):
  pulumi stack output --json -s primary > outputs.json
  npm run verify -- --outputs outputs.json --consumer-profile stuart --owner-profile primary

Troubleshooting AccessDenied, layer by layer: docs/operations.md.`;

export interface Options {
    outputs?: string;
    secrets: string[];
    secretArns: string[];
    keyArn?: string;
    consumerProfile?: string;
    consumerRoleArn?: string;
    ownerProfile?: string;
    ownerRoleArn?: string;
    ownerStack: string;
    /** `--rotate`: rotate the secrets whose rotation is on, then prove the consumer's access. */
    rotate?: boolean;
    help: boolean;
}

/** An ARN of `service` in a 12-digit account whose resource is `<type>/<something>`. */
function isArnOf(text: string, service: string, type: string, regional: boolean): boolean {
    const arn = parseArn(text);
    return (
        !!arn &&
        arn.service === service &&
        (arn.region !== "") === regional &&
        /^\d{12}$/.test(arn.accountId) &&
        arn.resource.startsWith(`${type}/`) &&
        arn.resource.length > type.length + 1
    );
}

const isRoleArn = (text: string) => isArnOf(text, "iam", "role", false);
const isKeyArn = (text: string) => isArnOf(text, "kms", "key", true);

export function parseArgs(argv: readonly string[]): Options {
    const { values } = parseCommandLine(argv, {
        help: { type: "boolean", short: "h" },
        outputs: { type: "string" },
        secret: { type: "string", multiple: true },
        "secret-arn": { type: "string", multiple: true },
        "key-arn": { type: "string" },
        "consumer-profile": { type: "string" },
        "consumer-role-arn": { type: "string" },
        "owner-profile": { type: "string" },
        "owner-role-arn": { type: "string" },
        "owner-stack": { type: "string" },
        rotate: { type: "boolean" },
    });
    const o: Options = {
        secrets: values.secret ?? [],
        secretArns: values["secret-arn"] ?? [],
        ownerStack: values["owner-stack"] ?? "primary",
        help: values.help ?? false,
        ...(values.rotate && { rotate: true }),
        ...(values.outputs !== undefined && { outputs: values.outputs }),
        ...(values["key-arn"] !== undefined && { keyArn: values["key-arn"] }),
        ...(values["consumer-profile"] !== undefined && { consumerProfile: values["consumer-profile"] }),
        ...(values["consumer-role-arn"] !== undefined && { consumerRoleArn: values["consumer-role-arn"] }),
        ...(values["owner-profile"] !== undefined && { ownerProfile: values["owner-profile"] }),
        ...(values["owner-role-arn"] !== undefined && { ownerRoleArn: values["owner-role-arn"] }),
    };

    // The form of each ARN is checked even with --help: a mistyped flag is reported, not ignored.
    for (const arn of o.secretArns) {
        if ("error" in parseSecretArn(arn)) {
            throw new UsageError(
                `--secret-arn ${arn}: expected a complete secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters> ` +
                    "(the region in it is where the secret is read)",
            );
        }
    }
    if (o.keyArn !== undefined && !isKeyArn(o.keyArn))
        throw new UsageError(`--key-arn ${o.keyArn}: expected arn:aws:kms:<region>:<account>:key/<key id>`);
    for (const [flag, arn] of [
        ["--consumer-role-arn", o.consumerRoleArn],
        ["--owner-role-arn", o.ownerRoleArn],
    ] as const) {
        if (arn !== undefined && !isRoleArn(arn))
            throw new UsageError(`${flag} ${arn}: expected arn:aws:iam::<account>:role/<name>`);
    }

    if (o.help) return o;
    if (!o.outputs && o.secretArns.length === 0) {
        throw new UsageError(
            "no secret to check: pass --outputs FILE (pulumi stack output --json -s primary > FILE) or --secret-arn ARN",
        );
    }
    if (o.secrets.length && !o.outputs)
        throw new UsageError("--secret NAME picks from --outputs FILE; pass --outputs too");
    if (!o.consumerProfile && !o.consumerRoleArn) {
        throw new UsageError(
            "no consumer: pass --consumer-profile NAME or --consumer-role-arn ARN (the reader whose access is proven)",
        );
    }
    return o;
}

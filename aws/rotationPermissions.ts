import type { Permission } from "./permissions";

/**
 * The AWS calls of automatic rotation (components/secretRotation.ts), on the owner side: the
 * rotation function, its log group, the permission that lets Secrets Manager invoke it, and the
 * rotation schedule. (Its role and role policy are the IAM entries of aws/permissions.ts, used on
 * the owner side too.) Read from the terraform-provider-aws functions named in `source`.
 */

const TF = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service";

export const ROTATION_PERMISSIONS: readonly Permission[] = [
    {
        // Create and update pass the function's role to Lambda: iam:PassRole on it.
        // https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
        token: "aws:lambda/function:Function",
        uses: { owner: ["register"] },
        calls: {
            read: ["lambda:GetFunction", "lambda:ListVersionsByFunction", "lambda:GetFunctionCodeSigningConfig"],
            create: ["lambda:CreateFunction", "lambda:TagResource", "iam:PassRole"],
            update: [
                "lambda:UpdateFunctionCode",
                "lambda:UpdateFunctionConfiguration",
                "lambda:TagResource",
                "lambda:UntagResource",
                "iam:PassRole",
            ],
            delete: ["lambda:DeleteFunction"],
        },
        source: `${TF}/lambda/function.go`,
    },
    {
        token: "aws:lambda/permission:Permission",
        uses: { owner: ["register"] },
        calls: {
            read: ["lambda:GetPolicy"],
            create: ["lambda:AddPermission"],
            delete: ["lambda:RemovePermission"],
        },
        source: `${TF}/lambda/permission.go`,
    },
    {
        token: "aws:cloudwatch/logGroup:LogGroup",
        uses: { owner: ["register"] },
        calls: {
            read: ["logs:DescribeLogGroups", "logs:ListTagsForResource"],
            create: ["logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:TagResource"],
            update: ["logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy", "logs:TagResource", "logs:UntagResource"],
            delete: ["logs:DeleteLogGroup"],
        },
        source: `${TF}/logs/group.go`,
    },
    {
        // RotateSecret also needs lambda:InvokeFunction on the function.
        // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotateSecret.html
        token: "aws:secretsmanager/secretRotation:SecretRotation",
        uses: { owner: ["register"] },
        calls: {
            read: ["secretsmanager:DescribeSecret"],
            create: ["secretsmanager:RotateSecret", "lambda:InvokeFunction"],
            update: ["secretsmanager:RotateSecret", "lambda:InvokeFunction"],
            delete: ["secretsmanager:CancelRotateSecret"],
        },
        source: `${TF}/secretsmanager/secret_rotation.go`,
    },
];

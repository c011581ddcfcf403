import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ROOT } from "../../mocks";
import { tempProject } from "../helpers";

/** A team's own existing key, secret and reader, as a team would plan them (not the example's). */
export const TEAM_KEY_ARN = "arn:aws:kms:us-east-1:111111111111:key/7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
export const TEAM_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:TeamDb-Qr7sT2";

/**
 * The example's stack files with the team's key and secret: alias/TeamKey, TeamDb, the existing
 * user Stuart; `without`: primary's settings to leave out.
 */
export function teamProject(without: readonly string[] = []): string {
    const example = (stack: string) =>
        (
            YAML.parse(fs.readFileSync(path.join(ROOT, "examples", "existing", `Pulumi.${stack}.yaml`), "utf8")) as {
                config: Record<string, unknown>;
            }
        ).config;
    const primary: Record<string, unknown> = {
        ...example("primary"),
        "secretshare:key": { existing: "alias/TeamKey" },
        "secretshare:secrets": [{ name: "TeamDb", existing: true, readers: ["secondary/Stuart"] }],
    };
    for (const key of without) delete primary[key];
    return tempProject({ primary, secondary: example("secondary") });
}

/** A snapshot of the team's world, as npm run verify -- --snapshot records it. */
export const teamWorld = () => ({
    format: "secretshare-world",
    version: 1,
    keys: [
        {
            arn: TEAM_KEY_ARN,
            aliases: ["alias/TeamKey"],
            keyManager: "CUSTOMER",
            keyState: "Enabled",
            keyUsage: "ENCRYPT_DECRYPT",
            keySpec: "SYMMETRIC_DEFAULT",
            description: "",
            policy: {
                Version: "2012-10-17",
                Statement: [
                    {
                        Sid: "Enable IAM User Permissions",
                        Effect: "Allow",
                        Principal: { AWS: "arn:aws:iam::111111111111:root" },
                        Action: "kms:*",
                        Resource: "*",
                    },
                ],
            },
        },
    ],
    secrets: [{ arn: TEAM_SECRET_ARN, kmsKeyId: TEAM_KEY_ARN, description: "", tags: {} }],
    identities: [{ arn: "arn:aws:iam::222222222222:user/Stuart", tags: {}, inline: {}, attached: [] }],
});

/** Writes `world` as JSON into `dir` under `name`; returns the file's path. */
export function writeWorld(dir: string, world: unknown, name = "world.json"): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(world, null, 2));
    return file;
}

import * as fs from "fs";
import * as path from "path";
import { ownerWatchRules, type WatchRule } from "../../watch";
import { PRIMARY_ACCOUNT } from "../mocks";
import { matchesPattern } from "../support/eventPattern";

/**
 * The recorded CloudTrail events of test/fixtures/cloudtrail and the owner rules they are
 * written for: `match/` holds events that exactly one rule must match, `other/` events that no
 * rule may match; files named `iam-*` are the consumer side's.
 */

const FIXTURES = path.join(__dirname, "..", "fixtures", "cloudtrail");
export type Fixture = { file: string; event: Record<string, unknown> & { detail: Record<string, unknown> } };
export function fixtures(dir: "match" | "other", prefix = ""): Fixture[] {
    return fs
        .readdirSync(path.join(FIXTURES, dir))
        .filter((f) => f.endsWith(".json") && f.startsWith(prefix))
        .sort()
        .map((f) => ({
            file: `${dir}/${f}`,
            event: JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, f), "utf8")) as Fixture["event"],
        }));
}
export const owned = (list: Fixture[]) => list.filter((f) => !f.file.includes("/iam-"));
export const consumerSide = (list: Fixture[]) => list.filter((f) => f.file.includes("/iam-"));

// The values the fixtures use for "our" secret and key (the key ID is AWS's documentation example).
export const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-AbCdEf";
export const KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab";
export const KEY_ARN = `arn:aws:kms:us-east-1:111111111111:key/${KEY_ID}`;

/** The owner rules for the fixtures' secret and key, in the primary stack. */
export function primaryRules(): WatchRule[] {
    return ownerWatchRules(
        {
            partition: "aws",
            region: "us-east-1",
            accountId: PRIMARY_ACCOUNT,
            secrets: [{ name: "MySecret", arn: SECRET_ARN, keyId: "shared" }],
            keys: [{ id: "shared", alias: "MyKey", arn: KEY_ARN }],
        },
        "primary",
    );
}

/** The rules whose pattern matches `event`, in order. */
export const matching = (rules: readonly WatchRule[], event: unknown) =>
    rules.filter((r) => matchesPattern(r.pattern, event));

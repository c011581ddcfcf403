import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./parse";
import { NAMESPACE } from "./problems";
import type { StackConfig } from "./types";

/**
 * The program's configuration: loads `secretshare:*` from the Pulumi runtime and exports the
 * public API. Each key's schema and checks live in the file of its topic: accounts.ts (owner,
 * consumer, regions, credentials), readers.ts (consumers and their readers), secrets.ts
 * (secrets, existing secrets, passwords), key.ts, watch.ts, protection.ts (protection and
 * secretPolicy); parse.ts puts them together and checks them against each other.
 */

export * from "./types";
export { ConfigError } from "./errors";
export { parseConfig } from "./parse";
export { NAMESPACE } from "./problems";

/** Reads `secretshare:*` from the Pulumi runtime and parses it; see `parseConfig`. */
export function loadConfig(): StackConfig {
    const raw: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(pulumi.runtime.allConfig())) {
        if (k.startsWith(`${NAMESPACE}:`)) raw[k.slice(NAMESPACE.length + 1)] = v;
    }
    return parseConfig(pulumi.getStack(), raw);
}

/**
 * The passwords given in config, as a secret Output by secret name (`secretshare:passwords`,
 * each value `secure:`). Read apart from `parseConfig` so the values never enter its errors.
 */
export function configPasswords(): pulumi.Output<Record<string, string>> | undefined {
    return new pulumi.Config(NAMESPACE).getSecretObject<Record<string, string>>("passwords");
}

import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./rules";

/**
 * The secretshare policy pack: `pulumi preview --policy-pack guardrails` (and `pulumi up`) run every
 * resource of the stack through these mandatory rules; one violation stops the update. The rules
 * and their tests: guardrails/rules.ts, test/guardrails/policy-pack.test.ts.
 *
 * Constructing a PolicyPack starts the gRPC server the Pulumi CLI talks to, and reads the pack's
 * version from package.json in the working directory (the CLI runs the pack in guardrails/).
 */
new PolicyPack("secretshare", { enforcementLevel: "mandatory", policies: POLICIES });

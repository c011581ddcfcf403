import { expect } from "chai";
import type { ReaderGrant } from "../../contract/ownerExports";
import type { PlannedStack } from "../../plan/plan";
import { trustOrderWarnings } from "../../plan/proof/trust";
import { committed, plan, planJson, tempProject } from "./helpers";

/**
 * An `assumedBy` ARN that is an identity another part of the plan creates: IAM refuses a trust
 * policy naming a principal that does not exist yet
 * (https://repost.aws/knowledge-center/iam-trust-policy-error), so the plan prints a warning
 * line with the deploy order needed wherever nothing makes the principal exist first.
 */

const CONSUMER = "222222222222";
const arnOf = (name: string) => `arn:aws:iam::${CONSUMER}:role/${name}`;
const REFUSED = "IAM refuses a trust policy that names a principal that does not exist yet";

const warningsOf = async (dir: string) => {
    const { code, report } = await planJson([], dir);
    return { code, warnings: (report as unknown as { warnings: string[] }).warnings };
};

/** An owner stack granting `readers` of the consumer account, with its own alias and secret. */
function owner(alias: string, secret: string, readers: Record<string, unknown>[]): Record<string, unknown> {
    return {
        ...committed("primary").config,
        "secretshare:key": { alias },
        "secretshare:consumers": { secondary: { accountId: CONSUMER, readers } },
        "secretshare:secrets": [
            {
                name: secret,
                username: "Alice",
                readers: readers.map((r) => `secondary/${String(r.role)}`),
            },
        ],
    };
}

const consumer = (ownerStack: string) => ({
    ...committed("secondary").config,
    "secretshare:ownerStack": `organization/secretshare/${ownerStack}`,
});

describe("plan: assumedBy principals the plan creates, and the deploy order they need", function () {
    this.timeout(120000);

    it("the review's case: role a trusts role b, both created by one stack in one deploy", async () => {
        const dir = tempProject({
            primary: owner("MyKey", "MySecret", [{ role: "a", assumedBy: [arnOf("b")] }, { role: "b" }]),
            secondary: committed("secondary").config,
        });
        const { code, warnings } = await warningsOf(dir);
        expect(code).to.equal(0);
        const warning =
            `role secondary/a (created by stack "secondary") trusts ${arnOf("b")}, which the same stack creates in the same deploy, ` +
            `with nothing that creates it first: ${REFUSED}, so the role's create can fail. ` +
            `Deploy stack "secondary" once without ${arnOf("b")} in the reader's assumedBy, then add it back and deploy again`;
        expect(warnings).to.deep.equal([warning]);
        expect((await plan([], dir)).stdout).to.include(`\nwarning: ${warning}\n`);
    });

    it("a principal created by another consumer stack, which nothing orders before this one", async () => {
        const dir = tempProject({
            primary: owner("KeyA", "SecretA", [{ role: "a", assumedBy: [arnOf("b")] }]),
            primary2: owner("KeyB", "SecretB", [{ role: "b" }]),
            secondary: consumer("primary"),
            secondary2: consumer("primary2"),
        });
        const { code, warnings } = await warningsOf(dir);
        expect(code).to.equal(0);
        expect(warnings).to.deep.equal([
            `role secondary/a (created by stack "secondary") trusts ${arnOf("b")}, which stack "secondary2" creates, ` +
                `and nothing orders the two stacks: ${REFUSED}, so deploy stack "secondary2" before stack "secondary"`,
        ]);
    });

    it("no warning for a principal that exists before (not created by the plan)", async () => {
        const dir = tempProject({
            primary: owner("MyKey", "MySecret", [{ role: "a", assumedBy: [arnOf("deployer")] }]),
            secondary: committed("secondary").config,
        });
        expect((await warningsOf(dir)).warnings).to.deep.equal([]);
    });
});

describe("trustOrderWarnings: the order of the stacks", () => {
    /** A planned stack that creates the roles `roles`, reading `reads`. */
    const stack = (name: string, roles: string[], reads?: string): PlannedStack => ({
        name,
        file: `Pulumi.${name}.yaml`,
        ...(reads && { reference: { name: `organization/secretshare/${reads}`, stack: reads } }),
        placeholders: [],
        resources: roles.map((r) => ({
            type: "aws:iam/role:Role",
            name: `c-${r}`,
            inputs: { name: r },
            state: { arn: arnOf(r) },
            id: r,
            custom: true,
        })),
        origins: Object.fromEntries(roles.map((r) => [`aws:iam/role:Role::c-${r}`, "created"])),
        outputs: {},
    });
    const a: ReaderGrant = {
        kind: "role",
        name: "a",
        path: "/",
        existing: false,
        arn: arnOf("a"),
        assumedBy: [arnOf("b")],
        secrets: ["S"],
    };

    it("b created by a stack that this one reads (deployed before): no warning", () => {
        expect(trustOrderWarnings([stack("owner", ["b"]), stack("cons", ["a"], "owner")])("c", a)).to.deep.equal([]);
    });

    it("b created by a stack that reads this one (deployed after): the three steps", () => {
        expect(trustOrderWarnings([stack("owner", ["a"]), stack("cons", ["b"], "owner")])("c", a)).to.deep.equal([
            `role c/a (created by stack "owner") trusts ${arnOf("b")}, which stack "cons" creates, and "cons" reads "owner" and so deploys after it: ` +
                `${REFUSED}. Deploy "owner" without ${arnOf("b")} in the reader's assumedBy, then "cons", then add it back and deploy "owner" again`,
        ]);
    });

    it("b adopted (imported), not created: no warning", () => {
        const s = stack("cons", ["a", "b"]);
        const adopted = { ...s, origins: { ...s.origins, "aws:iam/role:Role::c-b": "adopted" as const } };
        expect(trustOrderWarnings([adopted])("c", a)).to.deep.equal([]);
    });
});

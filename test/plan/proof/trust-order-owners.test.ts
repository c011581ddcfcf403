import { expect } from "chai";
import type { ReaderGrant } from "../../../contract/ownerExports";
import type { Plan, PlannedStack } from "../../../plan/plan";
import { previewNote } from "../../../plan/previewReport";
import { trustOrderWarnings } from "../../../plan/proof/trust";

/**
 * The deploy order behind the trust-order warnings when a consumer stack reads several owner
 * stacks (`secretshare:ownerStacks`): it deploys after every one of them, so a principal any of
 * them creates (directly or through the stacks it reads) exists before the consumer's role trusts it.
 */

const CONSUMER = "222222222222";
const roleArn = (name: string) => `arn:aws:iam::${CONSUMER}:role/${name}`;
const ROLE = "aws:iam/role:Role";

/** A planned stack that creates the roles `creates` and reads the stacks `reads` (in that order). */
function stack(name: string, creates: readonly string[], reads: readonly string[] = []): PlannedStack {
    const refs = reads.map((s) => ({ name: `organization/secretshare/${s}`, stack: s }));
    return {
        name,
        file: `Pulumi.${name}.yaml`,
        placeholders: [],
        outputs: {},
        resources: creates.map((r) => ({
            type: ROLE,
            name: `${name}-${r}`,
            inputs: { name: r },
            state: { arn: roleArn(r) },
            id: r,
            custom: true,
        })),
        origins: Object.fromEntries(creates.map((r) => [`${ROLE}::${name}-${r}`, "created" as const])),
        ...(refs.length > 0 && { reference: refs[0] }),
        ...(refs.length > 1 && { references: refs }),
    };
}

const reader = (name: string, assumedBy: readonly string[]): ReaderGrant => ({
    kind: "role",
    name,
    path: "/",
    existing: false,
    assumedBy,
    arn: roleArn(name),
    secrets: ["MySecret"],
});

describe("plan: trust order across a consumer stack's several owner stacks", () => {
    it("no warning for a principal created by the second owner stack the consumer reads", () => {
        const stacks = [stack("owner1", []), stack("owner2", ["b"]), stack("consumer", ["a"], ["owner1", "owner2"])];
        expect(trustOrderWarnings(stacks)("secondary", reader("a", [roleArn("b")]))).to.deep.equal([]);
    });

    it("no warning for a principal created by a stack that a later owner stack reads", () => {
        const stacks = [
            stack("base", ["b"]),
            stack("owner1", []),
            stack("owner2", [], ["base"]),
            stack("consumer", ["a"], ["owner1", "owner2"]),
        ];
        expect(trustOrderWarnings(stacks)("secondary", reader("a", [roleArn("b")]))).to.deep.equal([]);
    });

    it("still warns when the principal's stack reads the consumer's owners but not the other way round", () => {
        const stacks = [
            stack("owner1", []),
            stack("owner2", []),
            stack("consumer", ["a"], ["owner1", "owner2"]),
            stack("other", ["b"], ["owner2"]),
        ];
        expect(trustOrderWarnings(stacks)("secondary", reader("a", [roleArn("b")]))).to.deep.equal([
            `role secondary/a (created by stack "consumer") trusts ${roleArn("b")}, which stack "other" creates, ` +
                `and nothing orders the two stacks: IAM refuses a trust policy that names a principal that does not exist yet, ` +
                `so deploy stack "other" before stack "consumer"`,
        ]);
    });
});

describe("plan --preview: the note on a consumer stack names every owner stack it reads", () => {
    const planOf = (stack: PlannedStack): Plan => ({
        project: "secretshare",
        dir: ".",
        stacks: [stack],
        unplanned: [],
        preview: { up: [stack] },
    });

    it("one owner: its exports, as before", () => {
        const one = stack("consumer", [], ["owner1"]);
        expect(previewNote(planOf(one), one)).to.equal(
            "previewed against the exports of owner1 as its first `pulumi up` leaves them (a StackReference needs its " +
                "owner deployed); what owner1's first preview does not know is [unknown]",
        );
    });

    it("two owners: both", () => {
        const two = stack("consumer", [], ["owner1", "owner2"]);
        expect(previewNote(planOf(two), two)).to.equal(
            "previewed against the exports of owner1, owner2 as their first `pulumi up` leaves them (a StackReference " +
                "needs its owners deployed); what their first preview does not know is [unknown]",
        );
    });
});

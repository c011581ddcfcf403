import { expect } from "chai";
import { firstDeployOfSecrets, packedOwner, SECRETS, type PackedSecret } from "./packedOwner";
import type { StackRun } from "../../plan/runtime";
import type { RegisteredResource } from "../../plan/mocks";
import { KEY, PROGRAM_TIMEOUT, ref, SECRET } from "./helpers";

/**
 * The program packs an owner's secrets into as few keys as fit, and keeps each secret on its
 * key from one run to the next by reading its own `keyIds` export back (a StackReference to the
 * running stack, answered by the mocks with the outputs the test gives as the last update's).
 */

const owner = (secrets: readonly PackedSecret[], previous?: StackRun): Promise<StackRun> =>
    packedOwner(secrets, previous?.outputs);

const keyIdsOf = (run: StackRun) => run.outputs.keyIds as Record<string, string>;

describe("program: packed keys", function () {
    this.timeout(PROGRAM_TIMEOUT);

    it("creates as few keys as fit, each with its alias, every secret under its key, and exports keyIds", async () => {
        const run = await firstDeployOfSecrets();
        const keyIds = keyIdsOf(run);
        const ids = [...new Set(Object.values(keyIds))].sort();
        expect(ids.length).to.be.within(2, 12);
        expect(Object.keys(keyIds).sort()).to.deep.equal(SECRETS.map((s) => s.name));
        const keys = run.resources.filter((r) => r.type === KEY);
        expect(keys.map((k) => k.name).sort()).to.deep.equal(
            ids.map((id) => (id === "shared" ? "share-key" : `share-${id}-key`)).sort(),
        );
        const aliases = run.resources.filter((r) => r.type === "aws:kms/alias:Alias").map((a) => a.inputs.name);
        expect([...aliases].sort()).to.deep.equal(
            ids.map((id) => (id === "shared" ? "alias/platform" : `alias/platform/${id}`)).sort(),
        );
        const keyArnOf = Object.fromEntries(keys.map((k) => [k.name, k.state.arn]));
        for (const s of run.resources.filter((r) => r.type === SECRET)) {
            const id = keyIds[s.inputs.name as string];
            expect(s.inputs.kmsKeyId, s.name).to.equal(keyArnOf[id === "shared" ? "share-key" : `share-${id}-key`]);
        }
        // The stack read its own last outputs (none: a first deploy).
        expect(run.mocks.selfReads).to.deep.equal([ref("platform")]);
        expect(run.mocks.stackReads).to.deep.equal([]);
    });

    it("the first deploy the tests share cannot be changed by one of them", async () => {
        const run = await firstDeployOfSecrets();
        const keyIds = keyIdsOf(run);
        const [name, id] = Object.entries(keyIds)[0];
        expect(() => (keyIds[name] = "moved")).to.throw(TypeError);
        expect(() => (run.resources as RegisteredResource[]).pop()).to.throw(TypeError);
        expect(() => (run.resources[0].inputs.name = "renamed")).to.throw(TypeError);
        expect((await firstDeployOfSecrets()).outputs.keyIds).to.deep.equal({ ...keyIds, [name]: id });
    });

    it("keeps every secret on its key when secrets are added and removed; packing afresh would move some", async () => {
        const first = await firstDeployOfSecrets();
        // A new secret that sorts first among those with its readers, and two removed.
        const changed = [
            { name: "svc-00a", at: 0 },
            ...SECRETS.filter((s) => s.name !== "svc-05" && s.name !== "svc-17"),
        ];
        const again = await owner(changed, first);
        const before = keyIdsOf(first);
        const after = keyIdsOf(again);
        for (const s of changed) if (s.name in before) expect(after[s.name], s.name).to.equal(before[s.name]);
        // Without the previous placement the same config packs differently: the read is what keeps them.
        const fresh = keyIdsOf(await owner(changed));
        expect(changed.filter((s) => s.name in before && fresh[s.name] !== before[s.name])).to.not.deep.equal([]);
    });
});

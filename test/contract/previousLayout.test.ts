import { expect } from "chai";
import { firstDeployOfSecrets, packedOwner, SECRETS } from "../components/packedOwner";
import * as pulumi from "@pulumi/pulumi";
import type { StackRun } from "../../plan/runtime";
import { placementsFrom } from "../../contract/previousLayout";
import { PROGRAM_TIMEOUT } from "../components/helpers";

/**
 * Where the last run put each secret, when the stack's `keyIds` export is missing or not
 * usable: a stack of the older program (one key, no keyIds) keeps every secret on that key
 * when new secrets need more keys; a stack with several keys and no placements stops.
 */

/** Secrets whose readers sort last: packed afresh with the others, they do not land on the first key. */
const OLD = [SECRETS[20], SECRETS[21]];

const owner = packedOwner;

const keyIdsOf = (run: StackRun) => run.outputs.keyIds as Record<string, string>;

describe("contract: the previous placement of each secret", function () {
    this.timeout(PROGRAM_TIMEOUT);

    it("a stack of the older program (one key, no keyIds export) keeps its secrets on that key when new secrets need more keys", async () => {
        const first = await owner(OLD);
        expect(Object.values(keyIdsOf(first))).to.deep.equal(["shared", "shared"]);
        // What the older program exported: no keyIds.
        const { keyIds: _dropped, ...older } = first.outputs;
        expect(_dropped).to.not.equal(undefined);
        const after = keyIdsOf(await owner(SECRETS, older));
        expect(new Set(Object.values(after)).size).to.be.greaterThan(1);
        for (const s of OLD) expect(after[s.name], s.name).to.equal("shared");
        // Packed afresh, some of them would have moved to another key.
        const fresh = keyIdsOf(await firstDeployOfSecrets());
        expect(OLD.some((s) => fresh[s.name] !== "shared")).to.equal(true);
    });

    it("a stack exporting several keys but no keyIds stops, naming the keys and what to do", () => {
        const aliases = { shared: "alias/platform", "shared-2": "alias/platform/shared-2" };
        expect(() => placementsFrom("o/p/platform", undefined, aliases, { a: "arn" })).to.throw(
            pulumi.RunError,
            /^stack o\/p\/platform has no output keyIds but exports the keys shared, shared-2: without the key of each secret, packing afresh could move secrets to other keys/,
        );
    });

    it("a keyIds export of another form stops too, even with one key", () => {
        expect(() => placementsFrom("o/p/platform", ["shared"], { shared: "alias/platform" }, { a: "arn" })).to.throw(
            pulumi.RunError,
            /^stack o\/p\/platform exports keyIds of an unexpected form but exports the keys shared:/,
        );
    });

    it("a first deploy (no outputs) and keys of one secret each have no previous placement; a usable keyIds is taken as it is", () => {
        expect(placementsFrom("o/p/platform", undefined, undefined, undefined)).to.equal(undefined);
        // Keys of one secret each (key.perSecret left): every secret is packed afresh, as documented.
        expect(placementsFrom("o/p/platform", undefined, { db: "alias/p/db", shared: "alias/p/shared" }, {})).to.equal(
            undefined,
        );
        expect(placementsFrom("o/p/platform", { a: "shared-2" }, { shared: "x" }, {})).to.deep.equal({ a: "shared-2" });
    });
});

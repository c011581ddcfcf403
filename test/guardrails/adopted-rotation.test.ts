import * as path from "path";
import { expect } from "chai";
import { POLICIES, TYPES, checkAdoptedKeyRotation, checkKeyRotation } from "../../guardrails/rules";
import { EXAMPLE_KEY_ID } from "../../plan/existingWorld";
import { readStackFile } from "../../plan/stackFiles";
import { ROOT, resource, runStack } from "../mocks";

/**
 * The key-rotation rule and adopted keys. An adopted key is imported with `enableKeyRotation`
 * among its ignoreChanges: the stack leaves its rotation as it is in AWS, and the engine hands
 * the pack the live value. The mandatory rule applies to the keys whose rotation the stack
 * decides (every key it creates); an adopted key that does not rotate gets an advisory warning,
 * so it no longer fails every preview and update.
 */

const ADOPTED = { ignoreChanges: ["description", "enableKeyRotation", "tags"] };
const WARNING =
    "KMS key share-key is adopted with its rotation left as it is in AWS, and enableKeyRotation is false: this stack does not change it; " +
    "turn rotation on outside the stack (aws kms enable-key-rotation --key-id <key id>), which this warning then stops reporting";

describe("policy pack: rotation of created and adopted keys", () => {
    it("a created key without rotation: the mandatory rule fails it, whatever else it ignores", () => {
        expect(checkKeyRotation({ enableKeyRotation: false }, "share-key")).to.have.length(1);
        expect(checkKeyRotation({ enableKeyRotation: false }, "share-key", { ignoreChanges: ["tags"] })).to.have.length(
            1,
        );
        expect(checkAdoptedKeyRotation({ enableKeyRotation: false }, "share-key")).to.deep.equal([]);
    });

    it("an adopted key without rotation (the live value): no mandatory violation, one warning", () => {
        expect(checkKeyRotation({ enableKeyRotation: false }, "share-key", ADOPTED)).to.deep.equal([]);
        expect(checkAdoptedKeyRotation({ enableKeyRotation: false }, "share-key", ADOPTED)).to.deep.equal([WARNING]);
    });

    it("an adopted key that rotates: nothing to say", () => {
        expect(checkKeyRotation({ enableKeyRotation: true }, "share-key", ADOPTED)).to.deep.equal([]);
        expect(checkAdoptedKeyRotation({ enableKeyRotation: true }, "share-key", ADOPTED)).to.deep.equal([]);
    });

    it("the program adopts with enableKeyRotation ignored and creates with rotation on: each falls to its rule", async () => {
        const config = {
            ...readStackFile(path.join(ROOT, "examples", "existing"), "primary").config,
            "secretshare:key": JSON.stringify({ existing: "alias/MyKey", adopt: true }),
        };
        const r = await runStack({ stack: "primary", config });
        const adopted = resource(r, TYPES.key, "share-key");
        expect(adopted.id).to.equal(EXAMPLE_KEY_ID);
        const opts = r.options.get(`${TYPES.key}::share-key`);
        expect(opts?.ignoreChanges).to.include("enableKeyRotation");
        // What the engine sends the pack: the program's inputs, with the live (ignored) rotation.
        const props = { ...adopted.inputs, enableKeyRotation: false };
        const reports = await Promise.all(
            POLICIES.map(async (p) => {
                const found: string[] = [];
                const validate = p.validateResource as (
                    a: unknown,
                    report: (m: string) => void,
                ) => void | Promise<void>;
                try {
                    await validate(
                        {
                            type: TYPES.key,
                            name: "share-key",
                            props,
                            opts: { ignoreChanges: opts?.ignoreChanges ?? [] },
                            notApplicable: () => {
                                throw new Error("not applicable");
                            },
                        },
                        (m) => found.push(m),
                    );
                } catch {
                    // not applicable to a key
                }
                return found.map((m) => `${p.name} (${p.enforcementLevel}): ${m}`);
            }),
        );
        expect(reports.flat()).to.deep.equal([`kms-key-rotation-adopted (advisory): ${WARNING}`]);
        // The watch's own key is created here: its rotation is the stack's, and on.
        const watchKey = resource(r, TYPES.key, "watch-key");
        expect(checkKeyRotation(watchKey.inputs, "watch-key", r.options.get(`${TYPES.key}::watch-key`))).to.deep.equal(
            [],
        );
    });
});

import { expect } from "chai";
import { layoutFits, ownerConfig } from "../../bench/capacity";

describe("bench/capacity: the configurations it measures", () => {
    it("builds a principal-arn config that config accepts: its readers exist already", () => {
        const config = ownerConfig(2, 3, { principalForm: "principal-arn", accounts: 2 });
        const readers = Object.values(config.owner.consumers).flatMap((c) => c.readers);
        expect(readers).to.have.length(3);
        expect(readers.every((r) => r.existing)).to.equal(true);
        expect(layoutFits(config)).to.deep.equal({ ok: true });
    });

    it("keeps the default form's readers created by the program", () => {
        const config = ownerConfig(1, 2);
        const readers = Object.values(config.owner.consumers).flatMap((c) => c.readers);
        expect(readers.map((r) => r.existing)).to.deep.equal([false, false]);
    });
});

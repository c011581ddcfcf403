import { expect } from "chai";
import { parseConfig, type OwnerStackConfig } from "../../config";
import { LimitError } from "../../common/errors";
import { ownerLayout } from "../../policies/layout";

/**
 * A packed key past the first gets alias/<key.alias>/shared-<n>: the config accepts key.alias up
 * to the 256 characters KMS allows for the first key's alias, so the layout must refuse a
 * second key's alias that KMS would refuse at CreateAlias.
 * https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html
 */

function owner(alias: string): OwnerStackConfig {
    return parseConfig("platform", {
        mode: "owner",
        owner: { accountId: "111111111111", region: "us-east-1" },
        consumers: { apps: { accountId: "222222222222", readers: [{ role: "app" }] } },
        secrets: [
            { name: "a", readers: ["apps/app"], username: "app" },
            { name: "b", readers: ["apps/app"], username: "app" },
        ],
        key: { alias },
    }) as OwnerStackConfig;
}

/** The last run placed b on a second key: it stays there. */
const previous = { a: "shared", b: "shared-2" };

function problemsOf(alias: string): readonly string[] {
    try {
        ownerLayout(owner(alias).owner, previous);
        return [];
    } catch (e) {
        if (e instanceof LimitError) return e.problems;
        throw e;
    }
}

describe("layout: the aliases of packed keys", () => {
    it("a key.alias that leaves room for /shared-2 plans both keys", () => {
        const base = "k".repeat(256 - "alias/".length - "/shared-2".length);
        const layout = ownerLayout(owner(base).owner, previous);
        expect(layout.keys.map((k) => `alias/${k.alias}`.length)).to.deep.equal([6 + base.length, 256]);
        expect(problemsOf(base)).to.deep.equal([]);
    });

    it("a second key whose alias would pass 256 characters fails, naming key.alias, the alias and its length", () => {
        const base = "k".repeat(250);
        // The first key's alias alone is one KMS accepts.
        expect(`alias/${base}`.length).to.equal(256);
        expect(problemsOf(base)).to.deep.equal([
            `secretshare:key.alias = "${base}": packed key shared-2 would get the alias alias/${base}/shared-2, ` +
                "265 characters, and KMS allows at most 256; shorten key.alias (by 9 characters at least).",
        ]);
    });
});

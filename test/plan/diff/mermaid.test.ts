import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { diffPlans } from "../../../plan/diff/diff";
import type { PlanJson } from "../../../plan/diff/facts";
import { mermaid, pictureOf } from "../../../plan/diff/mermaid";
import { COMMENT_LIMIT, diffMarkdown } from "../../../plan/diff/render";
import { ROOT } from "../../mocks";
import { mermaidBlocks, parseMermaid } from "../../support/mermaid";
import { committedStacks, savedDiff, withBob } from "./helpers";

/**
 * The picture: every diagram the diff draws is parsed by Mermaid's own parser (the `mermaid`
 * package, in jsdom), as GitHub renders it; at scale only what changed is drawn, and the
 * comment form stays under GitHub's comment limit.
 */

const OWNER = "111111111111";

/** A hand-built plan JSON: `secrets` secrets in one owner stack, each read by `readers(i)`. */
function syntheticPlan(secrets: number, readers: (i: number) => string[]): PlanJson {
    const arn = (i: number) => `arn:aws:secretsmanager:us-east-1:${OWNER}:secret:s${i}-AbCdEf`;
    const access: PlanJson["access"] = [];
    for (let i = 0; i < secrets; i++) {
        for (const r of readers(i)) {
            const principal = `arn:aws:iam::${r.split("/")[0]}:user/${r.split("/")[1]}`;
            const base = { secret: `s${i}`, who: r, principal, expected: "Allowed", decision: "Allowed" };
            access.push({
                ...base,
                action: "secretsmanager:GetSecretValue",
                context: { "secretsmanager:VersionStage": "AWSCURRENT" },
            });
            access.push({ ...base, action: "kms:Decrypt", context: { "kms:EncryptionContext:SecretARN": arn(i) } });
        }
    }
    const ids = [...Array(secrets).keys()];
    return {
        ok: true,
        project: "secretshare",
        stacks: [
            {
                name: "owner",
                mode: "owner",
                resources: [],
                outputs: {
                    secretArns: Object.fromEntries(ids.map((i) => [`s${i}`, arn(i)])),
                    keyArns: Object.fromEntries(
                        ids.map((i) => [`s${i}`, `arn:aws:kms:us-east-1:${OWNER}:key/k${i % 7}`]),
                    ),
                },
            },
        ],
        access,
    };
}

const READERS = (i: number) => [...Array(20).keys()].map((r) => `${222222222200 + (i % 5)}/reader${r}`);

describe("access diff: the Mermaid picture", function () {
    this.timeout(60_000);

    it("the Markdown of 'add Bob' has one diagram, valid for Mermaid, with Bob's gain drawn green", async () => {
        const out = await savedDiff(committedStacks(), withBob(), { format: ["--markdown"] });
        expect(out.code, out.stderr).to.equal(0);
        const [diagram, ...more] = mermaidBlocks(out.stdout);
        expect(more).to.deep.equal([]);
        expect(await parseMermaid(diagram)).to.equal("flowchart-v2");
        expect(diagram).to.match(
            /subgraph acct\d+\["account 111111111111"\]\n\s+s\d+\["secret MySecret"\]\n\s+k\d+\["alias\/MyKey"\]/,
        );
        expect(diagram).to.match(/p\d+\("secondary\/Stuart"\)/);
        const bob = /(p\d+)\("secondary\/Bob"\)/.exec(diagram)?.[1];
        expect(diagram).to.include(`${bob} ==>|"gained: GetSecretValue, kms:Decrypt"| s`);
        expect(diagram).to.match(/linkStyle 2 stroke:#1a7f37/);
        expect(diagram).to.include(`class ${bob} gained`);
        expect(diagram).not.to.include("classDef lost");
        // The README shows this very picture.
        const readme = mermaidBlocks(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
        expect(readme).to.deep.equal([diagram]);
    });

    it("the parser rejects a broken diagram (so the check above can fail)", async () => {
        expect(await parseMermaid('flowchart LR\n    a["x" --> b')).to.match(/^error: Parse error/);
    });

    it("labels with quotes, brackets and pipes parse", async () => {
        const text = mermaid({
            secrets: [{ name: 'a"b[c]|d', stack: "s", account: OWNER, keyArn: "arn:k", keyLabel: "<key>" }],
            edges: [
                {
                    from: 'role "x" | y',
                    fromAccount: "222222222222",
                    to: 'a"b[c]|d',
                    state: "lost",
                    actions: ["Get|Value"],
                },
            ],
        });
        expect(await parseMermaid(text)).to.equal("flowchart-v2");
        expect(text).to.include("#quot;").and.include("#lt;key#gt;");
    });

    it("300 secrets x 20 readers, 60 gain a reader and 1 loses one: only the changes drawn, the comment fits", async () => {
        const base = syntheticPlan(300, READERS);
        const head = syntheticPlan(300, (i) => [
            ...READERS(i).filter((r) => !(i === 0 && r.endsWith("/reader3"))),
            ...(i % 5 === 0 ? [`333333333333/new${i}`] : []),
        ]);
        const d = diffPlans(base, head);
        expect([d.summary.gained, d.summary.lost]).to.deep.equal([120, 2]);
        const picture = pictureOf(base, head, d);
        expect(picture.edges.length).to.equal(6000 + 60);
        const text = mermaid(picture);
        expect(await parseMermaid(text)).to.equal("flowchart-v2");
        // 60 edges drawn (the 61 changes, less one past the limit), none of them unchanged.
        expect(text.match(/==>|-\.->/g)).to.have.length(60);
        expect(text).not.to.include("-->|reads|");
        expect(text).to.include("more edges not drawn");

        const comment = diffMarkdown(d, picture);
        expect(comment.length).to.be.below(COMMENT_LIMIT);
        expect(await parseMermaid(mermaidBlocks(comment)[0])).to.equal("flowchart-v2");
        // It fits: the comment is the full report.
        expect(comment).to.include("333333333333/new295");
        expect(diffMarkdown(d, picture, 0)).to.equal(comment);
    });

    it("past the comment limit the rows are cut, and the comment says how many are left out", () => {
        const base = syntheticPlan(1000, () => []);
        const head = syntheticPlan(1000, (i) => [`222222222222/reader${i}`]);
        const d = diffPlans(base, head);
        const comment = diffMarkdown(d, pictureOf(base, head, d));
        expect(comment.length).to.be.below(COMMENT_LIMIT);
        expect(comment).to.match(/…and \d+ more \(the full report is in the job summary/);
        const full = diffMarkdown(d, pictureOf(base, head, d), 0);
        expect(full).to.include("222222222222/reader999");
        expect(full.length).to.be.above(COMMENT_LIMIT);
    });
});

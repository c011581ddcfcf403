import { expect } from "chai";
import { main } from "../../plan/cli";
import { progress } from "../../plan/progress";
import { ROOT } from "../mocks";
import { plan } from "./helpers";

/** The plan's default text is a summary; the documents and the whole matrix are behind --verbose. */

describe("npm start: the summary (default text) and --verbose", function () {
    this.timeout(60_000);

    it("per stack resources by type and origin, per secret who reads it, the summary line; no documents or matrix", async () => {
        const out = await plan([]);
        expect(out.code).to.equal(0);
        const lines = out.stdout.trimEnd().split("\n");
        expect(lines[1]).to.equal(
            "summary: every resource, export, policy document and check with `npm start -- --verbose`",
        );
        expect(out.stdout).to.match(/^TYPE +ORIGIN +COUNT$/m);
        expect(out.stdout).to.match(/^aws:kms\/key:Key +created +2$/m);
        expect(out.stdout).to.match(/^aws:iam\/user:User +created +1$/m);
        expect(out.stdout).to.include("\nMySecret: secondary/Stuart (AWSCURRENT)\n");
        expect(out.stdout).to.match(/^watch: 2 EventBridge rules in us-east-1/m);
        expect(lines.at(-1)).to.equal("access: 14 checks, 14 as expected");
        expect(out.stdout).not.to.include("key policy of share-key:");
        expect(out.stdout).not.to.match(/^ok +MySecret/m);
        expect(lines.length).to.be.below(60);

        const verbose = await plan(["--verbose"]);
        expect(verbose.stdout).to.include("key policy of share-key:");
        expect(verbose.stdout.split("\n").filter((l) => /^ok +MySecret/.test(l))).to.have.length(14);
    });

    it("progress goes to stderr once a run is past the threshold, never to stdout, never with --json", async () => {
        const run = async (argv: string[]) => {
            let [stdout, stderr] = ["", ""];
            const code = await main(
                argv,
                { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: ROOT },
                {
                    progressAfterMs: 0,
                },
            );
            return { code, stdout, stderr };
        };
        const text = await run([]);
        expect(text.stderr).to.include(
            "progress: planned stack primary (1/2)\nprogress: planned stack secondary (2/2)\n",
        );
        expect(text.stderr).to.include("progress: 14 checks done\n");
        expect(text.stdout).not.to.include("progress:");
        const json = await run(["--json"]);
        expect(json.stderr).not.to.include("progress:");
        expect(() => JSON.parse(json.stdout) as unknown).not.to.throw();
    });

    it("says nothing before the threshold", () => {
        let clock = 0;
        let said = "";
        const p = progress((t) => (said += t), { afterMs: 2000, now: () => clock });
        p.say("early");
        clock = 1999;
        p.say("still early");
        clock = 2000;
        p.say("late");
        expect(said).to.equal("progress: late\n");
    });
});

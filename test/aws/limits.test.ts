import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { LIMITS, QUOTAS, sizeOf, textSize, type LimitName, type Quota, type SizeLimit } from "../../aws/limits";
import {
    AUTONAME_SUFFIX,
    IAM_PATH,
    NAME_PREFIX_SUFFIX,
    NAME_RULES,
    iamPathProblems,
    nameProblem,
    physicalName,
    policyMetacharacters,
    type NameRule,
} from "../../aws/names";
import { ROOT } from "../mocks";

/**
 * The catalogue itself: every entry sourced, every size counted as AWS counts it, every name
 * rule just under and just over its limits, and docs/limits.md generated from it.
 */

const num = (n: number) => n.toLocaleString("en-US");

/** The catalogue as the Markdown tables of docs/limits.md (between the generated markers). */
export function catalogueMarkdown(): string {
    const sizes = Object.values(LIMITS as Record<LimitName, SizeLimit>).map(
        (l) =>
            `| ${l.what} | ${num(l.size)} ${l.unit} | whitespace ${l.whitespace} | ${l.adjustable ? (l.setting ? `yes, up to ${num(l.raisedMax ?? l.size)}: \`${l.setting}\`` : "yes (the plan checks the default)") : "no"} | ${l.appliesTo.map((a) => `\`${a}\``).join(", ")} | [source](${l.source}) |`,
    );
    const quotas = Object.values(QUOTAS as Record<string, Quota>).map(
        (q) =>
            `| ${q.what} | ${num(q.value)} | ${q.per} | ${q.adjustable ? "yes" : "no"} | ${q.setting ? `\`${q.setting}\`` : "—"} | ${q.appliesTo.map((a) => `\`${a}\``).join(", ")} | [source](${q.source}) |`,
    );
    const names = NAME_RULES.map(
        (r) =>
            `| ${r.what} | \`${r.type}\` \`${r.input}\` | ${r.max} | \`${r.charsetText}\` | ${r.autoname ? `logical name + ${AUTONAME_SUFFIX}, at most ${r.autoname.max}${r.autoname.prefix ? `, after \`${r.autoname.prefix}\`` : ""}` : r.generated ? `none: the provider's \`${r.generated.prefix}\` + ${r.generated.suffix}` : "—"} | per ${r.unique}${r.caseInsensitive ? ", ignoring case" : ""} | [source](${r.source}) |`,
    );
    return [
        "### Document sizes",
        "",
        "| document | limit | counted | adjustable | applies to | source |",
        "| --- | --: | --- | --- | --- | --- |",
        ...sizes,
        "",
        "### Quotas",
        "",
        "| quota | default | counts | adjustable | setting | applies to | source |",
        "| --- | --: | --- | --- | --- | --- | --- |",
        ...quotas,
        "",
        "### Names",
        "",
        "| name | resource, input | AWS max | characters | Pulumi's autoname | unique | source |",
        "| --- | --- | --: | --- | --- | --- | --- |",
        ...names,
        `| IAM path | ${IAM_PATH.appliesTo.map((a) => `\`${a}\``).join(", ")} | ${IAM_PATH.max} | ${IAM_PATH.charsetText}; never \`*\`, \`?\` or \`\${\` (see below) | — | — | [source](${IAM_PATH.source}) |`,
    ].join("\n");
}

const START = "<!-- catalogue: generated from aws/limits.ts and aws/names.ts by test/aws/limits.test.ts -->";
const END = "<!-- end of catalogue -->";

describe("aws: the catalogue of limits", () => {
    it("every entry names its public source and what it applies to", () => {
        const entries: { source: string; appliesTo: readonly string[] }[] = [
            ...Object.values(LIMITS),
            ...Object.values(QUOTAS),
            ...NAME_RULES.map((r) => ({ source: r.source, appliesTo: [r.type] })),
            IAM_PATH,
        ];
        for (const e of entries) {
            expect(e.source).to.match(/^https:\/\/(docs\.aws\.amazon\.com|github\.com\/pulumi)\//);
            expect(e.appliesTo.length).to.be.greaterThan(0);
        }
    });

    it("docs/limits.md lists the catalogue as it is in code", () => {
        const file = path.join(ROOT, "docs", "limits.md");
        const doc = fs.readFileSync(file, "utf8");
        const start = doc.indexOf(START);
        const end = doc.indexOf(END);
        expect(start, `${START} in docs/limits.md`).to.be.greaterThan(-1);
        const generated = catalogueMarkdown();
        if (process.env.UPDATE_DOCS) {
            fs.writeFileSync(file, `${doc.slice(0, start + START.length)}\n\n${generated}\n\n${doc.slice(end)}`);
        }
        expect(
            doc.slice(start + START.length, end).trim(),
            "docs/limits.md is out of date: UPDATE_DOCS=1 npx mocha test/aws/limits.test.ts rewrites it",
        ).to.equal(generated);
    });

    it("IAM sizes do not count whitespace; KMS and SNS count bytes", () => {
        const doc = {
            Version: "2012-10-17",
            Statement: [{ Sid: "A", Effect: "Allow", Action: "s3:GetObject", Resource: "*" }],
        };
        const compact = JSON.stringify(doc);
        expect(textSize(JSON.stringify(doc, null, 4), "userInline")).to.equal(compact.length);
        expect(sizeOf(doc as never, "managedPolicy")).to.equal(compact.length);
        // Whitespace counts where AWS counts the text as sent.
        expect(textSize(JSON.stringify(doc, null, 4), "secretPolicy")).to.be.greaterThan(compact.length);
        const accented = JSON.stringify({ ...doc, Id: "é" });
        expect(textSize(accented, "keyPolicy")).to.equal(accented.length + 1);
        expect(textSize(accented, "topicPolicy")).to.equal(accented.length + 1);
        expect(textSize(accented, "eventPattern")).to.equal(accented.length);
    });

    it("the documented values", () => {
        expect(LIMITS.eventPattern.size).to.equal(2048);
        expect(LIMITS.inputTemplate.size).to.equal(8192);
        expect(LIMITS.topicPolicy).to.include({ size: 30 * 1024, unit: "bytes" });
        expect(QUOTAS.rulesPerBus).to.include({
            value: 300,
            adjustable: true,
            setting: "secretshare:watch.rulesPerBus",
        });
        const max = (type: string) => (NAME_RULES.find((r) => r.type === type) as NameRule).max;
        expect(max("aws:cloudwatch/eventRule:EventRule")).to.equal(64);
        expect(max("aws:iam/user:User")).to.equal(64);
        expect(max("aws:iam/role:Role")).to.equal(64);
        expect(max("aws:iam/policy:Policy")).to.equal(128);
        expect(max("aws:sns/topic:Topic")).to.equal(256);
        expect(max("aws:kms/alias:Alias")).to.equal(256);
        expect(max("aws:secretsmanager/secret:Secret")).to.equal(512);
        expect(IAM_PATH.max).to.equal(512);
    });
});

describe("aws: name rules, just under and just over", () => {
    /** A name of `n` characters that the rule's charset accepts (the alias keeps its prefix). */
    const nameOf = (rule: NameRule, n: number) => {
        const head = rule.type === "aws:kms/alias:Alias" ? "alias/" : "";
        return head + "a".repeat(n - head.length);
    };

    for (const rule of NAME_RULES) {
        it(`${rule.what} (${rule.type}): explicit ${rule.max} / ${rule.max + 1}`, () => {
            const at = physicalName(rule, "logical", { [rule.input]: nameOf(rule, rule.max) });
            expect(nameProblem(rule, at)).to.equal(undefined);
            const over = physicalName(rule, "logical", { [rule.input]: nameOf(rule, rule.max + 1) });
            expect(nameProblem(rule, over)).to.equal(`${rule.max + 1} characters, over the ${rule.max} AWS allows`);
        });

        if (rule.autoname) {
            const auto = rule.autoname;
            // The longest logical name that both Pulumi's cap and AWS's limit take.
            const longest = Math.min(auto.max, rule.max - (auto.prefix?.length ?? 0)) - AUTONAME_SUFFIX;
            it(`${rule.what}: autonamed logical name of ${longest} / ${longest + 1} characters`, () => {
                const at = physicalName(rule, "a".repeat(longest), {});
                expect(at.name).to.equal(`${auto.prefix ?? ""}${"a".repeat(longest)}-xxxxxxx`);
                expect(nameProblem(rule, at)).to.equal(undefined);
                const over = physicalName(rule, "a".repeat(longest + 1), {});
                const length = over.name.length;
                const reasons = [
                    ...(longest + 1 + AUTONAME_SUFFIX > auto.max
                        ? [`the ${auto.max} Pulumi allows for an autonamed ${rule.type.split(":").pop()}`]
                        : []),
                    ...(length > rule.max ? [`the ${rule.max} AWS allows`] : []),
                ];
                expect(nameProblem(rule, over)).to.equal(
                    `${length} characters with Pulumi's ${AUTONAME_SUFFIX}-character autoname suffix, over ${reasons.join(" and ")}`,
                );
            });
        }

        if (rule.prefixInput) {
            it(`${rule.what}: a ${rule.prefixInput} counts Terraform's ${NAME_PREFIX_SUFFIX} characters`, () => {
                const fits = rule.max - NAME_PREFIX_SUFFIX;
                const prefix = (n: number) => nameOf(rule, n);
                expect(
                    nameProblem(rule, physicalName(rule, "x", { [rule.prefixInput as string]: prefix(fits) })),
                ).to.equal(undefined);
                expect(
                    nameProblem(rule, physicalName(rule, "x", { [rule.prefixInput as string]: prefix(fits + 1) })),
                ).to.equal(
                    `${rule.max + 1} characters with the ${NAME_PREFIX_SUFFIX}-character suffix of namePrefix, over the ${rule.max} AWS allows`,
                );
            });
        }
    }

    it("characters AWS refuses, in the part the program chose", () => {
        const rule = (type: string) => NAME_RULES.find((r) => r.type === type) as NameRule;
        const topic = rule("aws:sns/topic:Topic");
        expect(nameProblem(topic, physicalName(topic, "watch-team.a-topic", {}))).to.equal(
            "has characters outside [A-Za-z0-9_-], which AWS refuses",
        );
        expect(nameProblem(topic, physicalName(topic, "watch-team_a-topic", {}))).to.equal(undefined);
        const user = rule("aws:iam/user:User");
        expect(nameProblem(user, physicalName(user, "x", { name: "Stuart Smith" }))).to.match(/outside/);
        const alias = rule("aws:kms/alias:Alias");
        expect(nameProblem(alias, physicalName(alias, "x", { name: "MyKey" }))).to.match(/outside alias\//);
    });
});

describe("aws: IAM paths and policy metacharacters", () => {
    it("512 characters is a path, 513 is not", () => {
        const path = (n: number) => `/${"a".repeat(n - 2)}/`;
        expect(iamPathProblems(path(512))).to.deep.equal([]);
        expect(iamPathProblems(path(513))).to.deep.equal(["513 characters, over the 512 IAM allows for a path"]);
        expect(iamPathProblems("/")).to.deep.equal([]);
        expect(iamPathProblems("apps/")).to.deep.equal([
            "not an IAM path (starting and ending with /, printable ASCII between)",
        ]);
    });

    for (const [path, found] of [
        ["/app?/", '"?" (a wildcard)'],
        ["/app*/", '"*" (a wildcard)'],
        ["/${aws:username}/", '"${" (a policy variable)'],
    ] as const) {
        it(`${path}: ${found}`, () => {
            expect(policyMetacharacters(path)).to.deep.equal([found]);
            expect(iamPathProblems(path)).to.deep.equal([
                `has ${found}: the path is part of the identity's ARN, which the policies match with ArnEquals, so AWS would match other identities too`,
            ]);
        });
    }

    it("a lone $ or { is no policy variable", () => {
        expect(policyMetacharacters("/a$b{c}/")).to.deep.equal([]);
    });
});

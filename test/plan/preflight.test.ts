import { expect } from "chai";
import { LIMITS, QUOTAS } from "../../aws/limits";
import { PreflightError } from "../../common/errors";
import { preflight, preflightFindings, type PreflightOptions, type PreflightStack } from "../../plan/preflight";
import type { RegisteredResource } from "../../plan/mocks";

/**
 * The plan's preflight on registered resources built by hand: every limit of the catalogue just
 * under and just over, across stacks where AWS counts across stacks. The end-to-end cases (stack
 * files in a directory, `npm start` exit codes) are in test/plan/preflightPlan.test.ts.
 */

const OWNER = "111111111111";
const CONSUMER = "222222222222";
const RULE = "aws:cloudwatch/eventRule:EventRule";

function res(
    type: string,
    name: string,
    inputs: Record<string, unknown> = {},
    account = OWNER,
    region = "us-east-1",
): RegisteredResource {
    return {
        type,
        name,
        inputs,
        state: {},
        id: name,
        provider: { id: `p-${account}-${region}`, name: `p-${account}`, accountId: account, region, inputs: {} },
        custom: true,
    };
}

const stack = (name: string, resources: RegisteredResource[]): PreflightStack => ({ name, resources });
const problems = (stacks: PreflightStack[], options?: PreflightOptions) => preflightFindings(stacks, options).problems;

/** A JSON document of exactly `n` characters: {"Id":"aaa..."}. */
const jsonOf = (n: number) => `{"Id":"${"a".repeat(n - 9)}"}`;
/** `count` rules with short autonamed names, each with a small pattern. */
const rules = (count: number, prefix = "r", pattern = '{"source":["aws.kms"]}') =>
    Array.from({ length: count }, (_, i) => res(RULE, `${prefix}${i}`, { eventPattern: pattern }));

describe("plan preflight: EventBridge rules per event bus", () => {
    it("300 rules on one bus pass, 301 are refused with the quota named", () => {
        expect(problems([stack("owner", rules(300))])).to.deep.equal([]);
        expect(problems([stack("owner", rules(301))])).to.deep.equal([
            'EventBridge rules per event bus (300, the default): 301 rules on the default bus of account 111111111111 in us-east-1 (stack "owner": 301), over the quota; ' +
                'request a higher quota (Service Quotas, Amazon EventBridge, "Rules") and set secretshare:watch.rulesPerBus to it, ' +
                "or watch less here (secretshare:watch.enabled: false, or fewer owner stacks per account and Region)",
        ]);
    });

    it("counts every stack's rules on the same bus, and only that bus", () => {
        const two = [stack("a", rules(150, "a")), stack("b", rules(151, "b"))];
        expect(problems(two)).to.have.length(1);
        expect(problems(two)[0]).to.include(
            '301 rules on the default bus of account 111111111111 in us-east-1 (stack "a": 150, stack "b": 151)',
        );
        const elsewhere = rules(151, "b").map((r) => res(r.type, r.name, r.inputs, OWNER, "eu-west-1"));
        expect(problems([stack("a", rules(150, "a")), stack("b", elsewhere)])).to.deep.equal([]);
    });

    it("a raised quota in secretshare:watch.rulesPerBus: just under and just over it", () => {
        const raised: PreflightOptions = { rulesPerBus: () => 400 };
        expect(problems([stack("owner", rules(400))], raised)).to.deep.equal([]);
        const over = problems([stack("owner", rules(401))], raised);
        expect(over).to.have.length(1);
        expect(over[0]).to.match(
            /^EventBridge rules per event bus \(400, from secretshare:watch\.rulesPerBus\): 401 rules/,
        );
        // Only the stacks that write to the bus state its quota.
        const other: PreflightOptions = { rulesPerBus: (s) => (s === "elsewhere" ? 400 : undefined) };
        expect(problems([stack("owner", rules(301)), stack("elsewhere", [])], other)).to.have.length(1);
    });

    it("30 rules with wildcard filters pass, 31 are refused", () => {
        const wild = '{"detail":{"requestParameters":{"secretId":[{"wildcard":"arn:*"}]}}}';
        expect(problems([stack("owner", rules(30, "w", wild))])).to.deep.equal([]);
        expect(problems([stack("owner", rules(31, "w", wild))])).to.deep.equal([
            `EventBridge rules with wildcard filters per event bus (${QUOTAS.wildcardRulesPerBus.value}, not adjustable): 31 rules with wildcard filters on the default bus of account 111111111111 in us-east-1; ` +
                "fewer such rules are needed (this is the watch's design, not a setting)",
        ]);
    });
});

describe("plan preflight: document sizes, just under and just over", () => {
    const cases: { type: string; input: Record<string, (text: string) => unknown>; limit: keyof typeof LIMITS }[] = [
        { type: RULE, input: { eventPattern: (t) => t }, limit: "eventPattern" },
        {
            type: "aws:cloudwatch/eventTarget:EventTarget",
            input: { inputTransformer: (t) => ({ inputPaths: {}, inputTemplate: t }) },
            limit: "inputTemplate",
        },
        { type: "aws:sns/topicPolicy:TopicPolicy", input: { policy: (t) => t }, limit: "topicPolicy" },
        { type: "aws:secretsmanager/secretPolicy:SecretPolicy", input: { policy: (t) => t }, limit: "secretPolicy" },
        { type: "aws:kms/key:Key", input: { policy: (t) => t }, limit: "keyPolicy" },
        { type: "aws:kms/keyPolicy:KeyPolicy", input: { policy: (t) => t }, limit: "keyPolicy" },
        { type: "aws:iam/policy:Policy", input: { policy: (t) => t }, limit: "managedPolicy" },
        { type: "aws:iam/role:Role", input: { assumeRolePolicy: (t) => t }, limit: "trustPolicy" },
    ];
    for (const c of cases) {
        const l = LIMITS[c.limit];
        it(`${l.what}: ${l.size} ${l.unit} pass, ${l.size + 1} are refused`, () => {
            const [key, wrap] = Object.entries(c.input)[0];
            const of = (n: number) => [stack("s", [res(c.type, "doc", { [key]: wrap(jsonOf(n)) })])];
            expect(problems(of(l.size))).to.deep.equal([]);
            const over = problems(of(l.size + 1));
            expect(over).to.have.length(1);
            const path = key === "inputTransformer" ? "inputTransformer.inputTemplate" : key;
            expect(over[0]).to.match(
                new RegExp(
                    `^${l.what} \\(${l.size.toLocaleString("en-US")} ${l.unit}\\): ${path} of ${c.type.split(":").pop()} "doc" of stack "s" \\(account 111111111111, us-east-1\\) is ${(l.size + 1).toLocaleString("en-US")} ${l.unit}, over the`,
                ),
            );
        });
    }

    it("counts bytes where AWS counts bytes: a multibyte character in a topic policy", () => {
        const text = `{"Id":"é${"a".repeat(30720 - 10)}"}`;
        expect(text.length).to.equal(30720);
        expect(problems([stack("s", [res("aws:sns/topicPolicy:TopicPolicy", "p", { policy: text })])])).to.have.length(
            1,
        );
    });

    it("the inline policies of one user share 2,048 characters across stacks, whatever the case of the user's name", () => {
        const inline = (stackName: string, user: string, n: number, name = `read-${stackName}`) =>
            stack(stackName, [
                res("aws:iam/userPolicy:UserPolicy", `${stackName}-p`, { user, name, policy: jsonOf(n) }, CONSUMER),
            ]);
        expect(problems([inline("a", "Stuart", 1024), inline("b", "stuart", 1024)])).to.deep.equal([]);
        const over = problems([inline("a", "Stuart", 1024), inline("b", "stuart", 1025)]);
        expect(over).to.have.length(1);
        expect(over[0]).to.match(
            /^IAM inline policies of one user \(2,048 characters together\): user Stuart of account 222222222222 gets 2,049 from/,
        );
        // Another user's policies are its own.
        expect(problems([inline("a", "Stuart", 1024), inline("b", "Alice", 2048)])).to.deep.equal([]);
    });

    /** Stack `s` attaching `n` managed policies to the consumer's role "reader". */
    const attach = (s: string, n: number) =>
        stack(
            s,
            Array.from({ length: n }, (_, i) =>
                res(
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    `${s}-${i}`,
                    { role: "reader", policyArn: `arn:${s}:${i}` },
                    CONSUMER,
                ),
            ),
        );

    it("at most 10 managed policies attach to one role, across stacks", () => {
        expect(problems([attach("a", 5), attach("b", 5)])).to.deep.equal([]);
        expect(problems([attach("a", 5), attach("b", 6)])).to.deep.equal([
            'managed policies attached to one IAM user or role (10 by default): role reader of account 222222222222 gets 11 attachments, from stacks "a", "b"; let the role read fewer secrets',
        ]);
    });

    it("counts attachments against the quota a world snapshot recorded for the account", () => {
        const recorded = (accountId: string, kind: "user" | "role") =>
            accountId === CONSUMER && kind === "role" ? 12 : undefined;
        const found = (n: number) => preflightFindings([attach("a", n)], { attachedPolicies: recorded }).problems;
        expect(found(12)).to.deep.equal([]);
        expect(found(13)).to.deep.equal([
            'managed policies attached to one IAM user or role (12, as the world snapshot recorded it): role reader of account 222222222222 gets 13 attachments, from stacks "a"; let the role read fewer secrets',
        ]);
    });
});

describe("plan preflight: physical names", () => {
    it("an autonamed EventBridge rule: a logical name of 56 characters fits, 57 do not (64 with Pulumi's suffix)", () => {
        const name = (n: number) => `watch-${"c".repeat(n - 6)}`;
        expect(problems([stack("s", [res(RULE, name(56), { eventPattern: "{}" })])])).to.deep.equal([]);
        expect(problems([stack("s", [res(RULE, name(57), { eventPattern: "{}" })])])).to.deep.equal([
            `EventBridge rule name (64 characters): "${name(57)}-xxxxxxx" of EventRule "${name(57)}" of stack "s" (account 111111111111, us-east-1) is ` +
                "65 characters with Pulumi's 8-character autoname suffix, over the 64 Pulumi allows for an autonamed EventRule and the 64 AWS allows; " +
                "give the consumer account a shorter name of [A-Za-z0-9_-] (its key under secretshare:consumers, and secretshare:consumer.name of its stack)",
        ]);
    });

    it("an explicit IAM user name of 64 characters fits, 65 do not", () => {
        const user = (n: number) => [
            stack("s", [res("aws:iam/user:User", "u", { name: "u".repeat(n), path: "/" }, CONSUMER)]),
        ];
        expect(problems(user(64))).to.deep.equal([]);
        expect(problems(user(65))[0]).to.match(
            /^IAM user name \(64 characters\): "u{65}" of User "u" .* is 65 characters, over the 64 AWS allows; rename the reader/,
        );
    });

    it("IAM paths: 512 characters, and no wildcard or policy variable", () => {
        const withPath = (path: string) => [
            stack("s", [res("aws:iam/role:Role", "r", { name: "reader", path }, CONSUMER)]),
        ];
        expect(problems(withPath(`/${"p".repeat(510)}/`))).to.deep.equal([]);
        expect(problems(withPath(`/${"p".repeat(511)}/`))).to.deep.equal([
            `IAM path: "/${"p".repeat(511)}/" of Role "r" of stack "s" (account 222222222222, us-east-1): 513 characters, over the 512 IAM allows for a path; ` +
                "set secretshare:consumers.<account>.readers[].path to a path such as /apps/",
        ]);
        expect(problems(withPath("/app?/"))).to.deep.equal([
            `IAM path: "/app?/" of Role "r" of stack "s" (account 222222222222, us-east-1): has "?" (a wildcard): the path is part of the identity's ARN, ` +
                "which the policies match with ArnEquals, so AWS would match other identities too; set secretshare:consumers.<account>.readers[].path to a path such as /apps/",
        ]);
    });
});

describe("plan preflight: names unique across stacks", () => {
    const user = (s: string, name: string, account = CONSUMER) =>
        stack(s, [res("aws:iam/user:User", `secondary-${name}`, { name, path: "/" }, account)]);

    it("Stuart and stuart in one account: one IAM user, refused", () => {
        expect(problems([user("a", "Stuart"), user("b", "stuart")])).to.deep.equal([
            'IAM user names are unique per account: "Stuart" in account 222222222222 is registered 2 times ("Stuart" and "stuart" are the same name to IAM, which ignores case), ' +
                'by User "secondary-Stuart" of stack "a" (account 222222222222, us-east-1); User "secondary-stuart" of stack "b" (account 222222222222, us-east-1). ' +
                "The second create fails (or two stacks overwrite one resource); rename the reader (secretshare:consumers.<account>.readers[].user), or declare it existing: true in all but one stack",
        ]);
        // In one stack as well.
        const both = stack("a", [
            ...user("a", "Stuart").resources,
            res("aws:iam/user:User", "x", { name: "stuart" }, CONSUMER),
        ]);
        expect(problems([both])).to.have.length(1);
    });

    it("Stuart in two accounts, or a user and a role of one name: no collision", () => {
        expect(problems([user("a", "Stuart"), user("b", "Stuart", "333333333333")])).to.deep.equal([]);
        const role = stack("b", [res("aws:iam/role:Role", "r", { name: "Stuart" }, CONSUMER)]);
        expect(problems([user("a", "Stuart"), role])).to.deep.equal([]);
    });

    it("managed policy names ignore case too", () => {
        const policy = (s: string, name: string) =>
            stack(s, [res("aws:iam/policy:Policy", `${s}-p`, { name, policy: "{}" }, CONSUMER)]);
        expect(
            problems([policy("a", "secretshare-Stuart-read-1"), policy("b", "secretshare-stuart-read-1")]),
        ).to.have.length(1);
        expect(
            problems([policy("a", "secretshare-Stuart-read-1"), policy("b", "secretshare-Stuart-read-2")]),
        ).to.deep.equal([]);
    });

    it("two owner stacks with one alias in one account and Region: refused; in two Regions: fine", () => {
        const alias = (s: string, region = "us-east-1") =>
            stack(s, [
                res(
                    "aws:kms/alias:Alias",
                    "share-alias",
                    { name: "alias/secretshare", targetKeyId: "k" },
                    OWNER,
                    region,
                ),
            ]);
        expect(problems([alias("a"), alias("b")])).to.deep.equal([
            'KMS alias names are unique per account and Region: "alias/secretshare" in account 111111111111, us-east-1 is registered 2 times, ' +
                'by Alias "share-alias" of stack "a" (account 111111111111, us-east-1); Alias "share-alias" of stack "b" (account 111111111111, us-east-1). ' +
                "The second create fails (or two stacks overwrite one resource); give each owner stack of this account and Region its own secretshare:key.alias " +
                "(with key.perSecret, shorten key.alias or the secret's name)",
        ]);
        expect(problems([alias("a"), alias("b", "eu-west-1")])).to.deep.equal([]);
    });

    it("one inline policy name written twice on one identity", () => {
        const inline = (s: string, user: string) =>
            stack(s, [
                res(
                    "aws:iam/userPolicy:UserPolicy",
                    `${s}-read`,
                    { user, name: "secretshare-read", policy: "{}" },
                    CONSUMER,
                ),
            ]);
        const twice = problems([inline("c1", "Stuart"), inline("c2", "Stuart")]);
        expect(twice).to.have.length(1);
        expect(twice[0]).to.match(
            /^IAM inline policy names are unique per identity: "secretshare-read" in user Stuart of account 222222222222 is registered 2 times/,
        );
        expect(problems([inline("c1", "Stuart"), inline("c2", "Alice")])).to.deep.equal([]);
    });

    it("throws a PreflightError (exit 2) with every problem, one line each", () => {
        let error: unknown;
        try {
            preflight([user("a", "Stuart"), user("b", "stuart"), stack("o", rules(301))]);
        } catch (e) {
            error = e;
        }
        expect(error).to.be.instanceOf(PreflightError);
        const e = error as PreflightError;
        expect(e.problems).to.have.length(2);
        expect(e.message).to.equal(
            "the plan's resources would not deploy: 2 problems with AWS's limits and names (docs/limits.md):\n" +
                e.problems.map((p) => `  - ${p}`).join("\n"),
        );
        expect(preflight([user("a", "Stuart")]).rulesPerBus.count).to.equal(0);
    });
});

describe("plan preflight: one resource policy per secret, key or topic", () => {
    it("two stacks writing the policy of one existing secret", () => {
        const arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:MySecret-Xy12Ab";
        const policy = (s: string, secretArn = arn) =>
            stack(s, [
                res("aws:secretsmanager/secretPolicy:SecretPolicy", "share-MySecret-policy", {
                    secretArn,
                    policy: "{}",
                }),
            ]);
        expect(problems([policy("a"), policy("b")])).to.deep.equal([
            `one secret resource policy per resource: ${arn} gets its secret resource policy from ` +
                'SecretPolicy "share-MySecret-policy" of stack "a" (account 111111111111, us-east-1); SecretPolicy "share-MySecret-policy" of stack "b" (account 111111111111, us-east-1); ' +
                "each deploy replaces the other's statements. Share it from one owner stack",
        ]);
        expect(problems([policy("a"), policy("b", `${arn.slice(0, -6)}Zz99Yy`)])).to.deep.equal([]);
    });
});

describe("plan preflight: characters AWS refuses in a name", () => {
    it("a consumer topic named after an account with a dot", () => {
        const topic = res("aws:sns/topic:Topic", "watch-team.a-topic", {}, CONSUMER);
        expect(problems([stack("c", [topic])])).to.deep.equal([
            'SNS topic name (256 characters): "watch-team.a-topic-xxxxxxx" of Topic "watch-team.a-topic" of stack "c" (account 222222222222, us-east-1) ' +
                "has characters outside [A-Za-z0-9_-], which AWS refuses; give the consumer account a shorter name of [A-Za-z0-9_-] (its key under secretshare:consumers, and secretshare:consumer.name of its stack)",
        ]);
    });
});

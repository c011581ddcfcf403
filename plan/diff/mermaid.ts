import type { PlanDiff } from "./diff";
import { factsOf, type PlanJson, type SecretNode } from "./facts";

/**
 * The picture of an access diff: a Mermaid flowchart (GitHub renders it in comments and job
 * summaries) of the accounts as subgraphs, each secret with its key in the owner's account, and
 * the principals allowed to read it in their accounts; what is gained is drawn thick and green,
 * what is lost dashed and red. Past `maxEdges` edges only what changed is drawn, with the keys of
 * the secrets it touches, and a count of what is left out.
 * https://mermaid.js.org/syntax/flowchart.html
 */

export interface Edge {
    readonly from: string;
    readonly fromAccount: string | null;
    readonly to: string;
    readonly state: "gained" | "lost" | "kept";
    /** The actions gained or lost (empty for a kept edge). */
    readonly actions: readonly string[];
}

export interface Picture {
    readonly secrets: readonly SecretNode[];
    readonly edges: readonly Edge[];
}

const READS = new Set(["secretsmanager:GetSecretValue", "kms:Decrypt"]);
const shortAction = (a: string) => a.replace(/^secretsmanager:/, "").replace(/^sts:/, "");

/** The secrets of both plans, and one edge per principal and secret (or reader role). */
export function pictureOf(base: PlanJson, head: PlanJson, diff: PlanDiff): Picture {
    const [a, b] = [factsOf(base), factsOf(head)];
    const secrets = new Map([...a.secrets, ...b.secrets]);
    const edges = new Map<
        string,
        { from: string; fromAccount: string | null; to: string; gained: Set<string>; lost: Set<string> }
    >();
    const edge = (who: string, account: string | null, to: string) => {
        const key = `${who}\u0000${to}`;
        const found = edges.get(key) ?? { from: who, fromAccount: account, to, gained: new Set(), lost: new Set() };
        edges.set(key, found);
        return found;
    };
    // Principals that can read a secret in both plans: the unchanged part of the picture.
    for (const t of b.access.values()) {
        if (t.allowed && READS.has(t.action) && a.access.get(t.key)?.allowed) edge(t.who, t.account, t.secret);
    }
    for (const c of diff.access) {
        const e = edge(c.who, c.account, c.secret);
        (c.change === "gained" ? e.gained : e.lost).add(shortAction(c.action));
    }
    return {
        secrets: [...secrets.values()],
        edges: [...edges.values()].map((e) => ({
            from: e.from,
            fromAccount: e.fromAccount,
            to: e.to,
            state: e.gained.size ? "gained" : e.lost.size ? "lost" : "kept",
            actions: [...(e.gained.size ? e.gained : e.lost)].sort(),
        })),
    };
}

/** A node label: Mermaid's entity codes for the characters that end or break a quoted label. */
const label = (s: string) => `"${s.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;")}"`;

export const GAINED_STYLE = "stroke:#1a7f37,stroke-width:3px";
export const LOST_STYLE = "stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5";

/** The flowchart's source (without the ```mermaid fence). */
export function mermaid(picture: Picture, maxEdges = 60): string {
    const changed = picture.edges.filter((e) => e.state !== "kept");
    const collapse = picture.edges.length > maxEdges;
    const drawn = collapse ? changed.slice(0, maxEdges) : picture.edges;
    const targets = new Set(drawn.map((e) => e.to));
    const secrets = picture.secrets.filter((s) => targets.has(s.name) || (!collapse && s.keyArn));
    const ids = new Map<string, string>();
    const id = (kind: string, name: string) => {
        const key = `${kind}\u0000${name}`;
        if (!ids.has(key)) ids.set(key, `${kind}${ids.size}`);
        return ids.get(key) as string;
    };
    // Nodes by account: subgraphs, in a stable order.
    const byAccount = new Map<string, string[]>();
    const place = (account: string | null | undefined, line: string) => {
        const k = account ?? "";
        byAccount.set(k, [...(byAccount.get(k) ?? []), line]);
    };
    const keys = new Set<string>();
    for (const s of secrets) {
        place(s.account, `${id("s", s.name)}[${label(`secret ${s.name}`)}]`);
        if (s.keyArn && !keys.has(s.keyArn)) {
            keys.add(s.keyArn);
            place(s.account, `${id("k", s.keyArn)}[${label(s.keyLabel ?? "key")}]`);
        }
    }
    const readers = new Set<string>();
    const secretNames = new Set(picture.secrets.map((s) => s.name));
    for (const e of drawn) {
        if (!secretNames.has(e.to) && !ids.has(`s\u0000${e.to}`)) place(null, `${id("s", e.to)}[${label(e.to)}]`);
        if (readers.has(e.from)) continue;
        readers.add(e.from);
        place(e.fromAccount, `${id("p", e.from)}(${label(e.from)})`);
    }
    const lines = ["flowchart LR"];
    const accounts = [...byAccount.keys()].sort();
    for (const [i, account] of accounts.entries()) {
        const nodes = byAccount.get(account) as string[];
        if (!account) {
            lines.push(...nodes.map((n) => `    ${n}`));
            continue;
        }
        lines.push(
            `    subgraph acct${i}[${label(`account ${account}`)}]`,
            ...nodes.map((n) => `        ${n}`),
            "    end",
        );
    }
    const styles: string[] = [];
    let n = 0;
    for (const s of secrets) {
        if (!s.keyArn) continue;
        lines.push(`    ${id("k", s.keyArn)} -->|encrypts| ${id("s", s.name)}`);
        n++;
    }
    for (const e of drawn) {
        const [from, to] = [id("p", e.from), id("s", e.to)];
        if (e.state === "kept") lines.push(`    ${from} -->|reads| ${to}`);
        else {
            const text = label(`${e.state}: ${e.actions.join(", ")}`);
            lines.push(`    ${from} ${e.state === "gained" ? "==>" : "-.->"}|${text}| ${to}`);
            styles.push(`    linkStyle ${n} ${e.state === "gained" ? GAINED_STYLE : LOST_STYLE}`);
        }
        n++;
    }
    if (collapse) {
        const left = picture.edges.length - drawn.length;
        lines.push(
            `    more[${label(`${left} more edges not drawn: unchanged readers, or changes past ${maxEdges}`)}]`,
        );
    }
    lines.push(...styles);
    const gained = drawn.filter((e) => e.state === "gained").map((e) => id("p", e.from));
    const lost = drawn.filter((e) => e.state === "lost").map((e) => id("p", e.from));
    if (gained.length)
        lines.push(`    classDef gained ${GAINED_STYLE}`, `    class ${[...new Set(gained)].join(",")} gained`);
    if (lost.length) lines.push(`    classDef lost ${LOST_STYLE}`, `    class ${[...new Set(lost)].join(",")} lost`);
    return lines.join("\n");
}

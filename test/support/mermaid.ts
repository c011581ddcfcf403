/**
 * Mermaid's own parser (the `mermaid` package, as GitHub renders it) for the tests: it needs a
 * DOM for its sanitizer, so it runs in jsdom. Loaded once; `parse` rejects a diagram GitHub would
 * show as a syntax error.
 */

interface Mermaid {
    initialize(config: Record<string, unknown>): void;
    parse(text: string): Promise<{ diagramType: string }>;
}

let loaded: Promise<Mermaid> | undefined;

// A real dynamic import: `mermaid` is an ES module, and the tests are compiled to CommonJS.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importEsm = new Function("specifier", "return import(specifier)") as (s: string) => Promise<{ default: Mermaid }>;

export function mermaidParser(): Promise<Mermaid> {
    loaded ??= (async () => {
        // jsdom ships no types; this is the part used here. Required here, not at the top: the
        // files that only read mermaidBlocks do not load a browser.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { JSDOM } = require("jsdom") as { JSDOM: new (html: string) => { window: { document: unknown } } };
        // Its sanitizer takes the window when it loads; no other test may then see a browser.
        const dom = new JSDOM("<!doctype html><html><body></body></html>");
        const g = globalThis as { window?: unknown; document?: unknown };
        Object.assign(g, { window: dom.window, document: dom.window.document });
        try {
            const mermaid = (await importEsm("mermaid")).default;
            mermaid.initialize({ startOnLoad: false });
            return mermaid;
        } finally {
            delete g.window;
            delete g.document;
        }
    })();
    return loaded;
}

/** The diagram type, or the parser's error message. */
export async function parseMermaid(text: string): Promise<string> {
    const mermaid = await mermaidParser();
    try {
        return (await mermaid.parse(text)).diagramType;
    } catch (e) {
        return `error: ${(e as Error).message}`;
    }
}

/** The ```mermaid blocks of a Markdown text. */
export const mermaidBlocks = (markdown: string) =>
    [...markdown.matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m) => m[1]);

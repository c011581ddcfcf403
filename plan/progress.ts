import { performance } from "perf_hooks";

/**
 * Progress of a long plan on stderr (stacks planned, checks simulated), never on stdout: a run
 * that ends within `afterMs` prints nothing, and `--json` prints none at all (cli.ts).
 */
export interface Progress {
    readonly say: (line: string) => void;
}

export function progress(
    stderr: (text: string) => void,
    options: { readonly afterMs?: number; readonly now?: () => number; readonly enabled?: boolean } = {},
): Progress {
    const now = options.now ?? (() => performance.now());
    const start = now();
    const afterMs = options.afterMs ?? 2000;
    return {
        say: (line) => {
            if (options.enabled !== false && now() - start >= afterMs) stderr(`progress: ${line}\n`);
        },
    };
}

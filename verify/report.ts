import type { Deps } from "./deps";

export type Status = "PASS" | "FAIL" | "SKIP";

/** One PASS, FAIL or SKIP line per check, its details indented below it, and the counts. */
export class Report {
    readonly counts: Record<Status, number> = { PASS: 0, FAIL: 0, SKIP: 0 };
    constructor(private readonly deps: Pick<Deps, "out">) {}
    line(status: Status, text: string, details: readonly string[] = []): void {
        this.counts[status]++;
        this.deps.out(`${status}  ${text}`);
        for (const d of details) this.deps.out(`      ${d}`);
    }
    note(text: string): void {
        this.deps.out(text);
    }
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// What every benchmark does at the end: the Markdown report where asked, the raw numbers in the
// temp folder (so a report can be re-rendered without measuring again), and an exit code.

/** Writes both; returns the raw file's path. */
export function writeBenchReport(bench: string, out: string, markdown: string, result: unknown, startedAt: Date): string {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, markdown);
  const raw = path.join(os.tmpdir(), `mehrdesk-bench-${bench}-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(raw, JSON.stringify(result, null, 1));
  return raw;
}

/** Runs a benchmark's main and exits with its code, printing the stack of a failure. */
export function runBench(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exit(1);
    },
  );
}

// Command-line helpers every benchmark entry point shares.

/**
 * An integer option: the full or the `--quick` default when absent, else the value, which must
 * be an integer of at least `min` (a typo fails the run before any stack work).
 */
export function intOption(quick: boolean | undefined) {
  return (raw: string | undefined, name: string, full: number, fast: number, min = 1): number => {
    if (raw === undefined) return quick ? fast : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return n;
  };
}

/** How the benchmark `bench` was started, as its report states it (npm script or launcher). */
export function benchCommand(bench: string): string {
  const args = process.argv.slice(2).join(' ');
  return process.env.npm_lifecycle_event === `bench:${bench}` ? `npm run bench:${bench}${args ? ` -- ${args}` : ''}` : `./mehrdesk bench ${bench}${args ? ` ${args}` : ''}`;
}

import { execFileSync } from 'node:child_process';

/** The commit a benchmark measured, and uncommitted files other than the benchmark's own. */
export function gitState(root: string, ownFile: (file: string) => boolean): { commit: string; dirty: string[] } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const dirty = git(['status', '--porcelain'])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3))
      .filter((f) => !ownFile(f));
    return { commit: git(['rev-parse', '--short', 'HEAD']).trim(), dirty };
  } catch {
    return { commit: 'unknown', dirty: [] };
  }
}

/** The output of `git <args>` in `root`, trimmed; empty when git fails (not a checkout, unknown ref). */
export function gitLine(root: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

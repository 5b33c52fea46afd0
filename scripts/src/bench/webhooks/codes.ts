import { execFileSync } from 'node:child_process';
import { prepareWorktree } from '../ticket-path/worktree';

// The code roots a run compares: the previous code (a git worktree of the old commit with its
// own npm ci, made by the ticket-path benchmark's prepareWorktree) and this working tree.

export interface Code {
  label: 'old' | 'new';
  root: string;
  commit: string;
  /** First line of the commit message ("(working tree)" appended for this tree). */
  subject: string;
  /** Seconds spent creating the worktree and installing (0 when reused or for this tree). */
  preparedSeconds: number;
  /** A worktree and install from an earlier run were used as they were. */
  reused: boolean;
}

const subjectOf = (root: string, ref: string) => {
  try {
    return execFileSync('git', ['log', '-1', '--format=%s', ref], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

export async function oldCode(repo: string, ref: string, log: (m: string) => void): Promise<Code> {
  const tree = await prepareWorktree(repo, ref, 'old', log);
  return { label: 'old', root: tree.root, commit: tree.short, subject: subjectOf(repo, tree.commit), preparedSeconds: tree.preparedSeconds, reused: tree.reused };
}

export function newCode(repo: string, commit: string): Code {
  return { label: 'new', root: repo, commit, subject: `${subjectOf(repo, 'HEAD')} (working tree)`, preparedSeconds: 0, reused: true };
}

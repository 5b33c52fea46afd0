import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Another commit's code for an old-vs-new benchmark: a git worktree of that commit in the temp
// folder with its own node_modules (`npm ci`), so the workspace links (@mehrdesk/*) point at its
// own packages rather than at this tree's. A worktree already at that commit is reused, and
// `npm ci` runs again only when its lockfile changed since the last install.

export interface CodeWorktree {
  root: string;
  commit: string;
  short: string;
  /** Seconds spent creating the worktree and installing (0 when both were reused). */
  preparedSeconds: number;
  reused: boolean;
}

const git = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: (m: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const keep = (b: Buffer) => {
      for (const line of b.toString('utf8').split('\n')) if (line.trim()) tail.push(line);
      tail.splice(0, Math.max(0, tail.length - 30));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        log(tail.join('\n'));
        reject(new Error(`${cmd} ${args.join(' ')} in ${cwd} exited with ${code}`));
      }
    });
  });
}

/** `<tmp>/mehrdesk-<label>-<short commit>`, e.g. mehrdesk-old-260d322. */
export async function prepareWorktree(repo: string, ref: string, label: string, log: (m: string) => void): Promise<CodeWorktree> {
  const t0 = performance.now();
  const commit = git(repo, ['rev-parse', '--verify', `${ref}^{commit}`]);
  const short = commit.slice(0, 7);
  const root = path.join(os.tmpdir(), `mehrdesk-${label}-${short}`);
  let reused = true;
  if (fs.existsSync(path.join(root, '.git'))) {
    const head = git(root, ['rev-parse', 'HEAD']);
    if (head !== commit) throw new Error(`${root} exists at ${head.slice(0, 7)}, not ${short}: remove it (git worktree remove --force ${root}) and run again`);
    log(`${label} code: reusing the worktree ${root}`);
  } else {
    reused = false;
    log(`${label} code: git worktree add ${root} ${short}`);
    git(repo, ['worktree', 'add', '--detach', root, commit]);
  }
  // The lockfile decides what is installed, as the launcher's own install stamp does.
  const stamp = path.join(root, 'node_modules', '.mehrdesk-bench-install-stamp');
  const want = createHash('sha256')
    .update(fs.readFileSync(path.join(root, 'package-lock.json')))
    .digest('hex');
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== want) {
    reused = false;
    log(`${label} code: npm ci in ${root} (Node ${process.version} from ${path.dirname(process.execPath)})`);
    // The project's Node first on PATH, so npm and the packages' install scripts run on it.
    const env = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
    await run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], root, env, log);
    fs.writeFileSync(stamp, want);
  }
  return { root, commit, short, preparedSeconds: reused ? 0 : (performance.now() - t0) / 1000, reused };
}

import fs from 'node:fs';
import path from 'node:path';
import { spawnManaged } from './processes';

// The Vue console and the customer portal (two pages of one Vite build) are served by the API
// from web/dist. The launcher builds it (vite build) when
// there is no build yet or a source file is newer than the build, for `start` and `test`, so a
// fresh clone and an edited console both serve what the sources say.

const SOURCES = ['src', 'public', 'index.html', 'portal.html', 'vite.config.ts', 'package.json', 'tsconfig.json'];

function newestMtime(p: string): number {
  if (!fs.existsSync(p)) return 0;
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of fs.readdirSync(p)) {
    // Tests are not part of the bundle.
    if (entry.endsWith('.unit.test.ts')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry)));
  }
  return newest;
}

/** Why the console needs building, or null when web/dist is current. */
export function consoleBuildReason(webDir: string): string | null {
  const index = path.join(webDir, 'dist', 'index.html');
  if (!fs.existsSync(index)) return 'no build yet';
  if (!fs.existsSync(path.join(webDir, 'dist', 'portal.html'))) return 'no build of the portal yet';
  const built = fs.statSync(index).mtimeMs;
  const changed = Math.max(...SOURCES.map((s) => newestMtime(path.join(webDir, s))));
  return changed > built ? 'sources changed since the last build' : null;
}

export async function ensureConsoleBuilt(root: string, node: string, log: (m: string) => void): Promise<void> {
  const webDir = path.join(root, 'web');
  const reason = consoleBuildReason(webDir);
  if (!reason) return;
  log(`console: building web/dist (${reason})...`);
  const t0 = Date.now();
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const build = spawnManaged('vite build', node, [vite, 'build', '--logLevel', 'warn'], { cwd: webDir });
  const { code, error } = await build.exited;
  if (code !== 0) throw new Error(`vite build of the console failed (${error?.message ?? `exit code ${code}`}); see its output above`);
  // Touch the index so a build that changed nothing still counts as newer than the sources.
  const now = new Date();
  fs.utimesSync(path.join(webDir, 'dist', 'index.html'), now, now);
  log(`console: built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

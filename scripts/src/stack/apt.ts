import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { spawnManaged } from './processes';
import { findOnPath } from './executables';

// Installing a missing server binary from Debian packages when running as root (CI), the way
// the launcher gets redis-server and dovecot onto a fresh machine.

export const SBIN_PATH = `${process.env.PATH ?? ''}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

/** apt-get when we run as root and it exists, else undefined (the caller explains what to install). */
export function rootAptGet(): string | undefined {
  return process.getuid?.() === 0 ? findOnPath('apt-get', SBIN_PATH) : undefined;
}

/**
 * `apt-get update && apt-get install <pkg>`. Debian packages of servers start their system
 * service; we run our own instance, so that service is stopped and disabled again afterwards,
 * unless it was running before (then it is not ours to touch).
 */
export async function aptInstall(apt: string, pkg: string, service: string, log: (message: string) => void, what: string, alternative: string): Promise<void> {
  log(`${what}: not found; installing the Debian package ${pkg} with apt-get (first run only)...`);
  const started = Date.now();
  const serviceWasRunning = quietly('service', [service, 'status']);
  const env = { ...process.env, PATH: SBIN_PATH, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', pkg]]) {
      const step = spawnManaged(`apt-get ${args[0]}`, apt, args, { env });
      const { code, error } = await step.exited;
      if (code !== 0) {
        throw new Error(`\`apt-get ${args.join(' ')}\` failed (${error?.message ?? `exit code ${code}`}); see its output above. Install ${pkg} yourself, or ${alternative}.`);
      }
    }
  } finally {
    if (!serviceWasRunning) stopPackageService(service, log, what);
  }
  log(`${what}: installed ${pkg} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** Best effort: the init script stops only the process in its own pid file, never ours. */
function stopPackageService(service: string, log: (message: string) => void, what: string): void {
  const wasStarted = quietly('service', [service, 'status']);
  if (wasStarted) quietly('service', [service, 'stop']);
  const disabled = fs.existsSync('/run/systemd/system') ? quietly('systemctl', ['disable', service]) : quietly('update-rc.d', [service, 'disable']);
  if (wasStarted || disabled) {
    log(`${what}: ${wasStarted ? 'stopped' : 'left stopped'}${disabled ? ' and disabled' : ''} the ${service} system service the package installed (we run our own)`);
  }
}

function quietly(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 60_000, env: { ...process.env, PATH: SBIN_PATH } });
    return true;
  } catch {
    return false;
  }
}

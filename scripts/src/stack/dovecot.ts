import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './ports';
import { spawnManaged } from './processes';
import { findOnPath, isExecutable } from './executables';
import { aptInstall, rootAptGet, SBIN_PATH } from './apt';

// A private Dovecot IMAP server for tests: its own config, passwd-file users, maildirs, sockets,
// state and log inside `dataDir`, listening on 127.0.0.1 only, without TLS (plaintext login is
// allowed on loopback), run in the foreground under our process supervisor. It never reads the
// system's /etc/dovecot and never touches a system Dovecot.

export interface DovecotUser {
  name: string;
  password: string;
}

export interface StartDovecotOptions {
  /** Holds config, users, maildirs and logs; kept across restarts (mail survives a stop/start). */
  dataDir: string;
  port: number;
  users: DovecotUser[];
  log: (message: string) => void;
  /** The master process's own output goes here instead of the console (prefixed "[dovecot]"). */
  logFile?: string;
  /** Appended to the generated config, e.g. `imap_capability = IMAP4rev1` to mimic a server without IDLE. */
  extraConfig?: string;
}

export interface DovecotHandle {
  host: string;
  port: number;
  /** `imap://user:password@127.0.0.1:<port>` for one of the configured users. */
  url(user: string): string;
  /** Dovecot's log (logins, refused logins, errors). */
  logPath: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const APT_PACKAGE = 'dovecot-imapd';

interface Identity {
  internalUser: string;
  internalGroup: string;
  loginUser: string;
  /** Owner of the maildirs (Dovecot refuses uid 0 for mail access). */
  mailUid: number;
  mailGid: number;
}

export async function startDovecot({ dataDir, port, users, log, logFile, extraConfig = '' }: StartDovecotOptions): Promise<DovecotHandle> {
  const bin = await resolveDovecot(log);
  dataDir = path.resolve(dataDir);
  if (/[\s"'\\]/.test(dataDir)) throw new Error(`Dovecot data folder must not contain spaces, quotes or backslashes: ${dataDir}`);
  for (const u of users) {
    if (!/^[A-Za-z0-9._@+-]{1,64}$/.test(u.name)) throw new Error(`Dovecot test user name ${JSON.stringify(u.name)} must be 1-64 of A-Z a-z 0-9 . _ @ + -`);
    if (!/^[\x21-\x7e]{1,128}$/.test(u.password) || u.password.includes(':')) throw new Error(`password of Dovecot test user ${u.name} must be printable ASCII without spaces or ':'`);
  }
  const id = identity();
  const dirs = { run: path.join(dataDir, 'run'), state: path.join(dataDir, 'state'), log: path.join(dataDir, 'log'), mail: path.join(dataDir, 'mail') };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  // The auth process (internal user) reads the users file; login and mail processes run as other
  // users too: they must all reach the folder.
  fs.chmodSync(dataDir, 0o755);
  if (process.getuid?.() === 0) {
    assertTraversable(dataDir);
    fs.chownSync(dirs.mail, id.mailUid, id.mailGid);
  }
  const usersFile = path.join(dataDir, 'users');
  fs.writeFileSync(usersFile, users.map((u) => `${u.name}:{PLAIN}${u.password}::::::\n`).join(''), { mode: 0o600 });
  if (process.getuid?.() === 0) fs.chownSync(usersFile, uidOf(id.internalUser), 0);
  const logPath = path.join(dirs.log, 'dovecot.log');
  const configFile = path.join(dataDir, 'dovecot.conf');
  fs.writeFileSync(configFile, `${dovecotConfig({ ...dirs, usersFile, logPath, port, id })}${extraConfig}\n`);

  const started = Date.now();
  const server = spawnManaged('dovecot', bin, ['-F', '-c', configFile], { logFile, quietStop: true, cwd: dataDir });
  const logTail = () => {
    try {
      return fs.readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  };
  const died = server.exited.then((info) => {
    throw new Error(`Dovecot exited during start-up (${info.error?.message ?? `code ${info.code}, signal ${info.signal}`}):\n${server.recentOutput()}\n${logTail()}`);
  });
  died.catch(() => {}); // only observed through the race below
  try {
    await Promise.race([
      died,
      waitFor(async () => /^\* OK \[CAPABILITY/.test(await imapGreeting(HOST, port)), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `Dovecot (${bin}) to greet on ${HOST}:${port}`,
      }),
    ]);
  } catch (error) {
    await server.stop();
    throw new Error(`${(error as Error).message}\n${logTail()}`, { cause: error });
  }
  log(`Dovecot: ready at imap://${HOST}:${port} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const passwords = new Map(users.map((u) => [u.name, u.password]));
  return {
    host: HOST,
    port,
    logPath,
    url(user) {
      const password = passwords.get(user);
      if (password === undefined) throw new Error(`no Dovecot test user ${user}`);
      return `imap://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${HOST}:${port}`;
    },
    stop: () => server.stop(),
  };
}

function dovecotConfig(c: { run: string; state: string; mail: string; usersFile: string; logPath: string; port: number; id: Identity }): string {
  return `# Private test instance written by scripts/src/stack/dovecot.ts; regenerated at every start.
protocols = imap
listen = ${HOST}
base_dir = ${c.run}
state_dir = ${c.state}
instance_name = mehrdesk-${c.port}
log_path = ${c.logPath}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
default_internal_user = ${c.id.internalUser}
default_internal_group = ${c.id.internalGroup}
default_login_user = ${c.id.loginUser}
first_valid_uid = ${c.id.mailUid}
last_valid_uid = ${c.id.mailUid}
first_valid_gid = ${c.id.mailGid}
last_valid_gid = ${c.id.mailGid}
mail_location = maildir:${c.mail}/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${c.usersFile}
}
userdb {
  driver = static
  args = uid=${c.id.mailUid} gid=${c.id.mailGid} home=${c.mail}/%u
}
# No chroot: a non-root Dovecot cannot chroot, and this instance only serves loopback tests.
service imap-login {
  chroot =
  inet_listener imap {
    address = ${HOST}
    port = ${c.port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
}
`;
}

/**
 * As root: Dovecot's own unprivileged users from the Debian package (`dovecot`, `dovenull`),
 * with mail stored as `dovecot` (mail access as uid 0 is refused). Otherwise everything runs as
 * the current user (a rootless Dovecot).
 */
function identity(): Identity {
  if (process.getuid?.() !== 0) {
    const me = os.userInfo();
    return { internalUser: me.username, internalGroup: groupName(me.gid), loginUser: me.username, mailUid: me.uid, mailGid: me.gid };
  }
  for (const user of ['dovecot', 'dovenull']) {
    if (!passwdEntry(user)) {
      throw new Error(`Dovecot needs the system users dovecot and dovenull (created by the Debian package dovecot-core); ${user} is missing. Reinstall it: apt-get install --reinstall dovecot-core`);
    }
  }
  const dovecot = passwdEntry('dovecot')!;
  return { internalUser: 'dovecot', internalGroup: groupName(dovecot.gid), loginUser: 'dovenull', mailUid: dovecot.uid, mailGid: dovecot.gid };
}

function passwdEntry(name: string): { uid: number; gid: number } | undefined {
  try {
    const [, , uid, gid] = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim().split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

function uidOf(name: string): number {
  const entry = passwdEntry(name);
  if (!entry) throw new Error(`no system user ${name}`);
  return entry.uid;
}

function groupName(gid: number): string {
  try {
    return execFileSync('getent', ['group', String(gid)], { encoding: 'utf8' }).split(':')[0]!;
  } catch {
    throw new Error(`group ${gid} has no name (getent group ${gid} failed); Dovecot needs one`);
  }
}

/** Dovecot's unprivileged processes must be able to walk down to the data folder. */
function assertTraversable(dir: string): void {
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) {
      throw new Error(`Dovecot's unprivileged users cannot enter ${d} (mode ${(fs.statSync(d).mode & 0o777).toString(8)}); put the data folder elsewhere (e.g. under ${os.tmpdir()})`);
    }
    if (d === path.dirname(d)) return;
  }
}

/**
 * `DOVECOT_BINARY`, else `dovecot` on PATH or in an sbin folder, else (root with apt-get)
 * installs Debian's `dovecot-imapd`, else throws saying what to install.
 */
export async function resolveDovecot(log: (message: string) => void): Promise<string> {
  const fromEnv = process.env.DOVECOT_BINARY;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return fromEnv;
    throw new Error(`DOVECOT_BINARY=${fromEnv} is not an executable file`);
  }
  const found = findDovecot();
  if (found) return found;
  const apt = rootAptGet();
  if (apt) {
    await aptInstall(apt, APT_PACKAGE, 'dovecot', log, 'Dovecot', 'set DOVECOT_BINARY');
    const installed = findDovecot();
    if (installed) return installed;
    throw new Error(`apt-get installed ${APT_PACKAGE} but no dovecot executable was found afterwards`);
  }
  throw new Error(
    'The IMAP tests need Dovecot (`dovecot`, 2.3 or newer), which was not found. Either:\n' +
      '  - install it: `sudo apt-get install dovecot-imapd` (Debian/Ubuntu), `sudo dnf install dovecot` (Fedora), ' +
      '`brew install dovecot` (macOS), or\n' +
      '  - set DOVECOT_BINARY=/path/to/dovecot.',
  );
}

function findDovecot(): string | undefined {
  return findOnPath('dovecot', SBIN_PATH) ?? ['/opt/homebrew/sbin/dovecot'].find(isExecutable);
}

/** The server's first real greeting line ("Waiting for authentication" is skipped), '' if none in time. */
export function imapGreeting(host: string, port: number, timeoutMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buffer = '';
    const done = (error: Error | undefined, line = ''): void => {
      socket.destroy();
      if (error) reject(error);
      else resolve(line);
    };
    socket.setTimeout(timeoutMs, () => done(undefined, ''));
    socket.once('error', (error) => done(error));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      for (const line of buffer.split('\r\n').slice(0, -1)) {
        if (!line.startsWith('* OK Waiting')) return done(undefined, line);
      }
    });
    socket.once('end', () => done(undefined, ''));
  });
}

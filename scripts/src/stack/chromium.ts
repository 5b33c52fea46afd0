import fs from 'node:fs';
import { aptInstall, rootAptGet, SBIN_PATH } from './apt';
import { findOnPath, isExecutable } from './executables';

// The headless browser of the console's end-to-end tests (playwright-core drives it; no browser
// is ever downloaded): CHROMIUM_PATH, else /usr/bin/chromium or chromium on the PATH, else
// (root with apt-get) Debian's `chromium` package is installed, else a message saying what to
// install.

const APT_PACKAGE = 'chromium';
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

function find(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return isExecutable(given) ? given : undefined;
  if (isExecutable('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const name of CANDIDATES) {
    const found = findOnPath(name, SBIN_PATH);
    if (found) return found;
  }
  return undefined;
}

export async function resolveChromium(log: (message: string) => void): Promise<string> {
  const given = process.env.CHROMIUM_PATH;
  if (given && !fs.existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
  const found = find();
  if (found) return found;
  const apt = rootAptGet();
  if (apt) {
    await aptInstall(apt, APT_PACKAGE, APT_PACKAGE, log, 'Chromium (console end-to-end tests)', 'set CHROMIUM_PATH to a Chromium or Chrome executable');
    const installed = find();
    if (installed) return installed;
    throw new Error(`apt-get installed ${APT_PACKAGE} but no chromium executable was found afterwards`);
  }
  throw new Error(
    'The console end-to-end tests need Chromium and none was found (looked for CHROMIUM_PATH, /usr/bin/chromium and ' +
      `${CANDIDATES.join(', ')} on the PATH). Install it (\`sudo apt-get install chromium\` on Debian/Ubuntu, ` +
      '`sudo dnf install chromium` on Fedora) or set CHROMIUM_PATH.',
  );
}

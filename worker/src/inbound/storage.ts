import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Content-addressed file storage (raw mails, attachments): the name is the SHA-256 of the
 * bytes, so storing the same file twice is harmless and a path never comes from user input.
 */
export async function storeFile(storageDir: string, kind: 'mail' | 'attachments', bytes: Uint8Array): Promise<{ path: string; sha256: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const rel = path.join(kind, sha256.slice(0, 2), sha256);
  const abs = path.resolve(storageDir, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  try {
    await fs.writeFile(abs, bytes, { flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return { path: rel, sha256 };
}

export function readStored(storageDir: string, rel: string): Promise<Buffer> {
  return fs.readFile(path.resolve(storageDir, rel));
}

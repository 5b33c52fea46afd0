import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Content-addressed file storage (raw mails, attachments): the name is the SHA-256 of the
 * bytes, so storing the same file twice is harmless and a path never comes from user input.
 * Inbound mail stores whole buffers (storeFile); uploads arrive as streams, are written to a
 * temporary file first and moved into place once their hash is known (placeFile).
 */

export type StorageKind = 'mail' | 'attachments';

/** Where a file of `kind` with this hash lives, relative to STORAGE_DIR. */
export const storedPath = (kind: StorageKind, sha256: string): string => path.join(kind, sha256.slice(0, 2), sha256);

export async function storeFile(storageDir: string, kind: StorageKind, bytes: Uint8Array): Promise<{ path: string; sha256: string }> {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const rel = storedPath(kind, sha256);
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

/** Uploads in progress: inside STORAGE_DIR, so moving one into place is a rename on the same file system. */
export const uploadTempDir = (storageDir: string): string => path.resolve(storageDir, 'tmp', 'uploads');

/** A fresh, unguessable temporary file name for an upload (the folder is created). */
export async function newUploadTempPath(storageDir: string): Promise<string> {
  const dir = uploadTempDir(storageDir);
  await fs.mkdir(dir, { recursive: true });
  return path.join(dir, `${randomUUID()}.part`);
}

/**
 * Move a fully written temporary file to its content address. An existing file of the same
 * hash has the same bytes, so replacing it (an atomic rename) is harmless.
 */
export async function placeFile(storageDir: string, kind: StorageKind, tempPath: string, sha256: string): Promise<string> {
  const rel = storedPath(kind, sha256);
  const abs = path.resolve(storageDir, rel);
  await fs.mkdir(path.dirname(abs), { recursive: true });
  await fs.rename(tempPath, abs);
  return rel;
}

/** Remove a file, whether or not it is (still) there. */
export async function removeFile(absPath: string): Promise<void> {
  await fs.rm(absPath, { force: true });
}

/**
 * Temporary upload files nobody wrote to for `idleMs` (their request died with its process):
 * removed, returning how many. A live upload writes continuously, so its file is never idle that long.
 */
export async function sweepUploadTemp(storageDir: string, idleMs: number, now = Date.now()): Promise<number> {
  const dir = uploadTempDir(storageDir);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    const file = path.join(dir, name);
    const stat = await fs.stat(file).catch(() => null);
    if (!stat?.isFile() || now - stat.mtimeMs < idleMs) continue;
    await removeFile(file);
    removed++;
  }
  return removed;
}

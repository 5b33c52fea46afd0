import { fileTypeFromBuffer, fileTypeFromFile, supportedMimeTypes, type FileTypeResult } from 'file-type';
import mime from 'mime';

// What an attachment really is. A sender's Content-Type is a claim: a "photo.png" that is really
// an HTML page must not be served to an agent's browser as an image. Magic-number detection
// (file-type) decides for binary formats; text formats cannot be detected, so their claim is
// kept but they are only ever served as downloads (see api/src/attachments/routes.ts).

const OCTET = 'application/octet-stream';
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** Types the console may show inline (after detection confirmed them). */
export const INLINE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf']);

export interface DetectedType {
  contentType: string;
  /** The sender's claim, when it disagreed with what the bytes are. */
  declaredMismatch: string | null;
}

/** A Content-Type header's media type, lower case; null when it is no valid type. */
function mediaType(declared: string): string | null {
  const claim = declared.split(';')[0]!.trim().toLowerCase();
  return MIME.test(claim) ? claim : null;
}

function decide(declared: string, sniffed: FileTypeResult | undefined): DetectedType {
  const claim = declared.split(';')[0]!.trim().toLowerCase();
  const valid = mediaType(declared) ?? OCTET;
  if (sniffed) return { contentType: sniffed.mime, declaredMismatch: sniffed.mime === valid ? null : claim };
  // Nothing recognisable: an image/PDF claim is false (those formats always have a signature).
  if (INLINE_TYPES.has(valid) || valid.startsWith('image/')) return { contentType: OCTET, declaredMismatch: claim };
  return { contentType: valid, declaredMismatch: valid === claim ? null : claim };
}

export async function detectContentType(declared: string, bytes: Uint8Array): Promise<DetectedType> {
  return decide(declared, await fileTypeFromBuffer(bytes));
}

/** The same decision for a file on disk (an upload), read where the detector needs, never whole. */
export async function detectFileContentType(declared: string, filePath: string): Promise<DetectedType & { sniffed: string | null }> {
  const sniffed = await fileTypeFromFile(filePath);
  return { ...decide(declared, sniffed), sniffed: sniffed?.mime ?? null };
}

/** The type a file name's extension stands for, if any (`report.PDF` → application/pdf). */
export function typeOfFilename(filename: string): string | null {
  return filename.includes('.') ? mime.getType(filename) : null;
}

/**
 * Formats whose claim the bytes can confirm: those the detector recognises by a binary
 * signature. Text formats (text/*, XML) it only sees when a marker happens to be present, so a
 * claim of them proves nothing either way.
 */
function checkable(type: string): boolean {
  return supportedMimeTypes.has(type as never) && !type.startsWith('text/') && type !== 'application/xml' && !type.endsWith('+xml');
}

/**
 * The first claim (a declared Content-Type, the type of the file name's extension) that the
 * bytes contradict, or null. A claim is contradicted when it names a format with a signature and
 * the bytes are not that format: an "invoice.pdf" that is a program, a "photo.png" that is an
 * HTML page. Generic or unverifiable claims (application/octet-stream, text/csv) contradict nothing.
 */
export function contradictedClaim(claims: readonly (string | null)[], sniffed: string | null): string | null {
  for (const raw of claims) {
    const claim = raw === null ? null : mediaType(raw);
    if (claim && claim !== OCTET && checkable(claim) && claim !== sniffed) return claim;
  }
  return null;
}

/** Whether `contentType` is one of `allowed` (exact types or `type/*`); an empty list allows every type. */
export function typeAllowed(allowed: readonly string[], contentType: string): boolean {
  if (allowed.length === 0) return true;
  const top = contentType.split('/')[0];
  return allowed.some((a) => a === contentType || (a.endsWith('/*') && a.slice(0, -2) === top));
}

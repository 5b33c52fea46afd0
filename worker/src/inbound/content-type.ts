import { fileTypeFromBuffer } from 'file-type';

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

export async function detectContentType(declared: string, bytes: Uint8Array): Promise<DetectedType> {
  const claim = declared.split(';')[0]!.trim().toLowerCase();
  const valid = MIME.test(claim) ? claim : OCTET;
  const sniffed = await fileTypeFromBuffer(bytes);
  if (sniffed) return { contentType: sniffed.mime, declaredMismatch: sniffed.mime === valid ? null : claim };
  // Nothing recognisable: an image/PDF claim is false (those formats always have a signature).
  if (INLINE_TYPES.has(valid) || valid.startsWith('image/')) return { contentType: OCTET, declaredMismatch: claim };
  return { contentType: valid, declaredMismatch: valid === claim ? null : claim };
}

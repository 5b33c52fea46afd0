import { isUtf8 } from 'node:buffer';
import { chardet } from 'jschardet';

// Undeclared 8-bit text. Mail should declare its charset (RFC 2047 encoded words in headers, a
// charset parameter on text parts), but older and regional clients send raw GB2312, Shift_JIS or
// Latin-1 bytes without one, and the parser reads those as UTF-8, so every such character would
// become U+FFFD. Before parsing, the charset of such bytes is detected (jschardet), and the
// message is made to say it: header lines are transcoded to UTF-8 (which RFC 6532 allows), and a
// text part without a charset parameter gets one. Only bytes that are not valid UTF-8 and only
// text whose charset nothing declares are touched; raw 8-bit text only (a base64 or
// quoted-printable part without a charset is still read as UTF-8).

interface Line {
  start: number;
  /** End of the content, trailing CR/LF excluded. */
  end: number;
  /** Start of the next line. */
  next: number;
}

/** A text part whose undeclared charset must be declared: after its Content-Type line, or as a new header before `blank`. */
interface UndeclaredBody {
  contentTypeLastLine: number | null;
  blank: number;
  bytes: Uint8Array;
}

const MAX_DEPTH = 50;
const SAMPLE_BYTES = 64 * 1024;
const PASS_THROUGH = new Set(['', '7bit', '8bit', 'binary']);
// Encodings mail is written in; the detector's mainframe, DOS and Mac code pages are left out.
const ERAS = chardet.EncodingEra.MODERN_WEB | chardet.EncodingEra.LEGACY_ISO;

function splitLines(raw: Uint8Array): Line[] {
  const lines: Line[] = [];
  let start = 0;
  while (start < raw.length) {
    let lf = raw.indexOf(0x0a, start);
    const next = lf < 0 ? raw.length : lf + 1;
    if (lf < 0) lf = raw.length;
    let end = lf;
    while (end > start && raw[end - 1] === 0x0d) end--;
    lines.push({ start, end, next });
    start = next;
  }
  return lines;
}

/** The message with undeclared 8-bit charsets made explicit; the same bytes when there is nothing to do. */
export function declareUndeclaredCharsets(raw: Uint8Array): Uint8Array {
  if (isUtf8(raw)) return raw; // nearly all mail: ASCII or UTF-8 throughout
  const lines = splitLines(raw);
  const text = (l: Line) => Buffer.from(raw.buffer, raw.byteOffset + l.start, l.end - l.start).toString('latin1');
  const badHeaderLines: number[] = [];
  const bodies: UndeclaredBody[] = [];

  /** One entity (a message or a MIME part) over lines [from, to). */
  const entity = (from: number, to: number, inDigest: boolean, depth: number) => {
    if (depth > MAX_DEPTH) return;
    let blank = from;
    while (blank < to && lines[blank]!.end > lines[blank]!.start) blank++;
    const fields: { name: string; first: number; last: number; value: string }[] = [];
    for (let i = from; i < blank; i++) {
      const l = lines[i]!;
      if (!isUtf8(raw.subarray(l.start, l.end))) badHeaderLines.push(i);
      const t = text(l);
      const last = fields.at(-1);
      if (last && /^[ \t]/.test(t)) {
        last.last = i;
        last.value += t;
      } else {
        const colon = t.indexOf(':');
        fields.push({ name: (colon < 0 ? t : t.slice(0, colon)).trim().toLowerCase(), first: i, last: i, value: colon < 0 ? '' : t.slice(colon + 1) });
      }
    }
    const contentType = fields.find((f) => f.name === 'content-type');
    const encoding =
      fields
        .find((f) => f.name === 'content-transfer-encoding')
        ?.value.trim()
        .toLowerCase()
        .match(/^[\w-]*/)?.[0] ?? '';
    const type = contentType?.value.split(';')[0]!.trim().toLowerCase() || (inDigest ? 'message/rfc822' : 'text/plain');
    const bodyFrom = Math.min(blank + 1, to);

    if (type.startsWith('multipart/')) {
      const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType?.value ?? '');
      const delimiter = boundary ? `--${boundary[1] ?? boundary[2]}` : null;
      if (!delimiter) return;
      let partStart = -1;
      for (let i = bodyFrom; i < to; i++) {
        if (raw[lines[i]!.start] !== 0x2d || raw[lines[i]!.start + 1] !== 0x2d) continue; // not "--"
        const t = text(lines[i]!);
        if (!t.startsWith(delimiter)) continue;
        const rest = t.slice(delimiter.length);
        const closing = rest.startsWith('--');
        if (!/^[ \t]*$/.test(closing ? rest.slice(2) : rest)) continue;
        if (partStart >= 0) entity(partStart, i, type === 'multipart/digest', depth + 1);
        partStart = closing ? -1 : i + 1;
        if (closing) break;
      }
      if (partStart >= 0) entity(partStart, to, type === 'multipart/digest', depth + 1);
    } else if (type === 'message/rfc822' && PASS_THROUGH.has(encoding) && !/^\s*attachment/i.test(fields.find((f) => f.name === 'content-disposition')?.value ?? '')) {
      // An inline forwarded message is read as part of the body; an attached one is kept byte for byte.
      entity(bodyFrom, to, false, depth + 1);
    } else if (type.startsWith('text/') && PASS_THROUGH.has(encoding) && !/;\s*charset\s*\*?\s*=/i.test(contentType?.value ?? '') && bodyFrom < to) {
      const bytes = raw.subarray(lines[bodyFrom]!.start, lines[to - 1]!.next);
      if (!isUtf8(bytes)) bodies.push({ contentTypeLastLine: contentType ? contentType.last : null, blank, bytes });
    }
  };
  entity(0, lines.length, false, 0);
  if (badHeaderLines.length === 0 && bodies.length === 0) return raw;

  const sample = Buffer.concat([...badHeaderLines.map((i) => raw.subarray(lines[i]!.start, lines[i]!.end)), ...bodies.map((b) => b.bytes)].flatMap((b) => [b, Buffer.from('\n')])).subarray(
    0,
    SAMPLE_BYTES,
  );
  const charset = detectCharset(sample);
  if (!charset) return raw;
  const decode = (bytes: Uint8Array) => {
    try {
      return new TextDecoder(charset, { fatal: true }).decode(bytes);
    } catch {
      return null; // not this charset after all (a message mixing several): left as it was
    }
  };

  const replaced = new Map<number, Uint8Array>();
  for (const i of badHeaderLines) {
    const decoded = decode(raw.subarray(lines[i]!.start, lines[i]!.end));
    if (decoded !== null) replaced.set(i, Buffer.from(decoded, 'utf8'));
  }
  const appended = new Map<number, string>();
  const inserted = new Map<number, string>();
  for (const b of bodies) {
    if (decode(b.bytes) === null) continue;
    if (b.contentTypeLastLine !== null) appended.set(b.contentTypeLastLine, `; charset=${charset}`);
    else inserted.set(b.blank, `Content-Type: text/plain; charset=${charset}`);
  }
  const out: Uint8Array[] = [];
  lines.forEach((l, i) => {
    const eol = raw.subarray(l.end, l.next);
    if (inserted.has(i)) out.push(Buffer.from(inserted.get(i)!, 'latin1'), eol.length > 0 ? eol : Buffer.from('\r\n'));
    out.push(replaced.get(i) ?? raw.subarray(l.start, l.end));
    if (appended.has(i)) out.push(Buffer.from(appended.get(i)!, 'latin1'));
    out.push(eol);
  });
  return Buffer.concat(out);
}

/** The WHATWG name of the most likely charset that decodes `bytes` without error, or null. */
export function detectCharset(bytes: Uint8Array): string | null {
  for (const { encoding } of chardet.detectAll(bytes, { encodingEra: ERAS, ignoreThreshold: true })) {
    if (!encoding) continue;
    try {
      const decoder = new TextDecoder(encoding, { fatal: true });
      decoder.decode(bytes);
      return decoder.encoding;
    } catch {
      // a name TextDecoder does not know (CP932 comes with SHIFT_JIS next to it), or bytes it cannot decode
    }
  }
  return null;
}

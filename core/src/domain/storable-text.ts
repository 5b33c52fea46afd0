// Text PostgreSQL cannot store as it was sent. A NUL (U+0000) is refused in `text` columns
// (and as `\u0000` in jsonb), and a lone UTF-16 surrogate has no UTF-8 encoding, so the driver
// would silently turn it into U+FFFD. The rule, in one place: input from a client that can be
// told (HTTP, rule and template JSON) is refused with a 400 naming the field; input that
// cannot be refused (e-mail over SMTP or IMAP, whose sender is gone) has NULs removed and lone
// surrogates replaced by U+FFFD before anything is written.

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

/** Why this text cannot be stored, or null when it can. */
export function unstorableReason(s: string): string | null {
  const m = UNSTORABLE.exec(s);
  if (!m) return null;
  return m[0] === '\u0000' ? 'must not contain NUL (U+0000) characters' : 'must not contain unpaired UTF-16 surrogates (invalid Unicode)';
}

/** The text with NULs removed and lone surrogates replaced by U+FFFD (for input that cannot be refused). */
export function toStorableText(s: string): string {
  return UNSTORABLE.test(s) ? s.replace(UNSTORABLE_ALL, (c) => (c === '\u0000' ? '' : '\uFFFD')) : s;
}

export interface UnstorableField {
  /** Dotted path from the given root, e.g. `body.actions.0.params.body`; keys are reported as the path they start. */
  path: string;
  message: string;
}

/** Every string (value or object key) under `value` that cannot be stored, with its path. */
export function findUnstorableText(value: unknown, root: string, limit = 20): UnstorableField[] {
  const out: UnstorableField[] = [];
  const walk = (v: unknown, path: string, depth: number) => {
    if (out.length >= limit || depth > 64) return;
    if (typeof v === 'string') {
      const reason = unstorableReason(v);
      if (reason) out.push({ path, message: reason });
    } else if (Array.isArray(v)) {
      v.forEach((item, i) => walk(item, `${path}.${i}`, depth + 1));
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const reason = unstorableReason(k);
        const keyPath = `${path}.${reason ? JSON.stringify(toStorableText(k)) : k}`;
        if (reason) out.push({ path: keyPath, message: `field name ${reason}` });
        walk(item, keyPath, depth + 1);
      }
    }
  };
  walk(value, root, 0);
  return out;
}

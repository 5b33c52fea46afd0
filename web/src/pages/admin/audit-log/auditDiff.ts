// The before/after of an audit entry as rows a person can read: one per changed leaf (dotted
// path such as `targets.high.resolutionSeconds`), with the value before and after as text.
// Arrays of plain values (member ids, events) are one leaf, so a changed list reads as a whole.

export interface DiffRow {
  path: string;
  before: string | null;
  after: string | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isLeafArray = (v: unknown) => Array.isArray(v) && v.every((x) => !isObject(x) && !Array.isArray(x));

function flatten(v: unknown, prefix: string, out: Map<string, unknown>): void {
  if (isObject(v) && Object.keys(v).length > 0) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(v) && v.length > 0 && !isLeafArray(v)) {
    v.forEach((x, i) => flatten(x, prefix ? `${prefix}.${i}` : String(i), out));
  } else out.set(prefix, v);
}

const text = (v: unknown): string | null => (v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** Rows for every leaf that differs; a creation (no before) or deletion (no after) lists every leaf. */
export function auditDiff(before: unknown, after: unknown): DiffRow[] {
  const b = new Map<string, unknown>();
  const a = new Map<string, unknown>();
  if (before !== null && before !== undefined) flatten(before, '', b);
  if (after !== null && after !== undefined) flatten(after, '', a);
  const paths = [...new Set([...b.keys(), ...a.keys()])];
  return paths.map((path) => ({ path: path || '—', before: text(b.get(path)), after: text(a.get(path)) })).filter((r) => r.before !== r.after);
}

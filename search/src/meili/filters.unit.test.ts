import { describe, expect, it } from 'vitest';
import type { SearchFilters, SearchViewer } from '../contract';
import { buildFilter, filterString, inList, MATCH_NOTHING, requestFilters, viewerFilter } from './filters';

// The filter strings are checked twice: as text, and by evaluating them over a small set of
// documents with an evaluator written after Meilisearch's filter grammar (filter-parser: quoted
// values, `\"` escapes, IN lists, AND binding tighter than OR; equality on strings ignores case,
// `!=` also matches documents without the attribute, array attributes match any element).

type Value = string | number | boolean | null | string[];
type Doc = Record<string, Value>;

/** Reads a quoted value the way filter-parser's `quoted_by` does: a backslash skips the next character; only `\"` is unescaped. */
function readQuoted(s: string, start: number): { value: string; end: number } {
  let i = start + 1;
  let escaped = false;
  while (i < s.length) {
    if (s[i] === '"') {
      const raw = s.slice(start + 1, i);
      return { value: escaped ? raw.replaceAll('\\"', '"') : raw, end: i + 1 };
    }
    if (s[i] === '\\') {
      if (i + 1 >= s.length) throw new Error('malformed value');
      escaped ||= s[i + 1] === '"';
      i += 2;
    } else i += 1;
  }
  throw new Error('unterminated quote');
}

type Token = { t: 'word'; v: string } | { t: 'str'; v: string } | { t: 'sym'; v: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ') i++;
    else if (c === '"') {
      const { value, end } = readQuoted(s, i);
      out.push({ t: 'str', v: value });
      i = end;
    } else if (c === '!' && s[i + 1] === '=') {
      out.push({ t: 'sym', v: '!=' });
      i += 2;
    } else if ('()[],='.includes(c)) {
      out.push({ t: 'sym', v: c });
      i++;
    } else {
      const m = /^[A-Za-z0-9_.-]+/.exec(s.slice(i));
      if (!m) throw new Error(`unexpected ${c} at ${i}`);
      out.push({ t: 'word', v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

type Literal = { kind: 'str'; v: string } | { kind: 'num'; v: number } | { kind: 'bool'; v: boolean };
type Node = { op: 'or' | 'and'; parts: Node[] } | { op: 'eq' | 'ne'; attr: string; value: Literal } | { op: 'in'; attr: string; values: Literal[] };

function parse(filter: string): Node {
  const tokens = tokenize(filter);
  let p = 0;
  const peek = () => tokens[p];
  const take = (v?: string) => {
    const tok = tokens[p++];
    if (!tok || (v !== undefined && tok.v !== v)) throw new Error(`expected ${v ?? 'token'} at ${p - 1} in ${filter}`);
    return tok;
  };
  const literal = (): Literal => {
    const tok = take();
    if (tok.t === 'str') return { kind: 'str', v: tok.v };
    if (tok.v === 'true' || tok.v === 'false') return { kind: 'bool', v: tok.v === 'true' };
    if (/^-?\d+$/.test(tok.v)) return { kind: 'num', v: Number(tok.v) };
    return { kind: 'str', v: tok.v };
  };
  const atom = (): Node => {
    if (peek()?.v === '(') {
      take('(');
      const inner = or();
      take(')');
      return inner;
    }
    const attr = take().v;
    const op = take().v;
    if (op === 'IN') {
      take('[');
      const values: Literal[] = [];
      while (peek()?.v !== ']') {
        values.push(literal());
        if (peek()?.v === ',') take(',');
      }
      take(']');
      return { op: 'in', attr, values };
    }
    if (op === '=') return { op: 'eq', attr, value: literal() };
    if (op === '!=') return { op: 'ne', attr, value: literal() };
    throw new Error(`unknown operator ${op}`);
  };
  const and = (): Node => {
    const parts = [atom()];
    while (peek()?.v === 'AND') {
      take('AND');
      parts.push(atom());
    }
    return parts.length === 1 ? parts[0]! : { op: 'and', parts };
  };
  const or = (): Node => {
    const parts = [and()];
    while (peek()?.v === 'OR') {
      take('OR');
      parts.push(and());
    }
    return parts.length === 1 ? parts[0]! : { op: 'or', parts };
  };
  const node = or();
  if (p !== tokens.length) throw new Error(`trailing tokens in ${filter}`);
  return node;
}

function equals(value: Value | undefined, lit: Literal): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((v) => equals(v, lit));
  if (lit.kind === 'bool') return value === lit.v;
  if (lit.kind === 'num') return typeof value === 'number' ? value === lit.v : value === String(lit.v);
  return typeof value === 'string' ? value.toLowerCase() === lit.v.toLowerCase() : String(value) === lit.v;
}

function matches(node: Node, doc: Doc): boolean {
  switch (node.op) {
    case 'or':
      return node.parts.some((n) => matches(n, doc));
    case 'and':
      return node.parts.every((n) => matches(n, doc));
    case 'eq':
      return equals(doc[node.attr], node.value);
    case 'ne':
      return !equals(doc[node.attr], node.value);
    case 'in':
      return node.values.some((v) => equals(doc[node.attr], v));
  }
}

// A small index: who may see which key is written out in each test below.
const base = { requesterId: null, assigneeId: null, groupId: null, categoryId: null, kbCategoryId: null, status: null, priority: null, tags: [], lang: null, publicVisible: false };
const DOCS: (Doc & { key: string })[] = [
  { ...base, key: 'ticket-1', kind: 'ticket', id: 1, requesterId: 100, groupId: 10, status: 'open', priority: 'high', tags: ['printer'], categoryId: 5 },
  { ...base, key: 'ticket-2', kind: 'ticket', id: 2, requesterId: 101, groupId: 20, status: 'pending', priority: 'low', tags: ['billing'] },
  { ...base, key: 'ticket-3', kind: 'ticket', id: 3, requesterId: 101, groupId: 20, assigneeId: 7, status: 'open', priority: 'normal' },
  { ...base, key: 'ticket-4', kind: 'ticket', id: 4, requesterId: 100, groupId: null, status: 'new', priority: 'normal', tags: ['say "hi"'] },
  { ...base, key: 'customer-100', kind: 'customer', id: 100 },
  { ...base, key: 'article-1', kind: 'article', id: 1, lang: 'en', status: 'published', publicVisible: true, kbCategoryId: 3, tags: ['password'] },
  { ...base, key: 'article-2', kind: 'article', id: 2, lang: 'en', status: 'published', publicVisible: false, kbCategoryId: 4 },
  { ...base, key: 'article-3', kind: 'article', id: 3, lang: 'fa', status: 'draft', publicVisible: false, kbCategoryId: 3 },
  { ...base, key: 'article-4', kind: 'article', id: 4, lang: 'fa', status: 'published', publicVisible: true, kbCategoryId: 3 },
];

function visible(viewer: SearchViewer, filters?: SearchFilters): string[] {
  const filter = buildFilter(viewer, filters);
  if (filter === undefined) return DOCS.map((d) => d.key);
  const tree = parse(filter);
  return DOCS.filter((d) => matches(tree, d)).map((d) => d.key);
}

const admin: SearchViewer = { kind: 'staff', userId: 1, role: 'admin', groupIds: [] };
const supervisor: SearchViewer = { kind: 'staff', userId: 2, role: 'supervisor', groupIds: [10] };
const agent: SearchViewer = { kind: 'staff', userId: 7, role: 'agent', groupIds: [10] };
const agentNoGroups: SearchViewer = { kind: 'staff', userId: 8, role: 'agent', groupIds: [] };
const customer: SearchViewer = { kind: 'customer', userId: 100 };
const anonymous: SearchViewer = { kind: 'public' };

describe('viewer scope as a Meilisearch filter', () => {
  it('admins and supervisors see every document: no filter at all', () => {
    expect(viewerFilter(admin)).toBeNull();
    expect(viewerFilter(supervisor)).toBeNull();
    expect(buildFilter(admin)).toBeUndefined();
    expect(visible(supervisor)).toEqual(DOCS.map((d) => d.key));
  });

  it('an agent sees tickets of their groups or assigned to them, and every customer and article', () => {
    expect(viewerFilter(agent)).toBe('kind != "ticket" OR assigneeId = 7 OR groupId IN [10]');
    expect(visible(agent)).toEqual(['ticket-1', 'ticket-3', 'customer-100', 'article-1', 'article-2', 'article-3', 'article-4']);
  });

  it('an agent without groups sees only tickets assigned to them', () => {
    expect(viewerFilter(agentNoGroups)).toBe('kind != "ticket" OR assigneeId = 8');
    expect(visible(agentNoGroups).filter((k) => k.startsWith('ticket'))).toEqual([]);
  });

  it('a customer sees their own tickets and published public articles, never customer records', () => {
    expect(viewerFilter(customer)).toBe('(kind = "ticket" AND requesterId = 100) OR (kind = "article" AND publicVisible = true)');
    expect(visible(customer)).toEqual(['ticket-1', 'ticket-4', 'article-1', 'article-4']);
  });

  it('the public sees published public articles only', () => {
    expect(visible(anonymous)).toEqual(['article-1', 'article-4']);
  });

  it('filters narrow the scope and can never widen it', () => {
    expect(visible(anonymous, { types: ['ticket', 'customer'] })).toEqual([]);
    expect(visible(customer, { types: ['ticket'] })).toEqual(['ticket-1', 'ticket-4']);
    expect(visible(agent, { ids: [1, 2, 3, 4] })).toEqual(['ticket-1', 'ticket-3', 'article-1', 'article-2', 'article-3', 'article-4']);
    expect(buildFilter(customer, { status: ['open'] })).toBe('((kind = "ticket" AND requesterId = 100) OR (kind = "article" AND publicVisible = true)) AND (status IN ["open"])');
  });

  it('refuses a viewer id that is not an integer instead of writing it into the filter', () => {
    expect(() => viewerFilter({ kind: 'customer', userId: Number.NaN })).toThrow(/user id/);
  });
});

describe('request filters', () => {
  it('each filter is one IN condition, combined with AND', () => {
    expect(requestFilters({ types: ['ticket'], status: ['open', 'pending'], priority: ['high'], groupId: [10, 20], categoryId: [5], kbCategoryId: [3], lang: ['fa'], tag: ['vpn'], ids: [1] })).toEqual(
      [
        'kind IN ["ticket"]',
        'status IN ["open", "pending"]',
        'priority IN ["high"]',
        'groupId IN [10, 20]',
        'categoryId IN [5]',
        'kbCategoryId IN [3]',
        'lang IN ["fa"]',
        'id IN [1]',
        'tags IN ["vpn"]',
      ],
    );
    expect(requestFilters({})).toEqual([]);
    expect(requestFilters({ status: [] })).toEqual([]);
  });

  it('select the expected documents', () => {
    expect(visible(admin, { status: ['open'], groupId: [10, 20] })).toEqual(['ticket-1', 'ticket-3']);
    expect(visible(admin, { tag: ['printer', 'password'] })).toEqual(['ticket-1', 'article-1']);
    expect(visible(admin, { kbCategoryId: [3], lang: ['fa'] })).toEqual(['article-3', 'article-4']);
    expect(visible(admin, { categoryId: [5], priority: ['high', 'low'] })).toEqual(['ticket-1']);
  });

  it('quotes values so that no value can change the expression', () => {
    const hostile = ['open" OR kind = "customer', 'x"] OR id IN [1', '"', 'a, b', ') OR (kind != "x'];
    for (const value of hostile) {
      const filter = buildFilter(customer, { status: [value] })!;
      // Parsed back, the filter holds the value as one literal and still means "own tickets with that status".
      const tree = parse(filter);
      expect(tree).toMatchObject({ op: 'and', parts: [{ op: 'or' }, { op: 'in', attr: 'status', values: [{ kind: 'str', v: value }] }] });
      expect(DOCS.filter((d) => matches(tree, d))).toEqual([]);
    }
    expect(visible(admin, { tag: ['say "hi"'] })).toEqual(['ticket-4']);
  });

  it('a value the filter syntax cannot carry exactly (a backslash) matches nothing instead of something else', () => {
    expect(filterString('a\\')).toBeNull();
    expect(filterString('a\\"b')).toBeNull();
    expect(inList('tags', ['ok', 'bad\\'])).toBe('tags IN ["ok"]');
    expect(inList('tags', ['bad\\'])).toBe(MATCH_NOTHING);
    expect(visible(admin, { tag: ['bad\\'] })).toEqual([]);
  });

  it('non-integer ids cannot match a document', () => {
    expect(inList('groupId', [10, 1.5, Number.NaN])).toBe('groupId IN [10]');
    expect(visible(admin, { ids: [Number.POSITIVE_INFINITY] })).toEqual([]);
  });
});

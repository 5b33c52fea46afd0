import type { EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from '@mehrdesk/core/db';
import type { Priority } from '@mehrdesk/core/domain';
import type { DocKey, DocKind, KbLang, SearchDocument } from './contract';
import { normalizeDocumentText, normalizeSearchText } from './normalize';

// The one place that says what a searchable document holds, read from PostgreSQL. The indexer
// (outbox.ts) and the rebuild (rebuild.ts) both build documents here, for every backend.

/** Long threads are cut: enough to find them, bounded work per document. */
export const MAX_DOCUMENT_TEXT = 100_000;
const CUT = MAX_DOCUMENT_TEXT;

interface TicketSource {
  id: number;
  number: string;
  subject: string;
  status: string;
  priority: Priority;
  group_id: number | null;
  assignee_id: number | null;
  category_id: number | null;
  requester_id: number;
  tags: string[];
  updated_at: Date;
  requester_name: string;
  requester_email: string;
  organization: string | null;
  public_text: string | null;
  internal_text: string | null;
  read_at: string;
}

interface CustomerSource {
  id: number;
  name: string;
  email: string;
  organization: string | null;
  created_at: Date;
  read_at: string;
}

interface ArticleSource {
  id: number;
  article_id: number;
  lang: KbLang;
  title: string;
  slug: string;
  body_text: string;
  status: string;
  visibility: 'public' | 'internal';
  category_id: number | null;
  tags: string[];
  updated_at: Date;
  read_at: string;
}

// Each query reads the rows it indexes and the instant it read them: a write based on a later
// read replaces one based on an earlier read, never the other way round.
const READ_AT = `(extract(epoch from clock_timestamp()) * 1000000)::bigint::text as read_at`;

const TICKETS = `
  select t.id, t.number, t.subject, t.status, t.priority, t.group_id, t.assignee_id, t.category_id,
         t.requester_id, t.tags, t.updated_at, r.name as requester_name, r.email as requester_email,
         o.name as organization, m.public_text, m.internal_text, ${READ_AT}
    from tickets t
    join users r on r.id = t.requester_id
    left join organizations o on o.id = r.organization_id
    left join lateral (
      select left(string_agg(body_text, E'\\n' order by id) filter (where kind = 'public'), ${CUT}) as public_text,
             left(string_agg(body_text, E'\\n' order by id) filter (where kind = 'internal'), ${CUT}) as internal_text
        from messages where ticket_id = t.id
    ) m on true
   where t.deleted_at is null`;

const CUSTOMERS = `
  select u.id, u.name, u.email, o.name as organization, u.created_at, ${READ_AT}
    from users u left join organizations o on o.id = u.organization_id
   where u.role = 'customer' and u.active`;

const ARTICLES = `
  select tr.id, tr.article_id, tr.lang, tr.title, tr.slug, tr.body_text, tr.status, a.visibility,
         a.category_id, a.tags, greatest(tr.updated_at, a.updated_at) as updated_at, ${READ_AT}
    from kb_article_translations tr join kb_articles a on a.id = tr.article_id
   where true`;

const emailWords = (email: string) => `${email} ${email.replace(/[@.+_-]+/g, ' ')}`;

function blank(kind: DocKind, id: number, version: number, updatedAt: Date): SearchDocument {
  return {
    kind,
    id,
    version,
    updatedAt,
    displayTitle: '',
    title: '',
    body: '',
    internal: '',
    joined: '',
    lang: null,
    number: null,
    requesterId: null,
    requesterName: null,
    assigneeId: null,
    groupId: null,
    categoryId: null,
    status: null,
    priority: null,
    tags: [],
    email: null,
    organization: null,
    articleId: null,
    slug: null,
    kbCategoryId: null,
    visibility: null,
    publicVisible: false,
  };
}

/** Normalised text plus the joined spellings of every part, for the `joined` field. */
function texts(parts: { title: string; body: string; internal?: string }) {
  const title = normalizeDocumentText(parts.title);
  const body = normalizeDocumentText(parts.body);
  const internal = normalizeDocumentText(parts.internal ?? '');
  // Joined spellings of internal words stay with the internal text: `joined` is public.
  return {
    title: title.text,
    body: body.text,
    internal: internal.joined ? `${internal.text}\n${internal.joined}` : internal.text,
    joined: [title.joined, body.joined].filter(Boolean).join(' '),
  };
}

/** Searchable, never shown: who asked travels in `joined`, so snippets show the conversation. */
const withHidden = (t: ReturnType<typeof texts>, hidden: string) => ({ ...t, joined: [normalizeSearchText(hidden), t.joined].filter(Boolean).join(' ') });

function ticketDoc(r: TicketSource): SearchDocument {
  const organization = r.organization ? ` ${r.organization}` : '';
  return {
    ...blank('ticket', r.id, Number(r.read_at), new Date(r.updated_at)),
    ...withHidden(texts({ title: `${r.subject} ${r.number}`, body: r.public_text ?? '', internal: r.internal_text ?? '' }), `${r.requester_name} ${emailWords(r.requester_email)}${organization}`),
    displayTitle: r.subject,
    number: r.number,
    requesterId: r.requester_id,
    requesterName: r.requester_name,
    assigneeId: r.assignee_id,
    groupId: r.group_id,
    categoryId: r.category_id,
    status: r.status,
    priority: r.priority,
    tags: (r.tags ?? []).map((t) => normalizeSearchText(t)),
  };
}

function customerDoc(r: CustomerSource): SearchDocument {
  return {
    ...blank('customer', r.id, Number(r.read_at), new Date(r.created_at)),
    ...texts({ title: r.name, body: `${emailWords(r.email)} ${r.organization ?? ''}` }),
    displayTitle: r.name,
    email: r.email,
    organization: r.organization,
  };
}

function articleDoc(r: ArticleSource): SearchDocument {
  return {
    ...blank('article', r.id, Number(r.read_at), new Date(r.updated_at)),
    ...texts({ title: r.title, body: `${r.body_text}\n${(r.tags ?? []).join(' ')}` }),
    displayTitle: r.title,
    lang: r.lang,
    articleId: r.article_id,
    slug: r.slug,
    status: r.status,
    visibility: r.visibility,
    kbCategoryId: r.category_id,
    tags: (r.tags ?? []).map((t) => normalizeSearchText(t)),
    publicVisible: r.status === 'published' && r.visibility === 'public',
  };
}

const SOURCES = {
  ticket: { sql: TICKETS, alias: 't', toDoc: ticketDoc, ids: `select id from tickets where deleted_at is null order by id` },
  customer: { sql: CUSTOMERS, alias: 'u', toDoc: customerDoc, ids: `select id from users where role = 'customer' and active order by id` },
  article: { sql: ARTICLES, alias: 'tr', toDoc: articleDoc, ids: `select id from kb_article_translations order by id` },
} as const;

/**
 * The documents for `keys` as they are now. Keys whose source is gone (deleted, or no longer
 * searchable, like a ticket soft-deleted or a deactivated customer) come back in `removed`.
 */
export async function loadDocuments(em: EntityManager, keys: readonly DocKey[]): Promise<{ docs: SearchDocument[]; removed: DocKey[] }> {
  const docs: SearchDocument[] = [];
  const removed: DocKey[] = [];
  for (const kind of Object.keys(SOURCES) as DocKind[]) {
    const ids = [...new Set(keys.filter((k) => k.kind === kind).map((k) => k.id))];
    if (ids.length === 0) continue;
    const source = SOURCES[kind];
    const rows = await em.execute<{ id: number }[]>(`${source.sql} and ${source.alias}.id = any(?::int[])`, [pgArray(ids)]);
    const found = new Set(rows.map((r) => r.id));
    for (const row of rows) docs.push((source.toDoc as (r: unknown) => SearchDocument)(row));
    for (const id of ids) if (!found.has(id)) removed.push({ kind, id });
  }
  return { docs, removed };
}

/** The id of every document there is, by kind, for a rebuild. */
export async function documentIds(em: EntityManager): Promise<{ kind: DocKind; ids: number[] }[]> {
  const out: { kind: DocKind; ids: number[] }[] = [];
  for (const kind of Object.keys(SOURCES) as DocKind[]) {
    const rows = await em.execute<{ id: number }[]>(SOURCES[kind].ids);
    out.push({ kind, ids: rows.map((r) => r.id) });
  }
  return out;
}

// A real SMTP server that keeps every message it receives and shows them over HTTP, so dev
// and integration tests exercise the same SMTP path as production (nodemailer → MTA)
// instead of a stubbed transport.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import { join } from 'node:path';
import PostalMime, { decodeWords, type Address } from 'postal-mime';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface MailCatcherOptions {
  /** Interface for both servers, 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port. */
  smtpPort: number;
  /** 0 picks a free port. */
  httpPort: number;
  /** When set, messages are stored as `<id>.eml` (+ `<id>.json` envelope) and reloaded on start. */
  dir?: string;
  /** Oldest messages are dropped beyond this, 5000 by default. */
  maxMessages?: number;
}

export interface CaughtMail {
  id: string;
  receivedAt: string;
  envelopeFrom: string;
  envelopeTo: string[];
  /** Address only; the display name is in `headers.from`. */
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  /** Angle brackets kept, as in the header. */
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  /** Lower-case names, encoded words decoded, repeated headers joined with "\n". */
  headers: Record<string, string>;
  text: string | null;
  html: string | null;
  /** Bytes of the raw message. */
  size: number;
}

export interface MailCatcher {
  smtpPort: number;
  httpPort: number;
  /** Base URL of the HTTP API and page. */
  url: string;
  close(): Promise<void>;
}

const MAX_SIZE = 25 * 1024 * 1024;
const DEFAULT_MAX_MESSAGES = 5000;

export async function startMailCatcher(opts: MailCatcherOptions): Promise<MailCatcher> {
  const host = opts.host ?? '127.0.0.1';
  const store = new MailStore(opts.dir, opts.maxMessages ?? DEFAULT_MAX_MESSAGES);
  await store.load();

  const smtp = createSmtpServer(store);
  // Listener and client-socket errors are re-emitted on the SMTPServer; without a listener
  // they would crash the process.
  smtp.on('error', (err) => console.warn(`mail-catcher: SMTP error: ${err.message}`));
  const smtpPort = await listen(smtp.server, opts.smtpPort, host);

  const http = createServer((req, res) => {
    handleHttp(store, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: String(err) });
      else res.destroy();
    });
  });
  let httpPort: number;
  try {
    httpPort = await listen(http, opts.httpPort, host);
  } catch (err) {
    await new Promise<void>((resolve) => smtp.close(resolve));
    throw err;
  }

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    smtpPort,
    httpPort,
    url: `http://${urlHost}:${httpPort}`,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => smtp.close(resolve)),
        new Promise<void>((resolve) => {
          http.close(() => resolve());
          // fetch() keeps connections alive; without this close() waits for them to idle out.
          http.closeAllConnections();
        }),
      ]);
    },
  };
}

function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

// ---------------------------------------------------------------------------------------
// Storage

interface Entry {
  mail: CaughtMail;
  /** Only in memory mode; with a dir the .eml file is the copy. */
  raw?: Buffer;
}

interface Envelope {
  receivedAt: string;
  envelopeFrom: string;
  envelopeTo: string[];
}

export interface MailFilter {
  to?: string;
  from?: string;
  subject?: string;
  limit?: number;
}

class MailStore {
  /** Oldest first; Map keeps insertion order. */
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(
    private readonly dir: string | undefined,
    private readonly max: number,
  ) {}

  async load(): Promise<void> {
    if (!this.dir) return;
    await mkdir(this.dir, { recursive: true });
    const loaded: CaughtMail[] = [];
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.eml')) continue;
      const id = name.slice(0, -'.eml'.length);
      const emlPath = join(this.dir, name);
      const raw = await readFile(emlPath);
      // Files dropped in by hand have no envelope; fall back to headers and mtime.
      const envelope = await readFile(join(this.dir, `${id}.json`), 'utf8')
        .then((s) => JSON.parse(s) as Envelope)
        .catch(() => null);
      const parsed = await parseMail(id, raw, envelope ?? { receivedAt: '', envelopeFrom: '', envelopeTo: [] });
      if (!envelope) {
        parsed.receivedAt = (await stat(emlPath)).mtime.toISOString();
        parsed.envelopeFrom = parsed.from;
        parsed.envelopeTo = [...parsed.to, ...parsed.cc];
      }
      loaded.push(parsed);
    }
    loaded.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id));
    for (const mail of loaded) this.entries.set(mail.id, { mail });
    await this.trim();
  }

  /** Time-prefixed so ids sort in arrival order, also across restarts. */
  newId(): string {
    const seq = (this.seq++ % 36 ** 4).toString(36).padStart(4, '0');
    return `${Date.now().toString(36).padStart(9, '0')}-${seq}-${randomBytes(3).toString('hex')}`;
  }

  async add(mail: CaughtMail, raw: Buffer): Promise<void> {
    if (this.dir) {
      const envelope: Envelope = {
        receivedAt: mail.receivedAt,
        envelopeFrom: mail.envelopeFrom,
        envelopeTo: mail.envelopeTo,
      };
      await writeFile(join(this.dir, `${mail.id}.json`), JSON.stringify(envelope));
      await writeFile(join(this.dir, `${mail.id}.eml`), raw);
      this.entries.set(mail.id, { mail });
    } else {
      this.entries.set(mail.id, { mail, raw });
    }
    await this.trim();
  }

  get(id: string): CaughtMail | undefined {
    return this.entries.get(id)?.mail;
  }

  async raw(id: string): Promise<Buffer | undefined> {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    return entry.raw ?? readFile(join(this.dir ?? '', `${id}.eml`));
  }

  get count(): number {
    return this.entries.size;
  }

  /** Newest first. */
  list(filter: MailFilter = {}): CaughtMail[] {
    const to = filter.to?.toLowerCase();
    const from = filter.from?.toLowerCase();
    const subject = filter.subject?.toLowerCase();
    const limit = filter.limit ?? Infinity;
    const all = [...this.entries.values()];
    const out: CaughtMail[] = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const m = all[i]!.mail;
      // `to` also covers Cc and the envelope, so Bcc recipients can be found.
      if (to && ![...m.to, ...m.cc, ...m.envelopeTo].some((a) => a.toLowerCase().includes(to))) continue;
      if (from && ![m.from, m.envelopeFrom].some((a) => a.toLowerCase().includes(from))) continue;
      if (subject && !m.subject.toLowerCase().includes(subject)) continue;
      out.push(m);
    }
    return out;
  }

  async delete(id: string): Promise<boolean> {
    if (!this.entries.delete(id)) return false;
    await this.removeFiles(id);
    return true;
  }

  async clear(): Promise<void> {
    const ids = [...this.entries.keys()];
    this.entries.clear();
    await Promise.all(ids.map((id) => this.removeFiles(id)));
  }

  private async trim(): Promise<void> {
    const drop: string[] = [];
    for (const id of this.entries.keys()) {
      if (this.entries.size - drop.length <= this.max) break;
      drop.push(id);
    }
    for (const id of drop) this.entries.delete(id);
    await Promise.all(drop.map((id) => this.removeFiles(id)));
  }

  private async removeFiles(id: string): Promise<void> {
    if (!this.dir) return;
    const dir = this.dir;
    await Promise.all([`${id}.eml`, `${id}.json`].map((f) => unlink(join(dir, f)).catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------------------
// SMTP

function createSmtpServer(store: MailStore): SMTPServer {
  return new SMTPServer({
    name: 'mehrdesk-mail-catcher',
    logger: false,
    // Plain-text dev catcher: no TLS, any (or no) credentials accepted.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    maxAllowedUnauthenticatedCommands: false,
    disableReverseLookup: true,
    size: MAX_SIZE,
    rejectOversized: true,
    // Pooled transports keep idle connections; don't let them stall shutdown for 30 s.
    closeTimeout: 1000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username || 'anonymous' });
    },
    onData(stream, session, callback) {
      receive(store, stream, session).then(
        () => callback(),
        (err: unknown) => callback(smtpError(err)),
      );
    },
  });
}

async function receive(store: MailStore, stream: SMTPServerDataStream, session: SMTPServerSession): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  if (stream.sizeExceeded) throw Object.assign(new Error('Message exceeds 25 MB'), { responseCode: 552 });
  const raw = Buffer.concat(chunks);
  const id = store.newId();
  const mail = await parseMail(id, raw, {
    receivedAt: new Date().toISOString(),
    envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
    envelopeTo: session.envelope.rcptTo.map((r) => r.address),
  });
  await store.add(mail, raw);
}

function smtpError(err: unknown): Error {
  if (err instanceof Error && 'responseCode' in err) return err;
  // Anything else (disk full, …) is our problem, so ask the client to retry later.
  return Object.assign(new Error(`Mail catcher failed: ${String(err)}`), { responseCode: 451 });
}

// ---------------------------------------------------------------------------------------
// Parsing

async function parseMail(id: string, raw: Buffer, envelope: Envelope): Promise<CaughtMail> {
  const base: CaughtMail = {
    id,
    ...envelope,
    from: '',
    to: [],
    cc: [],
    subject: '',
    messageId: null,
    inReplyTo: null,
    references: [],
    headers: {},
    text: null,
    html: null,
    size: raw.length,
  };
  let email;
  try {
    email = await PostalMime.parse(raw);
  } catch {
    // Keep unparseable mail visible (raw endpoint) rather than refusing it.
    return base;
  }
  const headers: Record<string, string> = {};
  for (const h of email.headers) {
    const value = decodeWords(h.value);
    headers[h.key] = h.key in headers ? `${headers[h.key]}\n${value}` : value;
  }
  return {
    ...base,
    from: addresses(email.from ? [email.from] : [])[0] ?? '',
    to: addresses(email.to),
    cc: addresses(email.cc),
    subject: email.subject ?? '',
    messageId: email.messageId ?? null,
    inReplyTo: email.inReplyTo ?? null,
    references: (email.references ?? '').split(/\s+/).filter(Boolean),
    headers,
    text: email.text ?? null,
    html: email.html ?? null,
  };
}

function addresses(list: Address[] | undefined): string[] {
  return (list ?? []).flatMap((a) => (a.group ? a.group.map((m) => m.address) : [a.address])).filter(Boolean);
}

// ---------------------------------------------------------------------------------------
// HTTP API

async function handleHttp(store: MailStore, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://catcher');
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter(Boolean);

  if (parts.length === 0) {
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    return sendHtml(res, renderPage(store, url.searchParams));
  }
  if (parts[0] !== 'api' || parts[1] !== 'messages' || parts.length > 4) {
    return sendJson(res, 404, { error: 'Not found' });
  }

  if (parts.length === 2) {
    if (method === 'DELETE') {
      await store.clear();
      res.writeHead(204).end();
      return;
    }
    if (method !== 'GET') return methodNotAllowed(res, 'GET, DELETE');
    const filter = parseFilter(url.searchParams);
    if (typeof filter === 'string') return sendJson(res, 400, { error: filter });
    return sendJson(res, 200, store.list(filter));
  }

  let id: string;
  try {
    id = decodeURIComponent(parts[2]!);
  } catch {
    return sendJson(res, 400, { error: 'Malformed id' });
  }
  const mail = store.get(id);
  if (!mail) return sendJson(res, 404, { error: `No message ${id}` });

  if (parts.length === 4) {
    if (parts[3] !== 'raw') return sendJson(res, 404, { error: 'Not found' });
    if (method !== 'GET') return methodNotAllowed(res, 'GET');
    const raw = await store.raw(id);
    if (!raw) return sendJson(res, 404, { error: `No message ${id}` });
    res.writeHead(200, {
      'content-type': 'message/rfc822',
      'content-length': raw.length,
      'content-disposition': `inline; filename="${id.replace(/[^\w.-]/g, '_')}.eml"`,
      'x-content-type-options': 'nosniff',
    });
    res.end(raw);
    return;
  }

  if (method === 'DELETE') {
    await store.delete(id);
    res.writeHead(204).end();
    return;
  }
  if (method !== 'GET') return methodNotAllowed(res, 'GET, DELETE');
  return sendJson(res, 200, mail);
}

function parseFilter(params: URLSearchParams): MailFilter | string {
  const filter: MailFilter = {};
  for (const key of ['to', 'from', 'subject'] as const) {
    const value = params.get(key);
    if (value) filter[key] = value;
  }
  const limit = params.get('limit');
  if (limit) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1) return 'limit must be a positive integer';
    filter.limit = Number(limit);
  }
  return filter;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendJson(res, 405, { error: 'Method not allowed' });
}

// ---------------------------------------------------------------------------------------
// HTML page: server-rendered, no scripts, every interpolated value goes through esc().

const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  // The srcdoc iframe inherits this policy: mail may use inline styles and images, never scripts.
  'img-src data: http: https:',
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

function sendHtml(res: ServerResponse, html: string): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'content-security-policy': PAGE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  });
  res.end(html);
}

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const PAGE_LIMIT = 200;

function renderPage(store: MailStore, params: URLSearchParams): string {
  const to = params.get('to') ?? '';
  const subject = params.get('subject') ?? '';
  const selectedId = params.get('id');
  const messages = store.list({ to, subject, limit: PAGE_LIMIT });
  const selected = selectedId ? store.get(selectedId) : undefined;
  // Message links keep the current filter.
  const keep = (id: string) => {
    const q = new URLSearchParams();
    if (to) q.set('to', to);
    if (subject) q.set('subject', subject);
    q.set('id', id);
    return `?${q}`;
  };

  const rows = messages
    .map(
      (m) => `<tr${m.id === selectedId ? ' class="sel"' : ''}>
<td><a href="${esc(keep(m.id))}">${esc(m.subject || '(no subject)')}</a></td>
<td>${esc(m.from)}</td><td>${esc(m.to.join(', '))}</td><td>${esc(m.receivedAt)}</td></tr>`,
    )
    .join('\n');

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mehrdesk mail catcher</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;display:flex;height:100vh}
#list{width:45%;overflow:auto;border-right:1px solid #ccc;padding:8px}
#msg{flex:1;overflow:auto;padding:8px}
table{border-collapse:collapse;width:100%}td,th{text-align:start;padding:3px 6px;border-bottom:1px solid #eee;vertical-align:top}
tr.sel{background:#eef}pre{white-space:pre-wrap;background:#f6f6f6;padding:8px}
iframe{width:100%;height:420px;border:1px solid #ccc;background:#fff}
</style></head><body>
<div id="list">
<form method="get" action="/"><input name="to" placeholder="to" value="${esc(to)}">
<input name="subject" placeholder="subject" value="${esc(subject)}"><button>Filter</button> <a href="/">reset</a></form>
<p>${messages.length} of ${store.count} message(s) shown, newest first. Clear: <code>curl -X DELETE …/api/messages</code></p>
<table><thead><tr><th>Subject</th><th>From</th><th>To</th><th>Received</th></tr></thead>
<tbody dir="auto">${rows}</tbody></table>
</div>
<div id="msg">${selected ? renderMessage(selected) : selectedId ? '<p>Message not found.</p>' : '<p>Select a message.</p>'}</div>
</body></html>`;
}

function renderMessage(m: CaughtMail): string {
  const headerRows = Object.entries(m.headers)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td dir="auto">${esc(v)}</td></tr>`)
    .join('\n');
  const apiPath = `/api/messages/${encodeURIComponent(m.id)}`;
  return `<h2 dir="auto">${esc(m.subject || '(no subject)')}</h2>
<p><a href="${esc(apiPath)}">JSON</a> · <a href="${esc(apiPath)}/raw">raw source</a> · ${m.size} bytes</p>
<table>
<tr><th>Envelope from</th><td>${esc(m.envelopeFrom)}</td></tr>
<tr><th>Envelope to</th><td>${esc(m.envelopeTo.join(', '))}</td></tr>
</table>
${m.html === null ? '' : `<h3>HTML</h3><iframe sandbox="" referrerpolicy="no-referrer" title="HTML body" srcdoc="${esc(m.html)}"></iframe>`}
${m.text === null ? '' : `<h3>Text</h3><pre dir="auto">${esc(m.text)}</pre>`}
<h3>Headers</h3><table>${headerRows}</table>`;
}

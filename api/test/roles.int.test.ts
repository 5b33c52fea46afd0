import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { PASSWORD } from '@mehrdesk/scripts/testing/fixtures';
import { randomBytes } from 'node:crypto';
import { hashToken } from '@mehrdesk/api/auth/tokens';
import { openSurvey, signSurveyLink } from '@mehrdesk/core/services/surveys';

// The role matrix: every endpoint × every kind of caller, with the expected status written out
// by hand below (NOT derived from core/src/domain/permissions.ts), so a change to the grants or
// to row-level visibility that is not also made here fails this file.
//
// Semantics: no token → 401; a role lacking the permission → 403 (checked before the ticket is
// looked up, so it is 403 whether or not the caller could see the ticket); a ticket the caller
// may not see → 404 (not 403, so ids cannot be probed).

let h: Harness;

const CALLERS = ['anonymous', 'admin', 'supervisor', 'groupAgent', 'outsideAgent', 'requester', 'otherCustomer'] as const;
type Caller = (typeof CALLERS)[number];

type Endpoint =
  | 'POST /auth/login'
  | 'POST /auth/logout'
  | 'GET /auth/me'
  | 'PATCH /auth/me'
  | 'POST /auth/me/password'
  | 'POST /tickets'
  | 'GET /tickets'
  | 'GET /tickets/:id'
  | 'PATCH /tickets/:id'
  | 'POST /tickets/:id/status'
  | 'POST /tickets/:id/priority'
  | 'POST /tickets/:id/assignee'
  | 'POST /tickets/:id/solve'
  | 'POST /tickets/:id/reopen'
  | 'DELETE /tickets/:id'
  | 'POST /tickets/:id/messages (public)'
  | 'POST /tickets/:id/messages (internal)'
  | 'GET /tickets/:id/messages'
  | 'GET /tickets/:id/timeline'
  | 'GET /tickets/:id/sla'
  | 'GET /tickets/:id/survey'
  | 'POST /tickets/:id/survey'
  | 'GET /public/surveys/:token'
  | 'POST /public/surveys/:token'
  | 'GET /settings/surveys'
  | 'PUT /settings/surveys'
  | 'GET /admin/csat'
  | 'POST /uploads'
  | 'GET /uploads/limits'
  | 'POST /portal/deflections'
  | 'GET /admin/portal-insights'
  | 'GET /admin/deflections'
  | 'GET /admin/kb-feedback';

type Row7 = readonly [anonymous: number, admin: number, supervisor: number, groupAgent: number, outsideAgent: number, requester: number, otherCustomer: number];

// prettier-ignore
const MATRIX: Record<Endpoint, Row7> = {
  //                                          anon admin super grpAg outAg reqCu othCu
  'POST /auth/login':                       [200,  200,  200,  200,  200,  200,  200],
  'POST /auth/logout':                      [401,  204,  204,  204,  204,  204,  204],
  'GET /auth/me':                           [401,  200,  200,  200,  200,  200,  200],
  'PATCH /auth/me':                         [401,  200,  200,  200,  200,  200,  200],
  // Everyone may change their own password; sent with a wrong current one, so the fixtures keep theirs.
  'POST /auth/me/password':                 [401,  400,  400,  400,  400,  400,  400],
  'POST /tickets':                          [401,  201,  201,  201,  201,  201,  201],
  'GET /tickets':                           [401,  200,  200,  200,  200,  200,  200],
  'GET /tickets/:id':                       [401,  200,  200,  200,  404,  200,  404],
  'PATCH /tickets/:id':                     [401,  200,  200,  200,  404,  403,  403],
  'POST /tickets/:id/status':               [401,  200,  200,  200,  404,  403,  403],
  'POST /tickets/:id/priority':             [401,  200,  200,  200,  404,  403,  403],
  'POST /tickets/:id/assignee':             [401,  200,  200,  200,  404,  403,  403],
  // The requester's own "mark as solved" and "reopen"; staff change statuses with /status.
  'POST /tickets/:id/solve':                [401,  403,  403,  403,  403,  200,  404],
  'POST /tickets/:id/reopen':               [401,  403,  403,  403,  403,  200,  404],
  'DELETE /tickets/:id':                    [401,  204,  204,  403,  403,  403,  403],
  'POST /tickets/:id/messages (public)':    [401,  201,  201,  201,  404,  201,  404],
  'POST /tickets/:id/messages (internal)':  [401,  201,  201,  201,  404,  403,  403],
  'GET /tickets/:id/messages':              [401,  200,  200,  200,  404,  200,  404],
  'GET /tickets/:id/timeline':              [401,  200,  200,  200,  404,  403,  403],
  'GET /tickets/:id/sla':                   [401,  200,  200,  200,  404,  403,  403],
  // The survey of the current resolution: read by whoever sees the ticket, rated by its requester only.
  'GET /tickets/:id/survey':                [401,  200,  200,  200,  404,  200,  404],
  'POST /tickets/:id/survey':               [401,  403,  403,  403,  403,  200,  404],
  // The e-mail's signed link needs no login; signed in as anyone but its customer, it is refused.
  'GET /public/surveys/:token':             [200,  403,  403,  403,  403,  200,  403],
  'POST /public/surveys/:token':            [200,  403,  403,  403,  403,  200,  403],
  'GET /settings/surveys':                  [401,  200,  403,  403,  403,  403,  403],
  'PUT /settings/surveys':                  [401,  200,  403,  403,  403,  403,  403],
  'GET /admin/csat':                        [401,  200,  403,  403,  403,  403,  403],
  // Everyone signed in uploads their own files (attached later by whoever may write the message).
  'POST /uploads':                          [401,  201,  201,  201,  201,  201,  201],
  'GET /uploads/limits':                    [401,  200,  200,  200,  200,  200,  200],
  // "This solved my problem" in the portal: customers only (staff would skew the numbers).
  'POST /portal/deflections':               [401,  403,  403,  403,  403,  201,  201],
  'GET /admin/portal-insights':             [401,  200,  403,  403,  403,  403,  403],
  'GET /admin/deflections':                 [401,  200,  403,  403,  403,  403,  403],
  'GET /admin/kb-feedback':                 [401,  200,  403,  403,  403,  403,  403],
};

/** The 403 error code where it is not `forbidden`. */
const FORBIDDEN_CODE: Partial<Record<Endpoint, string>> = {
  'GET /public/surveys/:token': 'link_invalid',
  'POST /public/surveys/:token': 'link_invalid',
};

/** The 403 message each endpoint gives customers (written out, like the statuses). */
const FORBIDDEN_MESSAGE: Partial<Record<Endpoint, string>> = {
  'PATCH /tickets/:id': 'Role customer may not ticket.update',
  'POST /tickets/:id/status': 'Role customer may not ticket.update',
  'POST /tickets/:id/priority': 'Role customer may not ticket.update',
  'POST /tickets/:id/assignee': 'Role customer may not ticket.update',
  'POST /tickets/:id/solve': 'Role ROLE may not ticket.solveOwn',
  'POST /tickets/:id/reopen': 'Role ROLE may not ticket.solveOwn',
  'DELETE /tickets/:id': 'Role ROLE may not ticket.delete',
  'POST /tickets/:id/messages (internal)': 'Only staff can add internal notes',
  'GET /tickets/:id/timeline': 'Role customer may not ticket.viewInternal',
  'GET /tickets/:id/sla': 'Role customer may not ticket.viewSla',
  'POST /tickets/:id/survey': 'Only the customer who asked rates the support',
  'GET /public/surveys/:token': 'This survey link belongs to another account',
  'POST /public/surveys/:token': 'This survey link belongs to another account',
  'GET /settings/surveys': 'Role ROLE may not admin.manage',
  'PUT /settings/surveys': 'Role ROLE may not admin.manage',
  'GET /admin/csat': 'Role ROLE may not admin.manage',
  'POST /portal/deflections': 'Role ROLE may not portal.deflect',
  'GET /admin/portal-insights': 'Role ROLE may not admin.manage',
  'GET /admin/deflections': 'Role ROLE may not admin.manage',
  'GET /admin/kb-feedback': 'Role ROLE may not admin.manage',
};

const ROWS: [Endpoint, Caller, number][] = (Object.entries(MATRIX) as [Endpoint, Row7][]).flatMap(([endpoint, statuses]) =>
  CALLERS.map((caller, i): [Endpoint, Caller, number] => [endpoint, caller, statuses[i]!]),
);

// ---------------------------------------------------------------------------------------------

const tokens = {} as Record<Exclude<Caller, 'anonymous'>, string>;
let shared: any; // a ticket of `requester` in the support group, unassigned, with an internal note

function userOf(caller: Exclude<Caller, 'anonymous'>) {
  const u = h.fx.users;
  return { admin: u.admin, supervisor: u.supervisor, groupAgent: u.agent1, outsideAgent: u.outsider, requester: u.customer, otherCustomer: u.customer2 }[caller];
}

const ROLE_OF: Record<Exclude<Caller, 'anonymous'>, string> = {
  admin: 'admin',
  supervisor: 'supervisor',
  groupAgent: 'agent',
  outsideAgent: 'agent',
  requester: 'customer',
  otherCustomer: 'customer',
};

/** A ticket of the requesting customer in the support group (manual strategy: nobody assigned). */
async function freshTicket() {
  const r = await h.call(tokens.requester, 'POST', '/api/v1/tickets', { subject: 'Role matrix', body: '<p>Please help</p>', categoryId: h.fx.categoryId });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  expect(r.body.groupId).toBe(h.fx.groups.support);
  expect(r.body.assigneeId).toBeNull();
  return r.body;
}

async function snapshot(id: number) {
  const em = h.orm.em.fork();
  const [row] = await em.execute('select version, status, priority, assignee_id, group_id from tickets where id = ?', [id]);
  const [m] = await em.execute<{ n: string }[]>('select count(*) as n from messages where ticket_id = ?', [id]);
  const [e] = await em.execute<{ n: string }[]>('select count(*) as n from timeline_events where ticket_id = ?', [id]);
  return { row, messages: Number(m!.n), timeline: Number(e!.n) };
}

interface Ctx {
  caller: Caller;
  token: string | null;
  ticket: any;
}
interface Res {
  status: number;
  body: any;
  headers: Headers;
}
interface EndpointSpec {
  /** Needs its own ticket because it changes it. */
  fresh: boolean;
  mutates: boolean;
  /** Brings the fresh ticket into the state the endpoint needs (before the snapshot). */
  prepare?(ticket: any): Promise<any>;
  send(ctx: Ctx): Promise<Res>;
  ok(res: Res, ctx: Ctx): Promise<void> | void;
}

const id = (ctx: Ctx) => ctx.ticket.id as number;

const SPECS: Record<Endpoint, EndpointSpec> = {
  'POST /auth/login': {
    fresh: false,
    mutates: false,
    // Everyone logs in with their own credentials (anonymous with the requester's), sending
    // their current token along where they have one.
    send: (ctx) => h.call(ctx.token, 'POST', '/api/v1/auth/login', { email: userOf(ctx.caller === 'anonymous' ? 'requester' : ctx.caller).email, password: PASSWORD }),
    ok: async (res, ctx) => {
      const who = ctx.caller === 'anonymous' ? 'requester' : ctx.caller;
      expect(res.body.token).toMatch(/^mdk_[\w-]{43}$/);
      expect(res.body.user).toMatchObject({ id: userOf(who).id, email: userOf(who).email, role: ROLE_OF[who] });
      expect((await h.call(res.body.token, 'GET', '/api/v1/auth/me')).status).toBe(200);
    },
  },
  'POST /auth/logout': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'POST', '/api/v1/auth/logout'),
    ok: async (res, ctx) => {
      expect(res.body).toBeNull();
      const after = await h.call(ctx.token, 'GET', '/api/v1/auth/me');
      expect(after.status).toBe(401);
    },
  },
  'GET /auth/me': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/auth/me'),
    ok: (res, ctx) => {
      const c = ctx.caller as Exclude<Caller, 'anonymous'>;
      expect(res.body).toMatchObject({ id: userOf(c).id, email: userOf(c).email, role: ROLE_OF[c] });
    },
  },
  'PATCH /auth/me': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'PATCH', '/api/v1/auth/me', { locale: 'en' }),
    ok: (res, ctx) => {
      const c = ctx.caller as Exclude<Caller, 'anonymous'>;
      expect(res.body).toMatchObject({ id: userOf(c).id, role: ROLE_OF[c], locale: 'en' });
    },
  },
  'POST /auth/me/password': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'POST', '/api/v1/auth/me/password', { currentPassword: 'not-the-password', newPassword: 'another-secret-1' }),
    ok: () => {
      throw new Error('sent with a wrong current password: never succeeds here');
    },
  },
  'POST /tickets': {
    fresh: false,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', '/api/v1/tickets', { subject: `created by ${ctx.caller}`, body: 'hello', categoryId: h.fx.categoryId }),
    ok: (res, ctx) => {
      expect(res.body).toMatchObject({ subject: `created by ${ctx.caller}`, status: 'new', requester: { id: userOf(ctx.caller as Exclude<Caller, 'anonymous'>).id } });
      expect(res.headers.get('location')).toBe(`/api/v1/tickets/${res.body.id}`);
    },
  },
  'GET /tickets': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/tickets?limit=100&requesterId=${h.fx.users.customer.id}`),
    ok: (res, ctx) => {
      const ids = res.body.items.map((t: any) => t.id);
      // Row-level scope: the list answers 200 for everyone but only with visible tickets.
      if (ctx.caller === 'outsideAgent' || ctx.caller === 'otherCustomer') expect(ids).toEqual([]);
      else expect(ids).toContain(ctx.ticket.id);
    },
  },
  'GET /tickets/:id': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/tickets/${id(ctx)}`),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), number: ctx.ticket.number, requester: { id: h.fx.users.customer.id } }),
  },
  'PATCH /tickets/:id': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'PATCH', `/api/v1/tickets/${id(ctx)}`, { version: ctx.ticket.version, priority: 'high' }),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), priority: 'high', version: ctx.ticket.version + 1 }),
  },
  'POST /tickets/:id/status': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/status`, { status: 'pending' }),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), status: 'pending', version: ctx.ticket.version + 1 }),
  },
  'POST /tickets/:id/priority': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/priority`, { priority: 'urgent' }),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), priority: 'urgent', version: ctx.ticket.version + 1 }),
  },
  'POST /tickets/:id/assignee': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/assignee`, { assigneeId: h.fx.users.agent2.id }),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), assigneeId: h.fx.users.agent2.id, version: ctx.ticket.version + 1 }),
  },
  'POST /tickets/:id/solve': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/solve`),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), status: 'resolved', version: ctx.ticket.version + 1 }),
  },
  'POST /tickets/:id/reopen': {
    fresh: true,
    mutates: true,
    prepare: async (ticket) => {
      const solved = await h.call(tokens.requester, 'POST', `/api/v1/tickets/${ticket.id}/solve`);
      expect(solved.status, JSON.stringify(solved.body)).toBe(200);
      return solved.body;
    },
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/reopen`),
    ok: (res, ctx) => expect(res.body).toMatchObject({ id: id(ctx), status: 'open', version: ctx.ticket.version + 1 }),
  },
  'DELETE /tickets/:id': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'DELETE', `/api/v1/tickets/${id(ctx)}`),
    ok: async (res, ctx) => {
      expect(res.body).toBeNull();
      // Soft-deleted: cancelled, hidden even from the caller who deleted it.
      const [row] = await h.orm.em.fork().execute<{ status: string; deleted: boolean }[]>('select status, deleted_at is not null as deleted from tickets where id = ?', [id(ctx)]);
      expect(row).toEqual({ status: 'cancelled', deleted: true });
      const after = await h.call(ctx.token, 'GET', `/api/v1/tickets/${id(ctx)}`);
      expect(after.status).toBe(404);
    },
  },
  'POST /tickets/:id/messages (public)': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/messages`, { body: `<p>reply from ${ctx.caller}</p>` }),
    ok: (res, ctx) =>
      expect(res.body).toMatchObject({ ticketId: id(ctx), kind: 'public', bodyText: `reply from ${ctx.caller}`, author: { id: userOf(ctx.caller as Exclude<Caller, 'anonymous'>).id } }),
  },
  'POST /tickets/:id/messages (internal)': {
    fresh: true,
    mutates: true,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/messages`, { body: `note from ${ctx.caller}`, internal: true }),
    ok: (res, ctx) =>
      expect(res.body).toMatchObject({ ticketId: id(ctx), kind: 'internal', bodyText: `note from ${ctx.caller}`, author: { id: userOf(ctx.caller as Exclude<Caller, 'anonymous'>).id } }),
  },
  'GET /tickets/:id/messages': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/tickets/${id(ctx)}/messages`),
    ok: (res, ctx) => {
      const kinds = res.body.items.map((m: any) => m.kind);
      expect(res.body.items[0]).toMatchObject({ ticketId: id(ctx), kind: 'public', bodyText: 'Please help' });
      // The shared ticket carries one internal note: staff see it, the requester never does.
      expect(kinds).toEqual(ctx.caller === 'requester' ? ['public'] : ['public', 'internal']);
    },
  },
  'GET /tickets/:id/timeline': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/tickets/${id(ctx)}/timeline`),
    ok: (res) => {
      expect(res.body.items[0]).toMatchObject({ type: 'ticket.created', actor: { type: 'user', id: h.fx.users.customer.id } });
      expect(res.body.items.map((e: any) => e.type)).toContain('message.note_added');
    },
  },
  'GET /tickets/:id/sla': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/tickets/${id(ctx)}/sla`),
    ok: (res, ctx) => {
      expect(res.body).toMatchObject({ ticketId: id(ctx), state: 'ok', policy: { id: h.fx.policyId } });
      expect(res.body.clocks.map((c: any) => c.name).sort()).toEqual(['first_response', 'resolution']);
    },
  },
  'GET /tickets/:id/survey': {
    fresh: true,
    mutates: false,
    prepare: surveyed,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/tickets/${id(ctx)}/survey`),
    ok: (res, ctx) => expect(res.body).toEqual({ ...SURVEY_OPEN, ticketNumber: ctx.ticket.number }),
  },
  'POST /tickets/:id/survey': {
    fresh: true,
    mutates: true,
    prepare: surveyed,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/tickets/${id(ctx)}/survey`, { rating: 'good', comment: `from ${ctx.caller}` }),
    ok: (res, ctx) => expect(res.body).toEqual({ ...SURVEY_OPEN, ticketNumber: ctx.ticket.number, state: 'rated', rating: 'good', comment: `from ${ctx.caller}` }),
  },
  'GET /public/surveys/:token': {
    fresh: true,
    mutates: false,
    prepare: surveyed,
    send: (ctx) => h.call(ctx.token, 'GET', `/api/v1/public/surveys/${ctx.ticket.surveyToken}`),
    ok: (res, ctx) => expect(res.body).toEqual({ ...SURVEY_OPEN, ticketNumber: ctx.ticket.number }),
  },
  'POST /public/surveys/:token': {
    fresh: true,
    mutates: true,
    prepare: surveyed,
    send: (ctx) => h.call(ctx.token, 'POST', `/api/v1/public/surveys/${ctx.ticket.surveyToken}`, { rating: 'bad' }),
    ok: (res, ctx) => expect(res.body).toEqual({ ...SURVEY_OPEN, ticketNumber: ctx.ticket.number, state: 'rated', rating: 'bad' }),
  },
  'GET /settings/surveys': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/settings/surveys'),
    ok: (res) =>
      expect(res.body).toEqual({ enabled: expect.any(Boolean), delaySeconds: expect.any(Number), scale: expect.stringMatching(/^(binary|five)$/), source: expect.stringMatching(/^(default|admin)$/) }),
  },
  'PUT /settings/surveys': {
    fresh: false,
    mutates: false,
    // The environment's defaults, stored as an admin's choice (and removed again below).
    send: (ctx) => h.call(ctx.token, 'PUT', '/api/v1/settings/surveys', { enabled: h.config.SURVEYS_ENABLED, delaySeconds: h.config.SURVEY_DELAY_SECONDS, scale: h.config.SURVEY_SCALE }),
    ok: async (res) => {
      expect(res.body).toEqual({ enabled: h.config.SURVEYS_ENABLED, delaySeconds: h.config.SURVEY_DELAY_SECONDS, scale: h.config.SURVEY_SCALE, source: 'admin' });
      await h.orm.em.fork().execute(`delete from settings where key = 'surveys'`);
    },
  },
  'GET /admin/csat': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/admin/csat?limit=5'),
    ok: (res) => expect(res.body).toMatchObject({ items: expect.any(Array), nextCursor: res.body.items.length === 5 ? expect.any(String) : null, summary: { rated: expect.any(Number) } }),
  },
  'POST /uploads': {
    fresh: false,
    mutates: false,
    send: async (ctx) => {
      const form = new FormData();
      form.append('file', new Blob([`notes of ${ctx.caller}`], { type: 'text/plain' }), 'notes.txt');
      const r = await fetch(`${h.baseUrl}/api/v1/uploads`, { method: 'POST', headers: ctx.token ? { authorization: `Bearer ${ctx.token}` } : {}, body: form });
      return { status: r.status, body: await r.json(), headers: r.headers };
    },
    ok: async (res, ctx) => {
      expect(res.body).toMatchObject({ filename: 'notes.txt', contentType: 'text/plain', url: `/api/v1/attachments/${res.body.id}` });
      // Pending: its uploader's alone.
      const [row] = await h.orm.em.fork().execute('select uploaded_by, ticket_id from attachments where id = ?', [res.body.id]);
      expect(row).toEqual({ uploaded_by: userOf(ctx.caller as Exclude<Caller, 'anonymous'>).id, ticket_id: null });
    },
  },
  'GET /uploads/limits': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/uploads/limits'),
    ok: (res) => expect(res.body).toEqual({ maxFileBytes: expect.any(Number), maxFilesPerMessage: expect.any(Number), allowedTypes: expect.any(Array), pendingHours: expect.any(Number) }),
  },
  'POST /portal/deflections': {
    fresh: false,
    mutates: false,
    send: async (ctx) => h.call(ctx.token, 'POST', '/api/v1/portal/deflections', { articleId: await deflectionArticle(), subject: `solved for ${ctx.caller}`, description: 'by an article' }),
    ok: async (res, ctx) => {
      const [row] = await h.orm.em.fork().execute('select customer_id, translation_id, subject from kb_deflections where id = ?', [res.body.id]);
      expect(row).toEqual({ customer_id: userOf(ctx.caller as Exclude<Caller, 'anonymous'>).id, translation_id: await deflectionArticle(), subject: `solved for ${ctx.caller}` });
    },
  },
  'GET /admin/portal-insights': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/admin/portal-insights'),
    ok: (res) => expect(res.body).toMatchObject({ deflections: { total: expect.any(Number), byDay: expect.any(Array), topArticles: expect.any(Array) }, missedSearches: expect.any(Array) }),
  },
  'GET /admin/deflections': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/admin/deflections'),
    ok: (res) => expect(res.body).toEqual({ items: expect.any(Array), nextCursor: res.body.items.length === 25 ? expect.any(String) : null }),
  },
  'GET /admin/kb-feedback': {
    fresh: false,
    mutates: false,
    send: (ctx) => h.call(ctx.token, 'GET', '/api/v1/admin/kb-feedback?sort=-helpful'),
    ok: (res) => expect(res.body).toEqual({ items: expect.any(Array), total: expect.any(Number) }),
  },
};

/**
 * Resolve a fresh ticket and open its survey as the worker does when the delay is over (this
 * file's delay is the default day); `surveyToken` is the requester's link from the e-mail.
 */
async function surveyed(ticket: any) {
  const r = await h.call(tokens.admin, 'POST', `/api/v1/tickets/${ticket.id}/status`, { status: 'resolved' });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const resolvedAt = Date.parse(r.body.resolvedAt);
  await openSurvey(h.orm.em.fork(), ticket.id, new Date(resolvedAt), 'binary');
  const surveyToken = signSurveyLink(h.config.PORTAL_LINK_SECRET, { userId: h.fx.users.customer.id, ticketId: ticket.id, resolvedAt, expiresAtSec: Math.floor(Date.now() / 1000) + 3600 });
  return { ...r.body, surveyToken };
}

const SURVEY_OPEN = { subject: 'Role matrix', scale: 'binary', state: 'open', rating: null, comment: null };

/** A published public article's translation to deflect onto (made on first use). */
let deflectionTranslation: Promise<number> | undefined;
function deflectionArticle(): Promise<number> {
  deflectionTranslation ??= h
    .call(tokens.admin, 'POST', '/api/v1/kb/articles', { visibility: 'public', translations: { en: { title: `Roles ${h.fx.suffix}`, bodyHtml: '<p>Solved</p>', status: 'published' } } })
    .then((r) => {
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.translations.en.id as number;
    });
  return deflectionTranslation;
}

beforeAll(async () => {
  // Manual assignment: tickets stay unassigned, so the group agent sees them through group
  // membership alone and the outside agent has no way in.
  h = await startHarness({ fixtures: { supportStrategy: 'manual' } });
  for (const c of CALLERS) if (c !== 'anonymous') tokens[c] = await h.login(userOf(c).email);
  shared = await freshTicket();
  const note = await h.call(tokens.groupAgent, 'POST', `/api/v1/tickets/${shared.id}/messages`, { body: 'staff only', internal: true });
  expect(note.status, JSON.stringify(note.body)).toBe(201);
});
afterAll(() => h?.close());

describe('role matrix', () => {
  it('covers every endpoint × caller exactly once', () => {
    expect(ROWS).toHaveLength(Object.keys(MATRIX).length * CALLERS.length);
    expect(new Set(ROWS.map(([e, c]) => `${e}|${c}`)).size).toBe(ROWS.length);
  });

  it.each(ROWS)('%s as %s → %i', async (endpoint, caller, expected) => {
    const spec = SPECS[endpoint];
    // Logging out revokes the token, so that row uses a token of its own.
    const token = caller === 'anonymous' ? null : endpoint === 'POST /auth/logout' ? await h.login(userOf(caller).email) : tokens[caller];
    const created = spec.fresh ? await freshTicket() : shared;
    const ticket = spec.prepare ? await spec.prepare(created) : created;
    const ctx: Ctx = { caller, token, ticket };
    const before = spec.mutates && ticket ? await snapshot(ticket.id) : null;
    const ticketsBefore = endpoint === 'POST /tickets' ? await countTickets() : 0;

    const res = await spec.send(ctx);
    expect(res.status, JSON.stringify(res.body)).toBe(expected);

    if (expected < 300) {
      await spec.ok(res, ctx);
      return;
    }
    if (expected === 401) expect(res.body).toEqual({ error: { code: 'unauthorized', message: 'Authentication required' } });
    else if (expected === 403)
      expect(res.body).toEqual({ error: { code: FORBIDDEN_CODE[endpoint] ?? 'forbidden', message: FORBIDDEN_MESSAGE[endpoint]!.replace('ROLE', ROLE_OF[caller as Exclude<Caller, 'anonymous'>]) } });
    else if (expected === 404) expect(res.body).toEqual({ error: { code: 'not_found', message: `Ticket ${ticket.id} not found` } });
    else if (expected === 400 && endpoint === 'POST /auth/me/password') expect(res.body.error.fields).toEqual([{ path: 'body.currentPassword', message: 'does not match' }]);
    else throw new Error(`no body expectation for ${expected}`);
    // A refused request changed nothing.
    if (before) expect(await snapshot(ticket.id)).toEqual(before);
    if (endpoint === 'POST /tickets') expect(await countTickets()).toBe(ticketsBefore);
  });
});

// The same endpoints with credentials other than a signed-in session (issue 12), statuses written
// out by hand: an API key acting as the group agent with the scopes tickets:read and
// tickets:write (its scopes narrow the agent's role; nothing else reaches it), and sessions still
// finishing their sign-in (second factor due, or enrolment required), which are anonymous to
// every endpoint but logout.
const OTHER_CREDENTIALS = ['apiKey', 'mfaPending', 'enrolPending'] as const;
type OtherCredential = (typeof OTHER_CREDENTIALS)[number];

// prettier-ignore
const OTHER_MATRIX: Record<Endpoint, readonly [apiKey: number, mfaPending: number, enrolPending: number]> = {
  //                                          key  mfa  enrol
  'POST /auth/login':                       [200, 200, 200],
  'POST /auth/logout':                      [401, 204, 204],
  'GET /auth/me':                           [403, 401, 401],
  'PATCH /auth/me':                         [403, 401, 401],
  'POST /auth/me/password':                 [403, 401, 401],
  'POST /tickets':                          [201, 401, 401],
  'GET /tickets':                           [200, 401, 401],
  'GET /tickets/:id':                       [200, 401, 401],
  'PATCH /tickets/:id':                     [200, 401, 401],
  'POST /tickets/:id/status':               [200, 401, 401],
  'POST /tickets/:id/priority':             [200, 401, 401],
  'POST /tickets/:id/assignee':             [200, 401, 401],
  'POST /tickets/:id/solve':                [403, 401, 401],
  'POST /tickets/:id/reopen':               [403, 401, 401],
  'DELETE /tickets/:id':                    [403, 401, 401],
  'POST /tickets/:id/messages (public)':    [201, 401, 401],
  'POST /tickets/:id/messages (internal)':  [201, 401, 401],
  'GET /tickets/:id/messages':              [200, 401, 401],
  'GET /tickets/:id/timeline':              [200, 401, 401],
  'GET /tickets/:id/sla':                   [200, 401, 401],
  'GET /tickets/:id/survey':                [200, 401, 401],
  'POST /tickets/:id/survey':               [403, 401, 401],
  'GET /public/surveys/:token':             [403, 200, 200],
  'POST /public/surveys/:token':            [403, 200, 200],
  'GET /settings/surveys':                  [403, 401, 401],
  'PUT /settings/surveys':                  [403, 401, 401],
  'GET /admin/csat':                        [403, 401, 401],
  'POST /uploads':                          [403, 401, 401],
  'GET /uploads/limits':                    [403, 401, 401],
  'POST /portal/deflections':               [403, 401, 401],
  'GET /admin/portal-insights':             [403, 401, 401],
  'GET /admin/deflections':                 [403, 401, 401],
  'GET /admin/kb-feedback':                 [403, 401, 401],
};

const OTHER_ROWS: [Endpoint, OtherCredential, number][] = (Object.entries(OTHER_MATRIX) as [Endpoint, readonly number[]][]).flatMap(([endpoint, statuses]) =>
  OTHER_CREDENTIALS.map((c, i): [Endpoint, OtherCredential, number] => [endpoint, c, statuses[i]!]),
);

describe('role matrix: API keys and sessions finishing their sign-in', () => {
  let apiKey: string;
  beforeAll(async () => {
    const made = await h.call(tokens.admin, 'POST', '/api/v1/api-keys', { name: 'Role matrix', userId: h.fx.users.agent1.id, scopes: ['tickets:read', 'tickets:write'] });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    apiKey = made.body.key;
  });

  /** A session of the group agent at `stage`, as POST /auth/login starts one for a user with two-factor sign-in (or required to set it up). */
  async function pendingSession(stage: 'mfa' | 'enrol') {
    const token = `mdk_${randomBytes(32).toString('base64url')}`;
    await h.orm.em
      .fork()
      .execute(`insert into auth_tokens (user_id, token_hash, created_at, expires_at, stage) values (?, ?, now(), now() + interval '10 minutes', ?)`, [h.fx.users.agent1.id, hashToken(token), stage]);
    return token;
  }

  it('covers every endpoint of the role matrix', () => {
    expect(Object.keys(OTHER_MATRIX).sort()).toEqual(Object.keys(MATRIX).sort());
  });

  it.each(OTHER_ROWS)('%s with %s → %i', async (endpoint, credential, expected) => {
    const spec = SPECS[endpoint];
    const token = credential === 'apiKey' ? apiKey : await pendingSession(credential === 'mfaPending' ? 'mfa' : 'enrol');
    const created = spec.fresh ? await freshTicket() : shared;
    const ticket = spec.prepare ? await spec.prepare(created) : created;
    // The key acts as the group agent; a pending session is nobody yet.
    const ctx: Ctx = { caller: credential === 'apiKey' ? 'groupAgent' : 'anonymous', token, ticket };
    const before = spec.mutates && ticket ? await snapshot(ticket.id) : null;
    const res = await spec.send(ctx);
    expect(res.status, JSON.stringify(res.body)).toBe(expected);
    if (expected >= 400 && before) expect(await snapshot(ticket.id)).toEqual(before);
    if (expected === 403 && credential === 'apiKey' && res.body.error.code === 'forbidden' && /scopes/.test(res.body.error.message))
      expect(res.body.error.message).toMatch(/^This API key's scopes do not allow /);
  });
});

async function countTickets() {
  const [r] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from tickets');
  return Number(r!.n);
}

describe('bearer tokens', () => {
  const INVALID = { error: { code: 'unauthorized', message: 'Invalid or expired token' } };
  const MALFORMED = { error: { code: 'unauthorized', message: 'Authorization header must be "Bearer <token>"' } };

  it.each([
    ['garbage', 'garbage'],
    ['well-formed but unknown', `mdk_${'A'.repeat(43)}`],
    ['a token with one character changed', null],
  ])('refuses a %s token with 401', async (_what, given) => {
    const real = tokens.admin;
    const token = given ?? `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`;
    for (const [method, path] of [
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/tickets'],
      ['GET', `/api/v1/tickets/${shared.id}`],
    ] as const) {
      const r = await h.call(token, method, path);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body).toEqual(INVALID);
    }
  });

  it('refuses an expired token with 401', async () => {
    const token = `mdk_expired_${h.fx.suffix}`;
    await h.orm.em
      .fork()
      .execute(`insert into auth_tokens (user_id, token_hash, created_at, expires_at) values (?, ?, now() - interval '2 days', now() - interval '1 second')`, [h.fx.users.admin.id, hashToken(token)]);
    const r = await h.call(token, 'GET', '/api/v1/auth/me');
    expect(r.status).toBe(401);
    expect(r.body).toEqual(INVALID);
    // The same row with a future expiry is accepted: the refusal above is about expiry alone.
    const live = `mdk_live_${h.fx.suffix}`;
    await h.orm.em.fork().execute(`insert into auth_tokens (user_id, token_hash, created_at, expires_at) values (?, ?, now(), now() + interval '1 hour')`, [h.fx.users.admin.id, hashToken(live)]);
    const ok = await h.call(live, 'GET', '/api/v1/auth/me');
    expect(ok.status).toBe(200);
    expect(ok.body.id).toBe(h.fx.users.admin.id);
  });

  it("refuses a deactivated user's token with 401", async () => {
    const em = h.orm.em.fork();
    const email = `inactive-${h.fx.suffix}@test.mehrdesk.local`;
    await em.execute(
      `insert into users (email, name, password_hash, role, locale, active, available, created_at)
       select ?, 'inactive', password_hash, 'agent', 'en', true, true, now() from users where id = ?`,
      [email, h.fx.users.agent1.id],
    );
    const token = await h.login(email);
    expect((await h.call(token, 'GET', '/api/v1/auth/me')).status).toBe(200);
    await em.execute('update users set active = false where email = ?', [email]);
    const r = await h.call(token, 'GET', '/api/v1/auth/me');
    expect(r.status).toBe(401);
    expect(r.body).toEqual(INVALID);
    const login = await h.call(null, 'POST', '/api/v1/auth/login', { email, password: PASSWORD });
    expect(login.status).toBe(401);
    expect(login.body).toEqual({ error: { code: 'unauthorized', message: 'Wrong e-mail or password' } });
  });

  it.each([
    ['Basic credentials', () => `Basic ${Buffer.from(`${h.fx.users.admin.email}:${PASSWORD}`).toString('base64')}`],
    ['a bare scheme', () => 'Bearer'],
    ['no separator', () => `Bearer${tokens.admin}`],
    ['two tokens', () => `Bearer ${tokens.admin} ${tokens.admin}`],
    ['another scheme', () => `Token ${tokens.admin}`],
    ['the token alone', () => tokens.admin],
  ])('refuses a malformed Authorization header (%s) with 401', async (_what, header) => {
    for (const [method, path] of [
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/tickets'],
    ] as const) {
      const r = await h.call(null, method, path, undefined, { authorization: header() });
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body).toEqual(MALFORMED);
    }
  });

  it('accepts the scheme in any case (RFC 9110) so the 401s above are about the header, not the token', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await h.call(null, 'GET', '/api/v1/auth/me', undefined, { authorization: `${scheme} ${tokens.admin}` });
      expect(r.status, scheme).toBe(200);
      expect(r.body.id).toBe(h.fx.users.admin.id);
    }
  });

  it('logout revokes exactly the token used: the next call with it is 401, other sessions live on', async () => {
    const a = await h.login(h.fx.users.customer.email);
    const b = await h.login(h.fx.users.customer.email);
    expect((await h.call(a, 'GET', '/api/v1/auth/me')).status).toBe(200);
    const out = await h.call(a, 'POST', '/api/v1/auth/logout');
    expect(out.status).toBe(204);
    expect(out.body).toBeNull();
    for (const [method, path] of [
      ['GET', '/api/v1/auth/me'],
      ['GET', '/api/v1/tickets'],
      ['POST', '/api/v1/auth/logout'],
    ] as const) {
      const r = await h.call(a, method, path);
      expect(r.status, `${method} ${path}`).toBe(401);
      expect(r.body).toEqual(INVALID);
    }
    const [row] = await h.orm.em.fork().execute<{ n: string }[]>('select count(*) as n from auth_tokens where token_hash = ?', [hashToken(a)]);
    expect(Number(row!.n)).toBe(0);
    const still = await h.call(b, 'GET', '/api/v1/auth/me');
    expect(still.status).toBe(200);
    expect(still.body.id).toBe(h.fx.users.customer.id);
  });
});

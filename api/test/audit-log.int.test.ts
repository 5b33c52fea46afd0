import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';
import { purgeExpiredAudit, recordAudit } from '@mehrdesk/core/services/audit';

// The audit log (issue 12): every kind of admin change leaves an entry with actor, client
// address, before and after, in the change's transaction; secrets never reach it; the table is
// append-only in the database; the list filters and pages with a cursor that neither repeats
// nor skips rows while others are written; the CSV export carries the same selection with
// formula-like cells neutralised; the retention pass deletes only old rows; admins only.
// Test files share the database, so every query here is narrowed to this file's actors or
// targets.

let h: Harness;
const tokens = {} as Record<'admin' | 'supervisor' | 'agent' | 'customer', string>;
const CALLERS = ['anonymous', 'admin', 'supervisor', 'agent', 'customer'] as const;
type Caller = (typeof CALLERS)[number];
const token = (c: Caller) => (c === 'anonymous' ? null : tokens[c]);
const FROM = { 'x-forwarded-for': '203.0.113.9' };

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
  const u = h.fx.users;
  const [admin, supervisor, agent, customer] = (await Promise.all([u.admin, u.supervisor, u.agent1, u.customer].map((x) => h.login(x.email)))) as [string, string, string, string];
  Object.assign(tokens, { admin, supervisor, agent, customer });
});
afterAll(() => h?.close());

const admin = (method: string, path: string, body?: unknown) => h.call(tokens.admin, method, path, body, FROM);
const ok = async (p: Promise<{ status: number; body: any }>, status = 200) => {
  const r = await p;
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  return r.body;
};
const fieldPaths = (body: any) => (body?.error?.fields ?? []).map((f: { path: string }) => f.path);
const list = async (query: Record<string, string | number>) => ok(h.call(tokens.admin, 'GET', `/api/v1/audit-log?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`));
/** The newest entry of this file's admin for the target. */
async function entry(targetType: string, targetId: string | number, action?: string) {
  const r = await list({ actorId: h.fx.users.admin.id, targetType, targetId: String(targetId), ...(action ? { action } : {}), limit: 1 });
  expect(r.items.length, `no ${action ?? targetType} entry for ${targetType} ${targetId}`).toBe(1);
  return r.items[0];
}
const rows = (sql: string, params: unknown[] = []) => h.orm.em.fork().execute(sql, params);

describe('audit log: admin changes are recorded', () => {
  it('a user role change: actor, time, client address, request id, before and after', async () => {
    const created = await ok(admin('POST', '/api/v1/users', { email: `audited-${h.fx.suffix}@test.mehrdesk.local`, name: 'Audited', role: 'agent', password: 'a long secret passphrase 1' }), 201);
    const changed = await ok(h.call(tokens.admin, 'PATCH', `/api/v1/users/${created.id}`, { role: 'supervisor' }, { ...FROM, 'x-request-id': `req-${h.fx.suffix}` }));
    expect(changed.role).toBe('supervisor');
    const e = await entry('user', created.id, 'user.role_changed');
    expect(e).toMatchObject({
      actor: { kind: 'user', id: h.fx.users.admin.id, email: h.fx.users.admin.email, apiKeyId: null },
      action: 'user.role_changed',
      targetType: 'user',
      targetId: String(created.id),
      clientAddress: '203.0.113.9',
      requestId: `req-${h.fx.suffix}`,
      before: { role: 'agent', email: created.email, hasPassword: true },
      after: { role: 'supervisor', email: created.email },
    });
    expect(Date.now() - Date.parse(e.at)).toBeLessThan(60_000);
    expect((await entry('user', created.id, 'user.created')).after).toMatchObject({ role: 'agent', active: true });
    // The password and its hash never reach the log, only that one was set or changed.
    await ok(admin('PATCH', `/api/v1/users/${created.id}`, { password: 'another long passphrase 2' }));
    const pw = await entry('user', created.id, 'user.updated');
    expect(pw.detail).toEqual({ passwordChanged: true });
    const all = await list({ targetType: 'user', targetId: String(created.id), limit: 50 });
    expect(JSON.stringify(all)).not.toMatch(/passphrase|scrypt|password_?hash/i);
    // Deleting: the record of the user outlives them.
    await ok(admin('DELETE', `/api/v1/users/${created.id}`));
    expect((await entry('user', created.id, 'user.deleted')).before).toMatchObject({ email: created.email, role: 'supervisor' });
  });

  it('groups, rules, SLA policies, calendars, templates and settings', async () => {
    const g = await ok(admin('POST', '/api/v1/groups', { name: `Audited group ${h.fx.suffix}` }), 201);
    await ok(admin('PATCH', `/api/v1/groups/${g.id}`, { name: `Renamed group ${h.fx.suffix}`, memberIds: [h.fx.users.agent1.id] }));
    expect(await entry('group', g.id, 'group.updated')).toMatchObject({
      clientAddress: '203.0.113.9',
      before: { name: `Audited group ${h.fx.suffix}`, memberIds: [] },
      after: { name: `Renamed group ${h.fx.suffix}`, memberIds: [h.fx.users.agent1.id] },
    });
    await ok(admin('DELETE', `/api/v1/groups/${g.id}`), 204);
    expect((await entry('group', g.id, 'group.deleted')).after).toBeNull();

    const def = (p: string) => ({
      trigger: 'ticket.created',
      conditions: { all: [{ fact: 'ticket.categoryId', operator: 'equal', value: h.fx.categoryId }] },
      actions: [{ type: 'set_priority', params: { priority: p } }],
    });
    const rule = await ok(admin('POST', '/api/v1/rules', { name: `Audited rule ${h.fx.suffix}`, enabled: false, definition: def('high') }), 201);
    try {
      await ok(admin('PUT', `/api/v1/rules/${rule.id}`, { definition: def('urgent') }));
      const saved = await entry('rule', rule.id, 'rule.updated');
      expect(saved.before).toMatchObject({ version: 1, definition: { actions: [{ params: { priority: 'high' } }] } });
      expect(saved.after).toMatchObject({ version: 2, definition: { actions: [{ params: { priority: 'urgent' } }] } });
      await ok(admin('PATCH', `/api/v1/rules/${rule.id}`, { enabled: true }));
      expect(await entry('rule', rule.id, 'rule.enabled')).toMatchObject({ before: { enabled: false }, after: { enabled: true } });
    } finally {
      await ok(admin('DELETE', `/api/v1/rules/${rule.id}`), 204);
    }
    expect((await entry('rule', rule.id, 'rule.deleted')).before).toMatchObject({ name: `Audited rule ${h.fx.suffix}` });

    const policy = await ok(admin('GET', `/api/v1/sla-policies/${h.fx.policyId}`));
    await ok(admin('PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { warningFraction: 0.5 }));
    expect(await entry('sla_policy', h.fx.policyId, 'sla_policy.updated')).toMatchObject({
      before: { warningFraction: policy.warningFraction },
      after: { warningFraction: 0.5, name: policy.name },
    });
    await ok(admin('PUT', `/api/v1/calendars/${h.fx.calendarId}`, { name: `cal-${h.fx.suffix}`, timeZone: 'UTC', alwaysOpen: true, holidays: [{ date: '2026-12-25', name: 'Christmas' }] }));
    expect(await entry('calendar', h.fx.calendarId, 'calendar.updated')).toMatchObject({ before: { holidays: [] }, after: { holidays: [{ date: '2026-12-25', name: 'Christmas' }] } });

    // A template few tests send, put back at once.
    const text = { subject: `بسته شد ${h.fx.suffix}`, body: 'درخواست {{ ticket.number }} بسته شد.' };
    await ok(admin('PUT', '/api/v1/email-templates/ticket_closed/fa', text));
    await ok(admin('DELETE', '/api/v1/email-templates/ticket_closed/fa'), 204);
    expect(await entry('email_template', 'ticket_closed/fa', 'email_template.updated')).toMatchObject({ after: text });
    expect(await entry('email_template', 'ticket_closed/fa', 'email_template.reverted')).toMatchObject({ before: text, after: null });

    const before = await ok(admin('GET', '/api/v1/settings/audit'));
    await ok(admin('PUT', '/api/v1/settings/audit', { retentionDays: 400 }));
    expect(await entry('setting', 'audit', 'setting.updated')).toMatchObject({ before: { retentionDays: before.retentionDays }, after: { retentionDays: 400, source: 'admin' } });

    const category = await ok(admin('PATCH', `/api/v1/categories/${h.fx.otherCategoryId}`, { name: `Other ${h.fx.suffix} renamed` }));
    expect((await entry('category', h.fx.otherCategoryId, 'category.updated')).after).toMatchObject({ name: category.name });
  });

  it('webhooks: changes recorded, the signing secret never', async () => {
    const hook = await ok(admin('POST', '/api/v1/webhooks', { name: `Audited hook ${h.fx.suffix}`, url: 'http://127.0.0.1:9/hook', events: ['ticket.created'], active: false }), 201);
    expect(hook.secret).toEqual(expect.any(String));
    const created = await entry('webhook', hook.id, 'webhook.created');
    expect(created.after).toMatchObject({ name: `Audited hook ${h.fx.suffix}`, url: 'http://127.0.0.1:9/hook', active: false });
    expect(created.after).not.toHaveProperty('secret');
    const rotated = await ok(admin('POST', `/api/v1/webhooks/${hook.id}/rotate-secret`));
    await ok(admin('PATCH', `/api/v1/webhooks/${hook.id}`, { name: `Renamed hook ${h.fx.suffix}` }));
    expect(await entry('webhook', hook.id, 'webhook.updated')).toMatchObject({ before: { name: `Audited hook ${h.fx.suffix}` }, after: { name: `Renamed hook ${h.fx.suffix}` } });
    await ok(admin('DELETE', `/api/v1/webhooks/${hook.id}`), 204);
    const all = await list({ targetType: 'webhook', targetId: String(hook.id), limit: 50 });
    expect(all.items.map((e: any) => e.action).sort()).toEqual(['webhook.created', 'webhook.deleted', 'webhook.secret_rotated', 'webhook.updated']);
    const stored = JSON.stringify(await rows(`select * from audit_log where target_type = 'webhook' and target_id = ?`, [String(hook.id)]));
    expect(stored).not.toContain(hook.secret);
    expect(stored).not.toContain(rotated.secret);
  });

  it('a secret that reaches recordAudit under a secret-like name is redacted', async () => {
    const target = `redact-${h.fx.suffix}`;
    await recordAudit(h.orm.em.fork(), {
      actor: { kind: 'system' },
      action: 'test.redaction',
      targetType: 'test',
      targetId: target,
      before: { totpSecret: 'JBSWY3DPEHPK3PXP', nested: [{ passwordHash: 'scrypt$abc' }], hasPassword: true, tokenId: 7 },
      after: { signingSecret: 'whsec_xyz', apiKey: 'mdk_live_123', name: 'kept' },
    });
    const [e] = (await list({ targetType: 'test', targetId: target })).items;
    expect(e.before).toEqual({ totpSecret: '[redacted]', nested: [{ passwordHash: '[redacted]' }], hasPassword: true, tokenId: 7 });
    expect(e.after).toEqual({ signingSecret: '[redacted]', apiKey: '[redacted]', name: 'kept' });
  });
});

describe('audit log: append-only', () => {
  it('the database refuses UPDATE, DELETE and TRUNCATE', async () => {
    const [{ id }] = (await rows(`select max(id) as id from audit_log`)) as [{ id: string }];
    await expect(rows('update audit_log set action = ? where id = ?', ['tampered', id])).rejects.toThrow(/append-only/);
    await expect(rows('delete from audit_log where id = ?', [id])).rejects.toThrow(/append-only/);
    await expect(rows('truncate audit_log')).rejects.toThrow(/append-only/);
    expect(((await rows('select action from audit_log where id = ?', [id])) as { action: string }[])[0]!.action).not.toBe('tampered');
  });
});

describe('audit log: filters and cursor', () => {
  it('filters by actor, kind, action or prefix, target, time and e-mail', async () => {
    const mine = { actorId: h.fx.users.admin.id, limit: 200 };
    const groups = await list({ ...mine, action: 'group.' });
    expect(groups.items.length).toBeGreaterThanOrEqual(3);
    expect(groups.items.every((e: any) => e.action.startsWith('group.') && e.actor.id === h.fx.users.admin.id)).toBe(true);
    const exact = await list({ ...mine, action: 'group.updated' });
    expect(exact.items.every((e: any) => e.action === 'group.updated')).toBe(true);
    expect((await list({ ...mine, actorKind: 'system' })).items).toEqual([]);
    const byEmail = await list({ q: h.fx.users.admin.email.toUpperCase(), limit: 200 });
    expect(byEmail.items.length).toBeGreaterThan(0);
    expect(byEmail.items.every((e: any) => e.actor.email === h.fx.users.admin.email)).toBe(true);
    const [newest] = (await list(mine)).items;
    const at = Date.parse(newest.at);
    expect((await list({ ...mine, from: new Date(at + 1).toISOString() })).items.map((e: any) => e.id)).not.toContain(newest.id);
    expect((await list({ ...mine, from: new Date(at).toISOString(), to: new Date(at + 1).toISOString() })).items.map((e: any) => e.id)).toContain(newest.id);
    expect((await list({ ...mine, to: new Date(at).toISOString() })).items.map((e: any) => e.id)).not.toContain(newest.id);
    // Offsets are instants like any other.
    expect((await list({ ...mine, to: '2000-01-01T03:30:00+03:30' })).items).toEqual([]);
  });

  it('pages newest first without duplicates or gaps while entries are being written', async () => {
    const target = `paging-${h.fx.suffix}`;
    const write = (n: number) => recordAudit(h.orm.em.fork(), { actor: { kind: 'system' }, action: 'test.paging', targetType: 'test', targetId: target, detail: { n } });
    for (let i = 0; i < 30; i++) await write(i);
    const existing = ((await rows(`select id from audit_log where target_id = ? order by id desc`, [target])) as { id: string }[]).map((r) => String(r.id));
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) await write(1000 + written++);
    })();
    const seen: string[] = [];
    let cursor: string | null = null;
    try {
      do {
        const page: any = await list({ targetType: 'test', targetId: target, limit: 7, ...(cursor ? { cursor } : {}) });
        seen.push(...page.items.map((e: any) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
    } finally {
      writing = false;
      await writer;
    }
    expect(written).toBeGreaterThan(0);
    expect(new Set(seen).size).toBe(seen.length);
    // Strictly newest first, and every entry that existed when paging began is there.
    expect(seen.every((id, i) => i === 0 || BigInt(id) < BigInt(seen[i - 1]!))).toBe(true);
    expect(seen.slice(-existing.length)).toEqual(existing);
  });

  it('refuses bad filters with a 400 naming the field, a forged cursor with 422', async () => {
    const cases: [string, string][] = [
      ['from=2026-02-30T00:00:00Z', 'query.from'],
      ['to=10000-01-01T00:00:00Z', 'query.to'],
      ['to=9999-12-31T23:59:59-14:00', 'query.to'],
      ['from=2026-03-01T00:00:00Z&to=2026-02-01T00:00:00Z', 'query.to'],
      ['actorId=99999999999', 'query.actorId'],
      ['actorId=1e3', 'query.actorId'],
      ['limit=100000000000000000000', 'query.limit'],
      ['limit=0', 'query.limit'],
      ['actorKind=robot', 'query.actorKind'],
      ['action=rule%00', 'query.action'],
      ['action=DROP%20TABLE', 'query.action'],
      ['targetId=a%00b', 'query.targetId'],
      ['q=%00', 'query.q'],
      [`q=${'x'.repeat(255)}`, 'query.q'],
      ['sort=at', 'query'],
    ];
    for (const [qs, path] of cases) {
      const r = await h.call(tokens.admin, 'GET', `/api/v1/audit-log?${qs}`);
      expect(r.status, `${qs}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(
        fieldPaths(r.body).some((p: string) => p === path || p.startsWith(`${path}.`) || (path === 'query' && p.startsWith('query'))),
        `${qs}: ${JSON.stringify(r.body)}`,
      ).toBe(true);
      const csv = await h.call(tokens.admin, 'GET', `/api/v1/audit-log/export.csv?${qs}`);
      expect(csv.status, `export ${qs}`).toBe(400);
    }
    for (const cursor of ['nope', Buffer.from('{"before":"-1"}').toString('base64url'), Buffer.from('{"before":"99999999999999999999"}').toString('base64url')]) {
      const r = await h.call(tokens.admin, 'GET', `/api/v1/audit-log?cursor=${cursor}`);
      expect(r.status).toBe(422);
      expect(fieldPaths(r.body)).toEqual(['query.cursor']);
    }
    for (const retentionDays of [0, 3651, 1.5, '30', null]) {
      const r = await h.call(tokens.admin, 'PUT', '/api/v1/settings/audit', { retentionDays });
      expect(r.status, JSON.stringify(retentionDays)).toBe(400);
      expect(fieldPaths(r.body)).toEqual(['body.retentionDays']);
    }
  });
});

describe('audit log: CSV export', () => {
  it('carries the filtered entries, with formula-like cells neutralised', async () => {
    const target = `=HYPERLINK("http://evil")-${h.fx.suffix}`;
    await recordAudit(h.orm.em.fork(), {
      actor: { kind: 'system', email: '+cmd@evil.example' },
      action: 'test.csv',
      targetType: 'test',
      targetId: target,
      clientAddress: '@SUM(A1)',
      requestId: '-2+3',
      after: { note: 'a "quoted", comma' },
    });
    const r = await fetch(`${h.baseUrl}/api/v1/audit-log/export.csv?targetType=test&targetId=${encodeURIComponent(target)}`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="audit-log-\d{4}-\d\d-\d\d\.csv"/);
    const text = (await r.text()).replace(/^\uFEFF/, '');
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('id,at,actor_kind,actor_id,actor_email,api_key_id,action,target_type,target_id,client_address,request_id,before,after,detail');
    expect(lines).toHaveLength(2);
    const cells = lines[1]!.split(',');
    expect(cells.slice(2, 11)).toEqual(['system', '', "'+cmd@evil.example", '', 'test.csv', 'test', `"'=HYPERLINK(""http://evil"")-${h.fx.suffix}"`, "'@SUM(A1)", "'-2+3"]);
    expect(lines[1]).toContain('"{""note"":""a \\""quoted\\"", comma""}"');

    // The same filters as the list: this file's admin's group changes, in the same order.
    const listed = await list({ actorId: h.fx.users.admin.id, action: 'group.', limit: 200 });
    const exported = await h.call(tokens.admin, 'GET', `/api/v1/audit-log/export.csv?actorId=${h.fx.users.admin.id}&action=group.`);
    const ids = String(exported.body)
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
    expect(ids).toEqual(listed.items.map((e: any) => e.id));
  });

  it('streams a long export in batches', async () => {
    const target = `bulk-${h.fx.suffix}`;
    await rows(`insert into audit_log (actor_kind, action, target_type, target_id, detail) select 'system', 'test.bulk', 'test', ?, jsonb_build_object('n', n) from generate_series(1, 1203) n`, [
      target,
    ]);
    const r = await h.call(tokens.admin, 'GET', `/api/v1/audit-log/export.csv?targetType=test&targetId=${target}`);
    expect(r.status).toBe(200);
    const lines = String(r.body).trim().split('\n');
    expect(lines).toHaveLength(1204);
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(1203);
  });
});

describe('audit log: retention', () => {
  it('deletes only entries older than the retention in force, in batches', async () => {
    await ok(admin('PUT', '/api/v1/settings/audit', { retentionDays: 30 }));
    const target = `retention-${h.fx.suffix}`;
    await rows(
      `insert into audit_log (at, actor_kind, action, target_type, target_id, detail)
       select now() - make_interval(days => d), 'system', 'test.retention', 'test', ?, jsonb_build_object('days', d)
         from unnest(array[31, 31, 31, 31, 31, 40, 400, 29, 1]) d`,
      [target],
    );
    const deleted = await purgeExpiredAudit(h.orm.em.fork(), h.config, { batchSize: 2 });
    expect(deleted).toBeGreaterThanOrEqual(7);
    const left = (await rows(`select (detail->>'days')::int as days from audit_log where target_id = ? order by days`, [target])) as { days: number }[];
    expect(left.map((r) => r.days)).toEqual([1, 29]);
    // Recent entries of this file are untouched.
    expect((await list({ actorId: h.fx.users.admin.id, action: 'setting.updated' })).items.length).toBeGreaterThan(0);
  });
});

describe('audit log: role matrix', () => {
  // prettier-ignore
  const MATRIX: [string, (c: Caller) => Promise<{ status: number }>, number[]][] = [
    //                                                                                                         anon adm  sup  agt  cus
    ['GET /audit-log',            (c) => h.call(token(c), 'GET', '/api/v1/audit-log?limit=1'),                [401, 200, 403, 403, 403]],
    ['GET /audit-log/export.csv', (c) => h.call(token(c), 'GET', '/api/v1/audit-log/export.csv?action=test.none'), [401, 200, 403, 403, 403]],
    ['GET /settings/audit',       (c) => h.call(token(c), 'GET', '/api/v1/settings/audit'),                   [401, 200, 403, 403, 403]],
    ['PUT /settings/audit',       (c) => h.call(token(c), 'PUT', '/api/v1/settings/audit', { retentionDays: 365 }), [401, 200, 403, 403, 403]],
  ];
  it.each(MATRIX.flatMap(([name, send, statuses]) => CALLERS.map((caller, i) => ({ name, caller, send, expected: statuses[i]! }))))(
    '$name as $caller → $expected',
    async ({ caller, send, expected }) => {
      const r = await send(caller);
      expect(r.status, JSON.stringify(r)).toBe(expected);
    },
  );
});

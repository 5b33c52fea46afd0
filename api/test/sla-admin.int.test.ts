import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '@mehrdesk/scripts/testing/harness';

let h: Harness;
let admin: string, agent: string, supervisor: string, customer: string;

beforeAll(async () => {
  h = await startHarness();
  [admin, agent, supervisor, customer] = (await Promise.all([h.fx.users.admin, h.fx.users.agent1, h.fx.users.supervisor, h.fx.users.customer].map((u) => h.login(u.email)))) as [
    string,
    string,
    string,
    string,
  ];
});
afterAll(() => h?.close());

const count = async (table: string) => Number((await h.orm.em.fork().execute<[{ n: string }]>(`select count(*) as n from ${table}`))[0].n);
const targets = (fr: number, res: number) => Object.fromEntries(['low', 'normal', 'high', 'urgent'].map((p) => [p, { firstResponseSeconds: fr, resolutionSeconds: res }]));

describe('SLA administration', () => {
  it('is for admins only', async () => {
    for (const token of [agent, supervisor, customer]) {
      expect((await h.call(token, 'GET', '/api/v1/sla-policies')).status).toBe(403);
      expect((await h.call(token, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { warningFraction: 0.5 })).status).toBe(403);
      expect((await h.call(token, 'POST', '/api/v1/calendars', { name: 'x', timeZone: 'UTC', alwaysOpen: true })).status).toBe(403);
    }
    expect((await h.call(null, 'GET', '/api/v1/calendars')).status).toBe(401);
  });

  it('creates calendars and refuses invalid ones naming the problem, writing nothing', async () => {
    const ok = await h.call(admin, 'POST', '/api/v1/calendars', {
      name: `Tehran ${h.fx.suffix}`,
      timeZone: 'Asia/Tehran',
      shifts: [
        { weekday: 6, start: '08:00', end: '16:00' },
        { weekday: 7, start: '08:00', end: '16:00' },
      ],
      holidays: [{ date: '2027-03-21', name: 'Nowruz', recurringYearly: true }],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.holidays).toEqual([{ date: '2027-03-21', name: 'Nowruz', recurringYearly: true }]);
    const before = [await count('business_calendars'), await count('holidays')];
    const bad = [
      [{ name: 'a', timeZone: 'Mars/Olympus', alwaysOpen: true }, 'body.timeZone'],
      [
        {
          name: 'b',
          timeZone: 'UTC',
          shifts: [
            { weekday: 1, start: '09:00', end: '17:00' },
            { weekday: 1, start: '12:00', end: '18:00' },
          ],
        },
        'body.shifts',
      ],
      [{ name: 'c', timeZone: 'UTC', shifts: [{ weekday: 8, start: '09:00', end: '17:00' }] }, 'body.shifts.0.weekday'],
      [{ name: 'd', timeZone: 'UTC', shifts: [{ weekday: 1, start: '25:00', end: '17:00' }] }, 'body.shifts'],
      [{ name: 'e', timeZone: 'UTC', alwaysOpen: true, holidays: [{ date: '2026-02-30' }] }, 'body.holidays'],
      [{ name: 'f', timeZone: 'UTC' }, 'body.shifts'],
      [{ name: 'g', timeZone: 'UTC', alwaysOpen: true, colour: 'red' }, 'body.colour'],
    ] as const;
    for (const [body, path] of bad) {
      const r = await h.call(admin, 'POST', '/api/v1/calendars', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(
        r.body.error.fields.map((f: { path: string }) => f.path),
        JSON.stringify(r.body),
      ).toContain(path);
    }
    expect([await count('business_calendars'), await count('holidays')]).toEqual(before);
  });

  it('creates policies and validates their shape', async () => {
    const ok = await h.call(admin, 'POST', '/api/v1/sla-policies', {
      name: `Gold ${h.fx.suffix}`,
      targets: targets(600, 3600),
      calendarId: h.fx.calendarId,
      escalation: [{ on: 'breach', clock: 'any', action: 'raise_priority' }],
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body).toMatchObject({ warningFraction: 0.8, isDefault: false, autoCloseAfterSeconds: null });
    const unknownCal = await h.call(admin, 'POST', '/api/v1/sla-policies', { name: `X ${h.fx.suffix}`, targets: targets(1, 2), calendarId: 999999 });
    expect(unknownCal.status).toBe(422);
    expect(unknownCal.body.error.fields[0].path).toBe('body.calendarId');
    const badFraction = await h.call(admin, 'POST', '/api/v1/sla-policies', { name: `Y ${h.fx.suffix}`, targets: targets(1, 2), calendarId: h.fx.calendarId, warningFraction: 1.5 });
    expect(badFraction.status).toBe(400);
    expect(badFraction.body.error.fields[0].path).toBe('body.warningFraction');
    const missingPriority = await h.call(admin, 'POST', '/api/v1/sla-policies', {
      name: `Z ${h.fx.suffix}`,
      targets: { normal: { firstResponseSeconds: 1, resolutionSeconds: 2 } },
      calendarId: h.fx.calendarId,
    });
    expect(missingPriority.status).toBe(400);
    expect(missingPriority.body.error.fields.map((f: { path: string }) => f.path)).toContain('body.targets.low');
    const badAction = await h.call(admin, 'POST', '/api/v1/sla-policies', {
      name: `W ${h.fx.suffix}`,
      targets: targets(1, 2),
      calendarId: h.fx.calendarId,
      escalation: [{ on: 'breach', clock: 'any', action: 'fire_everyone' }],
    });
    expect(badAction.status).toBe(400);
    expect(badAction.body.error.fields[0].path).toBe('body.escalation.0.action');
    const dup = await h.call(admin, 'POST', '/api/v1/sla-policies', { name: `Gold ${h.fx.suffix}`, targets: targets(600, 3600), calendarId: h.fx.calendarId });
    expect(dup.status).toBe(422);
  });

  it('re-plans the timers of open tickets when the policy or its calendar changes', async () => {
    const t = (await h.call(customer, 'POST', '/api/v1/tickets', { subject: 'replan', body: 'x', categoryId: h.fx.categoryId })).body;
    const fr = async () => (await h.call(admin, 'GET', `/api/v1/tickets/${t.id}/sla`)).body.clocks.find((c: { name: string }) => c.name === 'first_response');
    const before = Date.parse((await fr()).dueAt);
    const patched = await h.call(admin, 'PATCH', `/api/v1/sla-policies/${h.fx.policyId}`, { targets: targets(7200, 8 * 3600) });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.openTicketsUpdated).toBeGreaterThanOrEqual(1);
    const after = await eventually(async () => {
      const d = Date.parse((await fr()).dueAt);
      return d !== before ? d : null;
    }, 're-planned deadline');
    expect(after - before).toBeGreaterThan(3600_000 - 5000);
    expect(after - before).toBeLessThan(3600_000 + 5000);
    await eventually(async () => Date.parse((await h.call(admin, 'GET', `/api/v1/tickets/${t.id}`)).body.firstResponseDueAt) === after, 'row deadline updated');

    // Calendar: open only on a weekday other than today → the deadline moves to that day.
    const today = ((new Date().getUTCDay() + 6) % 7) + 1;
    const other = (today % 7) + 1 === today ? 1 : ((today + 2) % 7) + 1;
    const put = await h.call(admin, 'PUT', `/api/v1/calendars/${h.fx.calendarId}`, { name: `cal-${h.fx.suffix}`, timeZone: 'UTC', shifts: [{ weekday: other, start: '00:00', end: '00:00' }] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.openTicketsUpdated).toBeGreaterThanOrEqual(1);
    const moved = await eventually(async () => {
      const d = Date.parse((await fr()).dueAt);
      return d !== after ? d : null;
    }, 'calendar re-plan');
    expect(new Date(moved).getUTCDay()).toBe(other % 7);
  });
});

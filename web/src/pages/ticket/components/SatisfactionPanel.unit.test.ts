import { beforeEach, describe, expect, it } from 'vitest';
import { screen } from '@testing-library/vue';
import { setToken } from '@/api/client';
import type { TimelineEvent } from '@/api/types';
import { useLocaleStore } from '@/stores/locale';
import { fakeApi, freshPinia, renderWithApp, ticketFixture } from '@/test/helpers';
import SatisfactionPanel from './SatisfactionPanel.vue';
import TicketTimeline from './TicketTimeline.vue';

// The customer's rating on the ticket page (the side panel) and the survey and reminder
// entries of its timeline, in English and Persian.

const event = (id: number, type: string, newValue: unknown, actor: TimelineEvent['actor'] = { type: 'workflow', id: null, name: null }): TimelineEvent =>
  ({ id, type, actor, field: null, oldValue: null, newValue, meta: {}, createdAt: '2026-11-20T10:00:00.000Z' }) as TimelineEvent;

describe('customer satisfaction on the ticket page', () => {
  beforeEach(() => {
    setToken('mdk_test');
    freshPinia();
    fakeApi({});
  });

  it('shows the rating with its comment, and nothing for a ticket still being worked', async () => {
    const { unmount } = renderWithApp(SatisfactionPanel, {
      props: { ticket: ticketFixture({ status: 'closed', satisfaction: { rating: 'bad', scale: 'binary', comment: 'Took a week', ratedAt: '2026-11-20T10:00:00.000Z' } }) },
    });
    expect((await screen.findByTestId('satisfaction-rating')).textContent?.trim()).toBe('Bad');
    expect(screen.getByTestId('satisfaction-comment').textContent).toBe('Took a week');
    unmount();
    const resolved = renderWithApp(SatisfactionPanel, { props: { ticket: ticketFixture({ status: 'resolved' }) } });
    expect(await screen.findByText('Not rated yet.')).toBeInstanceOf(HTMLElement);
    resolved.unmount();
    renderWithApp(SatisfactionPanel, { props: { ticket: ticketFixture({ status: 'open' }) } });
    expect(screen.queryByTestId('satisfaction')).toBeNull();
  });

  it('shows a five-point rating in Persian digits', async () => {
    renderWithApp(SatisfactionPanel, { props: { ticket: ticketFixture({ status: 'resolved', satisfaction: { rating: 4, scale: 'five', comment: null, ratedAt: '2026-11-20T10:00:00.000Z' } }) } });
    useLocaleStore().setLocale('fa');
    expect((await screen.findByTestId('satisfaction-rating')).textContent?.trim()).toBe('۴ از ۵');
    useLocaleStore().setLocale('en');
  });

  it('describes survey, reminder and automatic-resolution entries on the timeline', async () => {
    renderWithApp(TicketTimeline, {
      props: {
        events: [
          event(1, 'reminder.sent', { reminder: 2 }),
          event(2, 'ticket.auto_resolved', { pendingSince: '2026-11-18T10:00:00.000Z', reminders: 2 }),
          event(3, 'survey.sent', { surveyId: 7, scale: 'binary' }),
          event(4, 'survey.received', { rating: 'good', comment: 'Thanks!' }, { type: 'user', id: 9, name: 'Cyrus Customer' }),
          event(5, 'survey.changed', { rating: 3, comment: null }, { type: 'user', id: 9, name: 'Cyrus Customer' }),
        ],
      },
    });
    const lines = (await screen.findAllByText(/:/)).map((e) => e.textContent);
    expect(lines).toEqual([
      'Workflow: reminded the customer that the ticket waits on them (reminder 2)',
      'Workflow: resolved the ticket: no answer from the customer in time',
      'Workflow: asked the customer to rate the support',
      'Cyrus Customer: the customer rated the support: Good — “Thanks!”',
      'Cyrus Customer: the customer changed the rating to 3 of 5',
    ]);
  });
});

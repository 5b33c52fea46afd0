import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/vue';
import userEvent from '@testing-library/user-event';
import type { Message } from '@/api/types';
import { useLocaleStore } from '@/stores/locale';
import { renderWithApp } from '@/test/helpers';
import TicketConversation from './TicketConversation.vue';

const message = (over: Partial<Message> = {}): Message => ({
  id: 1,
  ticketId: 7,
  kind: 'public',
  channel: 'email',
  author: { id: 9, name: 'Cyrus Customer', role: 'customer' },
  bodyHtml: '<p>Hello</p>',
  bodyText: 'Hello',
  attachments: [],
  createdAt: '2026-05-01T10:00:00Z',
  review: null,
  ...over,
});
const held = (over: Partial<Message> = {}) =>
  message({ id: 2, kind: 'internal', author: null, bodyHtml: '<p>Confirm your card</p>', bodyText: 'Confirm your card', review: { status: 'held', from: 'zed@phish.example' }, ...over });

afterEach(() => useLocaleStore().setLocale('en'));

describe('TicketConversation: mail held for review', () => {
  it('marks a held mail with its sender and offers publish, publish with participant and dismiss', async () => {
    const review = vi.fn(async () => undefined);
    renderWithApp(TicketConversation, { props: { messages: [message(), held()], review } });
    const card = screen.getByTestId('held-2');
    expect(card.dataset.reviewStatus).toBe('held');
    expect(within(card).getByText('Held for review: from zed@phish.example, not a participant')).toBeInstanceOf(HTMLElement);
    const actions = within(card).getByRole('group', { name: 'Review the held e-mail' });
    expect(
      within(actions)
        .getAllByRole('button')
        .map((b) => b.textContent?.trim()),
    ).toEqual(['Publish', 'Add sender as participant and publish', 'Dismiss']);
    await userEvent.click(within(actions).getByRole('button', { name: 'Add sender as participant and publish' }));
    expect(review).toHaveBeenCalledTimes(1);
    expect(review).toHaveBeenCalledWith(expect.objectContaining({ id: 2 }), 'publishAndAdd');
    await userEvent.click(within(actions).getByRole('button', { name: 'Dismiss' }));
    expect(review).toHaveBeenLastCalledWith(expect.objectContaining({ id: 2 }), 'dismiss');
    // An ordinary message carries no review marker.
    expect(screen.queryByTestId('held-1')).toBeNull();
  });

  it('shows the outcome of a reviewed mail without buttons', () => {
    renderWithApp(TicketConversation, {
      props: { messages: [held({ review: { status: 'published', from: 'zed@phish.example' } }), held({ id: 3, review: { status: 'dismissed', from: 'x@y.example' } })], review: vi.fn() },
    });
    expect(screen.getByText('Held e-mail from zed@phish.example: published as their reply')).toBeInstanceOf(HTMLElement);
    expect(screen.getByText('Held e-mail from x@y.example: dismissed')).toBeInstanceOf(HTMLElement);
    expect(screen.queryAllByRole('group', { name: 'Review the held e-mail' })).toHaveLength(0);
  });

  it('cannot publish a mail without a sender address, only dismiss it', () => {
    renderWithApp(TicketConversation, { props: { messages: [held({ review: { status: 'held', from: '' } })], review: vi.fn() } });
    const actions = screen.getByRole('group', { name: 'Review the held e-mail' });
    expect(
      within(actions)
        .getAllByRole('button')
        .map((b) => b.textContent?.trim()),
    ).toEqual(['Dismiss']);
    expect(screen.getByText('Held for review: from an unknown sender, not a participant')).toBeInstanceOf(HTMLElement);
  });

  it('speaks Persian', () => {
    useLocaleStore().setLocale('fa');
    renderWithApp(TicketConversation, { props: { messages: [held()], review: vi.fn() } });
    expect(screen.getByText('در انتظار بررسی: از zed@phish.example، که از شرکت‌کنندگان این تیکت نیست')).toBeInstanceOf(HTMLElement);
    expect(screen.getByRole('button', { name: 'انتشار' })).toBeInstanceOf(HTMLElement);
  });
});

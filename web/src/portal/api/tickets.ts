import { http } from './http';
import type { Message, Survey, SurveyRating, Ticket, TicketStatus } from './types';

// The customer's own tickets (the API shows a customer only theirs, and never internal notes).

const id = (n: number) => String(n);

export interface TicketCategory {
  id: number;
  name: string;
}

export const ticketsApi = {
  list: (q: { status?: readonly TicketStatus[]; q?: string; cursor?: string | null; limit?: number }) =>
    http.get<{ items: Ticket[]; nextCursor: string | null }>('/api/v1/tickets', { query: { status: q.status, q: q.q?.trim(), cursor: q.cursor, limit: q.limit ?? 25, sort: '-updatedAt' } }),
  get: (ticketId: number) => http.get<Ticket>(`/api/v1/tickets/${id(ticketId)}`),
  messages: async (ticketId: number) => (await http.get<{ items: Message[] }>(`/api/v1/tickets/${id(ticketId)}/messages`)).items,
  create: (body: { subject: string; body: string; categoryId?: number; attachmentIds?: number[] }, idempotencyKey: string) =>
    http.post<Ticket>('/api/v1/tickets', body, { headers: { 'idempotency-key': idempotencyKey } }),
  reply: (ticketId: number, body: { body: string; attachmentIds?: number[] }, idempotencyKey: string) =>
    http.post<Message>(`/api/v1/tickets/${id(ticketId)}/messages`, body, { headers: { 'idempotency-key': idempotencyKey } }),
  /** "My problem is solved": the requester resolves their own open ticket. */
  solve: (ticketId: number) => http.post<Ticket>(`/api/v1/tickets/${id(ticketId)}/solve`),
  /** Reopen one's own resolved ticket (refused once the policy closed it). */
  reopen: (ticketId: number) => http.post<Ticket>(`/api/v1/tickets/${id(ticketId)}/reopen`),
  categories: async () => (await http.get<{ items: TicketCategory[] }>('/api/v1/portal/ticket-categories')).items,
  survey: (ticketId: number) => http.get<Survey>(`/api/v1/tickets/${id(ticketId)}/survey`),
  rate: (ticketId: number, body: { rating: SurveyRating; comment?: string }) => http.post<Survey>(`/api/v1/tickets/${id(ticketId)}/survey`, body),
  /** "This solved my problem": the attempt ends without a ticket. */
  deflect: (body: { articleId: number; subject: string; description: string }) => http.post<void>('/api/v1/portal/deflections', body),
};

/** The e-mailed survey link's token: no session needed. */
export const surveyApi = {
  get: (token: string) => http.get<Survey>(`/api/v1/public/surveys/${encodeURIComponent(token)}`),
  rate: (token: string, body: { rating: SurveyRating; comment?: string }) => http.post<Survey>(`/api/v1/public/surveys/${encodeURIComponent(token)}`, body),
};

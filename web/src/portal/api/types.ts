import type { components } from '@/api/schema';

// The API's shapes the portal uses. Those already in the OpenAPI document come from schema.d.ts;
// the customer-account, deflection and survey endpoints are described here by their contract
// until the document lists them.

type Schemas = components['schemas'];

export type PortalLocale = 'en' | 'fa';
export type User = Schemas['User'];
export type Ticket = Schemas['Ticket'];
export type TicketStatus = Ticket['status'];
export type Message = Schemas['Message'];
export type Attachment = Schemas['Attachment'];
export type KbArticle = Schemas['PublicKbArticle'];
export type KbArticleSummary = Schemas['PublicKbArticleSummary'];
export type KbCategory = Schemas['PublicKbCategory'];
export type SearchHit = Schemas['SearchHit'];

export interface LoginResponse {
  token: string;
  expiresAt: string;
  user: User;
}

export type SignupMode = 'open' | 'invite' | 'domains';
export interface PortalConfig {
  signup: SignupMode;
  signupDomains: string[];
}

export type SurveyRating = 'good' | 'bad' | 1 | 2 | 3 | 4 | 5;
export interface Survey {
  ticketNumber: string;
  subject: string;
  scale: 'binary' | 'five';
  state: 'open' | 'rated';
  rating: SurveyRating | null;
  comment: string | null;
}

/** What the server put in the page for the app to start from (api/src/portal/ssr.ts). */
export type PortalState = { kind: 'article'; article: KbArticle } | { kind: 'articleMissing'; lang: PortalLocale; slug: string };

/** An uploaded file waiting to be sent with a ticket or reply (POST /api/v1/uploads). */
export interface UploadedFile {
  id: number;
  filename: string;
  size: number;
  contentType: string;
}

/** Statuses in which the ticket is still being worked on. */
export const OPEN_STATUSES: readonly TicketStatus[] = ['new', 'open', 'pending', 'on_hold'];

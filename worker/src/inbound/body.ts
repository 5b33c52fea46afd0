import { escapeHtml } from '@mehrdesk/core/domain';
import { sanitizeRichText } from '@mehrdesk/core/sanitize';
import type { InboundMail } from './parse';

// The HTML body a ticket or reply gets from an inbound mail. A mail cannot be refused, so a body
// that shows nothing once sanitised (only whitespace, only a remote image, which sanitising
// removes) still becomes a ticket, with a marker instead of text; its attachments stay with it.

/** What a mail with no visible text shows. */
export const NO_TEXT_HTML = '<p>(no text)</p>';

export const textToHtml = (t: string) =>
  t
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('');

const shows = (html: string) => sanitizeRichText(html).text.trim() !== '';

/** The HTML part when it shows text, else the text part, else the "(no text)" marker. */
export function ticketBodyHtml(mail: Pick<InboundMail, 'html' | 'text'>): string {
  if (mail.html !== null && shows(mail.html)) return mail.html;
  // Escaped text shows whatever it holds: no need to sanitise it just to look.
  if (mail.text.trim() !== '') return textToHtml(mail.text.trim());
  return NO_TEXT_HTML;
}

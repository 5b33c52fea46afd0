import sanitizeHtml from 'sanitize-html';

// Rich-text bodies are stored sanitised (no scripts, handlers, styles or foreign frames), plus
// a plain-text rendering for e-mail text parts and search.
const LINK_REL = 'noopener noreferrer nofollow';
const LINK_TARGET = '_blank';
const RICH: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'blockquote', 'code', 'pre', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'hr', 'span', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  // Every link opens in a new tab without a window.opener, a referrer or search-engine credit:
  // the transform overwrites whatever rel/target the client sent, the allow-list admits only
  // the values it sets.
  allowedAttributes: {
    a: ['href', 'title', { name: 'rel', multiple: true, values: LINK_REL.split(' ') }, { name: 'target', values: [LINK_TARGET] }],
    '*': ['dir', 'lang'],
  },
  allowedSchemes: ['http', 'https', 'mailto'],
  transformTags: {
    a: (tagName, { rel: _rel, target: _target, ...attribs }) => ({ tagName, attribs: { ...attribs, rel: LINK_REL, target: LINK_TARGET } }),
  },
};

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&nbsp;': ' ' };

export function sanitizeRichText(html: string): { html: string; text: string } {
  const clean = sanitizeHtml(html, RICH).trim();
  const withBreaks = clean.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|div|li|h\d|tr|blockquote|pre)>/gi, '\n');
  const text = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {} })
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (m) => ENTITIES[m] ?? m)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { html: clean, text };
}

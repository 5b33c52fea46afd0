import sanitizeHtml from 'sanitize-html';

// Rich-text bodies are stored sanitised (no scripts, handlers, styles or foreign frames), plus
// a plain-text rendering for e-mail text parts and search.
const LINK_REL = 'noopener noreferrer nofollow';
const LINK_TARGET = '_blank';
const RICH: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'b',
    'em',
    'i',
    'u',
    's',
    'blockquote',
    'code',
    'pre',
    'ul',
    'ol',
    'li',
    'a',
    'h1',
    'h2',
    'h3',
    'h4',
    'hr',
    'span',
    'div',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
  ],
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
  return withText(sanitizeHtml(html, RICH).trim());
}

/**
 * Knowledge-base article bodies: the rich-text rules plus images, but only images uploaded to
 * the knowledge base itself (`/api/v1/kb/images/<id>/<name>`), so a published article never
 * makes a reader's browser fetch from another site. Any other `<img>` is dropped.
 */
export const KB_IMAGE_SRC = /^\/api\/v1\/kb\/images\/[1-9]\d{0,9}\/[^/?#\s"'<>\\]{1,255}$/;
const ARTICLE: sanitizeHtml.IOptions = {
  ...RICH,
  allowedTags: [...(RICH.allowedTags as string[]), 'img'],
  allowedAttributes: { ...(RICH.allowedAttributes as Record<string, sanitizeHtml.AllowedAttribute[]>), img: ['src', 'alt', 'title', 'width', 'height'] },
  allowProtocolRelative: false,
  transformTags: {
    ...RICH.transformTags,
    img: (tagName, attribs) => (attribs.src && KB_IMAGE_SRC.test(attribs.src) ? { tagName, attribs } : { tagName, attribs: {} }),
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
};

export function sanitizeArticleHtml(html: string): { html: string; text: string } {
  return withText(sanitizeHtml(html, ARTICLE).trim());
}

function withText(clean: string): { html: string; text: string } {
  const withBreaks = clean.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|div|li|h\d|tr|blockquote|pre)>/gi, '\n');
  const text = sanitizeHtml(withBreaks, { allowedTags: [], allowedAttributes: {} })
    .replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (m) => ENTITIES[m] ?? m)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return { html: clean, text };
}

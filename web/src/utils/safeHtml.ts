import DOMPurify from 'dompurify';

// HTML from the server shown with v-html always passes through DOMPurify here first, with the
// narrowest allow-list that fits its kind.

/** Search highlights: the server escapes the text and wraps matches in <mark>; nothing else survives. */
export function highlightHtml(html: string | null | undefined): string {
  if (!html) return '';
  const clean = DOMPurify.sanitize(html, { ALLOWED_TAGS: ['mark'], ALLOWED_ATTR: [] });
  // Belt and braces: whatever is left that is not a bare <mark> or </mark> shows as text.
  return clean.replace(/<(?!\/?mark>)/g, '&lt;');
}

// The tags the server's rich-text sanitiser keeps (core/src/sanitize.ts), plus images for KB articles.
const ARTICLE_TAGS = [
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
  'img',
];
const ARTICLE_ATTRS = ['href', 'title', 'rel', 'target', 'dir', 'lang', 'src', 'alt', 'width', 'height'];

/** An article body as the public sees it: rich text and images, no scripts, styles, forms or frames. */
export function articleHtml(html: string | null | undefined): string {
  if (!html) return '';
  return DOMPurify.sanitize(html, { ALLOWED_TAGS: ARTICLE_TAGS, ALLOWED_ATTR: ARTICLE_ATTRS, ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|\/(?!\/))/i });
}

/** Plain text of an HTML fragment (block ends become line breaks), for diffs and inserting as text. */
export function htmlToText(html: string): string {
  const withBreaks = html.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|div|li|h\d|tr|blockquote|pre)>/gi, '$&\n');
  const doc = new DOMParser().parseFromString(DOMPurify.sanitize(withBreaks), 'text/html');
  return (doc.body.textContent ?? '').replace(/\n{3,}/g, '\n\n').trim();
}

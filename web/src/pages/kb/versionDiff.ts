import { diffWordsWithSpace } from 'diff';
import { htmlToText } from '@/utils/safeHtml';

// What changed between an article version and the current text, word by word (jsdiff) over
// the plain text of title and body, as parts the versions panel shows as inserted/removed spans.

export interface DiffPart {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

export function articleText(v: { title: string; bodyHtml: string }): string {
  return `${v.title.trim()}\n\n${htmlToText(v.bodyHtml)}`;
}

/** The change from `before` to `after`; neighbouring parts of one kind are joined. */
export function textDiff(before: string, after: string): DiffPart[] {
  const parts: DiffPart[] = [];
  for (const c of diffWordsWithSpace(before, after)) {
    const kind: DiffPart['kind'] = c.added ? 'added' : c.removed ? 'removed' : 'same';
    const last = parts[parts.length - 1];
    if (last && last.kind === kind) last.text += c.value;
    else parts.push({ kind, text: c.value });
  }
  return parts;
}

/** The diff of two article versions (title and body). */
export function articleDiff(before: { title: string; bodyHtml: string }, after: { title: string; bodyHtml: string }): DiffPart[] {
  return textDiff(articleText(before), articleText(after));
}

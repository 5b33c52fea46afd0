import { afterEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import fc from 'fast-check';
import { fakeApi } from '@/test/helpers';
import { SUGGEST_DEBOUNCE_MS, suggestionQuery, useArticleSuggestions } from './useArticleSuggestions';
import { formatDate } from './useFormat';

const hit = (id: number, title: string) => ({
  id,
  title,
  type: 'article',
  score: 1,
  highlights: { title: `<mark>${title}</mark>` },
  article: { articleId: id, kbCategoryId: null, lang: 'en', slug: `s-${id}`, status: 'published', visibility: 'public' },
});

afterEach(() => vi.useRealTimers());

describe('suggestionQuery', () => {
  it('joins subject and description, and never exceeds 200 characters nor cuts a word', () => {
    expect(suggestionQuery('  Printer  jams ', ' every\nmorning ')).toBe('Printer jams every morning');
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 600 }), (s, d) => {
        const q = suggestionQuery(s, d);
        expect(q.length).toBeLessThanOrEqual(200);
        const full = `${s} ${d}`.replace(/\s+/g, ' ').trim();
        expect(full.startsWith(q)).toBe(true);
        if (q.length < full.length && q.includes(' ')) expect(full[q.length]).toBe(' ');
      }),
    );
  });
});

describe('useArticleSuggestions', () => {
  it('searches once typing pauses, marks the request as suggestions, and falls back to the subject alone', async () => {
    vi.useFakeTimers();
    const api = fakeApi({
      'GET /api/v1/public/kb/search': (c) => ({ body: { backend: 'postgres', total: 1, exhaustive: true, hits: c.query.get('q') === 'printer' ? [hit(4, 'Printer jams')] : [] } }),
    });
    const subject = ref('');
    const description = ref('');
    const scope = effectScope();
    const s = scope.run(() => useArticleSuggestions(subject, description))!;
    subject.value = 'prin';
    await nextTick();
    // A pause shorter than the debounce sends nothing.
    vi.advanceTimersByTime(SUGGEST_DEBOUNCE_MS - 1);
    subject.value = 'printer';
    description.value = 'it makes a noise';
    await nextTick();
    vi.advanceTimersByTime(SUGGEST_DEBOUNCE_MS - 1);
    expect(api.calls).toHaveLength(0);
    vi.advanceTimersByTime(1);
    await vi.waitFor(() => expect(s.hits.value.map((h) => h.id)).toEqual([4]));
    // The whole text first (nothing), then the subject alone.
    expect(api.calls.map((c) => c.query.get('q'))).toEqual(['printer it makes a noise', 'printer']);
    expect(api.calls.every((c) => c.query.get('source') === 'suggest' && c.query.get('limit') === '5')).toBe(true);
    expect(s.shownFor.value).toBe('printer it makes a noise');
    subject.value = '';
    description.value = '';
    await nextTick();
    vi.advanceTimersByTime(SUGGEST_DEBOUNCE_MS);
    await vi.waitFor(() => expect(s.hits.value).toEqual([]));
    scope.stop();
  });
});

describe('formatDate', () => {
  it('shows Persian dates in the Jalali calendar with Persian digits', () => {
    // 2026-03-21 is 1 Farvardin 1405.
    const fa = formatDate('2026-03-21T12:00:00Z', 'fa');
    expect(fa).toContain('۱۴۰۵');
    expect(fa).toContain('فروردین');
    expect(formatDate('2026-03-21T12:00:00Z', 'en')).toBe('March 21, 2026');
  });
});

import { onScopeDispose, ref, watch, type Ref } from 'vue';
import { kbApi } from '../api/kb';
import type { SearchHit } from '../api/types';
import { SUGGEST_DEBOUNCE_MS } from './suggestTiming';

export { SUGGEST_DEBOUNCE_MS };

// Knowledge-base articles that may answer the ticket being written: once typing pauses
// (SUGGEST_DEBOUNCE_MS), the subject and description are searched (public articles, at most
// five). The search wants every word, so when subject and description together find nothing,
// the subject alone is tried. A newer keystroke cancels the older request.

const LIMIT = 5;
const MAX_QUERY = 200;

/** The text to search: subject then description, cut at a word boundary to the API's length limit. */
export function suggestionQuery(subject: string, description: string): string {
  const text = `${subject} ${description}`.replace(/\s+/g, ' ').trim();
  if (text.length <= MAX_QUERY) return text;
  const cut = text.slice(0, MAX_QUERY);
  const space = cut.lastIndexOf(' ');
  return space > 0 ? cut.slice(0, space) : cut;
}

export function useArticleSuggestions(subject: Ref<string>, description: Ref<string>) {
  const hits = ref<SearchHit[]>([]);
  /** The query the shown hits answer (for tests and measurements). */
  const shownFor = ref('');
  const loading = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | null = null;

  async function run(s: string, d: string) {
    const query = suggestionQuery(s, d);
    controller?.abort();
    if (!query) {
      hits.value = [];
      shownFor.value = '';
      return;
    }
    const ac = (controller = new AbortController());
    loading.value = true;
    try {
      let res = await kbApi.search(query, { limit: LIMIT, signal: ac.signal, source: 'suggest' });
      const subjectOnly = suggestionQuery(s, '');
      if (res.hits.length === 0 && subjectOnly && subjectOnly !== query) res = await kbApi.search(subjectOnly, { limit: LIMIT, signal: ac.signal, source: 'suggest' });
      if (controller !== ac) return;
      hits.value = res.hits.filter((h) => h.article);
      shownFor.value = query;
    } catch (err) {
      // A cancelled or failed suggestion is no error to the customer: they can still submit.
      if ((err as { name?: string }).name !== 'AbortError' && controller === ac) hits.value = [];
    } finally {
      if (controller === ac) loading.value = false;
    }
  }

  watch([subject, description], ([s, d]) => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(s, d), SUGGEST_DEBOUNCE_MS);
  });
  onScopeDispose(() => {
    clearTimeout(timer);
    controller?.abort();
  });

  return { hits, shownFor, loading };
}

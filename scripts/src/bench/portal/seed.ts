import http from 'node:http';
import { request } from '../lib/load';

// About 1,000 published public knowledge-base articles for the portal benchmark, written through
// the API (as admins write them: sanitised, versioned, queued for the search index), every third
// one also in Persian. Titles and bodies are drawn from a small vocabulary so that a search word
// matches tens of articles, as a real help center's common words do.

const NOUNS = [
  'printer',
  'router',
  'invoice',
  'password',
  'laptop',
  'monitor',
  'mailbox',
  'backup',
  'keyboard',
  'headset',
  'license',
  'calendar',
  'scanner',
  'database',
  'firewall',
  'projector',
  'webcam',
  'tablet',
  'phone',
  'account',
];
const VERBS = ['reset', 'install', 'configure', 'update', 'replace', 'connect', 'restore', 'share', 'export', 'clean'];
const FILLER = [
  'first',
  'open',
  'settings',
  'then',
  'choose',
  'the',
  'option',
  'and',
  'confirm',
  'with',
  'your',
  'administrator',
  'if',
  'the',
  'problem',
  'remains',
  'restart',
  'device',
  'wait',
  'minute',
];
const FA_NOUNS = ['چاپگر', 'مسیریاب', 'صورتحساب', 'گذرواژه', 'لپ‌تاپ', 'نمایشگر', 'صندوق', 'پشتیبان', 'صفحه‌کلید', 'هدست'];
const FA_FILLER = ['نخست', 'تنظیمات', 'را', 'باز', 'کنید', 'سپس', 'گزینه', 'را', 'برگزینید', 'و', 'تأیید', 'کنید', 'اگر', 'مشکل', 'ماند', 'دستگاه', 'را', 'دوباره', 'راه‌اندازی', 'کنید'];

/** A deterministic pseudo-random sequence, so every run seeds the same articles. */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function paragraphs(words: readonly string[], lead: string, rnd: () => number, count: number): string {
  const out: string[] = [];
  for (let p = 0; p < count; p++) {
    const sentence = Array.from({ length: 40 }, () => words[Math.floor(rnd() * words.length)]!);
    out.push(`<p>${p === 0 ? `${lead} ` : ''}${sentence.join(' ')}.</p>`);
  }
  return out.join('');
}

export interface SeededArticles {
  count: number;
  persian: number;
  ms: number;
  /** lang/slug of every published translation (what the page benchmark requests). */
  pages: { lang: 'en' | 'fa'; slug: string }[];
  nouns: readonly string[];
}

export async function seedArticles(base: URL, adminToken: string, count: number, log: (m: string) => void): Promise<SeededArticles> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const rnd = lcg(20261203);
  const started = performance.now();
  const pages: SeededArticles['pages'] = [];
  let persian = 0;
  let next = 0;
  const one = async (i: number) => {
    const noun = NOUNS[i % NOUNS.length]!;
    const verb = VERBS[Math.floor(i / NOUNS.length) % VERBS.length]!;
    const translations: Record<string, unknown> = {
      en: { title: `How to ${verb} the ${noun} (${i + 1})`, bodyHtml: `<h2>Before you start</h2>${paragraphs(FILLER, `To ${verb} the ${noun}:`, rnd, 4)}`, status: 'published' },
    };
    if (i % 3 === 0) {
      const faNoun = FA_NOUNS[i % FA_NOUNS.length]!;
      translations.fa = { title: `راهنمای ${faNoun} شماره ${i + 1}`, bodyHtml: paragraphs(FA_FILLER, `برای ${faNoun}:`, rnd, 4), status: 'published' };
    }
    const r = await request(agent, base, 'POST', '/api/v1/kb/articles', { token: adminToken, body: { visibility: 'public', tags: [noun], translations } });
    if (r.status !== 201) throw new Error(`seeding article ${i} failed: ${r.status} ${r.body}`);
    const body = JSON.parse(r.body) as { translations: Record<'en' | 'fa', { slug: string } | undefined> };
    pages.push({ lang: 'en', slug: body.translations.en!.slug });
    if (body.translations.fa) {
      pages.push({ lang: 'fa', slug: body.translations.fa.slug });
      persian++;
    }
    if ((i + 1) % 250 === 0) log(`seeded ${i + 1}/${count} articles`);
  };
  const worker = async () => {
    while (next < count) await one(next++);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  agent.destroy();
  return { count, persian, ms: performance.now() - started, pages, nouns: NOUNS };
}

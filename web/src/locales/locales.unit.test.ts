import { describe, expect, it } from 'vitest';
import { messages } from './index';

// Persian must translate every English message (and nothing else), and keep its placeholders.
function leaves(obj: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'string') out.set(key, v);
    else for (const [kk, vv] of leaves(v, key)) out.set(kk, vv);
  }
  return out;
}

const placeholders = (s: string) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

describe('locales', () => {
  const { $vuetify: _en, ...en } = messages.en;
  const { $vuetify: _fa, ...fa } = messages.fa;
  const enLeaves = leaves(en);
  const faLeaves = leaves(fa);

  it('fa has exactly the keys of en', () => {
    expect([...faLeaves.keys()].sort()).toEqual([...enLeaves.keys()].sort());
  });

  it('every fa message keeps the placeholders of its English source and is not English', () => {
    for (const [key, source] of enLeaves) {
      const translated = faLeaves.get(key)!;
      expect(placeholders(translated), key).toEqual(placeholders(source));
      const brand = /^(API|SLA|English|Ctrl\+Enter)/.test(source) || key === 'common.locale.en' || key === 'common.locale.fa' || key === 'ticket.sla.title';
      if (!brand && /[a-z]{3}/i.test(source.replace(/\{\w+\}/g, ''))) expect(translated, key).toMatch(/[\u0600-\u06FF]/);
    }
  });

  it('no message uses characters vue-i18n would treat as syntax by accident', () => {
    for (const [key, s] of [...enLeaves, ...faLeaves]) expect(s, key).not.toMatch(/@|\$|%\{/);
  });
});

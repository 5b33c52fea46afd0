import { describe, expect, it } from 'vitest';
import en from './en';
import fa from './fa';

// Every portal string exists in both languages, and none is empty.

function keys(o: object, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}
function values(o: object): string[] {
  return Object.values(o).flatMap((v) => (typeof v === 'object' && v !== null ? values(v) : [String(v)]));
}

describe('portal catalogue', () => {
  it('has the same keys in English and Persian', () => {
    expect(keys(fa).sort()).toEqual(keys(en).sort());
  });

  it('has no empty message, and the Persian one is in Persian', () => {
    for (const v of [...values(en), ...values(fa)]) expect(v.trim().length).toBeGreaterThan(0);
    const persian = values(fa).filter((v) => /[\u0600-\u06FF]/.test(v));
    expect(persian.length).toBe(values(fa).length);
  });

  it('keeps the same placeholders in both languages', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    const faValues = new Map(keys(fa).map((k, i) => [k, values(fa)[i]!]));
    keys(en).forEach((k, i) => expect(placeholders(faValues.get(k)!), k).toEqual(placeholders(values(en)[i]!)));
  });
});

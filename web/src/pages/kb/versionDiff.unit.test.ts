import { describe, expect, it } from 'vitest';
import { articleDiff, textDiff } from './versionDiff';

describe('article version diff', () => {
  it('marks inserted and removed words, keeping the rest', () => {
    const parts = textDiff('Restart the router twice', 'Restart the modem twice');
    expect(parts.filter((p) => p.kind === 'removed').map((p) => p.text.trim())).toEqual(['router']);
    expect(parts.filter((p) => p.kind === 'added').map((p) => p.text.trim())).toEqual(['modem']);
    expect(parts.map((p) => (p.kind === 'removed' ? '' : p.text)).join('')).toBe('Restart the modem twice');
    expect(parts.map((p) => (p.kind === 'added' ? '' : p.text)).join('')).toBe('Restart the router twice');
  });

  it('compares the plain text of title and body, not the markup', () => {
    const parts = articleDiff({ title: 'رمز عبور', bodyHtml: '<p>گام <strong>اول</strong></p>' }, { title: 'رمز عبور', bodyHtml: '<p>گام <em>اول</em></p><p>گام دوم</p>' });
    expect(parts.some((p) => p.kind === 'removed')).toBe(false);
    expect(
      parts
        .filter((p) => p.kind === 'added')
        .map((p) => p.text)
        .join(''),
    ).toContain('گام دوم');
    expect(parts[0]).toMatchObject({ kind: 'same' });
    expect(parts[0]!.text.startsWith('رمز عبور\n\nگام اول')).toBe(true);
  });

  it('an unchanged version has no inserted or removed parts', () => {
    expect(articleDiff({ title: 'A', bodyHtml: '<p>b</p>' }, { title: 'A', bodyHtml: '<p>b</p>' })).toEqual([{ kind: 'same', text: 'A\n\nb' }]);
  });
});

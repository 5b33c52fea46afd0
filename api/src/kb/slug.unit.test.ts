import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { freeSlug, isSlug, slugify, SLUG_MAX } from './slug';
import { imageFilename } from './images-routes';

describe('slugify', () => {
  it.each([
    ['Reset a forgotten password', 'reset-a-forgotten-password'],
    ['  VPN: connects, but -- websites do not load!  ', 'vpn-connects-but-websites-do-not-load'],
    ['Café déjà vu', 'cafe-deja-vu'],
    ['Printer #3 (2nd floor)', 'printer-3-2nd-floor'],
    ['بازنشانی گذرواژهٔ فراموش‌شده', 'بازنشانی-گذرواژه-فراموش-شده'],
    ['راهنماي كار با چاپگر', 'راهنمای-کار-با-چاپگر'],
    ['وی‌پی‌ان ۱۴۰۳', 'وی-پی-ان-۱۴۰۳'],
    ['!!!', ''],
  ])('%s → %s', (title, slug) => {
    expect(slugify(title)).toBe(slug);
  });

  it('makes well-formed slugs of at most SLUG_MAX characters from any title (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 400 }), (title) => {
        const slug = slugify(title);
        expect(slug.length).toBeLessThanOrEqual(SLUG_MAX);
        if (slug) expect(isSlug(slug)).toBe(true);
      }),
    );
  });

  it('cuts long titles at a word boundary', () => {
    const slug = slugify('word '.repeat(100));
    expect(slug.length).toBeLessThanOrEqual(SLUG_MAX);
    expect(slug.endsWith('word')).toBe(true);
  });
});

describe('isSlug', () => {
  it.each(['a', 'a-b', 'vpn-2', 'تغییر-گذرواژه', '۱۲۳'])('accepts %s', (s) => expect(isSlug(s)).toBe(true));
  it.each(['', '-a', 'a-', 'a--b', 'A', 'a b', 'a/b', 'a_b', 'é'.normalize('NFD'), 'x'.repeat(SLUG_MAX + 1)])('refuses %j', (s) => expect(isSlug(s)).toBe(false));
});

describe('freeSlug', () => {
  it('appends -2, -3… to a taken slug, keeping within SLUG_MAX', async () => {
    const taken = new Set(['vpn', 'vpn-2']);
    expect(await freeSlug('vpn', async (c) => taken.has(c))).toBe('vpn-3');
    expect(await freeSlug('printer', async (c) => taken.has(c))).toBe('printer');
    const long = 'x'.repeat(SLUG_MAX);
    const next = await freeSlug(long, async (c) => c === long);
    expect(next).toBe(`${'x'.repeat(SLUG_MAX - 2)}-2`);
  });
});

describe('imageFilename', () => {
  it.each([
    ['photo.PNG', 'png', 'photo.png'],
    ['C:\\Users\\me\\shot 1.jpeg', 'jpg', 'shot-1.jpg'],
    ['../../etc/passwd', 'gif', 'passwd.gif'],
    ['"<img>"?#%.webp', 'webp', 'img.webp'],
    ['تصویر صفحه.png', 'png', 'تصویر-صفحه.png'],
    ['', 'png', 'image.png'],
    ['.hidden', 'png', 'image.png'],
  ])('%j → %s', (name, ext, expected) => {
    expect(imageFilename(name, ext)).toBe(expected);
  });
});

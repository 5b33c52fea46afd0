import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sanitizeArticleHtml, sanitizeRichText } from './sanitize';

const html = (input: string) => sanitizeRichText(input).html;
const FORCED = 'rel="noopener noreferrer nofollow" target="_blank"';

describe('sanitizeRichText: links', () => {
  it('keeps the rel and target it adds to every link', () => {
    expect(html('<p><a href="https://example.com/x?a=1&amp;b=2" title="Docs">docs</a></p>')).toBe(`<p><a href="https://example.com/x?a=1&amp;b=2" title="Docs" ${FORCED}>docs</a></p>`);
    expect(html('<a href="mailto:help@example.com">mail us</a>')).toBe(`<a href="mailto:help@example.com" ${FORCED}>mail us</a>`);
  });

  it.each([
    ['<a href="https://e.test/" rel="opener" target="_self">x</a>'],
    ['<a href="https://e.test/" target="_top" rel="noopener">x</a>'],
    ['<a href="https://e.test/" target="console-window" rel="noopener noreferrer nofollow opener">x</a>'],
    ['<a href="https://e.test/" REL="opener" Target="_parent">x</a>'],
  ])('replaces a client-sent rel/target: %s', (input) => {
    expect(html(input)).toBe(`<a href="https://e.test/" ${FORCED}>x</a>`);
  });

  it('never lets a client-sent rel or target through, whatever its value (property, seeded)', () => {
    const value = fc.string({ unit: 'grapheme-ascii', maxLength: 40 });
    fc.assert(
      fc.property(value, value, (rel, target) => {
        const attr = (v: string) => v.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
        const out = html(`<a href="https://e.test/" rel="${attr(rel)}" target="${attr(target)}">x</a>`);
        expect(out).toBe(`<a href="https://e.test/" ${FORCED}>x</a>`);
      }),
      { seed: 8_2026, numRuns: 300 },
    );
  });
});

describe('sanitizeRichText: what is still removed', () => {
  it.each([
    ['javascript:', '<a href="javascript:alert(1)">l</a>'],
    ['mixed-case javascript:', '<a href="JaVaScRiPt:alert(1)">l</a>'],
    ['entity-encoded javascript:', '<a href="&#106;avascript:alert(1)">l</a>'],
    ['javascript: with a tab', '<a href="java\tscript:alert(1)">l</a>'],
    ['javascript: after spaces', '<a href="  javascript:alert(1)">l</a>'],
    ['data:', '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">l</a>'],
    ['vbscript:', '<a href="vbscript:msgbox(1)">l</a>'],
  ])('drops a %s href but keeps the link text', (_, input) => {
    expect(html(input)).toBe(`<a ${FORCED}>l</a>`);
  });

  it('drops event handlers, styles, classes and ids, keeping dir and lang', () => {
    const out = html('<p onclick="x()" style="position:fixed" class="c" id="i" dir="rtl" lang="fa">سلام <a href="https://e.test/" onmouseover="y()" style="color:red">x</a></p>');
    expect(out).toBe(`<p dir="rtl" lang="fa">سلام <a href="https://e.test/" ${FORCED}>x</a></p>`);
  });

  it.each([
    ['<script>alert(1)</script>ok', 'ok'],
    ['<style>p{display:none}</style>ok', 'ok'],
    ['<img src=x onerror=alert(1)>ok', 'ok'],
    ['<iframe src="https://e.test/"></iframe>ok', 'ok'],
    ['<object data="x.swf"></object><embed src="x.swf">ok', 'ok'],
    ['<form action="https://e.test/"><input name="p"><button>go</button></form>ok', 'gook'],
    ['<svg><a href="javascript:alert(1)">s</a></svg>ok', `<a ${FORCED}>s</a>ok`],
    ['<math><mi xlink:href="javascript:alert(1)">m</mi></math>ok', 'mok'],
  ])('removes dangerous markup: %s', (input, expected) => {
    expect(html(input)).toBe(expected);
  });

  it('renders the plain text without the added attributes', () => {
    expect(sanitizeRichText('<p>Read <a href="https://e.test/">the guide</a></p><p>then reply</p>').text).toBe('Read the guide\nthen reply');
  });
});

describe('sanitizeArticleHtml: knowledge-base bodies', () => {
  it('keeps images uploaded to the knowledge base and drops every other image', () => {
    const html =
      '<p>a<img src="/api/v1/kb/images/12/shot.png" alt="Shot" onerror="x()" style="width:9px">' +
      '<img src="https://tracker.example/p.gif"><img src="//evil.example/x.png"><img src="/api/v1/kb/images/0/x.png">' +
      '<img src="/api/v1/kb/images/3/../../secret"><img src="javascript:alert(1)"><img>b</p>';
    expect(sanitizeArticleHtml(html)).toEqual({ html: '<p>a<img src="/api/v1/kb/images/12/shot.png" alt="Shot" />b</p>', text: 'ab' });
  });

  it('otherwise follows the rich-text rules (scripts, handlers and styles removed, links made safe)', () => {
    const html = '<h2 onclick="x()">Title</h2><script>alert(1)</script><p style="color:red"><a href="https://example.com" target="_self">link</a></p>';
    expect(sanitizeArticleHtml(html).html).toBe(sanitizeRichText(html).html);
    expect(sanitizeRichText('<img src="/api/v1/kb/images/12/shot.png">').html).toBe('');
  });
});

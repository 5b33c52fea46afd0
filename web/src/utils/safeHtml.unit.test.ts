import { describe, expect, it } from 'vitest';
import { highlightHtml, htmlToText } from './safeHtml';

// Note: DOMPurify under happy-dom sanitises only the first top-level node (happy-dom's node
// iterator), so article bodies (articleHtml) are checked in Chromium (web/e2e/search-kb); the
// highlight filter does not depend on it, since it escapes whatever is not a bare <mark>.

describe('safe HTML for v-html', () => {
  it('search highlights keep <mark> and nothing else', () => {
    const out = highlightHtml('a <mark>vpn</mark> <img src=x onerror="alert(1)"><script>alert(2)</script><b>b</b> &lt;i&gt;');
    const div = document.createElement('div');
    div.innerHTML = out;
    expect([...div.querySelectorAll('*')].map((e) => e.tagName)).toEqual(['MARK']);
    expect(div.querySelector('mark')!.textContent).toBe('vpn');
    expect(div.textContent).toContain('<i>');
    expect(highlightHtml(undefined)).toBe('');
  });

  it('plain text of an article keeps paragraphs apart', () => {
    expect(htmlToText('<p>One</p><p>Two <strong>three</strong></p>')).toBe('One\nTwo three');
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isApiError, openAttachment, setToken } from '@/api/client';
import { fakeApi } from '@/test/helpers';

// Opening an attachment must leave the file to the server (its sandbox headers come with it):
// the console only fetches a signed link, never the file itself as a same-origin blob: URL.

const LINK = { url: '/api/v1/attachments/5/download?token=7.1800000060.sig', expiresAt: '2027-01-15T08:01:00.000Z' };
const FILE = { id: 5, filename: 'page.html' };

describe('openAttachment', () => {
  let blobUrl: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    setToken('mdk_agent');
    blobUrl = vi.spyOn(URL, 'createObjectURL');
  });
  afterEach(() => {
    setToken(null);
    vi.restoreAllMocks();
  });

  function fakeTab() {
    const tab = { opener: window as unknown, location: { href: '' }, close: vi.fn() };
    vi.spyOn(window, 'open').mockReturnValue(tab as unknown as Window);
    return tab;
  }

  it('opens the signed server URL in a new tab, cut off from the console', async () => {
    const api$ = fakeApi({ 'POST /api/v1/attachments/5/link': { body: LINK } });
    const tab = fakeTab();
    await openAttachment(FILE);
    expect(window.open).toHaveBeenCalledWith('', '_blank');
    expect(api$.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /api/v1/attachments/5/link']); // the file itself is not fetched
    expect(api$.calls[0]!.headers.get('authorization')).toBe('Bearer mdk_agent');
    expect(tab.location.href).toBe(new URL(LINK.url, window.location.origin).href);
    expect(tab.opener).toBeNull();
    expect(blobUrl).not.toHaveBeenCalled();
  });

  it('downloads the same server URL when pop-ups are blocked', async () => {
    fakeApi({ 'POST /api/v1/attachments/5/link': { body: LINK } });
    vi.spyOn(window, 'open').mockReturnValue(null);
    const clicked: HTMLAnchorElement[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    await openAttachment(FILE);
    expect(clicked).toHaveLength(1);
    expect(clicked[0]!.href).toBe(new URL(LINK.url, window.location.origin).href);
    expect(clicked[0]!.download).toBe('page.html');
    expect(blobUrl).not.toHaveBeenCalled();
  });

  it("closes the tab and throws the server's message when the link is refused", async () => {
    fakeApi({ 'POST /api/v1/attachments/5/link': { status: 404, body: { error: { code: 'not_found', message: 'Attachment 5 not found' } } } });
    const tab = fakeTab();
    const err = await openAttachment(FILE).catch((e: unknown) => e);
    expect(isApiError(err) && err.status === 404 && err.message === 'Attachment 5 not found').toBe(true);
    expect(tab.close).toHaveBeenCalled();
    expect(tab.location.href).toBe('');
  });
});

import { vi } from 'vitest';

// A stand-in for XMLHttpRequest (uploads report progress through it, which fetch cannot): each
// request is recorded and waits until the test answers it, reports progress or aborts it.

export interface ProgressLike {
  loaded: number;
  total: number;
  lengthComputable: boolean;
}

export class FakeXhr {
  static requests: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = '';
  responseType = '';
  aborted = false;
  upload: { onprogress: ((e: ProgressLike) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;

  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(name: string, value: string) {
    this.headers[name.toLowerCase()] = value;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.requests.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }

  /** The uploaded file's name, as the form carries it. */
  get fileName(): string {
    const f = this.body?.get('file');
    return f instanceof File ? f.name : '';
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    this.onload?.();
  }
}

/** Replace XMLHttpRequest for this test; returns the recorded requests. */
export function fakeXhr(): typeof FakeXhr.requests {
  FakeXhr.requests = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  return FakeXhr.requests;
}

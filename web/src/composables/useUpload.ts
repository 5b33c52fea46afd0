import { computed, ref } from 'vue';
import { api, apiErrorFrom, getToken, unwrap, type FieldError } from '@/api/client';
import type { components } from '@/api/schema';

// Uploading files for a new ticket, reply or note (POST /api/v1/uploads), shared by the console
// and the customer portal: no UI in here. XMLHttpRequest rather than fetch because only it reports
// upload progress; each file can be aborted. Every failure is an UploadError with a code a UI can
// name in its own words (`too_large`, `type_mismatch`, …) and the server's message besides.
// Files are checked against the server's limits (GET /api/v1/uploads/limits) before sending, so a
// browser never streams 100 MB only to hear "too large".

export type UploadedFile = components['schemas']['Attachment'];
export type UploadLimits = components['schemas']['UploadLimits'];

/** Why a file did not upload. Server codes are mapped to these; anything else is `failed`. */
export type UploadErrorCode = 'too_large' | 'too_many' | 'type_mismatch' | 'type_not_allowed' | 'empty' | 'rate_limited' | 'aborted' | 'network' | 'failed';

const SERVER_CODES: Record<string, UploadErrorCode> = {
  file_too_large: 'too_large',
  payload_too_large: 'too_large',
  file_type_mismatch: 'type_mismatch',
  file_type_not_allowed: 'type_not_allowed',
  empty_file: 'empty',
  rate_limited: 'rate_limited',
  upload_aborted: 'aborted',
};

export class UploadError extends Error {
  constructor(
    readonly code: UploadErrorCode,
    message: string,
    /** HTTP status; 0 when no answer came (network, abort) or the check was local. */
    readonly status = 0,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
    this.name = 'UploadError';
  }
}

export interface UploadOptions {
  onProgress?: (loaded: number, total: number) => void;
  signal?: AbortSignal;
  /** Defaults to the console's origin. */
  baseUrl?: string;
}

/** Upload one file; resolves with the pending attachment whose id goes into `attachmentIds`. */
export function uploadFile(file: Blob & { name?: string }, options: UploadOptions = {}): Promise<UploadedFile> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(new UploadError('aborted', 'The upload was cancelled'));
    const xhr = new XMLHttpRequest();
    const origin = options.baseUrl ?? (globalThis.location?.origin && globalThis.location.origin !== 'null' ? globalThis.location.origin : '');
    xhr.open('POST', `${origin}/api/v1/uploads`);
    const token = getToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    const onAbort = () => xhr.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => options.signal?.removeEventListener('abort', onAbort);
    xhr.upload.onprogress = (e) => options.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      done();
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        /* not JSON: a proxy's page */
      }
      if (xhr.status === 201) return resolve(body as UploadedFile);
      const err = apiErrorFrom(xhr.status, body);
      reject(new UploadError(SERVER_CODES[err.code] ?? (xhr.status === 413 ? 'too_large' : 'failed'), err.message, xhr.status, err.fields));
    };
    xhr.onerror = () => {
      done();
      reject(new UploadError('network', 'The upload could not reach the server'));
    };
    xhr.onabort = () => {
      done();
      reject(new UploadError('aborted', 'The upload was cancelled'));
    };
    const form = new FormData();
    form.append('file', file, file.name ?? 'file');
    xhr.send(form);
  });
}

let limitsRequest: Promise<UploadLimits> | null = null;

/** The server's upload limits, asked once per page load (shared by every picker). */
export function loadUploadLimits(force = false): Promise<UploadLimits> {
  if (!limitsRequest || force) {
    limitsRequest = unwrap(api.GET('/api/v1/uploads/limits'));
    limitsRequest.catch(() => (limitsRequest = null));
  }
  return limitsRequest;
}

export interface UploadItem {
  key: number;
  name: string;
  size: number;
  /** 0..1 */
  progress: number;
  status: 'uploading' | 'done' | 'error';
  error: UploadError | null;
  result: UploadedFile | null;
}

/** Whether a browser's idea of a file's type passes the allowed list (the server decides by the bytes). */
function plausibleType(allowed: readonly string[], type: string): boolean {
  if (allowed.length === 0 || !type) return true;
  return allowed.some((a) => a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

/**
 * A list of files being uploaded for one message: add files (they start at once), watch their
 * progress, remove or cancel one, read the ids of those done. `clear()` after the message is sent.
 */
export function useUpload() {
  const items = ref<UploadItem[]>([]);
  const limits = ref<UploadLimits | null>(null);
  const limitsError = ref<Error | null>(null);
  const controllers = new Map<number, AbortController>();
  let nextKey = 1;

  async function ensureLimits(): Promise<UploadLimits | null> {
    if (limits.value) return limits.value;
    try {
      limits.value = await loadUploadLimits();
      limitsError.value = null;
    } catch (err) {
      limitsError.value = err instanceof Error ? err : new Error(String(err));
    }
    return limits.value;
  }

  const item = (key: number) => items.value.find((i) => i.key === key);

  function fail(key: number, error: UploadError) {
    const it = item(key);
    if (it) Object.assign(it, { status: 'error', error });
  }

  /** The problem the limits already show, without sending anything. */
  function precheck(file: File, l: UploadLimits | null, accepted: number): UploadError | null {
    if (file.size === 0) return new UploadError('empty', 'The file is empty');
    if (!l) return null;
    if (file.size > l.maxFileBytes) return new UploadError('too_large', `The file is larger than ${l.maxFileBytes} bytes`);
    if (accepted >= l.maxFilesPerMessage) return new UploadError('too_many', `At most ${l.maxFilesPerMessage} files per message`);
    if (!plausibleType(l.allowedTypes, file.type)) return new UploadError('type_not_allowed', `Files of type ${file.type} are not accepted`);
    return null;
  }

  async function add(files: Iterable<File> | ArrayLike<File>): Promise<void> {
    // Copied first: a FileList is live, and an input is cleared as soon as its files are taken.
    const list = Array.from(files);
    const l = await ensureLimits();
    for (const file of list) {
      const key = nextKey++;
      const accepted = items.value.filter((i) => i.status !== 'error').length;
      items.value.push({ key, name: file.name, size: file.size, progress: 0, status: 'uploading', error: null, result: null });
      const problem = precheck(file, l, accepted);
      if (problem) {
        fail(key, problem);
        continue;
      }
      const controller = new AbortController();
      controllers.set(key, controller);
      uploadFile(file, {
        signal: controller.signal,
        onProgress: (loaded, total) => {
          const it = item(key);
          if (it && total > 0) it.progress = Math.min(1, loaded / total);
        },
      })
        .then((result) => {
          const it = item(key);
          if (it) Object.assign(it, { status: 'done', progress: 1, result });
        })
        .catch((err: unknown) => fail(key, err instanceof UploadError ? err : new UploadError('failed', String(err))))
        .finally(() => controllers.delete(key));
    }
  }

  /** Take a file off the list, cancelling its upload if it is still running. */
  function remove(key: number): void {
    controllers.get(key)?.abort();
    controllers.delete(key);
    items.value = items.value.filter((i) => i.key !== key);
  }

  /** Forget every file (after the message was sent, or to start over), cancelling running uploads. */
  function clear(): void {
    for (const c of controllers.values()) c.abort();
    controllers.clear();
    items.value = [];
  }

  /** Mark files the server refused when the message was sent (`attachmentIds.2` → the third done file). */
  function refuse(fields: readonly FieldError[]): boolean {
    const done = items.value.filter((i) => i.status === 'done');
    let matched = false;
    for (const f of fields) {
      const m = /(?:^|\.)attachmentIds\.(\d+)$/.exec(f.path);
      const it = m ? done[Number(m[1])] : undefined;
      if (it) {
        Object.assign(it, { status: 'error', error: new UploadError('failed', f.message, 422) });
        matched = true;
      }
    }
    return matched;
  }

  const ids = computed(() => items.value.filter((i) => i.status === 'done' && i.result).map((i) => i.result!.id));
  const busy = computed(() => items.value.some((i) => i.status === 'uploading'));
  const failed = computed(() => items.value.filter((i) => i.status === 'error'));

  return { items, limits, limitsError, ids, busy, failed, ensureLimits, add, remove, clear, refuse };
}

export type Uploads = ReturnType<typeof useUpload>;

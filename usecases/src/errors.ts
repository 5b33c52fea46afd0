// Errors of the use cases: what went wrong, in the domain's terms (a kind, a stable code, the
// fields at fault), so every entry point maps them to its own protocol — the API to HTTP
// statuses (api/src/http/errors.ts), the inbound mail processor to a retry or a failed mail.

export type DomainErrorKind = 'invalid' | 'forbidden' | 'not_found' | 'conflict' | 'unprocessable' | 'unavailable' | 'overloaded';

export interface FieldProblem {
  path: string;
  message: string;
  /** RFC 6901 pointer into the input, where a client edits JSON documents (rules). */
  pointer?: string;
}

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    readonly code: string,
    message: string,
    readonly fields?: FieldProblem[],
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalidInput = (message: string, fields?: FieldProblem[]) => new DomainError('invalid', 'bad_request', message, fields);
export const conflictWith = (code: string, message: string) => new DomainError('conflict', code, message);
export const cannotProcess = (code: string, message: string, fields?: FieldProblem[]) => new DomainError('unprocessable', code, message, fields);
export const unavailableNow = (message: string) => new DomainError('unavailable', 'unavailable', message);

import { describe, expect, it } from 'vitest';
import { STATUSES, allowedTransitions } from '@mehrdesk/core/domain';
import { TRANSITIONS } from './types';

// The console offers the status changes of its own copy of the status graph (it imports only the
// generated API client): it must be the server's graph exactly, or it offers changes the
// workflow refuses, or hides ones it allows.
describe('the console status graph', () => {
  it.each(STATUSES)('from %s: the same transitions as the server', (status) => {
    expect([...TRANSITIONS[status]].sort()).toEqual([...allowedTransitions(status)].sort());
  });

  it('knows every status and no other', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STATUSES].sort());
  });
});

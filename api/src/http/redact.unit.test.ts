import { describe, expect, it } from 'vitest';
import { redactRequest } from './redact';

describe('request log redaction', () => {
  it('hides bearer tokens, cookies and link tokens, and keeps the rest', () => {
    const out = redactRequest({
      id: 'r1',
      method: 'GET',
      url: '/api/v1/attachments/7/download?token=12.1700000000.abcDEF&x=1',
      query: { token: '12.1700000000.abcDEF', x: '1' },
      headers: { authorization: 'Bearer mdk_secret', Cookie: 'sid=1', accept: 'application/json' },
    });
    expect(out).toEqual({
      id: 'r1',
      method: 'GET',
      url: '/api/v1/attachments/7/download?token=[redacted]&x=1',
      query: { token: '[redacted]', x: '1' },
      headers: { authorization: '[redacted]', Cookie: '[redacted]', accept: 'application/json' },
    });
    expect(JSON.stringify(out)).not.toMatch(/mdk_secret|abcDEF|sid=1/);
  });

  it('leaves requests without credentials as they are', () => {
    const req = { method: 'GET', url: '/api/v1/tickets?q=token', query: { q: 'token' }, headers: { accept: '*/*' } };
    expect(redactRequest(req)).toEqual(req);
  });
  it('hides the token of a survey link in the path', () => {
    const req = { method: 'POST', url: '/api/v1/public/surveys/eyJwIjoic3VydmV5In0.MAC-part_x?rating=good', headers: {} };
    expect(redactRequest(req).url).toBe('/api/v1/public/surveys/[redacted]?rating=good');
    expect(redactRequest({ url: '/api/v1/tickets/5/survey' }).url).toBe('/api/v1/tickets/5/survey');
  });
});

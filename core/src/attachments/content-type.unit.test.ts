import { describe, expect, it } from 'vitest';
import { contradictedClaim, detectContentType, typeAllowed, typeOfFilename } from './content-type';

// A 1×1 transparent PNG and a minimal PDF header: real signatures, as mail clients send them.
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');

describe('detectContentType', () => {
  it('confirms a truthful claim', async () => {
    expect(await detectContentType('image/png', PNG)).toEqual({ contentType: 'image/png', declaredMismatch: null });
    expect(await detectContentType('application/pdf; name="a.pdf"', PDF)).toEqual({ contentType: 'application/pdf', declaredMismatch: null });
  });

  it('believes the bytes over the label', async () => {
    expect(await detectContentType('application/octet-stream', PNG)).toEqual({ contentType: 'image/png', declaredMismatch: 'application/octet-stream' });
    expect(await detectContentType('text/plain', PDF)).toEqual({ contentType: 'application/pdf', declaredMismatch: 'text/plain' });
  });

  it('refuses an image or PDF claim the bytes do not back', async () => {
    expect(await detectContentType('image/png', HTML)).toEqual({ contentType: 'application/octet-stream', declaredMismatch: 'image/png' });
    expect(await detectContentType('image/svg+xml', HTML)).toEqual({ contentType: 'application/octet-stream', declaredMismatch: 'image/svg+xml' });
    expect(await detectContentType('application/pdf', HTML)).toEqual({ contentType: 'application/octet-stream', declaredMismatch: 'application/pdf' });
  });

  it('keeps undetectable text types, normalised, and replaces nonsense', async () => {
    expect(await detectContentType('Text/CSV; charset=utf-8', Buffer.from('a,b\n1,2\n'))).toEqual({ contentType: 'text/csv', declaredMismatch: null });
    expect(await detectContentType('not a type', Buffer.from('hello'))).toEqual({ contentType: 'application/octet-stream', declaredMismatch: 'not a type' });
    expect(await detectContentType('', Buffer.alloc(0))).toEqual({ contentType: 'application/octet-stream', declaredMismatch: '' });
  });
});

describe('contradictedClaim (uploads refuse disguised files)', () => {
  it('names a claim with a signature that the bytes are not', () => {
    expect(contradictedClaim(['image/png', typeOfFilename('photo.png')], null)).toBe('image/png');
    expect(contradictedClaim(['application/octet-stream', typeOfFilename('invoice.pdf')], 'application/x-msdownload')).toBe('application/pdf');
    expect(contradictedClaim(['image/jpeg', null], 'image/png')).toBe('image/jpeg');
  });

  it('lets confirmed, generic and unverifiable claims pass', () => {
    expect(contradictedClaim(['image/png; charset=binary', typeOfFilename('a.PNG')], 'image/png')).toBeNull();
    expect(contradictedClaim(['application/octet-stream', typeOfFilename('data.bin')], 'image/png')).toBeNull();
    expect(contradictedClaim(['text/csv', typeOfFilename('export.csv')], null)).toBeNull();
    expect(contradictedClaim(['application/xml', typeOfFilename('feed.xml')], null)).toBeNull();
    expect(contradictedClaim(['', typeOfFilename('README')], null)).toBeNull();
    expect(contradictedClaim(['not a type', null], 'application/pdf')).toBeNull();
  });
});

describe('typeAllowed', () => {
  it('matches exact types and type/* families; an empty list allows all', () => {
    expect(typeAllowed([], 'application/x-msdownload')).toBe(true);
    expect(typeAllowed(['image/*', 'application/pdf'], 'image/webp')).toBe(true);
    expect(typeAllowed(['image/*', 'application/pdf'], 'application/pdf')).toBe(true);
    expect(typeAllowed(['image/*', 'application/pdf'], 'text/html')).toBe(false);
    expect(typeAllowed(['image/png'], 'image/jpeg')).toBe(false);
  });
});

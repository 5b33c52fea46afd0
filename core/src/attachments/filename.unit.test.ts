import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_FILENAME_LENGTH, normaliseFilename } from './filename';

// Upload file names are open input: whatever a client sends, the stored name is short, visible,
// path-free and storable, and normalising it again changes nothing.

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;

describe('normaliseFilename', () => {
  it('keeps ordinary names, Persian ones included', () => {
    expect(normaliseFilename('report.pdf')).toBe('report.pdf');
    expect(normaliseFilename('گزارش نهایی.xlsx')).toBe('گزارش نهایی.xlsx');
    expect(normaliseFilename('Screen Shot 2026-01-02 at 10.11.12.png')).toBe('Screen Shot 2026-01-02 at 10.11.12.png');
  });

  it('drops paths, control and bidi characters, and characters file systems refuse', () => {
    expect(normaliseFilename('C:\\Users\\me\\secret.txt')).toBe('secret.txt');
    expect(normaliseFilename('../../etc/passwd')).toBe('passwd');
    expect(normaliseFilename('in\u0000voice\r\n.pdf')).toBe('invoice.pdf');
    // "invoice‮fdp.exe" shows as "invoiceexe.pdf" in a right-to-left override.
    expect(normaliseFilename('invoice\u202efdp.exe')).toBe('invoicefdp.exe');
    expect(normaliseFilename('a<b>:c"d|e?f*.txt')).toBe('a_b__c_d_e_f_.txt');
    expect(normaliseFilename('zero\u200bwidth\ufeff.txt')).toBe('zerowidth.txt');
  });

  it('never leaves a hidden, empty or dot-only name', () => {
    expect(normaliseFilename('.htaccess')).toBe('htaccess');
    expect(normaliseFilename('..')).toBe('attachment');
    expect(normaliseFilename('')).toBe('attachment');
    expect(normaliseFilename(' \u202e\u0000 ')).toBe('attachment');
    expect(normaliseFilename('name. . .')).toBe('name');
  });

  it('shortens overlong names and keeps the extension', () => {
    const long = `${'ن'.repeat(500)}.docx`;
    const out = normaliseFilename(long);
    expect([...out]).toHaveLength(MAX_FILENAME_LENGTH);
    expect(out.endsWith('.docx')).toBe(true);
    expect([...normaliseFilename('x'.repeat(1000))]).toHaveLength(MAX_FILENAME_LENGTH);
  });

  it('property: any input gives a short, visible, storable, idempotent name', () => {
    const nasty = fc.constantFrom('\u0000', '\u202e', '\u2066', '\u200f', '\ufeff', '\ud800', '\udfff', '/', '\\', '.', ' ', '\n', '\t', '"', 'ی', 'é', 'e\u0301', '😀');
    const input = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.array(fc.oneof(nasty, fc.string({ maxLength: 3 })), { maxLength: 300 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(input, (raw) => {
        const out = normaliseFilename(raw);
        expect(out.length).toBeGreaterThan(0);
        expect([...out].length).toBeLessThanOrEqual(MAX_FILENAME_LENGTH);
        expect(out).not.toMatch(INVISIBLE);
        expect(out).not.toMatch(/[\\/<>:"|?*]/);
        expect(out.startsWith('.')).toBe(false);
        expect(out).toBe(out.trim());
        expect(out).toBe(out.normalize('NFC'));
        expect(normaliseFilename(out)).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });
});

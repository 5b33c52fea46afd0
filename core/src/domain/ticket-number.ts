// Human ticket numbers (T1): `<PREFIX>-<year>-<6 digits>`, counter per year.
export function formatTicketNumber(prefix: string, year: number, seq: number): string {
  return `${prefix}-${year}-${String(seq).padStart(6, '0')}`;
}

const NUMBER_RE = /^([A-Z][A-Z0-9]{0,9})-(\d{4})-(\d{6,})$/;

export function parseTicketNumber(s: string): { prefix: string; year: number; seq: number } | null {
  const m = NUMBER_RE.exec(s);
  return m ? { prefix: m[1]!, year: Number(m[2]), seq: Number(m[3]) } : null;
}

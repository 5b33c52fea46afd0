// Human ticket numbers (T1): `<PREFIX>-<year>-<6 digits>`, counter per year.
/** What every ticket number of a year starts with. */
export const ticketNumberHead = (prefix: string, year: number): string => `${prefix}-${year}-`;

export function formatTicketNumber(prefix: string, year: number, seq: number): string {
  return `${ticketNumberHead(prefix, year)}${String(seq).padStart(6, '0')}`;
}

/**
 * formatTicketNumber in SQL, for statements that take the sequence from the counter they bump:
 * `head` is ticketNumberHead (a parameter), `seq` an integer expression. Padded like
 * padStart (never truncated); api/test/tickets.int.test.ts compares the two.
 */
export const formatTicketNumberSql = (head: string, seq: string): string => `${head} || case when length(${seq}::text) >= 6 then ${seq}::text else lpad(${seq}::text, 6, '0') end`;

const NUMBER_RE = /^([A-Z][A-Z0-9]{0,9})-(\d{4})-(\d{6,})$/;

export function parseTicketNumber(s: string): { prefix: string; year: number; seq: number } | null {
  const m = NUMBER_RE.exec(s);
  return m ? { prefix: m[1]!, year: Number(m[2]), seq: Number(m[3]) } : null;
}

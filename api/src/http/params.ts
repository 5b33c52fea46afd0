import { z } from 'zod';

/** PostgreSQL's `integer` maximum: ids and versions are int4 columns, and a larger value in a comparison is an error there. */
export const INT4_MAX = 2_147_483_647;
const ID_MESSAGE = 'must be a positive integer id';

/**
 * A path id: decimal digits only (`1e3` or `0x10` are not ids, whatever Number() makes of
 * them), within PostgreSQL's integer range.
 */
export const pathId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, ID_MESSAGE)
  .transform(Number)
  .pipe(z.number().max(INT4_MAX, ID_MESSAGE));

export const IdParams = z.object({ id: pathId }).strict();

// `abort`: one message per bad value (2^53 is neither a safe integer nor in range).
const positiveInt4 = (message: string) => z.number().int({ message, abort: true }).min(1, { message, abort: true }).max(INT4_MAX, message);

/** An id in a JSON body (alone or in a list): every body id goes through this one schema. */
export const bodyId = positiveInt4(ID_MESSAGE);

/** A record version in a JSON body (optimistic locking), an int4 column like the ids. */
export const bodyVersion = positiveInt4(`must be a positive integer version (at most ${INT4_MAX})`);

/** Is this a well-formed id for an int4 id column (e.g. one decoded from a cursor or a stored document)? */
export const isInt4Id = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= INT4_MAX;

import { z } from 'zod';

/**
 * A path id: decimal digits only (`1e3` or `0x10` are not ids, whatever Number() makes of
 * them), within PostgreSQL's integer range.
 */
export const pathId = z
  .string()
  .regex(/^[1-9]\d{0,9}$/, 'must be a positive integer id')
  .transform(Number)
  .pipe(z.number().max(2_147_483_647, 'must be a positive integer id'));

export const IdParams = z.object({ id: pathId }).strict();

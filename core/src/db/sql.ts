/**
 * A PostgreSQL array literal for a `?::text[]` / `?::int[]` parameter (MikroORM's `?` binding
 * would expand a JS array into a list). Every element is quoted and escaped, so any value is
 * safe, not only ones an upstream validator happened to restrict.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/(["\\])/g, '\\$1')}"`).join(',')}}`;
}

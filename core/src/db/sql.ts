import { CompiledQuery, type QueryResult, type Transaction } from 'kysely';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A PostgreSQL array literal for a `?::text[]` / `?::int[]` parameter (MikroORM's `?` binding
 * would expand a JS array into a list). Every element is quoted and escaped, so any value is
 * safe, not only ones an upstream validator happened to restrict.
 */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/(["\\])/g, '\\$1')}"`).join(',')}}`;
}

/**
 * Run a statement with real bind parameters ($1, $2, …). MikroORM's `execute` writes every
 * parameter into the SQL text, escaping it character by character: for a statement that carries
 * megabytes (a page of search documents as JSON) that escaping is a measurable share of the
 * work, and PostgreSQL then parses the literal again. `?` marks the parameters, as in `execute`;
 * the statement must hold no other question mark. Inside a transaction it runs in it.
 */
export async function executeBound<T>(em: EntityManager, statement: string, params: readonly unknown[]): Promise<T[]> {
  let n = 0;
  const text = statement.replace(/\?/g, () => `$${++n}`);
  if (n !== params.length) throw new Error(`executeBound: ${n} placeholders for ${params.length} parameters`);
  const connection = em.getConnection();
  const runner: { executeQuery(q: CompiledQuery): Promise<QueryResult<unknown>> } = em.getTransactionContext<Transaction<unknown>>() ?? connection.getClient();
  const result = await runner.executeQuery(CompiledQuery.raw(text, [...params]));
  return result.rows as T[];
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Locale, Role } from '../domain';
import { toStorableText } from '../domain';

// Someone who writes in by e-mail becomes a customer the first time (the inbound channel, and
// staff publishing a held mail as its sender's reply): one statement, safe against a race with
// another process creating the same address (the row that exists is returned).

export interface CustomerAccount {
  id: number;
  email: string;
  name: string;
  role: Role;
  locale: Locale;
  organization_id: number | null;
}

/** The user with this (lower-cased) address, created as a customer named `name` (or the address's local part) when new. */
export async function ensureCustomer(em: EntityManager, email: string, name = ''): Promise<CustomerAccount> {
  const [row] = await em.execute<CustomerAccount[]>(
    `insert into users (email, name, role, locale, active, available, created_at) values (?, ?, 'customer', 'en', true, false, now())
     on conflict (email) do update set email = excluded.email returning id, email, name, role, locale, organization_id`,
    [email, toStorableText((name || email.split('@')[0]!).slice(0, 200))],
  );
  return row!;
}

import { Migration } from '@mikro-orm/migrations';

// The ticket-creation path (issue 11):
// - Open tickets per assignee from a partial index, so auto-assignment counts only open work
//   (the status list is OPEN_STATUSES; core/src/services/assignment.unit.test.ts keeps them equal).
// - Configuration the API caches (categories, groups, organizations, SLA policies, calendars,
//   holidays, rules, webhook subscriptions) announces its changes on the `mehrdesk_config`
//   channel, from statement-level triggers, so every process holding a cache drops it at commit.
//   Columns that change in normal operation (a group's round-robin cursor, a rule's counters, a
//   subscription's failure count) are left out, or every ticket would empty the caches.
// - `ticket_listeners.version` counts changes to which triggers have rules or webhook
//   subscriptions listening; workflows keep the highest version they were told of.
export class Migration20261204000000_TicketPathSpeed extends Migration {
  override name = 'Migration20261204000000_TicketPathSpeed';

  override up(): void | Promise<void> {
    this.addSql(`create index "tickets_open_assignee_index" on "tickets" ("assignee_id") where "deleted_at" is null and "status" in ('new', 'open', 'pending', 'on_hold');`);

    this.addSql(`create table "ticket_listeners" ("id" int primary key check ("id" = 1), "version" bigint not null);`);
    this.addSql(`insert into "ticket_listeners" ("id", "version") values (1, 1);`);

    this.addSql(`create or replace function "mehrdesk_config_changed"() returns trigger language plpgsql as $$
      begin
        if tg_table_name in ('rules', 'webhook_subscriptions') then
          update "ticket_listeners" set "version" = "version" + 1 where "id" = 1;
        end if;
        perform pg_notify('mehrdesk_config', tg_table_name);
        return null;
      end $$;`);
    const watched: [table: string, columns: string | null][] = [
      ['categories', null],
      ['groups', `"name", "strategy", "supervisor_id", "escalation_group_id", "sla_policy_id"`],
      ['organizations', null],
      ['sla_policies', null],
      ['business_calendars', null],
      ['holidays', null],
      ['rules', `"trigger", "enabled", "deleted_at", "current_version"`],
      ['webhook_subscriptions', `"events", "active", "disabled_at", "deleted_at"`],
    ];
    for (const [table, columns] of watched) {
      const update = columns ? `update of ${columns}` : 'update';
      this.addSql(`create trigger "${table}_config_changed" after insert or delete or ${update} or truncate on "${table}" for each statement execute function "mehrdesk_config_changed"();`);
    }
  }

  override down(): void | Promise<void> {
    for (const table of ['categories', 'groups', 'organizations', 'sla_policies', 'business_calendars', 'holidays', 'rules', 'webhook_subscriptions'])
      this.addSql(`drop trigger if exists "${table}_config_changed" on "${table}";`);
    this.addSql(`drop function if exists "mehrdesk_config_changed"();`);
    this.addSql(`drop table if exists "ticket_listeners";`);
    this.addSql(`drop index if exists "tickets_open_assignee_index";`);
  }
}

import { pgArray } from '@mehrdesk/core/db';
import { ticketScopeSql } from '@mehrdesk/core/domain';
import type { SearchFilters, SearchViewer } from '../contract';

// Who may find what, as SQL over search_documents (alias d). The same rules as the ticket
// list (core/src/domain/permissions.ts canSeeTicket): admins and supervisors everything, agents
// tickets of their groups or assigned to them, customers their own tickets; anonymous readers
// and customers only published public articles; customer records only for staff.

export interface SqlPart {
  sql: string;
  params: unknown[];
}

export function viewerScope(viewer: SearchViewer): SqlPart {
  switch (viewer.kind) {
    case 'staff':
      if (viewer.role === 'agent') {
        const tickets = ticketScopeSql({ id: viewer.userId, role: 'agent', groupIds: viewer.groupIds }, 'd');
        return { sql: `(d.kind <> 'ticket' or ${tickets.sql})`, params: tickets.params };
      }
      return { sql: 'true', params: [] };
    case 'customer': {
      const tickets = ticketScopeSql({ id: viewer.userId, role: 'customer', groupIds: [] }, 'd');
      return { sql: `((d.kind = 'ticket' and ${tickets.sql}) or (d.kind = 'article' and d.public_visible))`, params: tickets.params };
    }
    case 'public':
      return { sql: `(d.kind = 'article' and d.public_visible)`, params: [] };
  }
}

/** Internal notes are searched for staff only; the condition is part of the match itself. */
export const searchesInternal = (viewer: SearchViewer) => viewer.kind === 'staff';

export function filterSql(f: SearchFilters | undefined): SqlPart {
  const sql: string[] = [];
  const params: unknown[] = [];
  const any = (col: string, values: readonly (string | number)[] | undefined, type: 'text' | 'int') => {
    if (!values?.length) return;
    sql.push(`${col} = any(?::${type}[])`);
    params.push(pgArray(values));
  };
  any('d.kind', f?.types, 'text');
  any('d.status', f?.status, 'text');
  any('d.priority', f?.priority, 'text');
  any('d.group_id', f?.groupId, 'int');
  any('d.category_id', f?.categoryId, 'int');
  any('d.kb_category_id', f?.kbCategoryId, 'int');
  any('d.lang', f?.lang, 'text');
  any('d.doc_id', f?.ids, 'int');
  if (f?.tag?.length) {
    sql.push('d.tags && ?::text[]');
    params.push(pgArray(f.tag));
  }
  return { sql: sql.length ? sql.join(' and ') : 'true', params };
}

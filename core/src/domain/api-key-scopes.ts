import type { Action } from './permissions';

// What an API key may do (X1, C3): a key acts as its user, and only within its scopes, so a
// key for a form that submits tickets cannot read the queue or change settings. No scope reaches
// administration, sessions or two-factor settings: those need a person signed in.
export const API_KEY_SCOPES = ['tickets:read', 'tickets:write', 'kb:read', 'kb:write', 'search', 'directory:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const SCOPE_ACTIONS: Readonly<Record<ApiKeyScope, readonly Action[]>> = {
  'tickets:read': ['ticket.list', 'ticket.view', 'ticket.viewInternal', 'ticket.viewSla'],
  'tickets:write': ['ticket.create', 'ticket.createForOthers', 'ticket.reply', 'ticket.note', 'ticket.update'],
  'kb:read': ['kb.read'],
  'kb:write': ['kb.write'],
  search: ['search.use'],
  'directory:read': ['directory.read'],
};

/** Whether a key with `scopes` may perform `action` (its user's role must allow it too). */
export function scopesAllow(scopes: readonly string[], action: Action): boolean {
  return scopes.some((s) => (SCOPE_ACTIONS as Record<string, readonly Action[] | undefined>)[s]?.includes(action) ?? false);
}

export const scopeActions = (scope: ApiKeyScope): readonly Action[] => SCOPE_ACTIONS[scope];

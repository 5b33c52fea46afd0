import { describe, expect, it } from 'vitest';
import { ACTIONS } from './permissions';
import { API_KEY_SCOPES, scopeActions, scopesAllow } from './api-key-scopes';

describe('API key scopes', () => {
  it('never reach administration, sessions or what only customers do', () => {
    for (const action of ['admin.manage', 'auth.session', 'notification.manage', 'portal.deflect', 'ticket.solveOwn', 'ticket.delete'] as const)
      expect(scopesAllow([...API_KEY_SCOPES], action), action).toBe(false);
  });

  it('allow exactly the actions of the scopes given', () => {
    for (const scope of API_KEY_SCOPES) for (const action of ACTIONS) expect(scopesAllow([scope], action), `${scope} ${action}`).toBe(scopeActions(scope).includes(action));
    expect(scopesAllow([], 'ticket.view')).toBe(false);
    expect(scopesAllow(['no:such-scope'], 'ticket.view')).toBe(false);
  });

  it('writing tickets does not read them', () => {
    expect(scopesAllow(['tickets:write'], 'ticket.create')).toBe(true);
    expect(scopesAllow(['tickets:write'], 'ticket.list')).toBe(false);
    expect(scopesAllow(['tickets:write'], 'ticket.view')).toBe(false);
  });
});

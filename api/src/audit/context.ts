import type { Request } from 'express';
import type { AuditEntry } from '@mehrdesk/core/services/audit';
import { clientAddress } from '../http/client-address';

/** Who is acting in `req` and from where, as an audit entry records it. */
export function auditContext(req: Request): Pick<AuditEntry, 'actor' | 'clientAddress' | 'requestId'> {
  const user = req.user;
  const actor: AuditEntry['actor'] = user ? { kind: user.apiKeyId ? 'api_key' : 'user', id: user.id, email: user.email, apiKeyId: user.apiKeyId ?? null } : { kind: 'anonymous' };
  return { actor, clientAddress: clientAddress(req), requestId: req.id === undefined ? null : String(req.id) };
}

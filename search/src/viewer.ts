import type { Viewer } from '@mehrdesk/core/domain';
import type { SearchViewer } from './contract';

/** The search viewer of a signed-in user (core's Viewer), or the anonymous public. */
export function searchViewerOf(user: Viewer | null | undefined): SearchViewer {
  if (!user) return { kind: 'public' };
  if (user.role === 'customer') return { kind: 'customer', userId: user.id };
  return { kind: 'staff', userId: user.id, role: user.role, groupIds: user.groupIds };
}

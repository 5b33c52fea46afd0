import type { ChangeTicketRequest, FieldChange, TicketSnapshot } from './contracts';

// What a change request really changes on a ticket, field by field (what the timeline records
// and rules see as "changed from/to"), and the request as it is applied: a deletion is also a
// change of the status to cancelled, whatever it was.

export interface ChangeDiff {
  changes: FieldChange[];
  /** The tag set requested, without duplicates and sorted (as stored); undefined when tags are not touched. */
  tags: string[] | undefined;
  /** The request to apply (a deletion sets status cancelled). */
  req: ChangeTicketRequest;
}

export function diffChange(t: TicketSnapshot, req: ChangeTicketRequest): ChangeDiff {
  const changes: FieldChange[] = [];
  if (req.status !== undefined && req.status !== t.status) changes.push({ field: 'status', from: t.status, to: req.status });
  if (req.priority !== undefined && req.priority !== t.priority) changes.push({ field: 'priority', from: t.priority, to: req.priority });
  if (req.assigneeId !== undefined && req.assigneeId !== t.assigneeId) changes.push({ field: 'assigneeId', from: t.assigneeId, to: req.assigneeId });
  if (req.groupId !== undefined && req.groupId !== t.groupId) changes.push({ field: 'groupId', from: t.groupId, to: req.groupId });
  if (req.categoryId !== undefined && req.categoryId !== t.categoryId) changes.push({ field: 'categoryId', from: t.categoryId ?? null, to: req.categoryId });
  if (req.customFields !== undefined && Object.keys(req.customFields).length) changes.push({ field: 'customFields', from: null, to: req.customFields });
  const tags = req.tags === undefined ? undefined : [...new Set(req.tags)].sort();
  if (tags !== undefined && tags.join('\n') !== (t.tags ?? []).join('\n')) changes.push({ field: 'tags', from: t.tags ?? [], to: tags });
  if (req.delete) {
    changes.push({ field: 'deleted', from: false, to: true });
    // Deletion cancels whatever the status was (an admin action, not a workflow transition).
    if (t.status !== 'cancelled') changes.push({ field: 'status', from: t.status, to: 'cancelled' });
    req = { ...req, status: 'cancelled' };
  }
  return { changes, tags, req };
}

export * from './contract';
export { normalizeSearchText, normalizeDocumentText } from './normalize';
export { parseQuery, MAX_QUERY_LENGTH } from './query';
export { createPostgresBackend } from './postgres/backend';
export { searchViewerOf } from './viewer';
export { drainOnce, drainAll, pendingChanges, OUTBOX_CHANNEL } from './outbox';
export { requestRebuild, runRebuild, rebuildStatus, RebuildAlreadyRunning, type RebuildStatus } from './rebuild';
export { loadDocuments } from './documents';

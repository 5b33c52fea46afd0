// Pure domain logic: safe to import from Temporal workflow code (no I/O, no Node built-ins).
export * from './enums';
export * from './status-machine';
export * from './permissions';
export * from './business-hours';
export * from './sla';
export * from './ticket-number';
export * from './html';
export * from './notifications';
export * from './storable-text';
export * from './listeners';
export * from './api-key-scopes';

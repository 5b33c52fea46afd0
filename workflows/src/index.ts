// Entry point for the worker's workflow bundle: every workflow type the task queue serves.
export { ticketLifecycle, ticketWorkflow } from './ticket-lifecycle';
export { scheduledRuleRun } from './scheduled-rule';
export { webhookDelivery } from './webhook-delivery';
export { accountEmail } from './account-email';

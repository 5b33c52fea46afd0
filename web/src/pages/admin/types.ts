import type { components } from '@/api/schema';

// Short names for the admin API's shapes (generated from its OpenAPI document).
type Schemas = components['schemas'];

export type Rule = Schemas['Rule'];
export type RuleVersion = Schemas['RuleVersion'];
export type RuleExecution = Schemas['RuleExecution'];
export type RuleCatalogue = Schemas['RuleCatalogue'];
export type CatalogueFact = RuleCatalogue['facts'][number];
export type CatalogueAction = RuleCatalogue['actions'][number];
export type CatalogueOperator = NonNullable<CatalogueFact['operators']>[number];
export type TrackedField = RuleCatalogue['trackedFields'][number];
export type FactType = NonNullable<CatalogueFact['type']>;
export type ValueSpec = CatalogueOperator['value'];
export type ReferenceKind = NonNullable<CatalogueFact['reference']>;
export type DryRunResult = Schemas['DryRunResult'];
export type DryRunRequest = Schemas['DryRunRequest'];
export type Group = Schemas['Group'];
export type AdminUser = Schemas['AdminUser'];
export type DirectoryUser = Schemas['DirectoryUser'];
export type Category = Schemas['Category'];
export type Tag = Schemas['Tag'];
export type TagChangeResult = Schemas['TagChangeResult'];
export type SlaPolicy = Schemas['SlaPolicy'];
export type Calendar = Schemas['Calendar'];
export type WebhookSubscription = Schemas['WebhookSubscription'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type EmailTemplate = Schemas['EmailTemplate'];
export type EmailPreview = Schemas['EmailPreview'];
export type Role = AdminUser['role'];

export const ROLES: readonly Role[] = ['admin', 'supervisor', 'agent', 'customer'];
export const STRATEGIES: readonly Group['strategy'][] = ['round_robin', 'least_open', 'manual'];

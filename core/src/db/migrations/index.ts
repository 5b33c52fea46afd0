// Explicit, ordered list of committed migrations: works identically under tsx, Vitest and any
// bundler, with no file-system discovery at run time. Append new migrations at the end.
import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121120050_Initial } from './Migration20261121120050_Initial';
import { Migration20261121123418_Automation } from './Migration20261121123418_Automation';
import { Migration20261121124004_EmailHandoff } from './Migration20261121124004_EmailHandoff';
import { Migration20261121132806_Webhooks } from './Migration20261121132806_Webhooks';
import { Migration20261121133420_EmailTemplates } from './Migration20261121133420_EmailTemplates';
import { Migration20261121133602_InboundEmail } from './Migration20261121133602_InboundEmail';
import { Migration20261121142947_Notifications } from './Migration20261121142947_Notifications';
import { Migration20261121143221_InboundSourceKey } from './Migration20261121143221_InboundSourceKey';
import { Migration20261121144319_TagColour } from './Migration20261121144319_TagColour';
import { Migration20261121144459_LiveConsole } from './Migration20261121144459_LiveConsole';
import { Migration20261202035053_HeldInboundMail } from './Migration20261202035053_HeldInboundMail';
import { Migration20261202041500_ActivityFailures } from './Migration20261202041500_ActivityFailures';
import { Migration20261202045659_Settings } from './Migration20261202045659_Settings';
import { Migration20261202070000_KnowledgeBase } from './Migration20261202070000_KnowledgeBase';
import { Migration20261202080000_Search } from './Migration20261202080000_Search';
import { Migration20261202100000_SearchRecency } from './Migration20261202100000_SearchRecency';
import { Migration20261203000000_PortalAccounts } from './Migration20261203000000_PortalAccounts';
import { Migration20261203010000_Uploads } from './Migration20261203010000_Uploads';
import { Migration20261203020000_SurveysReminders } from './Migration20261203020000_SurveysReminders';
import { Migration20261203030000_Deflections } from './Migration20261203030000_Deflections';
import { Migration20261204000000_TicketPathSpeed } from './Migration20261204000000_TicketPathSpeed';
import { Migration20261205000000_SecurityAudit } from './Migration20261205000000_SecurityAudit';

export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261121120050_Initial', class: Migration20261121120050_Initial },
  { name: 'Migration20261121123418_Automation', class: Migration20261121123418_Automation },
  { name: 'Migration20261121124004_EmailHandoff', class: Migration20261121124004_EmailHandoff },
  { name: 'Migration20261121132806_Webhooks', class: Migration20261121132806_Webhooks },
  { name: 'Migration20261121133420_EmailTemplates', class: Migration20261121133420_EmailTemplates },
  { name: 'Migration20261121133602_InboundEmail', class: Migration20261121133602_InboundEmail },
  { name: 'Migration20261121142947_Notifications', class: Migration20261121142947_Notifications },
  { name: 'Migration20261121143221_InboundSourceKey', class: Migration20261121143221_InboundSourceKey },
  { name: 'Migration20261121144319_TagColour', class: Migration20261121144319_TagColour },
  { name: 'Migration20261121144459_LiveConsole', class: Migration20261121144459_LiveConsole },
  { name: 'Migration20261202035053_HeldInboundMail', class: Migration20261202035053_HeldInboundMail },
  { name: 'Migration20261202041500_ActivityFailures', class: Migration20261202041500_ActivityFailures },
  { name: 'Migration20261202045659_Settings', class: Migration20261202045659_Settings },
  { name: 'Migration20261202070000_KnowledgeBase', class: Migration20261202070000_KnowledgeBase },
  { name: 'Migration20261202080000_Search', class: Migration20261202080000_Search },
  { name: 'Migration20261202100000_SearchRecency', class: Migration20261202100000_SearchRecency },
  { name: 'Migration20261203000000_PortalAccounts', class: Migration20261203000000_PortalAccounts },
  { name: 'Migration20261203010000_Uploads', class: Migration20261203010000_Uploads },
  { name: 'Migration20261203020000_SurveysReminders', class: Migration20261203020000_SurveysReminders },
  { name: 'Migration20261203030000_Deflections', class: Migration20261203030000_Deflections },
  { name: 'Migration20261204000000_TicketPathSpeed', class: Migration20261204000000_TicketPathSpeed },
  { name: 'Migration20261205000000_SecurityAudit', class: Migration20261205000000_SecurityAudit },
];

import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { InboundSettings, inboundSettings, saveInboundSettings, saveUploadSettings, UploadSettings, uploadSettings } from '@mehrdesk/core/services/settings';
import type { AppDeps } from '../deps';
import { settingRoutes } from './setting-routes';

// Settings admins change at run time. Inbound e-mail: what becomes of mail a stranger (not the
// requester, a participant or staff) threads onto a ticket; INBOUND_STRANGER_REPLIES is the
// default until an admin chooses, and the worker reads the choice for every mail.

const InboundSettingsBody = InboundSettings.extend({
  strangerReplies: InboundSettings.shape.strangerReplies.describe('`hold`: an internal note held for an agent to publish or dismiss; `new_ticket`: a ticket of its own for the sender'),
})
  .strict()
  .meta({ id: 'InboundSettingsRequest' });
const InboundSettingsDto = InboundSettingsBody.extend({
  source: z.enum(['default', 'admin']).describe('`default`: INBOUND_STRANGER_REPLIES, no admin has chosen; `admin`: stored by an admin'),
}).meta({ id: 'InboundSettings' });

// Uploads: limits of files customers and agents attach (POST /uploads); UPLOAD_* are the
// defaults until an admin chooses, and every upload and attachment list reads the choice.
const UploadSettingsBody = UploadSettings.extend({
  maxFileBytes: UploadSettings.shape.maxFileBytes.describe('Largest file accepted, in bytes (1 KiB to 1 GiB)'),
  maxFilesPerMessage: UploadSettings.shape.maxFilesPerMessage.describe('Most files one ticket, reply or note may carry (1-50)'),
  allowedTypes: UploadSettings.shape.allowedTypes.describe('MIME types or `type/*` accepted, matched against what the bytes are; empty: any type'),
})
  .strict()
  .meta({ id: 'UploadSettingsRequest' });
const UploadSettingsDto = UploadSettingsBody.extend({
  source: z.enum(['default', 'admin']).describe('`default`: UPLOAD_* from the environment, no admin has chosen; `admin`: stored by an admin'),
}).meta({ id: 'UploadSettings' });

export function settingsRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  settingRoutes(r, registry, {
    name: 'inbound',
    summaries: { get: 'Inbound e-mail settings in force (an admin choice, or the default from the environment)', put: 'Choose the inbound e-mail settings (applies to the next mail processed)' },
    body: InboundSettingsBody,
    response: InboundSettingsDto,
    read: (em) => inboundSettings(em, deps.config),
    save: saveInboundSettings,
  });
  settingRoutes(r, registry, {
    name: 'uploads',
    summaries: { get: 'Upload limits in force (an admin choice, or the defaults from the environment)', put: 'Choose the upload limits (apply to the next upload and the next message)' },
    body: UploadSettingsBody,
    response: UploadSettingsDto,
    read: (em) => uploadSettings(em, deps.config),
    save: saveUploadSettings,
  });
  return r;
}

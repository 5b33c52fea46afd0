import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PortalSettings, portalSettings, savePortalSettings } from '@mehrdesk/core/services/settings';
import type { AppDeps } from '../deps';
import { settingRoutes } from './setting-routes';

// The customer portal's sign-up policy: open to anyone, by invitation only (accounts admins
// create), or open to addresses of listed domains. Open until an admin chooses.

const PortalSettingsBody = PortalSettings.meta({ id: 'PortalSettingsRequest' });
const PortalSettingsDto = z
  .object({
    signup: PortalSettings.shape.signup,
    signupDomains: z.array(z.string()),
    source: z.enum(['default', 'admin']).describe('`default`: open sign-up, no admin has chosen; `admin`: stored by an admin'),
  })
  .meta({ id: 'PortalSettings' });

export function portalSettingsRoutes(_deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  settingRoutes(r, registry, {
    name: 'portal',
    summaries: { get: 'The customer portal settings in force (sign-up policy)', put: 'Choose the customer portal settings (sign-up: open, invite-only, or listed e-mail domains)' },
    body: PortalSettingsBody,
    response: PortalSettingsDto,
    read: portalSettings,
    save: savePortalSettings,
  });
  return r;
}

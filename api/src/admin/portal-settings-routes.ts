import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { PortalSettings, portalSettings, savePortalSettings } from '@mehrdesk/core/services/settings';
import type { AppDeps } from '../deps';
import { defineRoute } from '../http/route';

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
  const tags = ['admin: settings'];
  defineRoute(r, registry, {
    method: 'get', path: '/settings/portal', summary: 'The customer portal settings in force (sign-up policy)', tags, action: 'admin.manage',
    response: PortalSettingsDto,
    handler: async ({ em }) => portalSettings(em),
  });
  defineRoute(r, registry, {
    method: 'put', path: '/settings/portal', summary: 'Choose the customer portal settings (sign-up: open, invite-only, or listed e-mail domains)', tags, action: 'admin.manage',
    body: PortalSettingsBody, response: PortalSettingsDto,
    handler: async ({ em, body, user }) => {
      await savePortalSettings(em, body, user.id);
      return portalSettings(em);
    },
  });
  return r;
}

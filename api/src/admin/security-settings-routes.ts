import { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { saveSecuritySettings, SecuritySettings, securitySettings } from '@mehrdesk/core/services/security-settings';
import type { AppDeps } from '../deps';
import { settingRoutes } from './setting-routes';

// Sign-in security: the staff roles that must use two-factor sign-in. MFA_REQUIRED_ROLES is the
// default until an admin chooses; the choice applies to the next sign-in (sessions already open
// stay open: an admin who wants them ended deactivates and reactivates, or the user signs out).

const SecuritySettingsBody = SecuritySettings.meta({ id: 'SecuritySettingsRequest' });
const SecuritySettingsDto = SecuritySettings.extend({
  source: z.enum(['default', 'admin']).describe('`default`: MFA_REQUIRED_ROLES from the environment, no admin has chosen; `admin`: stored by an admin'),
}).meta({ id: 'SecuritySettings' });

export function securitySettingsRoutes(deps: AppDeps, registry: OpenAPIRegistry): Router {
  const r = Router();
  settingRoutes(r, registry, {
    name: 'security',
    summaries: { get: 'Sign-in security in force: which staff roles must use two-factor sign-in', put: 'Choose which staff roles must use two-factor sign-in (from their next sign-in)' },
    body: SecuritySettingsBody,
    response: SecuritySettingsDto,
    read: (em) => securitySettings(em, deps.config),
    save: saveSecuritySettings,
  });
  return r;
}

import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';

export function createRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: 'Token from POST /api/v1/auth/login' });
  return registry;
}

export function openApiDocument(registry: OpenAPIRegistry, serverUrl: string) {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Mehrdesk API',
      version: '1.0.0',
      description: 'Support tickets whose lifecycle runs as a durable Temporal workflow. Errors are `{ error: { code, message, fields? } }`.',
    },
    servers: [{ url: serverUrl }],
  });
}

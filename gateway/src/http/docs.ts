import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** OpenAPI 3 from the routes' zod schemas; the UI at /docs, the document at /docs/json. */
export async function registerDocs(app: FastifyInstance, withToken: boolean): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'taxi-mlops gateway',
        description: 'Start NYC-taxi trip-duration training runs and follow them: state, stages, answers and live events.',
        version: '0.1.0',
      },
      tags: [{ name: 'runs' }, { name: 'health' }],
      ...(withToken ? { components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } } : {}),
    },
    transform: jsonSchemaTransform,
  });
  // staticCSP: the UI's page gets a CSP with hashes for its own inline code, so helmet can stay on.
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

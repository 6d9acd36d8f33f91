import Fastify, { type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { GatewayDeps } from './deps';
import { registerDocs } from './docs';
import { registerErrorHandling } from './errors';
import { problem, ProblemError } from './problem';
import { healthRoutes } from './routes/health';
import { runEventRoutes } from './routes/run-events';
import { runRoutes } from './routes/runs';
import { predictRoutes } from './routes/predict';

export const DEFAULT_BODY_LIMIT_BYTES = 16 * 1024;

/** The HTTP app, not listening: tests call `app.inject`, main.ts and SSE tests call `listen`. */
export async function buildApp(deps: GatewayDeps): Promise<FastifyInstance> {
  const bodyLimitBytes = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: bodyLimitBytes,
    // Let SSE streams end themselves on close (preClose below) rather than hold the server open.
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body would otherwise reach the schema as a string (400, not 415).
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app, bodyLimitBytes);

  await app.register(helmet);
  await app.register(rateLimit, {
    max: deps.rateLimit?.max ?? 1000,
    timeWindow: deps.rateLimit?.timeWindowMs ?? 60_000,
    // Thrown, so the error handler answers with problem+json like everything else.
    errorResponseBuilder: (_request, context) =>
      Object.assign(new ProblemError(problem(429, 'rate-limited', `more than ${context.max} requests in ${context.after}; retry later`)), { statusCode: 429 }),
  });
  await registerDocs(app, Boolean(deps.apiToken));

  healthRoutes(app, deps);
  runRoutes(app, deps);
  runEventRoutes(app, deps);
  predictRoutes(app, deps);
  return app;
}

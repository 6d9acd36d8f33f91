import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { invalidFields, problem, ProblemError, sendProblem, type FieldProblem } from './problem';

/** Turns every error — schema, parser, rate limit, our own — into an RFC 9457 response. */
export function registerErrorHandling(app: FastifyInstance, bodyLimitBytes: number): void {
  app.setErrorHandler((error: FastifyError | ProblemError, request, reply) => {
    if (error instanceof ProblemError) return sendProblem(reply, error.problem);

    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = error.validationContext;
      const errors: FieldProblem[] = error.validation.flatMap((issue) => {
        const path = issue.instancePath.split('/').filter(Boolean).join('.');
        if (issue.keyword === 'unrecognized_keys') {
          const keys = (issue.params as { keys?: string[] }).keys ?? [];
          return keys.map((key) => ({ field: path ? `${path}.${key}` : key, reason: 'unknown field' }));
        }
        return [{ field: path || (where === 'body' || !where ? '(body)' : `(${where})`), reason: issue.message ?? issue.keyword }];
      });
      return sendProblem(reply, invalidFields(errors));
    }

    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, problem(413, 'body-too-large', `the body is larger than ${bodyLimitBytes} bytes`, { errors: [{ field: '(body)', reason: `larger than ${bodyLimitBytes} bytes` }] }));
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, problem(415, 'unsupported-media-type', `send the body as application/json, not ${request.headers['content-type'] ?? 'nothing'}`));
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(reply, invalidFields([{ field: '(body)', reason: 'empty body with content-type application/json' }]));
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return sendProblem(reply, invalidFields([{ field: '(body)', reason: `not valid JSON: ${error.message}` }]));
    }

    const status = error.statusCode ?? 500;
    if (status === 429) return sendProblem(reply, problem(429, 'rate-limited', error.message));
    if (status >= 400 && status < 500) {
      return sendProblem(reply, problem(status, 'http-error', error.message, status === 400 ? { errors: [{ field: '(request)', reason: error.message }] } : {}));
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, problem(500, 'internal', 'the gateway failed to handle this request; see its logs'));
  });

  app.setNotFoundHandler((request, reply) => sendProblem(reply, problem(404, 'not-found', `no route ${request.method} ${request.url.split('?')[0]}`)));
}

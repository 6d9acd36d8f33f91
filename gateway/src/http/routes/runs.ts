import { createHash, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createEvent, messageIdFor, RunId, RunRequestedData } from '@taxi-mlops/contracts';
import { problem, ProblemError, invalidFields } from '../problem';
import { requireBearerToken } from '../auth';
import type { GatewayDeps } from '../deps';
import { RunRequestBody, toRunRequest } from '../../runs/request';
import { createRun, findRun, forgetUnpublishedRun, listRuns } from '../../runs/repository';
import { runDetail, runLinks, runSummary } from '../../runs/view';
import { runStatuses, terminalStatuses } from '../../projection/run-state';
import { decodeCursor, encodeCursor } from '../../runs/cursor';

export const RunIdParams = z.strictObject({ id: RunId });

const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, '1-255 visible ASCII characters')
  .optional()
  .describe('a repeated key returns the run created by the first request instead of starting another');

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('runs per page, 1-100'),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
  offset: z.coerce.number().int().min(0).max(100_000).optional().describe('alternative to cursor: runs to skip'),
  status: z.enum(runStatuses).optional(),
});

// No body at all arrives as null.
const CancelBody = z.strictObject({ reason: z.string().min(1).max(500).optional() }).nullish();

export function runRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const ui = deps.ui ?? {};
  const now = deps.now ?? (() => new Date());
  const newRunId = deps.newRunId ?? (() => randomUUID());
  const source = deps.eventSource ?? '/gateway';
  const writeGuard = requireBearerToken(deps.apiToken);
  const security = deps.apiToken ? [{ bearerAuth: [] }] : [];

  routes.post(
    '/runs',
    {
      onRequest: writeGuard,
      schema: {
        summary: 'Start a training run',
        description: 'Publishes `run.requested`. Each request is a new run unless its Idempotency-Key repeats.',
        tags: ['runs'],
        security,
        body: RunRequestBody,
        headers: z.object({ 'idempotency-key': IdempotencyKey }),
      },
    },
    async (request, reply) => {
      const checked = toRunRequest(request.body, now());
      if (!checked.ok) throw new ProblemError(invalidFields(checked.errors));
      const data = RunRequestedData.parse(checked.request);
      const idempotencyKey = request.headers['idempotency-key'];
      const created = await createRun(deps.pool, {
        runId: newRunId(),
        request: data,
        ...(idempotencyKey ? { idempotencyKey, requestHash: createHash('sha256').update(JSON.stringify(data)).digest('hex') } : {}),
      });
      if (created.kind === 'key_reused') {
        throw new ProblemError(
          problem(422, 'idempotency-key-reused', `Idempotency-Key was first used for run ${created.row.run_id} with another body`, {
            errors: [{ field: 'Idempotency-Key', reason: 'already used with a different request body' }],
          }),
        );
      }
      const row = created.row;
      if (created.kind === 'created') {
        try {
          const event = createEvent('run.requested', row.run_id, data, source);
          await deps.bus.publish(event, { msgId: messageIdFor('run.requested', row.run_id) });
        } catch (error) {
          request.log.error({ err: error, runId: row.run_id }, 'could not publish run.requested');
          await forgetUnpublishedRun(deps.pool, row.run_id);
          throw new ProblemError(problem(503, 'bus-unavailable', 'the run could not be handed to the pipeline; try again'));
        }
      } else {
        void reply.header('idempotent-replayed', 'true');
      }
      return reply
        .code(202)
        .header('location', `/runs/${row.run_id}`)
        .send({ runId: row.run_id, status: row.status, links: runLinks(row, ui) });
    },
  );

  routes.get(
    '/runs',
    {
      schema: {
        summary: 'List runs, newest first',
        description: 'Keyset paging with `cursor` (follow `nextCursor`), or `offset`; filter by `status`.',
        tags: ['runs'],
        querystring: ListQuery,
      },
    },
    async (request) => {
      const { limit, cursor, offset, status } = request.query;
      if (cursor !== undefined && offset !== undefined) {
        throw new ProblemError(invalidFields([{ field: 'offset', reason: 'give either cursor or offset, not both' }]));
      }
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && !after) throw new ProblemError(invalidFields([{ field: 'cursor', reason: 'not a cursor returned by this API' }]));
      const page = await listRuns(deps.pool, { limit, ...(status ? { status } : {}), ...(after ? { after } : {}), ...(offset === undefined ? {} : { offset }) });
      const last = page.rows.at(-1);
      const nextCursor = page.more && last ? encodeCursor({ createdAt: last.created_at_text, runId: last.run_id }) : null;
      const query = (extra: Record<string, string>) => new URLSearchParams({ limit: String(limit), ...(status ? { status } : {}), ...extra }).toString();
      return {
        items: page.rows.map((row) => runSummary(row, ui)),
        nextCursor,
        links: { self: request.url, ...(nextCursor ? { next: `/runs?${query({ cursor: nextCursor })}` } : {}) },
      };
    },
  );

  routes.get(
    '/runs/:id',
    { schema: { summary: 'A run: status, stages, results, answers, error and links', tags: ['runs'], params: RunIdParams } },
    async (request) => {
      const row = await findRun(deps.pool, request.params.id);
      if (!row) throw runNotFound(request.params.id);
      return runDetail(row, ui);
    },
  );

  routes.post(
    '/runs/:id/cancel',
    {
      onRequest: writeGuard,
      schema: {
        summary: 'Cancel a run',
        description: 'Publishes `run.cancelled`; 409 when the run has already finished.',
        tags: ['runs'],
        security,
        params: RunIdParams,
        body: CancelBody,
      },
    },
    async (request, reply) => {
      const row = await findRun(deps.pool, request.params.id);
      if (!row) throw runNotFound(request.params.id);
      if (terminalStatuses.has(row.status)) {
        throw new ProblemError(problem(409, 'run-finished', `run ${row.run_id} has already ${row.status === 'cancelled' ? 'been cancelled' : row.status}`));
      }
      const reason = request.body?.reason;
      const event = createEvent('run.cancelled', row.run_id, { by: 'gateway', ...(reason ? { reason } : {}) }, source);
      await deps.bus.publish(event, { msgId: messageIdFor('run.cancelled', row.run_id) });
      return reply.code(202).send({ runId: row.run_id, status: row.status, links: runLinks(row, ui) });
    },
  );
}

export function runNotFound(runId: string): ProblemError {
  return new ProblemError(problem(404, 'run-not-found', `no run ${runId}`));
}

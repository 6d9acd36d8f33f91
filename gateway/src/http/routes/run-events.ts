import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { terminalEventTypes, type EventType } from '@taxi-mlops/contracts';
import type { GatewayDeps } from '../deps';
import { eventsAfter, findRun, type StoredEventRow } from '../../runs/repository';
import { terminalStatuses } from '../../projection/run-state';
import { RunIdParams, runNotFound } from './runs';

const LastEventId = z.coerce.number().int().min(0).optional();

/** One SSE message: id = the event's place in its run, event = its type, data = the envelope. */
export function sseMessage(row: StoredEventRow): string {
  return `id: ${row.seq}\nevent: ${row.type}\ndata: ${JSON.stringify(row.envelope)}\n\n`;
}

/**
 * `GET /runs/:id/events`: the run's stored events, then new ones as the projection stores them,
 * ending after the terminal event. Reconnecting with `Last-Event-ID` resumes after that event.
 */
export function runEventRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const heartbeatMs = deps.sseHeartbeatMs ?? 15_000;
  const openStreams = new Set<() => void>();
  // Hijacked streams are not closed by fastify: end them so close() does not wait for clients.
  app.addHook('preClose', (done) => {
    for (const end of openStreams) end();
    done();
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/runs/:id/events',
    {
      schema: {
        summary: "Server-Sent Events: the run's events, past then live",
        description: 'Each message has `id` (sequence in the run), `event` (type) and `data` (the CloudEvents envelope); the stream ends after run.completed, run.failed or run.cancelled.',
        tags: ['runs'],
        params: RunIdParams,
        headers: z.object({ 'last-event-id': LastEventId }),
        produces: ['text/event-stream'],
      },
    },
    async (request, reply) => {
      const runId = request.params.id;
      const row = await findRun(deps.pool, runId);
      if (!row) throw runNotFound(runId);

      reply.hijack(); // the stream outlives this handler; fastify must not send anything itself
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: do not buffer the stream
      });
      raw.write('retry: 2000\n\n');

      let sent = request.headers['last-event-id'] ?? 0;
      let ended = false;
      let draining: Promise<void> | undefined;
      let again = false;

      const end = () => {
        if (ended) return;
        ended = true;
        openStreams.delete(end);
        unsubscribe();
        clearInterval(heartbeat);
        raw.end();
      };
      // Reads everything after the last sent event; a wake-up during a read schedules one more.
      const drain = (): Promise<void> => {
        if (draining) {
          again = true;
          return draining;
        }
        draining = (async () => {
          do {
            again = false;
            const rows = await eventsAfter(deps.pool, runId, sent);
            for (const event of rows) {
              if (ended) return;
              raw.write(sseMessage(event));
              sent = event.seq;
              if (terminalEventTypes.has(event.type as EventType)) return end();
            }
          } while (again && !ended);
        })()
          .catch((error: unknown) => {
            request.log.error({ err: error, runId }, 'SSE read failed; closing the stream');
            end();
          })
          .finally(() => {
            draining = undefined;
          });
        return draining;
      };

      // Subscribe before the first read, so an event stored in between is not missed.
      const unsubscribe = deps.feed.subscribe(runId, () => void drain());
      const heartbeat = setInterval(() => raw.write(': ping\n\n'), heartbeatMs);
      raw.on('close', end);
      openStreams.add(end);

      await drain();
      // Resumed after the terminal event (Last-Event-ID): nothing more will come.
      if (!ended && terminalStatuses.has(row.status) && sent >= row.event_count) end();
    },
  );
}

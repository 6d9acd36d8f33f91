import type { FastifyInstance } from 'fastify';
import type { GatewayDeps } from '../deps';
import { problem, sendProblem } from '../problem';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout(check: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([check(), timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.get('/healthz', { schema: { summary: 'The process is up', tags: ['health'] } }, () => ({ status: 'ok' }));

  app.get('/readyz', { schema: { summary: 'NATS and PostgreSQL are reachable (503 otherwise)', tags: ['health'] } }, async (request, reply) => {
    const entries = await Promise.all(
      Object.entries(deps.readiness).map(async ([name, check]) => {
        try {
          await withTimeout(check);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, `unreachable: ${error instanceof Error ? error.message : String(error)}`] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const failing = entries.filter(([, result]) => result !== 'ok').map(([name]) => name);
    if (failing.length === 0) return { status: 'ready', checks };
    return sendProblem(reply, problem(503, 'not-ready', `not ready: ${failing.join(', ')} unreachable`, { checks }));
  });
}

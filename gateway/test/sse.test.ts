import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bus } from '@taxi-mlops/runtime';
import type { RunningGateway } from '../src/gateway';
import { publishAll, successfulRunEvents, waitForRun, type TestDatabase, openGatewayTestEnv, closeGatewayTestEnv } from './support';

interface SseMessage {
  id: string;
  event: string;
  data: { id: string; type: string; subject: string };
}

/** Reads an SSE response: `next(n)` waits for n more messages; `closed` resolves when the server ends it. */
function sseReader(response: Response) {
  const messages: SseMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const closed = (async () => {
    // Node's web streams are async iterable (the DOM typings are not loaded here).
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields: Record<string, string | undefined> = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => line && !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trimStart()]),
        );
        if (fields.data === undefined) continue; // retry: and comments
        messages.push({ id: fields.id ?? '', event: fields.event ?? '', data: JSON.parse(fields.data) as SseMessage['data'] });
        for (const waiter of [...waiters]) if (messages.length >= waiter.count) waiter.resolve();
      }
    }
  })();
  return {
    messages,
    closed,
    next: (count: number) => (messages.length >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve }))),
  };
}

void describe('GET /runs/:id/events (SSE)', () => {
  let db: TestDatabase;
  let gateway: RunningGateway;
  let bus: Bus;

  before(async () => {
    ({ db, gateway, bus } = await openGatewayTestEnv());
  });
  after(() => closeGatewayTestEnv({ db, gateway, bus }));

  void it('sends past events, then live ones in order, and closes after the terminal event', { timeout: 30_000 }, async () => {
    const accepted = await fetch(`${gateway.url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ taxi: 'yellow', year: 2023, month: 3 }) });
    const { runId } = (await accepted.json()) as { runId: string };
    const events = successfulRunEvents(runId);
    await publishAll(bus, events.slice(0, 2)); // stage.started, data.downloaded: in the past for the stream
    await waitForRun(gateway, runId, 'three events stored', (r) => r.eventCount === 3);

    const response = await fetch(`${gateway.url}/runs/${runId}/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const stream = sseReader(response);
    await stream.next(3);
    assert.deepEqual(
      stream.messages.map((m) => m.event),
      ['run.requested', 'stage.started', 'data.downloaded'],
    );

    await publishAll(bus, events.slice(2)); // live: features … run.completed
    await stream.closed; // the server ends the stream after run.completed

    assert.deepEqual(
      stream.messages.map((m) => m.id),
      Array.from({ length: 1 + events.length }, (_, i) => String(i + 1)),
    );
    assert.deepEqual(
      stream.messages.map((m) => m.event),
      ['run.requested', ...events.map((e) => e.type)],
    );
    assert.deepEqual(
      stream.messages.slice(1).map((m) => m.data.id),
      events.map((e) => e.id),
      'data is the envelope',
    );
    assert.ok(stream.messages.every((m) => m.data.subject === runId && m.data.type === m.event));
  });

  void it('replays a finished run and closes; Last-Event-ID resumes after that event', { timeout: 30_000 }, async () => {
    const accepted = await fetch(`${gateway.url}/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ taxi: 'green', year: 2023, month: 1 }) });
    const { runId } = (await accepted.json()) as { runId: string };
    const events = successfulRunEvents(runId);
    await publishAll(bus, events);
    await waitForRun(gateway, runId, 'run completed', (r) => r.status === 'completed');

    const all = sseReader(await fetch(`${gateway.url}/runs/${runId}/events`));
    await all.closed;
    assert.equal(all.messages.length, 1 + events.length);

    const resumed = sseReader(await fetch(`${gateway.url}/runs/${runId}/events`, { headers: { 'last-event-id': '7' } }));
    await resumed.closed;
    assert.deepEqual(
      resumed.messages.map((m) => m.id),
      ['8', '9', '10'],
    );

    const afterEnd = sseReader(await fetch(`${gateway.url}/runs/${runId}/events`, { headers: { 'last-event-id': '10' } }));
    await afterEnd.closed;
    assert.equal(afterEnd.messages.length, 0);
  });

  void it('404 problem+json for an unknown run', async () => {
    const response = await fetch(`${gateway.url}/runs/nope/events`);
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  });
});

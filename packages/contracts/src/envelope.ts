import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { eventData, RunId, SCHEMA_VERSION, type EventData, type EventDataInput, type EventType } from './events';

/** CloudEvents 1.0 structured-mode attributes, plus the `schemaversion` extension. */
export interface Envelope<T extends EventType = EventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject: string; // the run id
  datacontenttype: 'application/json';
  schemaversion: number;
  data: EventData<T>;
}

const envelopeAttributes = {
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  source: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  subject: RunId,
  datacontenttype: z.literal('application/json'),
  schemaversion: z.literal(SCHEMA_VERSION),
};

function envelopeSchema<T extends EventType>(type: T) {
  return z.object({ ...envelopeAttributes, type: z.literal(type), data: eventData[type] });
}

export const envelopeSchemas = Object.fromEntries(
  (Object.keys(eventData) as EventType[]).map((type) => [type, envelopeSchema(type)]),
) as { [T in EventType]: ReturnType<typeof envelopeSchema<T>> };

export function createEvent<T extends EventType>(
  type: T,
  runId: string,
  data: EventDataInput<T>,
  source: string,
): Envelope<T> {
  const event = {
    specversion: '1.0',
    id: randomUUID(),
    source,
    type,
    time: new Date().toISOString(),
    subject: runId,
    datacontenttype: 'application/json',
    schemaversion: SCHEMA_VERSION,
    data,
  };
  // Validate on the way out too: a producer bug is caught where it happens.
  return envelopeSchemas[type].parse(event) as Envelope<T>;
}

export type ParseResult<T extends EventType> =
  | { ok: true; event: Envelope<T> }
  | { ok: false; reason: string };

/** Parses a received payload as an event of `type`; the reason names every bad field. */
export function parseEvent<T extends EventType>(type: T, payload: unknown): ParseResult<T> {
  const result = envelopeSchemas[type].safeParse(payload);
  if (result.success) return { ok: true, event: result.data as Envelope<T> };
  const reason = result.error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, reason };
}

/** Parses a message body holding an event of any known type (consumers over `pipeline.>`). */
export function parseEventJson(body: string): { ok: true; event: Envelope } | { ok: false; reason: string } {
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const type = (payload as { type?: unknown } | null)?.type;
  // hasOwn, not `in`: "toString" is not an event type.
  if (typeof type !== 'string' || !Object.hasOwn(eventData, type)) return { ok: false, reason: `unknown event type ${JSON.stringify(type)}` };
  return parseEvent(type as EventType, payload);
}

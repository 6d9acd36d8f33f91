import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { Match, type MsgHdrs } from '@nats-io/transport-node';

// There is no NATS instrumentation for nats.js, so W3C trace context travels in the headers by hand.
const setter: TextMapSetter<MsgHdrs> = { set: (headers, key, value) => headers.set(key, value) };
const getter: TextMapGetter<MsgHdrs | undefined> = {
  keys: (headers) => (headers ? headers.keys() : []),
  // MsgHdrs.get returns "" for an absent key; the propagator wants undefined.
  get: (headers, key) => (headers?.has(key, Match.IgnoreCase) ? headers.get(key, Match.IgnoreCase) : undefined),
};

/** Writes `traceparent` (and `tracestate`, `baggage`) of the active context into `headers`. */
export function injectTraceContext(headers: MsgHdrs, from: Context = context.active()): void {
  propagation.inject(from, headers, setter);
}

/** The producer's context carried by a message, or the root context when there is none. */
export function extractTraceContext(headers: MsgHdrs | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, getter);
}

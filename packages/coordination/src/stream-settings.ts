import type { StreamOptions } from '@taxi-mlops/runtime';

/**
 * The stage services publish their results with deterministic message ids; the stream drops a
 * repeat only inside its duplicate window. Two minutes (the runtime default) is shorter than a
 * yellow-month download plus an ack_wait redelivery, so the stages ask for an hour. A late repeat
 * beyond that is still caught by `emitOnce`, which looks the event up first.
 */
export const PIPELINE_STREAM_OPTIONS: StreamOptions = { duplicateWindowMs: 60 * 60_000 };

import { DEFAULT_DUPLICATE_WINDOW_MS, type StreamOptions } from '@taxi-mlops/runtime';

/**
 * The stage services publish their results with deterministic message ids; the stream drops a
 * repeat only inside its duplicate window, which must outlast a yellow-month download plus an
 * ack_wait redelivery. The runtime's default (an hour) is what every process ensures, so the
 * gateway or bridge starting later cannot shorten it. A repeat beyond the window is still caught
 * by `emitOnce`, which looks the event up first.
 */
export const PIPELINE_STREAM_OPTIONS: StreamOptions = { duplicateWindowMs: DEFAULT_DUPLICATE_WINDOW_MS };

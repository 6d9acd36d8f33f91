/**
 * One error type for every stage. `code` is stable and machine-readable (it travels in
 * `run.failed`), `message` is one line a person understands and names the field or file.
 */
export const errorCodes = [
  'invalid_request', // bad CLI flag, request field or configuration
  'not_found', // the month has no file (HTTP 404, missing path)
  'unreachable', // host unreachable, DNS failure, connection refused
  'download_failed', // transient download failure that outlived its retries, size limit
  'invalid_file', // not parquet, truncated, unreadable footer
  'invalid_schema', // a required column is missing or has the wrong type
  'empty_dataset', // no row survives the duration filter
  'training_failed', // the solver could not produce a model
  'artifact_missing', // an artifact URI in an event points at nothing
  'cancelled',
  'internal',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

/** Whether retrying the same work later may succeed. */
export const transientCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['unreachable', 'download_failed']);

export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get transient(): boolean {
    return transientCodes.has(this.code);
  }
}

export function isPipelineError(error: unknown): error is PipelineError {
  return error instanceof PipelineError;
}

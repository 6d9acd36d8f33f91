import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { PipelineError } from '@taxi-mlops/contracts';
import { contentLength, httpGet, parseContentRange } from './http-get';
import type { ProgressReporter } from './progress';
import { waitBeforeRetry } from './retry';
import type { RetryPolicy } from './retry';

export interface DownloadOptions {
  url: string;
  /** Where bytes accumulate; kept between attempts (and calls) so a retry resumes with HTTP Range. */
  partPath: string;
  maxBytes: number;
  retry: RetryPolicy;
  /** Idle timeout: no byte for this long counts as a transient failure. */
  timeoutMs: number;
  /** What is being fetched, for messages: `yellow file for 2023-03`. */
  what: string;
  signal?: AbortSignal;
  progress?: ProgressReporter;
}

export interface DownloadResult {
  bytes: number;
  sha256: string;
}

type TransientKind = 'unreachable' | 'download';

/** A failure another attempt may cure; `kind` decides the error code once attempts run out. */
class TransientFailure extends Error {
  constructor(
    readonly kind: TransientKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN']);

/**
 * Streams `url` into `partPath`, hashing as bytes arrive. Retries 5xx/429/408, idle timeouts,
 * dropped connections and refused/unresolvable hosts with exponential backoff, resuming from the
 * bytes already on disk; an attempt that made progress resets the failure count.
 */
export async function downloadToFile(options: DownloadOptions): Promise<DownloadResult> {
  const { retry, signal } = options;
  // ETag/Last-Modified of the response being resumed: If-Range makes a changed file come back whole (200).
  const state: { validator?: string } = {};
  let failures = 0;
  for (;;) {
    throwIfCancelled(options);
    const sizeBefore = await sizeOf(options.partPath);
    try {
      return await attempt(options, state);
    } catch (error) {
      throwIfCancelled(options, error);
      if (!(error instanceof TransientFailure)) throw error;
      const progressed = (await sizeOf(options.partPath)) > sizeBefore;
      failures = progressed ? 1 : failures + 1;
      if (failures >= retry.attempts) throw finalError(options, error, failures);
      try {
        await waitBeforeRetry(retry, failures, signal);
      } catch (sleepError) {
        throwIfCancelled(options, sleepError);
        throw sleepError;
      }
    } finally {
      options.progress?.stop();
    }
  }
}

async function attempt(options: DownloadOptions, state: { validator?: string }): Promise<DownloadResult> {
  const { partPath, maxBytes } = options;
  const offset = await sizeOf(partPath);
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'taxi-mlops-ingest' };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    if (state.validator) headers['if-range'] = state.validator;
  }
  const response = await connect(options, headers);
  try {
    const { start, total } = await interpretStatus(options, response, offset);
    state.validator = response.headers.etag ?? response.headers['last-modified'];
    if (total !== undefined && total > maxBytes) {
      await rm(partPath, { force: true });
      throw sizeLimitError(options, `is ${total} bytes`);
    }
    return await receiveBody(options, response, start, total);
  } finally {
    response.destroy();
  }
}

async function connect(options: DownloadOptions, headers: Record<string, string>): Promise<IncomingMessage> {
  try {
    return (await httpGet(options.url, headers, options.timeoutMs, options.signal)).response;
  } catch (error) {
    throwIfCancelled(options, error);
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const host = new URL(options.url).host;
    if (unreachableCodes.has(code)) throw new TransientFailure('unreachable', `cannot connect to ${host} (${code})`, { cause: error });
    throw new TransientFailure('download', `request to ${host} failed (${describe(error)})`, { cause: error });
  }
}

/** Decides where the body lands: `start` is the file offset of its first byte (0 = start over). */
async function interpretStatus(
  options: DownloadOptions,
  response: IncomingMessage,
  offset: number,
): Promise<{ start: number; total: number | undefined }> {
  const status = response.statusCode ?? 0;
  if (status === 206 && offset > 0) {
    const range = parseContentRange(response.headers['content-range']);
    if (range?.start !== offset) {
      await rm(options.partPath, { force: true });
      throw new TransientFailure('download', `HTTP 206 with Content-Range ${String(response.headers['content-range'])} for offset ${offset}`);
    }
    return { start: offset, total: range.total };
  }
  // A 200 to a range request means the server ignored Range (or the file changed): start over.
  if (status === 200) return { start: 0, total: contentLength(response) };
  if (status === 416 && offset > 0) {
    await rm(options.partPath, { force: true });
    throw new TransientFailure('download', 'HTTP 416 for the partial download, starting over');
  }
  // The TLC CDN (CloudFront over S3) answers 403 for a key that does not exist.
  if (status === 404 || status === 403 || status === 410) {
    await rm(options.partPath, { force: true });
    throw new PipelineError('not_found', `no ${options.what} at ${options.url} (HTTP ${status})`);
  }
  if (status >= 500 || status === 429 || status === 408) throw new TransientFailure('download', `HTTP ${status}`);
  await rm(options.partPath, { force: true });
  throw new PipelineError('download_failed', `${options.url}: unexpected HTTP ${status}`);
}

/**
 * Appends the body chunk by chunk, awaiting each write: when the connection dies, every byte that
 * arrived is on disk and in the hash, so the next attempt resumes exactly where this one stopped.
 */
async function receiveBody(
  options: DownloadOptions,
  response: IncomingMessage,
  start: number,
  total: number | undefined,
): Promise<DownloadResult> {
  const { partPath, maxBytes, progress } = options;
  const hash = createHash('sha256');
  if (start > 0) await hashFile(partPath, hash);
  let bytes = start;
  progress?.start(total, start);
  const file = await open(partPath, start > 0 ? 'a' : 'w');
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (bytes + chunk.length > maxBytes) {
        await file.close();
        await rm(partPath, { force: true });
        throw sizeLimitError(options, `exceeded ${maxBytes} bytes while streaming`);
      }
      await file.write(chunk);
      hash.update(chunk);
      bytes += chunk.length;
      progress?.update(bytes);
    }
  } catch (error) {
    if (error instanceof PipelineError) throw error;
    throwIfCancelled(options, error);
    throw new TransientFailure('download', `connection lost after ${bytes} bytes (${describe(error)})`, { cause: error });
  } finally {
    await file.close().catch(() => undefined);
  }
  if (total !== undefined && bytes !== total) throw new TransientFailure('download', `received ${bytes} of ${total} bytes`);
  return { bytes, sha256: hash.digest('hex') };
}

function sizeLimitError(options: DownloadOptions, what: string): PipelineError {
  return new PipelineError('download_failed', `${options.url} ${what}, over the size limit of ${options.maxBytes} bytes (maxBytes)`);
}

function finalError(options: DownloadOptions, last: TransientFailure, attempts: number): PipelineError {
  const tries = `${attempts} attempt${attempts === 1 ? '' : 's'}`;
  if (last.kind === 'unreachable') {
    return new PipelineError('unreachable', `${options.what}: ${last.message} at ${options.url}, gave up after ${tries}`, { cause: last });
  }
  return new PipelineError('download_failed', `download of ${options.url} failed after ${tries}: ${last.message}`, { cause: last });
}

function throwIfCancelled(options: DownloadOptions, cause?: unknown): void {
  if (options.signal?.aborted) {
    throw new PipelineError('cancelled', `download of ${options.url} cancelled`, { cause: cause ?? options.signal.reason });
  }
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}

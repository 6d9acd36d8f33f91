import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isPipelineError, PipelineError } from '@taxi-mlops/contracts';
import { sha256OfFile } from '@taxi-mlops/artifact-store';
import { downloadToFile } from './download';
import { createProgress } from './progress';
import { invalid, monthLabel, sourceUrlFor, tripFileName, validateMonthRequest } from './request';
import { defaultRetryPolicy } from './retry';
import type { RetryPolicy } from './retry';
import { readValidSidecar, removeSidecar, writeSidecar } from './sidecar';
import type { Sidecar } from './sidecar';
import { validateTripFile } from './validate';

export interface IngestRequest {
  taxi: string;
  year: number;
  month: number;
  cacheDir: string;
  /** A local path, `file://` URL or http(s) URL to use instead of the URL template. */
  source?: string;
  /** Replaces the template's host+path prefix; a `file://` base reads from a local mirror directory. */
  baseUrl?: string;
  /** Largest file accepted, in bytes (default 2 GiB). */
  maxBytes?: number;
  /** Show a progress bar on stderr (only when stderr is a TTY). */
  progress?: boolean;
  signal?: AbortSignal;
  /** The clock for the "month in the future" check. */
  now?: Date;
  /** Retry tuning; tests shrink the delays. */
  retry?: Partial<RetryPolicy>;
  /** Idle timeout per request in ms (default 30 s). */
  timeoutMs?: number;
}

export interface IngestedFile {
  path: string;
  sha256: string;
  bytes: number;
  rows: number;
  sourceUrl: string;
  cached: boolean;
  pickupColumn: string;
  dropoffColumn: string;
}

export const defaultMaxBytes = 2 * 1024 ** 3;
const defaultTimeoutMs = 30_000;

/**
 * Makes one month's trip file available as a validated local parquet file.
 *
 * Remote sources (the template URL, `baseUrl`, or an http(s) `source`) land in
 * `<cacheDir>/<taxi>_tripdata_<YYYY-MM>.parquet` with a `.json` sidecar. The cache is keyed by
 * month: an entry is reused only if its sidecar records the same source URL and the file size
 * matches, so overriding the source re-fetches and replaces the entry. Local sources (a path or
 * `file://` URL) are validated and used in place, never copied, and the cache is not touched.
 */
export async function ingestMonth(req: IngestRequest): Promise<IngestedFile> {
  validateMonthRequest(req);
  if (typeof req.cacheDir !== 'string' || req.cacheDir.trim() === '') throw invalid('cacheDir', 'must be a non-empty path');
  const maxBytes = req.maxBytes ?? defaultMaxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw invalid('maxBytes', `${String(req.maxBytes)} is not a positive integer`);
  const what = `${req.taxi} file for ${monthLabel(req.year, req.month)}`;
  const source = resolveSource(req);
  if (source.kind === 'local') return useLocalFile(source.path, what);
  return withCacheLock(join(resolve(req.cacheDir), tripFileName(req.taxi, req.year, req.month)), (dataPath) =>
    fetchIntoCache(req, { url: source.url, dataPath, maxBytes, what }),
  );
}

type Source = { kind: 'local'; path: string } | { kind: 'remote'; url: string };

function resolveSource(req: IngestRequest): Source {
  const field = req.source !== undefined ? 'source' : 'baseUrl';
  if (req.baseUrl !== undefined && !/^(https?|file):\/\//i.test(req.baseUrl)) {
    throw invalid('baseUrl', `${req.baseUrl} is not an http(s):// or file:// URL`);
  }
  const location = req.source ?? sourceUrlFor(req.taxi, req.year, req.month, req.baseUrl);
  if (location.trim() === '') throw invalid(field, 'must not be empty');
  if (/^https?:\/\//i.test(location)) {
    try {
      return { kind: 'remote', url: new URL(location).href };
    } catch {
      throw invalid(field, `${location} is not a valid URL`);
    }
  }
  if (/^file:/i.test(location)) {
    try {
      return { kind: 'local', path: fileURLToPath(location) };
    } catch (error) {
      throw invalid(field, `${location} is not a valid file URL (${(error as Error).message})`);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) throw invalid(field, `${location} uses an unsupported scheme (expected http, https or file)`);
  return { kind: 'local', path: resolve(location) };
}

async function useLocalFile(path: string, what: string): Promise<IngestedFile> {
  let bytes: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new PipelineError('invalid_file', `${path}: not a regular file`);
    bytes = info.size;
  } catch (error) {
    if (isPipelineError(error)) throw error;
    throw new PipelineError('not_found', `no ${what} at ${path} (no such file)`, { cause: error });
  }
  const info = await validateTripFile(path);
  return {
    path,
    sha256: await sha256OfFile(path),
    bytes,
    rows: info.rows,
    sourceUrl: pathToFileURL(path).href,
    cached: false,
    pickupColumn: info.pickupColumn,
    dropoffColumn: info.dropoffColumn,
  };
}

interface Fetch {
  url: string;
  dataPath: string;
  maxBytes: number;
  what: string;
}

async function fetchIntoCache(req: IngestRequest, { url, dataPath, maxBytes, what }: Fetch): Promise<IngestedFile> {
  await mkdir(resolve(req.cacheDir), { recursive: true });
  const cached = await readValidSidecar(dataPath, url);
  if (cached) return toIngested(dataPath, cached, true);

  // Named after the URL so a partial download is only ever resumed from the source it came from.
  const partPath = `${dataPath}.${createHash('sha256').update(url).digest('hex').slice(0, 12)}.part`;
  const download = await downloadKeepingResumablePart({
    url,
    partPath,
    maxBytes,
    what,
    retry: { ...defaultRetryPolicy, ...req.retry },
    timeoutMs: req.timeoutMs ?? defaultTimeoutMs,
    progress: createProgress(req.progress ?? false, tripFileName(req.taxi, req.year, req.month)),
    ...(req.signal ? { signal: req.signal } : {}),
  });

  let info;
  try {
    info = await validateTripFile(partPath, { label: `${what} from ${url}` });
  } catch (error) {
    await rm(partPath, { force: true });
    throw error;
  }
  const sidecar: Sidecar = {
    sha256: download.sha256,
    bytes: download.bytes,
    rows: info.rows,
    sourceUrl: url,
    pickupColumn: info.pickupColumn,
    dropoffColumn: info.dropoffColumn,
    columns: info.columns,
    validatedAt: new Date().toISOString(),
  };
  // Drop the old sidecar first: an entry without one is never trusted, so a crash here costs a re-download, not a wrong file.
  await removeSidecar(dataPath);
  await rename(partPath, dataPath);
  await writeSidecar(dataPath, sidecar);
  return toIngested(dataPath, sidecar, false);
}

/**
 * A `.part` file survives only failures a later call can resume from (transient network trouble,
 * cancellation); it is never mistaken for a cache entry. Every other failure removes it.
 */
async function downloadKeepingResumablePart(options: Parameters<typeof downloadToFile>[0]) {
  try {
    return await downloadToFile(options);
  } catch (error) {
    const resumable = isPipelineError(error) && (error.transient || error.code === 'cancelled');
    if (!resumable) await rm(options.partPath, { force: true });
    if (isPipelineError(error)) throw error;
    throw new PipelineError('internal', `download of ${options.url} failed: ${(error as Error).message}`, { cause: error });
  }
}

function toIngested(path: string, sidecar: Sidecar, cached: boolean): IngestedFile {
  return {
    path,
    sha256: sidecar.sha256,
    bytes: sidecar.bytes,
    rows: sidecar.rows,
    sourceUrl: sidecar.sourceUrl,
    cached,
    pickupColumn: sidecar.pickupColumn,
    dropoffColumn: sidecar.dropoffColumn,
  };
}

const cacheLocks = new Map<string, Promise<unknown>>();

/** Serialises work on one cache entry within this process, so two requests for a month share one download. */
async function withCacheLock<T>(dataPath: string, work: (dataPath: string) => Promise<T>): Promise<T> {
  const previous = cacheLocks.get(dataPath) ?? Promise.resolve();
  const current = previous.catch(() => undefined).then(() => work(dataPath));
  cacheLocks.set(dataPath, current);
  try {
    return await current;
  } finally {
    if (cacheLocks.get(dataPath) === current) cacheLocks.delete(dataPath);
  }
}

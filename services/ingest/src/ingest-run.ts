import type { DownloadedFile, EventData, YearMonth } from '@taxi-mlops/contracts';
import { toArtifactUri, type ArtifactLayout } from '@taxi-mlops/artifact-store';
import { ingestMonth } from './ingest';
import { tripFileName } from './request';

export type RunRequest = EventData<'run.requested'>;

/** Runs `work` while no other ingest process works on the same key (a KV lease in the service). */
export type Exclusive = <T>(key: string, work: () => Promise<T>) => Promise<T>;

export interface MonthJob {
  month: YearMonth;
  role: 'training' | 'validation';
  /** The request's `source` override (one-month runs only). */
  source?: string;
}

/** Which files a run needs, in the order they are reported: training months, then validation. */
export function monthJobs(request: RunRequest): MonthJob[] {
  const training: MonthJob[] = request.months.map((month) => ({
    month,
    role: 'training',
    ...(request.source !== undefined && request.months.length === 1 ? { source: request.source } : {}),
  }));
  return request.validation ? [...training, { month: request.validation, role: 'validation' }] : training;
}

export interface IngestRunOptions {
  layout: ArtifactLayout;
  baseUrl?: string;
  exclusive: Exclusive;
  signal?: AbortSignal;
}

export type IngestRunResult = Omit<EventData<'data.downloaded'>, 'durationMs'>;

/**
 * Makes every file of a run available under taxi-data/ (the core's month cache) and describes
 * them as artifact URIs. Downloads of one month are serialised across processes: the core's
 * cache lock is per process, and two processes resuming the same `.part` file would corrupt it.
 */
export async function ingestRun(request: RunRequest, options: IngestRunOptions): Promise<IngestRunResult> {
  const files: DownloadedFile[] = [];
  let validation: DownloadedFile | undefined;
  for (const job of monthJobs(request)) {
    const { year, month } = job.month;
    const fetch = () =>
      ingestMonth({
        taxi: request.taxi,
        year,
        month,
        cacheDir: options.layout.taxiData,
        progress: false,
        ...(job.source === undefined ? {} : { source: job.source }),
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    // A local `source` is read in place (no cache entry to protect).
    const file = job.source !== undefined && !/^https?:/i.test(job.source) ? await fetch() : await options.exclusive(`ingest.${tripFileName(request.taxi, year, month)}`, fetch);
    const described: DownloadedFile = {
      year,
      month,
      uri: toArtifactUri(options.layout.root, file.path),
      sha256: file.sha256,
      bytes: file.bytes,
      rows: file.rows,
      sourceUrl: file.sourceUrl,
    };
    if (job.role === 'validation') validation = described;
    else files.push(described);
  }
  return { taxi: request.taxi, files, ...(validation ? { validation } : {}) };
}

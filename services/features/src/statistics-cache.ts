import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError, type DownloadedFile } from '@taxi-mlops/contracts';
import { readJsonIfPresent, resolveArtifactUri, sha256OfFile, writeJsonAtomic, type ArtifactLayout } from '@taxi-mlops/artifact-store';
import { buildMonthStatistics, type MonthFeatures } from './build-month-statistics';

/** Runs `work` while no other features process works on the same key (a KV lease in the service). */
export type Exclusive = <T>(key: string, work: () => Promise<T>) => Promise<T>;

/** The duration filter of the homework; part of every statistics address. */
export const DURATION_BOUNDS = { minMinutes: 1, maxMinutes: 60 } as const;

/**
 * A month's statistics are addressed by the trip file's sha256 and the duration bounds - the same
 * key and folder as the local command's cache (`<sha256>-d1-60` under pipeline-data/statistics),
 * so both reuse each other's work when they share a data directory.
 */
export function statisticsKey(sha256: string): string {
  return `${sha256}-d${DURATION_BOUNDS.minMinutes}-${DURATION_BOUNDS.maxMinutes}`;
}

export interface CachedStatistics {
  features: MonthFeatures;
  reused: boolean;
}

export interface CachedStatisticsRequest {
  /** The trip file's sha256: with the duration bounds, the address of its statistics. */
  sha256: string;
  /** Where statistics live (`pipeline-data/statistics`). */
  statisticsDir: string;
  /** The trip file to read, asked for only when the statistics must be computed. */
  tripFile: () => Promise<string>;
  /** Serialises the computation across processes (the service's lease); default none. */
  exclusive?: Exclusive;
}

/**
 * A month's statistics, shared by the local command and the service: reused when their summary
 * exists (it is written last, so its presence marks a complete entry), else computed from the trip
 * file and recorded.
 */
export async function cachedMonthStatistics(request: CachedStatisticsRequest): Promise<CachedStatistics> {
  const key = statisticsKey(request.sha256);
  const statsPath = join(request.statisticsDir, `${key}.arrow`);
  const summaryPath = join(request.statisticsDir, `${key}.json`);
  const cached = async () => {
    const summary = await readJsonIfPresent<MonthFeatures>(summaryPath);
    return summary ? { features: { ...summary, statsPath }, reused: true } : undefined;
  };
  const exclusive: Exclusive = request.exclusive ?? ((_key, work) => work());
  return (
    (await cached()) ??
    exclusive(`features.${key}`, async () => {
      const done = await cached(); // computed by the previous holder while this one waited
      if (done) return done;
      const tripFile = await request.tripFile();
      await mkdir(request.statisticsDir, { recursive: true });
      const features = await buildMonthStatistics({ tripFile, outputPath: statsPath, ...DURATION_BOUNDS });
      await writeJsonAtomic(summaryPath, features);
      return { features, reused: false };
    })
  );
}

/**
 * The statistics of one downloaded file, computed under a lease from the file at `file.uri`, after
 * checking it is still the file ingest described.
 */
export function monthStatistics(file: DownloadedFile, field: string, layout: ArtifactLayout, exclusive: Exclusive): Promise<CachedStatistics> {
  return cachedMonthStatistics({
    sha256: file.sha256,
    statisticsDir: layout.statistics,
    exclusive,
    tripFile: async () => {
      const tripFile = resolveArtifactUri(layout.root, file.uri, `${field}.uri`);
      await assertSameFile(tripFile, file, field);
      return tripFile;
    },
  });
}

async function assertSameFile(path: string, file: DownloadedFile, field: string): Promise<void> {
  let actual: string;
  try {
    actual = await sha256OfFile(path);
  } catch (cause) {
    throw new PipelineError('artifact_missing', `${field}.uri: cannot read ${path} (${(cause as Error).message})`, { cause });
  }
  if (actual !== file.sha256) {
    throw new PipelineError('artifact_missing', `${field}.uri: ${path} changed since ingest (sha256 ${actual.slice(0, 12)}…, expected ${file.sha256.slice(0, 12)}…)`);
  }
}

import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildMonthStatistics, type MonthFeatures } from '@taxi-mlops/features';

/**
 * A month's statistics are addressed by the trip file's sha256 and the duration bounds, so
 * retraining on an overlapping month range reuses them instead of reading the rows again.
 */
export async function monthStatistics(
  tripFile: string,
  sha256: string,
  statsDir: string,
): Promise<{ features: MonthFeatures; reused: boolean }> {
  const key = `${sha256}-d1-60`;
  const statsPath = join(statsDir, `${key}.arrow`);
  const summaryPath = join(statsDir, `${key}.json`);
  if (existsSync(statsPath) && existsSync(summaryPath)) {
    const features = JSON.parse(await readFile(summaryPath, 'utf8')) as MonthFeatures;
    return { features: { ...features, statsPath }, reused: true };
  }
  const features = await buildMonthStatistics({ tripFile, outputPath: statsPath });
  // The summary is written last and atomically: its presence marks a complete entry.
  const temporary = `${summaryPath}.${process.pid}.tmp`;
  await writeFile(temporary, JSON.stringify(features));
  await rename(temporary, summaryPath);
  return { features, reused: false };
}

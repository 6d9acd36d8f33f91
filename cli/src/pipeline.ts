import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ingestMonth, sidecarPath, type IngestedFile } from '@taxi-mlops/ingest';
import { answersOf, trainModel, type TrainedModel } from '@taxi-mlops/trainer';
import { formatYearMonth, isPipelineError, type Answers, type YearMonth } from '@taxi-mlops/contracts';
import { cachedMonthStatistics, type MonthFeatures } from '@taxi-mlops/features';
import type { PipelineOptions } from './options';

export interface MonthReport {
  month: YearMonth;
  file: IngestedFile;
  features: MonthFeatures;
  statisticsReused: boolean;
}

export interface PipelineReport {
  answers: Answers;
  months: MonthReport[];
  validation?: MonthReport;
  model: TrainedModel;
  stageMs: { ingest: number; features: number; train: number; total: number };
}

export function dataLayout(dataDir: string) {
  return {
    taxiData: join(dataDir, 'taxi-data'),
    pipelineData: join(dataDir, 'pipeline-data'),
    models: join(dataDir, 'models'),
  };
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

/** ingest → features → trainer in this process, one month at a time (memory stays flat). */
export async function runLocalPipeline(options: PipelineOptions): Promise<PipelineReport> {
  const layout = dataLayout(options.dataDir);
  const statsDir = join(layout.pipelineData, 'statistics');
  await Promise.all([layout.taxiData, statsDir, layout.models].map((dir) => mkdir(dir, { recursive: true })));
  const started = performance.now();
  let ingestMs = 0;
  let featuresMs = 0;

  const processMonth = async (month: YearMonth, source?: string): Promise<MonthReport> => {
    const [file, downloadMs] = await timed(() =>
      ingestMonth({
        taxi: options.taxi,
        ...month,
        cacheDir: layout.taxiData,
        progress: options.progress && !options.json,
        ...(source === undefined ? {} : { source }),
        ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
      }),
    );
    const [{ features, reused }, statsMs] = await timed(() =>
      cachedMonthStatistics({ sha256: file.sha256, statisticsDir: statsDir, tripFile: () => Promise.resolve(file.path) }).catch(async (error: unknown) => {
        await evictUnusableDownload(error, file, layout.taxiData);
        throw error;
      }),
    );
    ingestMs += downloadMs;
    featuresMs += statsMs;
    return { month, file, features, statisticsReused: reused };
  };

  const months: MonthReport[] = [];
  for (const month of options.months) months.push(await processMonth(month, options.source));
  const validation = options.validation ? await processMonth(options.validation) : undefined;

  const [model, trainMs] = await timed(() => trainIntoModelsDir(options, months, validation, layout.models));
  const rowsLoaded = months.reduce((sum, report) => sum + report.features.rowsRead, 0);
  const report: PipelineReport = {
    answers: answersOf(rowsLoaded, model, model.modelDir),
    months,
    model,
    stageMs: { ingest: ingestMs, features: featuresMs, train: trainMs, total: performance.now() - started },
  };
  if (validation) report.validation = validation;
  return report;
}

/**
 * A downloaded month without a single usable trip is no more use than a corrupt one: it must not
 * sit in the cache as if it were good. A user's own `--source` file is never touched.
 */
async function evictUnusableDownload(error: unknown, file: IngestedFile, cacheDir: string): Promise<void> {
  if (!isPipelineError(error) || error.code !== 'empty_dataset') return;
  if (!resolve(file.path).startsWith(resolve(cacheDir) + sep)) return;
  await Promise.all([rm(file.path, { force: true }), rm(sidecarPath(file.path), { force: true })]);
}

/** The model is written to a temporary folder and renamed: a failure leaves no half model. */
async function trainIntoModelsDir(
  options: PipelineOptions,
  months: MonthReport[],
  validation: MonthReport | undefined,
  modelsDir: string,
): Promise<TrainedModel> {
  const first = options.months[0];
  const last = options.months[options.months.length - 1];
  const span = first && last && months.length > 1 ? `${formatYearMonth(first)}_${formatYearMonth(last)}` : formatYearMonth(first!);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const finalDir = join(modelsDir, `${options.taxi}_${span}_${stamp}`);
  const temporaryDir = join(modelsDir, `.tmp-${randomUUID()}`);
  try {
    const model = await trainModel({
      statsPaths: months.map((report) => report.features.statsPath),
      ...(validation ? { validationStatsPath: validation.features.statsPath } : {}),
      modelDir: temporaryDir,
    });
    await rm(finalDir, { recursive: true, force: true });
    await rename(temporaryDir, finalDir);
    return { ...model, modelDir: finalDir };
  } finally {
    await rm(temporaryDir, { recursive: true, force: true });
  }
}

// The TypeScript stages, run in-process the way the services chain them: statistics, then training.
import { join } from 'node:path';
import { buildMonthStatistics } from '@taxi-mlops/features';
import { trainModel } from '@taxi-mlops/trainer';

export type MonthFeatures = Awaited<ReturnType<typeof buildMonthStatistics>>;
export type TrainedModel = Awaited<ReturnType<typeof trainModel>>;

export interface TrainedMonth {
  features: MonthFeatures;
  validationFeatures: MonthFeatures | undefined;
  model: TrainedModel;
}

/** Builds the statistics of the training (and optional validation) month and trains into workDir/model. */
export async function trainMonthInTypeScript(tripFile: string, workDir: string, validationFile?: string): Promise<TrainedMonth> {
  const [features, validationFeatures] = await Promise.all([
    buildMonthStatistics({ tripFile, outputPath: join(workDir, 'train.stats.arrow') }),
    validationFile ? buildMonthStatistics({ tripFile: validationFile, outputPath: join(workDir, 'validation.stats.arrow') }) : undefined,
  ]);
  const model = await trainModel({
    statsPaths: [features.statsPath],
    ...(validationFeatures ? { validationStatsPath: validationFeatures.statsPath } : {}),
    modelDir: join(workDir, 'model'),
  });
  return { features, validationFeatures, model };
}

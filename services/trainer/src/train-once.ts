import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventData } from '@taxi-mlops/contracts';
import { readJsonIfPresent, resolveArtifactUri, writeJsonAtomic, type ArtifactLayout } from '@taxi-mlops/artifact-store';
import { modelName } from './model-address';
import { trainModel } from './train-model';

/** Runs `work` while no other trainer works on the same key (a KV lease in the service). */
export type Exclusive = <T>(key: string, work: () => Promise<T>) => Promise<T>;

/** What is kept next to a model folder (`models/<name>.json`); written last, it marks the model complete. */
export interface ModelSummary {
  intercept: number;
  rmseTrain: number;
  rmseVal: number | null;
  nFeatures: number;
  rowsTrain: number;
  modelSizeBytes: number;
}

export interface TrainedOnce {
  modelDir: string;
  summary: ModelSummary;
  reused: boolean;
}

export interface TrainOnceOptions {
  layout: ArtifactLayout;
  exclusive: Exclusive;
  /** Runs under the lease before training (the test-only delay). */
  beforeTraining?: () => Promise<void>;
}

/**
 * Trains the model of a features.ready payload at most once across all trainers: under a lease on
 * the model's address, into a temporary folder renamed into place, with the summary written last.
 */
export async function trainOnce(features: EventData<'features.ready'>, options: TrainOnceOptions): Promise<TrainedOnce> {
  const { layout } = options;
  const name = modelName(features);
  const modelDir = join(layout.models, name);
  const summaryPath = join(layout.models, `${name}.json`);
  const existing = async () => {
    const summary = await readJsonIfPresent<ModelSummary>(summaryPath);
    return summary ? { modelDir, summary, reused: true } : undefined;
  };
  return (
    (await existing()) ??
    options.exclusive(`train.${name}`, async () => {
      await options.beforeTraining?.();
      const done = await existing(); // trained by the previous holder while this one waited
      if (done) return done;
      const statsPaths = features.months.map((month, i) => resolveArtifactUri(layout.root, month.statsUri, `months.${i}.statsUri`));
      const validationStatsPath = features.validation ? resolveArtifactUri(layout.root, features.validation.statsUri, 'validation.statsUri') : undefined;
      await mkdir(layout.models, { recursive: true });
      const temporaryDir = join(layout.models, `.tmp-${randomUUID()}`);
      try {
        const model = await trainModel({ statsPaths, modelDir: temporaryDir, ...(validationStatsPath ? { validationStatsPath } : {}) });
        // A folder without a summary is a leftover of a crash between these two steps: replace it.
        await rm(modelDir, { recursive: true, force: true });
        await rename(temporaryDir, modelDir);
        const summary: ModelSummary = {
          intercept: model.intercept,
          rmseTrain: model.rmseTrain,
          rmseVal: model.rmseVal,
          nFeatures: model.nFeatures,
          rowsTrain: model.rowsTrain,
          modelSizeBytes: model.modelSizeBytes,
        };
        await writeJsonAtomic(summaryPath, summary);
        return { modelDir, summary, reused: false };
      } finally {
        await rm(temporaryDir, { recursive: true, force: true });
      }
    })
  );
}

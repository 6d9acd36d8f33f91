import type { DownloadedFile, EventData, MonthStatistics } from '@taxi-mlops/contracts';
import { toArtifactUri } from '@taxi-mlops/artifact-store';
import type { MonthFeatures } from './build-month-statistics';

export interface ComputedMonth {
  file: DownloadedFile;
  features: MonthFeatures;
}

export function describeMonth(root: string, { file, features }: ComputedMonth): MonthStatistics {
  return {
    year: file.year,
    month: file.month,
    statsUri: toArtifactUri(root, features.statsPath),
    sha256: features.statsSha256,
    rowsRead: features.rowsRead,
    rowsKept: features.rowsKept,
  };
}

/**
 * The features.ready payload: rows summed over the training months, and the feature count of
 * the union of their vocabularies - the columns DictVectorizer gives the concatenated months
 * (the validation month only scores, so it adds none).
 */
export function featuresReadyData(
  root: string,
  taxi: EventData<'features.ready'>['taxi'],
  training: ComputedMonth[],
  validation: ComputedMonth | undefined,
  durationMs: number,
): EventData<'features.ready'> {
  const vocabulary = new Set(training.flatMap((month) => month.features.vocabulary));
  return {
    taxi,
    months: training.map((month) => describeMonth(root, month)),
    ...(validation ? { validation: describeMonth(root, validation) } : {}),
    rowsRead: training.reduce((sum, month) => sum + month.features.rowsRead, 0),
    rowsKept: training.reduce((sum, month) => sum + month.features.rowsKept, 0),
    nFeatures: vocabulary.size,
    durationMs,
  };
}

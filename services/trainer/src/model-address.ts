import { formatYearMonth, type EventData } from '@taxi-mlops/contracts';
import { sha256OfText } from '@taxi-mlops/artifact-store';

/** Bumped when the solver or the model files change, so an old model is never reused for a new result. */
export const MODEL_RECIPE = 'exact-min-norm/v1';


/**
 * The model's folder name under models/: readable like the local command's (`green_2023-03_…`)
 * and addressed by what determines the model - the statistics' sha256s, the validation
 * statistics and the recipe - so a redelivery, a duplicate or an identical request reuses it.
 */
export function modelName(features: Pick<EventData<'features.ready'>, 'taxi' | 'months' | 'validation'>): string {
  const first = features.months[0];
  const last = features.months.at(-1);
  const span = first && last && features.months.length > 1 ? `${formatYearMonth(first)}_${formatYearMonth(last)}` : formatYearMonth(first!);
  const inputs = JSON.stringify({
    recipe: MODEL_RECIPE,
    training: features.months.map((month) => month.sha256),
    validation: features.validation?.sha256 ?? null,
  });
  return `${features.taxi}_${span}_${sha256OfText(inputs).slice(0, 16)}`;
}

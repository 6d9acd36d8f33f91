import { PipelineError } from '@taxi-mlops/contracts';

/**
 * Dense per-zone coefficient tables, indexed by location id. Length = largest id seen + 2:
 * the last slot is always 0 and is where out-of-range ids land (ids above the range are
 * clipped to it; negative ids are clipped to −1, which Gather reads as the last slot too).
 * Zones without a feature hold 0, as DictVectorizer ignores unseen categories.
 */
export interface ZoneTables {
  pickup: Float64Array;
  dropoff: Float64Array;
}

const FEATURE = /^(PULocationID|DOLocationID)=(0|[1-9][0-9]*)$/;
/** Keeps the dense tables small; TLC zone ids are 1..265. */
const MAX_ZONE_ID = 1_000_000;

export function zoneTablesFromFeatures(featureNames: readonly string[], coefficients: ArrayLike<number>): ZoneTables {
  if (featureNames.length !== coefficients.length) {
    throw new PipelineError('invalid_request', `${featureNames.length} feature names but ${coefficients.length} coefficients`);
  }
  const entries = { PULocationID: new Map<number, number>(), DOLocationID: new Map<number, number>() };
  featureNames.forEach((name, j) => {
    const match = FEATURE.exec(name);
    const id = Number(match?.[2]);
    if (!match || id > MAX_ZONE_ID) {
      throw new PipelineError('invalid_request', `feature ${JSON.stringify(name)} is not PULocationID=<id> or DOLocationID=<id> with 0 ≤ id ≤ ${MAX_ZONE_ID}`);
    }
    const value = coefficients[j]!;
    if (!Number.isFinite(value)) throw new PipelineError('invalid_request', `coefficient of ${name} is not finite`);
    entries[match[1] as 'PULocationID' | 'DOLocationID'].set(id, value);
  });
  return { pickup: denseTable(entries.PULocationID), dropoff: denseTable(entries.DOLocationID) };
}

function denseTable(byId: Map<number, number>): Float64Array {
  const largest = Math.max(-1, ...byId.keys());
  const table = new Float64Array(largest + 2);
  for (const [id, value] of byId) table[id] = value;
  return table;
}

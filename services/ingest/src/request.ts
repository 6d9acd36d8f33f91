import { formatYearMonth, PipelineError } from '@taxi-mlops/contracts';

/** Taxi types whose monthly files carry pickup/drop-off times and zone ids (FHV files do not). */
export const taxiTypes = ['yellow', 'green'] as const;
export type TaxiType = (typeof taxiTypes)[number];

/** The public TLC CDN; `baseUrl` replaces this prefix (mirrors, local test servers). */
export const defaultBaseUrl = 'https://d37ci6vzurychx.cloudfront.net/trip-data';

/** The first month TLC publishes trip records for. */
const firstYear = 2009;

export function isTaxiType(value: unknown): value is TaxiType {
  return typeof value === 'string' && (taxiTypes as readonly string[]).includes(value);
}

/** `2023-03`, the month label used in file names and messages. */
export function monthLabel(year: number, month: number): string {
  return formatYearMonth({ year, month });
}

/** `yellow_tripdata_2023-03.parquet` */
export function tripFileName(taxi: string, year: number, month: number): string {
  return `${taxi}_tripdata_${monthLabel(year, month)}.parquet`;
}

/** `https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-03.parquet`, or the same file under `baseUrl`. */
export function sourceUrlFor(taxi: string, year: number, month: number, baseUrl: string = defaultBaseUrl): string {
  return `${baseUrl.replace(/\/+$/, '')}/${tripFileName(taxi, year, month)}`;
}

export interface MonthRequest {
  taxi: string;
  year: number;
  month: number;
  now?: Date;
}

/** Rejects a request that can never name a published file, before any I/O. */
export function validateMonthRequest(req: MonthRequest): asserts req is MonthRequest & { taxi: TaxiType } {
  if (!isTaxiType(req.taxi)) {
    throw invalid('taxi', `unknown taxi type ${JSON.stringify(req.taxi)} (expected ${taxiTypes.join(' or ')})`);
  }
  if (!Number.isInteger(req.year)) throw invalid('year', `${String(req.year)} is not an integer`);
  if (!Number.isInteger(req.month) || req.month < 1 || req.month > 12) {
    throw invalid('month', `${String(req.month)} is not a month (expected 1..12)`);
  }
  if (req.year < firstYear) {
    throw invalid('year', `${monthLabel(req.year, req.month)} is before ${firstYear}-01, the first month TLC publishes`);
  }
  const now = req.now ?? new Date();
  const nowIndex = now.getUTCFullYear() * 12 + now.getUTCMonth();
  if (req.year * 12 + (req.month - 1) > nowIndex) {
    throw invalid('month', `${monthLabel(req.year, req.month)} is in the future (now is ${monthLabel(now.getUTCFullYear(), now.getUTCMonth() + 1)})`);
  }
}

export function invalid(field: string, what: string): PipelineError {
  return new PipelineError('invalid_request', `${field}: ${what}`);
}

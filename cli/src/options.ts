import { PipelineError, taxiTypes, type TaxiType, type YearMonth } from '@taxi-mlops/contracts';
import { monthRange, parseYearMonth } from './months';

/** What the command line asks for, validated and normalised. */
export interface PipelineOptions {
  taxi: TaxiType;
  months: YearMonth[];
  source?: string;
  baseUrl?: string;
  validation?: YearMonth;
  dataDir: string;
  json: boolean;
  verbose: boolean;
  progress: boolean;
}

export interface RawOptions {
  taxi: string;
  year?: string;
  month?: string;
  from?: string;
  to?: string;
  source?: string;
  baseUrl?: string;
  validation?: string;
  dataDir: string;
  json?: boolean;
  verbose?: boolean;
  progress?: boolean;
}

function parseInteger(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new PipelineError('invalid_request', `${flag}: expected a whole number, got '${text}'`);
  return Number(text);
}

export function normaliseOptions(raw: RawOptions): PipelineOptions {
  if (!(taxiTypes as readonly string[]).includes(raw.taxi)) {
    throw new PipelineError('invalid_request', `--taxi: unknown taxi type '${raw.taxi}' (expected ${taxiTypes.join(' or ')})`);
  }
  const months = resolveMonths(raw);
  if (raw.source !== undefined && months.length > 1) {
    throw new PipelineError('invalid_request', '--source: a source file overrides one month only; drop --from/--to or --source');
  }
  const options: PipelineOptions = {
    taxi: raw.taxi as TaxiType,
    months,
    dataDir: raw.dataDir,
    json: raw.json ?? false,
    verbose: raw.verbose ?? false,
    progress: raw.progress ?? true,
  };
  if (raw.source !== undefined) options.source = raw.source;
  if (raw.baseUrl !== undefined) options.baseUrl = raw.baseUrl;
  if (raw.validation !== undefined) options.validation = parseYearMonth(raw.validation, '--validation');
  return options;
}

function resolveMonths(raw: RawOptions): YearMonth[] {
  if (raw.from !== undefined || raw.to !== undefined) {
    if (raw.from === undefined || raw.to === undefined) {
      throw new PipelineError('invalid_request', '--from/--to: give both ends of the month range, e.g. --from 2023-01 --to 2023-03');
    }
    if (raw.year !== undefined || raw.month !== undefined) {
      throw new PipelineError('invalid_request', '--year/--month: use either --year/--month or --from/--to, not both');
    }
    return monthRange(parseYearMonth(raw.from, '--from'), parseYearMonth(raw.to, '--to'));
  }
  const year = parseInteger(raw.year ?? '2023', '--year');
  const month = parseInteger(raw.month ?? '3', '--month');
  if (month < 1 || month > 12) throw new PipelineError('invalid_request', `--month: expected 1-12, got ${month}`);
  return [{ year, month }];
}

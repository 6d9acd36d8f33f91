import { PipelineError, type YearMonth } from '@taxi-mlops/contracts';

const YEAR_MONTH = /^(\d{4})-(\d{2})$/;

/** Parses `YYYY-MM`; `flag` names the option in the error. */
export function parseYearMonth(text: string, flag: string): YearMonth {
  const match = YEAR_MONTH.exec(text.trim());
  const year = Number(match?.[1]);
  const month = Number(match?.[2]);
  if (!match || month < 1 || month > 12) {
    throw new PipelineError('invalid_request', `${flag}: expected YYYY-MM with a month 01-12, got '${text}'`);
  }
  return { year, month };
}

export function formatYearMonth({ year, month }: YearMonth): string {
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** Every month from `from` to `to`, both included, oldest first. */
export function monthRange(from: YearMonth, to: YearMonth): YearMonth[] {
  const first = from.year * 12 + from.month - 1;
  const last = to.year * 12 + to.month - 1;
  if (last < first) {
    throw new PipelineError('invalid_request', `--to: ${formatYearMonth(to)} is before --from ${formatYearMonth(from)}`);
  }
  const months: YearMonth[] = [];
  for (let index = first; index <= last; index++) {
    months.push({ year: Math.floor(index / 12), month: (index % 12) + 1 });
  }
  return months;
}

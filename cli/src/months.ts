import { formatYearMonth, monthsBetween, PipelineError, type YearMonth } from '@taxi-mlops/contracts';

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


/** Every month from `from` to `to`, both included, oldest first. */
export function monthRange(from: YearMonth, to: YearMonth): YearMonth[] {
  const months = monthsBetween(from, to);
  if (months.length === 0) {
    throw new PipelineError('invalid_request', `--to: ${formatYearMonth(to)} is before --from ${formatYearMonth(from)}`);
  }
  return months;
}

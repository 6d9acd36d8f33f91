import path from 'node:path';
import { z } from 'zod';
import { monthsBetween, monthIndex, formatYearMonth, taxiTypes, type EventDataInput, type YearMonth } from '@taxi-mlops/contracts';
import type { FieldProblem } from '../http/problem';

/** The first month of TLC trip records. */
export const FIRST_MONTH: YearMonth = { year: 2009, month: 1 };
/** A run may train on at most this many months (the contracts' limit). */
export const MAX_MONTHS = 240;

const YearMonthText = z.string().regex(/^\d{4}-\d{2}$/, 'expected "YYYY-MM"');
const YearMonthObject = z.strictObject({ year: z.number().int(), month: z.number().int() });
const YearMonthInput = z
  .union([YearMonthText, YearMonthObject], { error: 'expected "YYYY-MM" or {"year": YYYY, "month": M}' })
  .meta({ examples: ['2023-03', { year: 2023, month: 3 }] });
type YearMonthInput = z.infer<typeof YearMonthInput>;

/**
 * The shape of `POST /runs`. Only the structure is checked here (types, unknown fields); the rules
 * that need the clock or several fields together are in `toRunRequest`, which names the field.
 */
export const RunRequestBody = z
  .strictObject({
    taxi: z.enum(taxiTypes, {
      error: (issue) => (issue.input === undefined ? 'required' : `unknown taxi type ${JSON.stringify(issue.input)}: expected yellow or green`),
    }),
    year: z.number().int().optional().describe('training year, with `month` (one-month run)'),
    month: z.number().int().min(1, 'must be 1-12').max(12, 'must be 1-12').optional().describe('training month 1-12'),
    from: YearMonthInput.optional().describe('first month of a training range, with `to`'),
    to: YearMonthInput.optional().describe('last month of a training range, included'),
    source: z.string().min(1).max(2048).optional().describe('one-month runs: read this http(s) URL, file:// URL or absolute path instead of the TLC download'),
    validation: YearMonthInput.optional().describe('also report the RMSE on this month'),
    stopAfter: z.enum(['ingest', 'train'], { error: 'expected "ingest" or "train"' }).optional().describe('"ingest" only downloads'),
  })
  .meta({ examples: [{ taxi: 'yellow', year: 2023, month: 3 }, { taxi: 'green', from: '2021-01', to: '2021-03', validation: '2021-04' }] });
export type RunRequestBody = z.infer<typeof RunRequestBody>;

export type RunRequestInput = EventDataInput<'run.requested'>;

export type RunRequestResult = { ok: true; request: RunRequestInput } | { ok: false; errors: FieldProblem[] };

/** Checks what the schema cannot and builds the `run.requested` payload. */
export function toRunRequest(body: RunRequestBody, now: Date): RunRequestResult {
  const errors: FieldProblem[] = [];
  const latest: YearMonth = { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1 };

  const checkMonth = (field: string, value: YearMonth): YearMonth | undefined => {
    if (value.month < 1 || value.month > 12) errors.push({ field, reason: `month must be 1-12, got ${value.month}` });
    else if (monthIndex(value) < monthIndex(FIRST_MONTH)) errors.push({ field, reason: `${formatYearMonth(value)} is before ${formatYearMonth(FIRST_MONTH)}, the first month of TLC trip records` });
    else if (monthIndex(value) > monthIndex(latest)) errors.push({ field, reason: `${formatYearMonth(value)} is in the future` });
    else return value;
    return undefined;
  };

  let months: YearMonth[] | undefined;
  const single = body.year !== undefined || body.month !== undefined;
  const range = body.from !== undefined || body.to !== undefined;
  if (single && range) {
    errors.push({ field: body.from !== undefined ? 'from' : 'to', reason: 'give either year and month, or from and to, not both' });
  } else if (single) {
    if (body.year === undefined) errors.push({ field: 'year', reason: 'required with month' });
    else if (body.month === undefined) errors.push({ field: 'month', reason: 'required with year' });
    else {
      // Blame the year when the year alone is out of range, else the month.
      const yearOut = body.year < FIRST_MONTH.year || body.year > latest.year;
      const month = checkMonth(yearOut ? 'year' : 'month', { year: body.year, month: body.month });
      if (month) months = [month];
    }
  } else if (range) {
    if (body.from === undefined) errors.push({ field: 'from', reason: 'required with to' });
    else if (body.to === undefined) errors.push({ field: 'to', reason: 'required with from' });
    else {
      const from = checkMonth('from', yearMonthOf(body.from));
      const to = checkMonth('to', yearMonthOf(body.to));
      if (from && to) {
        const count = monthIndex(to) - monthIndex(from) + 1;
        if (count < 1) errors.push({ field: 'from', reason: `${formatYearMonth(from)} is after to ${formatYearMonth(to)}` });
        else if (count > MAX_MONTHS) errors.push({ field: 'to', reason: `a run trains on at most ${MAX_MONTHS} months, this range has ${count}` });
        else months = monthsBetween(from, to);
      }
    }
  } else {
    errors.push({ field: 'year', reason: 'required: give year and month, or from and to' });
  }

  const validation = body.validation === undefined ? undefined : checkMonth('validation', yearMonthOf(body.validation));

  if (body.source !== undefined) {
    const reason = sourceProblem(body.source);
    if (reason) errors.push({ field: 'source', reason });
    else if (months && months.length > 1) errors.push({ field: 'source', reason: 'only for a one-month run' });
  }

  if (errors.length > 0 || !months) return { ok: false, errors };
  return {
    ok: true,
    request: {
      taxi: body.taxi,
      months,
      ...(body.source === undefined ? {} : { source: body.source }),
      ...(validation ? { validation } : {}),
      stopAfter: body.stopAfter ?? 'train',
      origin: { kind: 'gateway' },
    },
  };
}

/** Why `source` is unusable, or undefined when it is an http(s) URL, a file:// URL or an absolute path. */
export function sourceProblem(source: string): string | undefined {
  const expected = 'must be an http(s) URL, a file:// URL or an absolute path';
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) {
    let url: URL;
    try {
      url = new URL(source);
    } catch {
      return `not a valid URL (${expected})`;
    }
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.hostname ? undefined : `URL has no host (${expected})`;
    if (url.protocol === 'file:') return url.pathname.length > 1 ? undefined : `file URL has no path (${expected})`;
    return `scheme ${url.protocol.slice(0, -1)} is not supported (${expected})`;
  }
  return path.posix.isAbsolute(source) ? undefined : `relative path (${expected})`;
}

function yearMonthOf(input: YearMonthInput): YearMonth {
  if (typeof input !== 'string') return input;
  const [year, month] = input.split('-').map(Number);
  return { year: year ?? 0, month: month ?? 0 };
}


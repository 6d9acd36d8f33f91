import type { YearMonth } from './events';

/** `2023-03`: how months are written in requests, names, logs and reports. */
export function formatYearMonth({ year, month }: YearMonth): string {
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** Months since year 0, so months compare and subtract as integers. */
export function monthIndex({ year, month }: YearMonth): number {
  return year * 12 + month - 1;
}

export function monthAtIndex(index: number): YearMonth {
  return { year: Math.floor(index / 12), month: (index % 12) + 1 };
}

/** Every month from `from` to `to`, both included, oldest first; empty when `to` is before `from`. */
export function monthsBetween(from: YearMonth, to: YearMonth): YearMonth[] {
  const first = monthIndex(from);
  return Array.from({ length: Math.max(0, monthIndex(to) - first + 1) }, (_, offset) => monthAtIndex(first + offset));
}

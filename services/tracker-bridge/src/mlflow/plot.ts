import type { PairStatistics } from '@taxi-mlops/pair-stats';

export interface PlotOptions {
  title: string;
  /** The most frequent pairs are drawn; tens of thousands of circles would make a slow SVG. */
  maxPoints?: number;
}

const WIDTH = 640;
const HEIGHT = 560;
const MARGIN = { left: 70, right: 30, top: 60, bottom: 60 };

const escapeXml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/**
 * Predicted vs actual mean trip duration per (PU, DO) pair, point area proportional to the pair's
 * trip count, with the y = x line. `predictions[i]` is the model's prediction for pair i.
 */
export function predictedVsActualSvg(stats: PairStatistics, predictions: ArrayLike<number>, options: PlotOptions): string {
  const pairs = stats.pu.length;
  if (predictions.length !== pairs) throw new Error(`plot: ${predictions.length} predictions for ${pairs} pairs`);
  const maxPoints = options.maxPoints ?? 2000;
  const order = Array.from({ length: pairs }, (_, i) => i).sort((a, b) => stats.count[b]! - stats.count[a]!);
  const shown = order.slice(0, maxPoints);
  let totalTrips = 0;
  for (const c of stats.count) totalTrips += c;
  const shownTrips = shown.reduce((sum, i) => sum + stats.count[i]!, 0);
  const maxCount = shown.length > 0 ? stats.count[shown[0]!]! : 1;

  const points = shown.map((i) => ({ actual: stats.sumY[i]! / stats.count[i]!, predicted: predictions[i]!, count: stats.count[i]! }));
  const top = Math.max(10, ...points.map((p) => Math.max(p.actual, p.predicted)).filter(Number.isFinite));
  const axisMax = Math.ceil(top / 10) * 10;
  const bottomValue = Math.min(0, Math.floor(Math.min(0, ...points.map((p) => p.predicted).filter(Number.isFinite)) / 10) * 10);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => MARGIN.left + ((v - bottomValue) / (axisMax - bottomValue)) * plotW;
  const y = (v: number) => MARGIN.top + plotH - ((v - bottomValue) / (axisMax - bottomValue)) * plotH;
  const fmt = (v: number) => v.toFixed(1);

  const ticks: string[] = [];
  const step = axisMax - bottomValue > 100 ? 20 : 10;
  for (let v = bottomValue; v <= axisMax; v += step) {
    ticks.push(
      `<line x1="${fmt(x(v))}" y1="${MARGIN.top}" x2="${fmt(x(v))}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`,
      `<line x1="${MARGIN.left}" y1="${fmt(y(v))}" x2="${MARGIN.left + plotW}" y2="${fmt(y(v))}" stroke="#eee"/>`,
      `<text x="${fmt(x(v))}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${v}</text>`,
      `<text x="${MARGIN.left - 8}" y="${fmt(y(v) + 4)}" text-anchor="end">${v}</text>`,
    );
  }
  // Largest first, so small pairs stay visible on top.
  const circles = [...points]
    .reverse()
    .filter((p) => Number.isFinite(p.predicted))
    .map((p) => `<circle cx="${fmt(x(p.actual))}" cy="${fmt(y(p.predicted))}" r="${fmt(1.5 + 9 * Math.sqrt(p.count / maxCount))}"/>`);
  const subtitle = `${shown.length} most frequent of ${pairs} (PU, DO) pairs, ${((100 * shownTrips) / Math.max(1, totalTrips)).toFixed(1)}% of ${totalTrips} trips; area ∝ trips`;

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="16">${escapeXml(options.title)}</text>`,
    `<text x="${WIDTH / 2}" y="44" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>`,
    ...ticks,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<line x1="${fmt(x(Math.max(0, bottomValue)))}" y1="${fmt(y(Math.max(0, bottomValue)))}" x2="${fmt(x(axisMax))}" y2="${fmt(y(axisMax))}" stroke="#d33" stroke-dasharray="6 4"/>`,
    `<g fill="#1f77b4" fill-opacity="0.35" stroke="#1f77b4" stroke-opacity="0.6">`,
    ...circles,
    `</g>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 16}" text-anchor="middle">actual mean duration per pair (minutes)</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">predicted duration (minutes)</text>`,
    `</svg>`,
    '',
  ].join('\n');
}

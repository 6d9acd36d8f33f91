// Side-by-side benchmark: the homework's Python pipeline vs this project's local command on the
// same 3,403,766-row synthetic file, DuckDB's bare scan as the floor, and scaling over 1-12 months.
//   npx tsx bench/pipeline-vs-python.ts [--reps 3] [--scaling 1,3,6,12] [--skip-python] [--write-docs]
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateTripFile } from '@taxi-mlops/synthetic';
import { writeDocsSection } from './lib/docs';
import { describeMachine } from './lib/machine';
import { measure, summarise, type Measurement } from './lib/measure';
import { serveFiles } from './lib/serve';

const ROWS = 3_403_766;
const root = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    scaling: { type: 'string', default: '1,3,6,12' },
    'skip-python': { type: 'boolean', default: false },
    'write-docs': { type: 'boolean', default: false },
    work: { type: 'string', default: join(root, 'data', 'bench') },
  },
});
const reps = Number(values.reps);
const work = resolve(values.work);
const python = join(root, '.venv-ref', 'bin', 'python');
const node = process.execPath;
const cli = join(root, 'cli', 'src', 'main.ts');

function monthFile(month: number, year = 2022): string {
  return join(work, 'files', `yellow_tripdata_${year}-${String(month).padStart(2, '0')}.parquet`);
}

async function ensureFile(path: string, year: number, month: number, seed: number): Promise<void> {
  if (existsSync(path)) return;
  await mkdir(join(work, 'files'), { recursive: true });
  const started = performance.now();
  await generateTripFile({ path, taxi: 'yellow', rows: ROWS, seed, year, month, idType: 'int32', codec: 'zstd' });
  console.error(`generated ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

async function repeat(label: string, run: (rep: number) => Promise<Measurement>): Promise<Measurement[]> {
  const results: Measurement[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const result = await run(rep);
    console.error(`${label} #${rep + 1}: ${result.seconds.toFixed(2)} s, ${result.peakRssMb.toFixed(0)} MB`);
    results.push(result);
  }
  return results;
}

const fmt = (seconds: number) => seconds.toFixed(2);
const stats = (runs: Measurement[]) => ({
  time: summarise(runs.map((r) => r.seconds)),
  rss: summarise(runs.map((r) => r.peakRssMb)),
});

const march = join(work, 'files', 'yellow_tripdata_2023-03.parquet');
await ensureFile(march, 2023, 3, 2023_03);

// The bundled command (npm run build) and the DuckDB floor are both started by plain node.
const bundle = join(work, 'pipeline.mjs');
await measure(node, ['--import', 'tsx', join(root, 'scripts', 'build-cli.ts'), bundle]);
const floorScript = join(work, 'duckdb-floor.mjs');
await measure(node, ['--import', 'tsx', join(root, 'scripts', 'build-cli.ts'), floorScript, join(root, 'bench', 'duckdb-floor.ts')]);

const server = await serveFiles(join(work, 'files'));
const singleDir = join(work, 'runs', 'single');
const monthArgs = ['--taxi', 'yellow', '--year', '2023', '--month', '3', '--base-url', server.baseUrl, '--data-dir', singleDir, '--json', '--no-progress'];
/** From the cached, validated file to a saved model: statistics and model are computed afresh. */
const freshRun = (launcher: string[]) => async () => {
  await rm(join(singleDir, 'pipeline-data'), { recursive: true, force: true });
  await rm(join(singleDir, 'models'), { recursive: true, force: true });
  return measure(node, [...launcher, ...monthArgs]);
};
await measure(node, [bundle, ...monthArgs]); // downloads and validates once: the cache is warm from here on
const ours = await repeat('taxi-mlops (bundled)', freshRun([bundle]));
const oursTsx = await repeat('taxi-mlops (tsx)', freshRun(['--import', 'tsx', cli]));
server.close();
const oursAnswers = JSON.parse(ours[0]!.stdout) as { intercept: number; rows_prepared: number };

const floor = await repeat('duckdb floor', () => measure(node, [floorScript, march]));
const floorQuery = summarise(floor.map((r) => (JSON.parse(r.stdout) as { seconds: number }).seconds));

let pythonRuns: Measurement[] = [];
if (!values['skip-python']) {
  if (!existsSync(python)) throw new Error(`${python} is missing: run bash scripts/python-env.sh first`);
  pythonRuns = await repeat('python homework', (rep) =>
    measure(python, [join(root, 'bench', 'python', 'homework_pipeline.py'), march, join(work, 'runs', `python-${rep}`)]),
  );
}

// Scaling: N months of the same size in one training, from cached files (served once, then cached).
const scaling = values.scaling.split(',').map(Number).filter((n) => n >= 1 && n <= 12);
const scaleRows: string[] = [];
if (scaling.length) {
  for (let month = 1; month <= Math.max(...scaling); month++) await ensureFile(monthFile(month), 2022, month, 2022_00 + month);
  const scalingServer = await serveFiles(join(work, 'files'));
  try {
    const dataDir = join(work, 'runs', 'scaling');
    for (const months of scaling) {
      const args = [bundle, '--taxi', 'yellow', '--from', '2022-01', '--to', `2022-${String(months).padStart(2, '0')}`,
        '--base-url', scalingServer.baseUrl, '--data-dir', dataDir, '--json', '--no-progress'];
      await measure(node, args); // warm the download cache
      const runs = await repeat(`scaling ${months} months`, async () => {
        await rm(join(dataDir, 'pipeline-data'), { recursive: true, force: true });
        await rm(join(dataDir, 'models'), { recursive: true, force: true });
        return measure(node, args);
      });
      const s = stats(runs);
      scaleRows.push(`| ${months} | ${(months * ROWS).toLocaleString('en-US')} | ${fmt(s.time.min)} | ${fmt(s.time.median)} | ${s.rss.median.toFixed(0)} |`);
    }
  } finally {
    scalingServer.close();
  }
}

const o = stats(ours);
const t = stats(oursTsx);
const f = stats(floor);
const lines = [
  '## Pipeline vs the Python original',
  '',
  `Machine: ${describeMachine(existsSync(python) ? python : undefined)}.`,
  `Command: \`npm run bench:pipeline -- --reps ${reps}\`. File: synthetic yellow 2023-03, ${ROWS.toLocaleString('en-US')} rows (ZSTD, INT32 ids). Each run goes from the cached file to a saved model: ours finds the file in its download cache (validated when it was downloaded) and computes the statistics and the model afresh; Python reads the same file. Times are wall-clock seconds of the whole process, min / median of ${reps}; RSS is the peak resident set. "bundled" is \`npm run build\` + \`node dist/pipeline.mjs\`; "tsx" is \`npm run pipeline\`, which compiles the TypeScript on the fly.`,
  '',
  '| pipeline | min s | median s | peak RSS MB (median) | intercept |',
  '| --- | ---: | ---: | ---: | ---: |',
];
if (pythonRuns.length) {
  const p = stats(pythonRuns);
  const pythonIntercept = (JSON.parse(pythonRuns[0]!.stdout) as { intercept: number }).intercept;
  lines.push(`| Python homework (pandas + DictVectorizer + LinearRegression) | ${fmt(p.time.min)} | ${fmt(p.time.median)} | ${p.rss.median.toFixed(0)} | ${pythonIntercept.toFixed(6)} |`);
}
lines.push(`| taxi-mlops local command, bundled | ${fmt(o.time.min)} | ${fmt(o.time.median)} | ${o.rss.median.toFixed(0)} | ${oursAnswers.intercept.toFixed(6)} |`);
lines.push(`| taxi-mlops local command, tsx | ${fmt(t.time.min)} | ${fmt(t.time.median)} | ${t.rss.median.toFixed(0)} | ${oursAnswers.intercept.toFixed(6)} |`);
lines.push(`| DuckDB floor (scan the 4 columns, count kept rows; whole process) | ${fmt(f.time.min)} | ${fmt(f.time.median)} | ${f.rss.median.toFixed(0)} | - |`);
lines.push('');
if (pythonRuns.length) {
  const p = stats(pythonRuns);
  lines.push(`- Speed-up over Python (median): **${(p.time.median / o.time.median).toFixed(1)}×** bundled, ${(p.time.median / t.time.median).toFixed(1)}× with tsx; min over min: ${(p.time.min / o.time.min).toFixed(1)}×.`);
}
lines.push(`- Ours as a multiple of the DuckDB floor, whole process (median): **${(o.time.median / f.time.median).toFixed(2)}×**; the floor query alone takes ${fmt(floorQuery.median)} s (the rest of its process time is Node and DuckDB start-up).`);
if (scaleRows.length) {
  lines.push('', '### Training on many months', '', `Each month is a ${ROWS.toLocaleString('en-US')}-row synthetic file; cached files, statistics computed afresh.`, '',
    '| months | rows | min s | median s | peak RSS MB (median) |', '| ---: | ---: | ---: | ---: | ---: |', ...scaleRows);
}
const markdown = lines.join('\n');
console.log(markdown);
if (values['write-docs']) await writeDocsSection(join(root, 'docs', 'benchmarks.md'), 'pipeline', markdown);

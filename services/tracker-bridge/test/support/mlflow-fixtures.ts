import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, type Envelope } from '@taxi-mlops/contracts';
import { writePairStatistics, type PairStatistics } from '@taxi-mlops/pair-stats';
import { trainModel, type TrainedModel } from '@taxi-mlops/trainer';
import type { TrainingRunEvents } from '../../src/mlflow/run-record';

/** Deterministic pseudo-random numbers (mulberry32), so every run of a test sees the same data. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Pair statistics of a small synthetic month: durations are zone effects plus noise of standard
 * deviation `noise`, so the trained model's RMSE grows with `noise` (how tests order models).
 */
export function syntheticStatistics(seed: number, noise: number, zones = 12): PairStatistics {
  const rnd = random(seed);
  const effect = (z: number) => 4 + ((z * 7) % 11);
  const pu: number[] = [];
  const dropoff: number[] = [];
  const count: number[] = [];
  const sumY: number[] = [];
  const sumY2: number[] = [];
  const m2: number[] = [];
  for (let p = 1; p <= zones; p++) {
    for (let d = 1; d <= zones; d++) {
      if (rnd() < 0.3) continue;
      const n = 1 + Math.floor(rnd() * 40);
      const mean = effect(p) + effect(d) + (rnd() - 0.5);
      const within = noise * noise * n; // Σ(y − ȳ)² for n trips of spread `noise`
      pu.push(p);
      dropoff.push(d);
      count.push(n);
      sumY.push(mean * n);
      m2.push(within);
      sumY2.push(within + mean * mean * n);
    }
  }
  const kept = count.reduce((a, b) => a + b, 0);
  return {
    pu: Int32Array.from(pu),
    do: Int32Array.from(dropoff),
    count: Float64Array.from(count),
    sumY: Float64Array.from(sumY),
    sumY2: Float64Array.from(sumY2),
    m2: Float64Array.from(m2),
    rowsRead: kept + 17,
    metadata: { source: 'synthetic test data' },
  };
}

export interface FixtureRun {
  runId: string;
  dir: string;
  model: TrainedModel;
  events: TrainingRunEvents;
  statsPath: string;
  validationStatsPath?: string;
}

export interface FixtureOptions {
  seed?: number;
  noise?: number;
  /** Adds a validation month (its RMSE is the champion score). */
  validationNoise?: number;
  prefectFlowRunId?: string;
}

const sha256 = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

/** A trained model directory (the real trainer) and the events the services would have published for it. */
export async function fixtureRun(options: FixtureOptions = {}): Promise<FixtureRun> {
  const runId = `r-${randomUUID().slice(0, 12)}`;
  const dir = await mkdtemp(join(tmpdir(), 'mlflow-fixture-'));
  const statsPath = join(dir, 'yellow-2023-03.arrow');
  const stats = syntheticStatistics(options.seed ?? 1, options.noise ?? 4);
  await writePairStatistics(statsPath, stats);
  let validationStatsPath: string | undefined;
  if (options.validationNoise !== undefined) {
    validationStatsPath = join(dir, 'yellow-2023-04.arrow');
    await writePairStatistics(validationStatsPath, syntheticStatistics((options.seed ?? 1) + 1000, options.validationNoise));
  }
  const model = await trainModel({ statsPaths: [statsPath], ...(validationStatsPath ? { validationStatsPath } : {}), modelDir: join(dir, 'model') });
  const kept = model.rowsTrain;

  const requested = createEvent(
    'run.requested',
    runId,
    {
      taxi: 'yellow',
      months: [{ year: 2023, month: 3 }],
      ...(validationStatsPath ? { validation: { year: 2023, month: 4 } } : {}),
      origin: { kind: 'test', ...(options.prefectFlowRunId ? { prefectFlowRunId: options.prefectFlowRunId } : {}) },
    },
    '/gateway',
  );
  const file = (month: number, path: string) => ({
    year: 2023,
    month,
    uri: path,
    sha256: '',
    bytes: 1234,
    rows: kept + 17,
    sourceUrl: `https://d37ci6vzurychx.cloudfront.net/trip-data/yellow_tripdata_2023-0${month}.parquet`,
  });
  const training = { ...file(3, statsPath), sha256: await sha256(statsPath) };
  const validationFile = validationStatsPath ? { ...file(4, validationStatsPath), sha256: await sha256(validationStatsPath) } : undefined;
  const downloaded = createEvent(
    'data.downloaded',
    runId,
    { taxi: 'yellow', files: [training], ...(validationFile ? { validation: validationFile } : {}), durationMs: 1500 },
    '/services/ingest',
  );
  const monthStats = (month: number, path: string, digest: string) => ({ year: 2023, month, statsUri: path, sha256: digest, rowsRead: kept + 17, rowsKept: kept });
  const features = createEvent(
    'features.ready',
    runId,
    {
      taxi: 'yellow',
      months: [monthStats(3, statsPath, training.sha256)],
      ...(validationStatsPath && validationFile ? { validation: monthStats(4, validationStatsPath, validationFile.sha256) } : {}),
      rowsRead: kept + 17,
      rowsKept: kept,
      nFeatures: model.nFeatures,
      durationMs: 2500,
    },
    '/services/features',
  );
  const trained = createEvent(
    'model.trained',
    runId,
    {
      modelUri: model.modelDir,
      intercept: model.intercept,
      rmseTrain: model.rmseTrain,
      rmseVal: model.rmseVal,
      nFeatures: model.nFeatures,
      modelSizeBytes: model.modelSizeBytes,
      rowsTrain: model.rowsTrain,
      solver: 'exact-min-norm',
      durationMs: 321,
    },
    '/services/trainer',
  );
  return { runId, dir, model, events: { requested, downloaded, features, trained }, statsPath, ...(validationStatsPath ? { validationStatsPath } : {}) };
}

export function pipelineEvents(run: FixtureRun): Envelope[] {
  const { requested, downloaded, features, trained } = run.events;
  return [requested, downloaded, features, trained, createEvent('run.completed', run.runId, {}, '/services/trainer')];
}

/** 100 (PU, DO) rows, some of them unseen zones (the model's fallback path). */
export function sampleRows(count = 100): Array<{ PULocationID: number; DOLocationID: number }> {
  const rnd = random(42);
  return Array.from({ length: count }, () => ({ PULocationID: 1 + Math.floor(rnd() * 14), DOLocationID: 1 + Math.floor(rnd() * 14) }));
}

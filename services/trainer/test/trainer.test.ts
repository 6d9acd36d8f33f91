import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPipelineError } from '@taxi-mlops/contracts';
import { loadPredictor } from '@taxi-mlops/model-format';
import { writePairStatistics } from '@taxi-mlops/pair-stats';
import { rmseOnStatistics, solveMinimumNorm, trainModel } from '../src/index';
import type { Trip } from './synthetic-trips';
import { denseMinimumNorm, predictDense, rmseDense, statisticsOf, tripsFrom } from './synthetic-trips';

const close = (actual: number, expected: number, tolerance: number, label = '') =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${label} ${actual} vs ${expected}`);

function assertSameSolution(trips: readonly Trip[], tolerance: number): void {
  const solution = solveMinimumNorm(statisticsOf(trips));
  const reference = denseMinimumNorm(trips);
  assert.deepEqual(solution.featureNames, reference.featureNames);
  close(solution.intercept, reference.intercept, tolerance, 'intercept');
  solution.coefficients.forEach((w, j) => close(w, reference.coefficients[j]!, tolerance, solution.featureNames[j]));
}

// Ids chosen so string order differs from numeric order (10 < 2 < 3 as strings).
const connectedPools = { pu: [1, 2, 3, 10, 11, 25, 100], do: [2, 3, 4, 10, 12, 40] };

void describe('solveMinimumNorm', () => {
  void it('equals the pseudo-inverse solution of the explicit centered design', () => {
    const trips = tripsFrom(connectedPools, 400, 11);
    // A rare zone (one trip) gives G a small eigenvalue, where approximate solvers go astray.
    trips.push({ pu: 7, do: 4, y: 42 });
    assertSameSolution(trips, 1e-9);
    assert.equal(solveMinimumNorm(statisticsOf(trips)).components, 1);
  });

  void it('handles a PU–DO graph with three connected components', () => {
    const trips = [
      ...tripsFrom({ pu: [1, 2, 3], do: [1, 2, 3] }, 150, 21),
      ...tripsFrom({ pu: [10, 11], do: [20, 21, 22] }, 80, 22),
      ...tripsFrom({ pu: [30], do: [30] }, 5, 23),
    ];
    const solution = solveMinimumNorm(statisticsOf(trips));
    assert.equal(solution.components, 3);
    assertSameSolution(trips, 1e-9);
    // Minimum norm: the coefficients are orthogonal to 1_PU and 1_DO.
    const sumOver = (prefix: string) => solution.coefficients.reduce((s, w, j) => s + (solution.featureNames[j]!.startsWith(prefix) ? w : 0), 0);
    close(sumOver('PULocationID='), 0, 1e-9, 'Σ PU');
    close(sumOver('DOLocationID='), 0, 1e-9, 'Σ DO');
  });

  void it('gives the least-squares RMSE of the brute-force model, exactly from the statistics', () => {
    const trips = tripsFrom(connectedPools, 500, 31);
    const stats = statisticsOf(trips);
    const solution = solveMinimumNorm(stats);
    close(rmseOnStatistics(solution, stats), rmseDense(denseMinimumNorm(trips), trips), 1e-10, 'rmse');
  });

  void it('scores validation rows with unseen zones as contributing 0', () => {
    const train = tripsFrom(connectedPools, 300, 41);
    const validation = [...tripsFrom({ pu: [1, 2, 99], do: [3, 77, 12] }, 120, 42), { pu: 500, do: 600, y: 30 }];
    const solution = solveMinimumNorm(statisticsOf(train));
    const reference = denseMinimumNorm(train);
    assert.ok(validation.some((t) => !reference.featureNames.includes(`PULocationID=${t.pu}`)));
    close(rmseOnStatistics(solution, statisticsOf(validation)), rmseDense(reference, validation), 1e-10, 'validation rmse');
  });

  void it('fails with empty_dataset on statistics without rows', () => {
    assert.throws(() => solveMinimumNorm(statisticsOf([])), (e) => isPipelineError(e) && e.code === 'empty_dataset');
  });
});

void describe('trainModel', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  void it('sums the months, writes a model directory whose predictor serves the solution', async () => {
    const march = tripsFrom(connectedPools, 300, 51);
    const april = tripsFrom({ pu: [1, 2, 3, 64], do: [2, 3, 4, 5] }, 200, 52);
    const may = tripsFrom({ pu: [1, 2, 200], do: [2, 3, 199] }, 100, 53);
    const paths = ['march', 'april', 'may'].map((name) => join(dir, `${name}.arrow`));
    await writePairStatistics(paths[0]!, statisticsOf(march));
    await writePairStatistics(paths[1]!, statisticsOf(april));
    await writePairStatistics(paths[2]!, statisticsOf(may));

    const modelDir = join(dir, 'model');
    const trained = await trainModel({ statsPaths: [paths[0]!, paths[1]!], validationStatsPath: paths[2]!, modelDir });
    const trainTrips = [...march, ...april];
    const reference = denseMinimumNorm(trainTrips);
    assert.deepEqual(trained.featureNames, reference.featureNames);
    assert.equal(trained.nFeatures, reference.featureNames.length);
    assert.equal(trained.rowsTrain, trainTrips.length);
    close(trained.intercept, reference.intercept, 1e-9, 'intercept');
    close(trained.rmseTrain, rmseDense(reference, trainTrips), 1e-10, 'rmse train');
    close(trained.rmseVal!, rmseDense(reference, may), 1e-10, 'rmse val');

    const predictor = await loadPredictor(modelDir);
    const probes = [...trainTrips.slice(0, 20), ...may.slice(0, 20), { pu: -1, do: 100_000, y: 0 }];
    const served = predictor.predictBatch(probes.map((t) => ({ PULocationID: t.pu, DOLocationID: t.do })));
    probes.forEach((t, i) => close(served[i]!, predictDense(reference, t), 1e-9, `trip ${t.pu}→${t.do}`));
    assert.ok(trained.modelSizeBytes > 0);
  });

  void it('reports a missing statistics file as artifact_missing', async () => {
    await assert.rejects(
      trainModel({ statsPaths: [join(dir, 'absent.arrow')], modelDir: join(dir, 'never') }),
      (e) => isPipelineError(e) && e.code === 'artifact_missing',
    );
  });
});

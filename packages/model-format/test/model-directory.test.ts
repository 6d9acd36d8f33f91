import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { isPipelineError } from '@taxi-mlops/contracts';
import { loadPredictor, writeModelDirectory } from '../src/index';

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A homework-shaped model: 253 DO + 265 PU zones = 518 features, ids up to 265, names sorted as strings. */
function homeworkShapedModel() {
  const next = lcg(7);
  const doZones = Array.from({ length: 265 }, (_, i) => i + 1).filter((id) => id % 22 !== 0);
  const puZones = Array.from({ length: 265 }, (_, i) => i + 1);
  const featureNames = [...doZones.map((id) => `DOLocationID=${id}`), ...puZones.map((id) => `PULocationID=${id}`)].sort();
  const coefficients = Float64Array.from(featureNames, () => (next() - 0.5) * 20);
  return { featureNames, coefficients, intercept: 24.77 + next() };
}

/** What the model means, from the feature list alone: intercept + weight(PU) + weight(DO), unseen = 0. */
function expectedPrediction(model: ReturnType<typeof homeworkShapedModel>, pu: number, dropoff: number): number {
  const weight = (name: string) => {
    const j = model.featureNames.indexOf(name);
    return j < 0 ? 0 : model.coefficients[j]!;
  };
  return model.intercept + weight(`PULocationID=${pu}`) + weight(`DOLocationID=${dropoff}`);
}

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'model-format-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

void describe('writeModelDirectory + loadPredictor', () => {
  void it('serves intercept + PU weight + DO weight for every seen pair', async () => {
    const model = homeworkShapedModel();
    const dir = join(root, 'served');
    await writeModelDirectory({ dir, ...model });
    const predictor = await loadPredictor(dir);
    assert.equal(predictor.intercept, model.intercept);
    const rows = [];
    for (let pu = 1; pu <= 265; pu += 7) for (let dropoff = 1; dropoff <= 265; dropoff += 11) rows.push({ PULocationID: pu, DOLocationID: dropoff });
    const batch = predictor.predictBatch(rows);
    rows.forEach((row, i) => {
      const expected = expectedPrediction(model, row.PULocationID, row.DOLocationID);
      assert.ok(Math.abs(batch[i]! - expected) <= 1e-12 * Math.abs(expected), `${row.PULocationID}→${row.DOLocationID}`);
      assert.equal(predictor.predict(row.PULocationID, row.DOLocationID), batch[i]);
    });
  });

  void it('gives unseen, out-of-range and negative zones a contribution of 0', async () => {
    const model = homeworkShapedModel();
    const dir = join(root, 'unseen');
    await writeModelDirectory({ dir, ...model });
    const predictor = await loadPredictor(dir);
    const weightOf = (name: string) => model.coefficients[model.featureNames.indexOf(name)]!;
    assert.ok(!model.featureNames.includes('DOLocationID=22'));
    const cases: Array<[number, number, number]> = [
      [5, 22, model.intercept + weightOf('PULocationID=5')], // DO 22 unseen
      [0, 3, model.intercept + weightOf('DOLocationID=3')], // id 0 never seen
      [266, 3, model.intercept + weightOf('DOLocationID=3')], // just past the table
      [1_000_000, -1, model.intercept], // far out of range, negative
      [-7, 2 ** 40, model.intercept],
    ];
    for (const [pu, dropoff, expected] of cases) {
      const actual = predictor.predict(pu, dropoff);
      assert.ok(Math.abs(actual - expected) <= 1e-12 * Math.abs(expected), `${pu}→${dropoff}: ${actual} vs ${expected}`);
    }
  });

  void it('writes an MLflow onnx-flavor directory whose model_size_bytes is model.onnx, about 4.5 KB for 518 features', async () => {
    const model = homeworkShapedModel();
    const dir = join(root, 'mlmodel');
    const written = await writeModelDirectory({ dir, ...model, createdAt: new Date('2025-06-01T12:34:56.789Z') });
    assert.deepEqual(written.files, ['MLmodel', 'conda.yaml', 'model.onnx', 'python_env.yaml', 'requirements.txt']);
    const onnxSize = (await stat(join(dir, 'model.onnx'))).size;
    assert.equal(written.modelSizeBytes, onnxSize);
    // Two dense float64 tables of 267 slots (ids 0..265 plus the zero slot) and a small graph.
    assert.ok(onnxSize > 2 * 267 * 8 && onnxSize < 5000, `model.onnx is ${onnxSize} bytes`);
    const options = [14_534, 9_534, 4_534, 1_534];
    const nearest = options.reduce((best, option) => (Math.abs(option - onnxSize) < Math.abs(best - onnxSize) ? option : best));
    assert.equal(nearest, 4_534);

    const text = await readFile(join(dir, 'MLmodel'), 'utf8');
    const mlmodel = parse(text) as Record<string, unknown> & {
      flavors: { python_function: Record<string, unknown>; onnx: Record<string, unknown> };
      signature: { inputs: string; outputs: string };
    };
    assert.equal(mlmodel.model_size_bytes, onnxSize);
    assert.equal(mlmodel.flavors.python_function.loader_module, 'mlflow.onnx');
    assert.equal(mlmodel.flavors.python_function.data, 'model.onnx');
    assert.equal(mlmodel.flavors.onnx.data, 'model.onnx');
    assert.equal(mlmodel.model_uuid, written.modelUuid);
    assert.match(text, /^utc_time_created: '2025-06-01 12:34:56\.789000'$/m);
    assert.deepEqual(JSON.parse(mlmodel.signature.inputs), [
      { type: 'long', name: 'PULocationID', required: true },
      { type: 'long', name: 'DOLocationID', required: true },
    ]);
    assert.deepEqual(JSON.parse(mlmodel.signature.outputs), [{ type: 'double', name: 'duration', required: true }]);
    assert.match(await readFile(join(dir, 'requirements.txt'), 'utf8'), /^mlflow==\d+\.\d+\.\d+$/m);
  });

  void it('rejects a non-empty directory, a malformed feature name and a missing model', async () => {
    const model = homeworkShapedModel();
    const busy = join(root, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'other.txt'), 'x');
    await assert.rejects(writeModelDirectory({ dir: busy, ...model }), (e) => isPipelineError(e) && e.code === 'invalid_request');
    await assert.rejects(
      writeModelDirectory({ dir: join(root, 'bad-name'), intercept: 1, featureNames: ['PULocationID=1', 'trip_distance'], coefficients: [1, 2] }),
      (e) => isPipelineError(e) && e.code === 'invalid_request' && e.message.includes('trip_distance'),
    );
    await assert.rejects(loadPredictor(join(root, 'nothing-here')), (e) => isPipelineError(e) && e.code === 'artifact_missing');
  });
});

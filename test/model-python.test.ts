// The trainer's model directory as a Python user sees it: onnxruntime on model.onnx and
// mlflow.pyfunc.load_model must give the predictions the TypeScript predictor gives.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPredictor } from '@taxi-mlops/model-format';
import { assertAllClose } from './support/numbers';
import { runPythonJson } from './support/python';
import { syntheticCases } from './support/synthetic-files';
import { trainMonthInTypeScript, type TrainedMonth } from './support/ts-pipeline';

const SAME_PREDICTION = 1e-9;

interface ModelCheck {
  onnx_check: { ok: boolean; error: string | null };
  inputs: Array<{ name: string; type: string; shape: string[] }>;
  outputs: Array<{ name: string; type: string; shape: string[] }>;
  onnxruntime: number[];
  pyfunc: number[] | null;
  pyfunc_error: string | null;
}

type LocationPair = { PULocationID: number; DOLocationID: number };

/** Every trained zone as pickup and as drop-off, plus ids the model never saw. */
function probeRows(trained: TrainedMonth): { seen: LocationPair[]; unseen: LocationPair[] } {
  const ids = (prefix: string) =>
    trained.model.featureNames.filter((name) => name.startsWith(prefix)).map((name) => Number(name.slice(prefix.length)));
  const pickups = ids('PULocationID=');
  const dropoffs = ids('DOLocationID=');
  const seen = pickups.map((pu, i) => ({ PULocationID: pu, DOLocationID: dropoffs[i % dropoffs.length] ?? pu }));
  const known = new Set([...pickups, ...dropoffs]);
  const unseenIds = Array.from({ length: 266 }, (_, i) => i + 1).filter((id) => !known.has(id));
  const firstPickup = pickups[0] ?? 1;
  const unseen = unseenIds.flatMap((id) => [
    { PULocationID: id, DOLocationID: firstPickup },
    { PULocationID: firstPickup, DOLocationID: id },
  ]);
  return { seen, unseen };
}

void describe('the trainer model in Python (onnxruntime, mlflow.pyfunc)', () => {
  let dir = '';
  let trained: TrainedMonth;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'taxi-model-python-'));
    const synthetic = syntheticCases[0];
    assert.ok(synthetic);
    trained = await trainMonthInTypeScript(await synthetic.make(dir), dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function checkInPython(rows: LocationPair[], name: string): Promise<ModelCheck> {
    const rowsPath = join(dir, `${name}.rows.json`);
    await writeFile(rowsPath, JSON.stringify(rows));
    return runPythonJson<ModelCheck>('mlflow', 'check_model.py', [trained.model.modelDir, rowsPath]);
  }

  void it('model.onnx passes onnx.checker and declares int64 location inputs and a float64 output', async () => {
    const check = await checkInPython([{ PULocationID: 1, DOLocationID: 1 }], 'one');
    assert.ok(check.onnx_check.ok, `onnx.checker: ${check.onnx_check.error}`);
    assert.deepEqual(check.inputs.map((i) => i.name).sort(), ['DOLocationID', 'PULocationID']);
    for (const input of check.inputs) assert.equal(input.type, 'tensor(int64)', input.name);
    assert.equal(check.outputs.length, 1);
    assert.equal(check.outputs[0]?.type, 'tensor(double)');
  });

  void it('onnxruntime, mlflow.pyfunc and the TS predictor agree on seen and unseen zones', async () => {
    const { seen, unseen } = probeRows(trained);
    const rows = [...seen, ...unseen];
    assert.ok(seen.length > 0 && unseen.length > 0, 'probe rows cover seen and unseen zones');
    const predictor = await loadPredictor(trained.model.modelDir);
    const check = await checkInPython(rows, 'probe');
    const typescript = predictor.predictBatch(rows);
    assertAllClose(check.onnxruntime, typescript, SAME_PREDICTION, 'onnxruntime vs TS predictor');
    assert.equal(check.pyfunc_error, null, `mlflow.pyfunc.load_model failed: ${check.pyfunc_error}`);
    assert.ok(check.pyfunc);
    assertAllClose(check.pyfunc, typescript, SAME_PREDICTION, 'mlflow.pyfunc vs TS predictor');
  });

  void it('onnxruntime and the TS predictor agree on ids outside 1..266 (the graph clips them)', async () => {
    const { seen } = probeRows(trained);
    const known = seen[0];
    assert.ok(known);
    const outside = [-3, 0, 267, 1000, 2 ** 40];
    const rows = outside.flatMap((id) => [
      { PULocationID: id, DOLocationID: known.DOLocationID },
      { PULocationID: known.PULocationID, DOLocationID: id },
    ]);
    const check = await checkInPython(rows, 'outside');
    const typescript = (await loadPredictor(trained.model.modelDir)).predictBatch(rows);
    assertAllClose(check.onnxruntime, typescript, SAME_PREDICTION, 'onnxruntime vs TS predictor outside 1..266');
  });

  void it('unseen zones contribute nothing, in Python as in TS', async () => {
    // A seen pickup with an unseen drop-off predicts intercept + the pickup's coefficient alone.
    const { unseen } = probeRows(trained);
    const pickupName = trained.model.featureNames.find((name) => name.startsWith('PULocationID='));
    assert.ok(pickupName);
    const pickup = Number(pickupName.slice('PULocationID='.length));
    const rows = unseen.filter((row) => row.PULocationID === pickup);
    assert.ok(rows.length > 0, 'some drop-off zone is unseen');
    const coefficient = trained.model.coefficients[trained.model.featureNames.indexOf(pickupName)] ?? Number.NaN;
    const expected = rows.map(() => trained.model.intercept + coefficient);
    const check = await checkInPython(rows, 'unseen');
    assertAllClose(check.onnxruntime, expected, SAME_PREDICTION, 'onnxruntime on unseen drop-offs');
    assertAllClose((await loadPredictor(trained.model.modelDir)).predictBatch(rows), expected, SAME_PREDICTION, 'TS on unseen drop-offs');
  });
});

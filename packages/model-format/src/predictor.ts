import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '@taxi-mlops/contracts';
import { INPUT_DROPOFF, INPUT_PICKUP } from './onnx-graph';
import { compileGraph } from './onnx-evaluator';
import { decodeModel } from './onnx-proto';

export interface TripZones {
  PULocationID: number;
  DOLocationID: number;
}

export interface Predictor {
  intercept: number;
  predict(pu: number, dropoff: number): number;
  predictBatch(rows: readonly TripZones[]): number[];
}

export const MODEL_FILE = 'model.onnx';

/** Loads the predictor from the directory's model.onnx, the same file MLflow serves. */
export async function loadPredictor(modelDir: string): Promise<Predictor> {
  const path = join(modelDir, MODEL_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new PipelineError('artifact_missing', `${path}: cannot read the model (${String(cause)})`, { cause });
  }
  return predictorFromOnnx(bytes, path);
}

export function predictorFromOnnx(bytes: Uint8Array, source = MODEL_FILE): Predictor {
  let graph;
  try {
    graph = compileGraph(decodeModel(bytes), source);
  } catch (cause) {
    if (cause instanceof PipelineError) throw cause;
    throw new PipelineError('invalid_file', `${source}: not a readable ONNX model (${String(cause)})`, { cause });
  }
  if (graph.inputs.length !== 2 || !graph.inputs.includes(INPUT_PICKUP) || !graph.inputs.includes(INPUT_DROPOFF)) {
    throw new PipelineError('invalid_file', `${source}: expected inputs ${INPUT_PICKUP} and ${INPUT_DROPOFF}, found ${graph.inputs.join(', ')}`);
  }
  const intercept = graph.initializer('intercept')?.[0];
  if (intercept === undefined) throw new PipelineError('invalid_file', `${source}: no intercept initializer`);

  const predictBatch = (rows: readonly TripZones[]): number[] => {
    const pickup = Float64Array.from(rows, (row) => zoneId(row.PULocationID, INPUT_PICKUP));
    const dropoff = Float64Array.from(rows, (row) => zoneId(row.DOLocationID, INPUT_DROPOFF));
    return Array.from(graph.run({ [INPUT_PICKUP]: pickup, [INPUT_DROPOFF]: dropoff }));
  };
  return {
    intercept,
    predictBatch,
    predict: (pu, dropoff) => predictBatch([{ PULocationID: pu, DOLocationID: dropoff }])[0]!,
  };
}

/** The graph takes int64; anything else would be rejected by onnxruntime too. */
function zoneId(value: number, field: string): number {
  if (!Number.isSafeInteger(value)) throw new PipelineError('invalid_request', `${field} must be an integer, got ${value}`);
  return value;
}

import { randomUUID } from 'node:crypto';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '@taxi-mlops/contracts';
import { condaYaml, mlmodelYaml, pythonEnvYaml, requirementsTxt } from './mlmodel';
import { buildOnnxModel } from './onnx-graph';
import { MODEL_FILE } from './predictor';
import { PINNED, type PythonStack } from './versions';
import { zoneTablesFromFeatures } from './zone-tables';

export interface ModelDirectoryRequest {
  dir: string;
  intercept: number;
  /** DictVectorizer names, `PULocationID=<id>` / `DOLocationID=<id>`, aligned with coefficients. */
  featureNames: readonly string[];
  coefficients: ArrayLike<number>;
  /** Defaults to a fresh uuid4 hex, as MLflow 2.x does; MLflow 3 uploads may pass the model id. */
  modelUuid?: string;
  createdAt?: Date;
  stack?: Partial<PythonStack>;
  metadata?: Record<string, string | number>;
}

export interface ModelDirectory {
  dir: string;
  modelFile: string;
  modelSizeBytes: number;
  modelUuid: string;
  files: string[];
}

/**
 * Writes an MLflow model directory in mlflow.onnx.save_model's order: the payload model.onnx,
 * then model_size_bytes (size of everything in the directory at that moment, i.e. model.onnx),
 * then MLmodel, then the environment files. The directory must be new or empty.
 */
export async function writeModelDirectory(request: ModelDirectoryRequest): Promise<ModelDirectory> {
  if (!Number.isFinite(request.intercept)) throw new PipelineError('invalid_request', 'intercept is not finite');
  const tables = zoneTablesFromFeatures(request.featureNames, request.coefficients);
  const stack: PythonStack = { ...PINNED, ...request.stack };
  await mkdir(request.dir, { recursive: true });
  const existing = await readdir(request.dir);
  if (existing.length > 0) throw new PipelineError('invalid_request', `${request.dir}: model directory is not empty`);

  await writeFile(join(request.dir, MODEL_FILE), buildOnnxModel(tables, request.intercept));
  const modelSizeBytes = await totalFileSize(request.dir);
  const modelUuid = request.modelUuid ?? randomUUID().replaceAll('-', '');
  await writeFile(
    join(request.dir, 'MLmodel'),
    mlmodelYaml({
      modelFile: MODEL_FILE,
      modelSizeBytes,
      modelUuid,
      createdAt: request.createdAt ?? new Date(),
      stack,
      ...(request.metadata ? { metadata: request.metadata } : {}),
    }),
  );
  await writeFile(join(request.dir, 'conda.yaml'), condaYaml(stack));
  await writeFile(join(request.dir, 'python_env.yaml'), pythonEnvYaml(stack));
  await writeFile(join(request.dir, 'requirements.txt'), requirementsTxt(stack));
  return { dir: request.dir, modelFile: MODEL_FILE, modelSizeBytes, modelUuid, files: (await readdir(request.dir)).sort() };
}

/** mlflow.utils.file_utils.get_total_file_size: Σ sizes of all files below the directory. */
async function totalFileSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

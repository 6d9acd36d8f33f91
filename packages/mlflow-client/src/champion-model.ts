import { randomUUID } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '@taxi-mlops/contracts';
import { MlflowClient } from './client';

/** The registry alias the serving side follows. */
export const CHAMPION_ALIAS = 'champion';

export interface ChampionModelRequest {
  trackingUri: string;
  /** Default `nyc-taxi-duration`. */
  registeredModel?: string;
  /** Default `champion`. */
  alias?: string;
  /** Versions are immutable, so a downloaded one is reused: `<cacheDir>/<model>/v<version>/`. */
  cacheDir: string;
  signal?: AbortSignal;
}

export interface ChampionModel {
  /** Local directory holding `MLmodel` and `model.onnx`: pass it to `loadPredictor`. */
  dir: string;
  registeredModel: string;
  version: string;
  /** Where MLflow keeps the files (e.g. `mlflow-artifacts:/1/models/m-…/artifacts`). */
  artifactUri: string;
  /** `models:/<name>@<alias>` */
  uri: string;
}

const FILES = ['MLmodel', 'model.onnx'] as const;

/**
 * Resolves `models:/<name>@champion` through the registry (alias → version → its files) and
 * downloads `MLmodel` and `model.onnx` into the cache. Throws PipelineError `not_found` when
 * there is no champion yet, and MlflowUnavailableError when MLflow is down.
 */
export async function championModel(request: ChampionModelRequest): Promise<ChampionModel> {
  const name = request.registeredModel ?? 'nyc-taxi-duration';
  const alias = request.alias ?? CHAMPION_ALIAS;
  const client = new MlflowClient({ trackingUri: request.trackingUri, ...(request.signal ? { signal: request.signal } : {}) });
  const version = await client.getModelVersionByAlias(name, alias);
  if (!version) throw new PipelineError('not_found', `registered model "${name}" has no "${alias}" alias in MLflow at ${client.trackingUri}`);
  const artifactUri = await client.getModelVersionDownloadUri(name, version.version);
  const dir = join(request.cacheDir, name.replace(/[^A-Za-z0-9_.-]/g, '_'), `v${version.version}`);
  const result = { dir, registeredModel: name, version: version.version, artifactUri, uri: `models:/${name}@${alias}` };
  if (await complete(dir)) return result;

  // Download into a fresh folder and rename: a concurrent reader never sees half a model.
  const staging = `${dir}.tmp-${randomUUID()}`;
  await mkdir(staging, { recursive: true });
  try {
    for (const file of FILES) await writeFile(join(staging, file), await client.downloadArtifact(artifactUri, file));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return result;
}

async function complete(dir: string): Promise<boolean> {
  try {
    await Promise.all(FILES.map((file) => access(join(dir, file))));
    return true;
  } catch {
    return false;
  }
}

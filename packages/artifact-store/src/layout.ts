import { join, resolve } from 'node:path';

/**
 * The folders under the artifact root, the same as the local command's `--data-dir`:
 * ingest writes taxi-data/, features pipeline-data/statistics/, the trainer models/.
 */
export interface ArtifactLayout {
  root: string;
  taxiData: string;
  statistics: string;
  models: string;
}

export function artifactLayout(root: string): ArtifactLayout {
  const absolute = resolve(root);
  return {
    root: absolute,
    taxiData: join(absolute, 'taxi-data'),
    statistics: join(absolute, 'pipeline-data', 'statistics'),
    models: join(absolute, 'models'),
  };
}

import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PipelineError } from '@taxi-mlops/contracts';

/**
 * An artifact URI in an event is a path relative to the artifact root (`taxi-data/x.parquet`), so
 * every service resolves it against its own ARTIFACT_ROOT: containers may mount the shared volume
 * at different places. A file outside the root (a user's `source` path) travels as a file:// URL.
 * The tracker-bridge reads the same three forms (relative, absolute, file://).
 */
export function toArtifactUri(root: string, path: string): string {
  const inside = relative(resolve(root), resolve(path));
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return pathToFileURL(resolve(path)).href;
  return inside.split(sep).join('/');
}

/** The local path of an artifact URI; `field` names the event field in the error. */
export function resolveArtifactUri(root: string, uri: string, field: string): string {
  if (/^file:/i.test(uri)) {
    try {
      return fileURLToPath(uri);
    } catch (cause) {
      throw new PipelineError('artifact_missing', `${field}: ${uri} is not a valid file URL`, { cause });
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new PipelineError('artifact_missing', `${field}: ${uri} is not a path under the artifact root or a file:// URL`);
  }
  if (isAbsolute(uri)) return uri;
  const path = resolve(join(root, uri));
  const inside = relative(resolve(root), path);
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new PipelineError('artifact_missing', `${field}: ${uri} points outside the artifact root`);
  }
  return path;
}

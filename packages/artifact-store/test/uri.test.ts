import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { isPipelineError } from '@taxi-mlops/contracts';
import { resolveArtifactUri, toArtifactUri } from '../src/index';

void describe('artifact URIs', () => {
  const root = '/srv/data';

  void it('are root-relative inside the root and resolve back to the same path', () => {
    const path = join(root, 'models', 'green_2023-03_abc');
    const uri = toArtifactUri(root, path);
    assert.equal(uri, 'models/green_2023-03_abc');
    assert.equal(resolveArtifactUri('/elsewhere/mount', uri, 'modelUri'), '/elsewhere/mount/models/green_2023-03_abc');
    assert.equal(resolveArtifactUri(root, uri, 'modelUri'), path);
  });

  void it('are file:// URLs outside the root', () => {
    const uri = toArtifactUri(root, '/home/me/trips.parquet');
    assert.equal(uri, 'file:///home/me/trips.parquet');
    assert.equal(resolveArtifactUri(root, uri, 'files.0.uri'), '/home/me/trips.parquet');
  });

  void it('refuse to leave the root or to fetch remote URLs, naming the field', () => {
    for (const uri of ['../etc/passwd', 'models/../../x', 'http://example.org/x.parquet']) {
      assert.throws(
        () => resolveArtifactUri(root, uri, 'files.0.uri'),
        (error: unknown) => isPipelineError(error) && error.code === 'artifact_missing' && error.message.startsWith('files.0.uri: '),
      );
    }
  });
});

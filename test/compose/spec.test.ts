// compose.yaml against the Compose Specification (ajv + the schema bundled in dclint) and dclint's
// rules, without a Docker engine. Broken copies prove each check can fail.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { composePath, composeSchemaValidator, parseCompose, repoRoot } from './support';

const run = promisify(execFile);
const dclintBin = join(repoRoot, 'node_modules/dclint/bin/dclint.cjs');
const dclintConfig = join(repoRoot, 'test/compose/dclintrc.json');

/** dclint's exit code and report; warnings count as failures too. */
async function dclint(file: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [dclintBin, '-c', dclintConfig, '--max-warnings', '0', '--color', 'false', file], { cwd: repoRoot });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failed.code === 'number' ? failed.code : -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

async function withCopy<T>(text: string, use: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'compose-check-'));
  try {
    const file = join(dir, 'compose.yaml');
    await writeFile(file, text);
    return await use(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

void describe('compose.yaml: Compose Specification', () => {
  const validate = composeSchemaValidator();

  void it('is valid against the schema, with the merge keys resolved', async () => {
    const doc = parseCompose(await readFile(composePath, 'utf8'));
    assert.deepEqual(validate(doc), []);
    assert.ok(Object.keys(doc.services).length >= 12, 'every service is there after resolving the anchors');
  });

  void it('rejects a copy with a misspelt healthcheck key and an unknown depends_on condition', async () => {
    const text = (await readFile(composePath, 'utf8')).replace('interval: 5s', 'intervall: 5s').replace('condition: service_healthy', 'condition: service_healty');
    const problems = validate(parseCompose(text));
    assert.ok(problems.some((p) => p.includes('/healthcheck') && p.includes('intervall')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('/depends_on/') && p.includes('allowedValues')), problems.join('\n'));
  });
});

void describe('compose.yaml: dclint', () => {
  void it('passes dclint with the project rules, warnings included', async () => {
    const { code, output } = await dclint(composePath);
    assert.equal(code, 0, output);
  });

  void it('fails a copy that publishes a port on every interface and uses an untagged image', async () => {
    const text = (await readFile(composePath, 'utf8')).replace('"127.0.0.1:8080:8080"', '"8080:8080"').replace('image: prom/prometheus:v3.5.0', 'image: prom/prometheus');
    const { code, output } = await withCopy(text, dclint);
    assert.equal(code, 1, output);
    assert.match(output, /no-unbound-port-interfaces/);
    assert.match(output, /service-image-require-explicit-tag/);
  });
});

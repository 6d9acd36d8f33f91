import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { writeGreenFixture } from './fixtures';
import { repoRoot, runPipeline } from './support';

const run = promisify(execFile);
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'cli-bundle-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the bundled command (npm run build) gives the same answers as the TypeScript sources', async (t) => {
  // Inside the repo, so the external @duckdb/node-api resolves from node_modules as in dist/.
  const bundle = join(repoRoot, 'dist', `pipeline-test-${process.pid}.mjs`);
  t.after(() => rm(bundle, { force: true }));
  await run(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', 'build-cli.ts'), bundle], { cwd: repoRoot });
  const trips = join(work, 'green_tripdata_2023-03.parquet');
  await writeGreenFixture(trips, Array.from({ length: 900 }, (_, i) => 0.5 + (i % 70)));
  const args = ['--taxi', 'green', '--year', '2023', '--month', '3', '--source', trips, '--json'];
  const bundled = await run(process.execPath, [bundle, ...args, '--data-dir', join(work, 'bundled')], { cwd: repoRoot });
  const fromSources = await runPipeline([...args, '--data-dir', join(work, 'sources')]);
  assert.equal(fromSources.code, 0, fromSources.stderr);
  const withoutDir = (text: string) => {
    const { model_dir: _dir, ...answers } = JSON.parse(text) as Record<string, unknown>;
    return answers;
  };
  const answers = withoutDir(bundled.stdout);
  assert.deepEqual(answers, withoutDir(fromSources.stdout));
  assert.ok((answers.rows_prepared as number) > 0 && (answers.rows_prepared as number) < 900, 'the fixture has rows outside 1..60 minutes');
});

import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeGreenFixture } from './fixtures';
import { filesBelow, runPipeline, serveFolder } from './support';

/** Each failure must be one clear line on stderr, a non-zero exit, and an empty cache. */
async function expectCleanFailure(args: string[], dataDir: string, pattern: RegExp): Promise<void> {
  const result = await runPipeline([...args, '--data-dir', dataDir, '--no-progress']);
  assert.notEqual(result.code, 0, `exit code for ${args.join(' ')}`);
  assert.equal(result.stdout, '');
  const lines = result.stderr.split('\n').filter((line) => line.length > 0);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace without --verbose');
  const left = (await filesBelow(dataDir)).filter((name) => !name.endsWith('.lock'));
  assert.deepEqual(left, [], `nothing may be left in the data dir, found ${left.join(', ')}`);
}

describe('local command failures', () => {
  let work: string;
  let served: Awaited<ReturnType<typeof serveFolder>>;
  let dataDir: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cli-errors-'));
    const files = join(work, 'files');
    await rm(files, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(files));
    const valid = join(work, 'valid.parquet');
    await writeGreenFixture(valid, Array.from({ length: 400 }, (_, i) => 2 + (i % 30)));
    const bytes = await readFile(valid);
    // 2023-01: truncated copy; 2023-02: not parquet; 2022-12: no DOLocationID; 2022-11: nothing survives.
    await writeFile(join(files, 'green_tripdata_2023-01.parquet'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await writeFile(join(files, 'green_tripdata_2023-02.parquet'), 'this is an HTML error page, not parquet\n'.repeat(50));
    await writeGreenFixture(join(files, 'green_tripdata_2022-12.parquet'), [5, 6, 7], { withDropoffZone: false });
    await writeGreenFixture(join(files, 'green_tripdata_2022-11.parquet'), [0, 0.5, 61, 120, -3]);
    await copyFile(valid, join(files, 'green_tripdata_2022-10.parquet'));
    served = await serveFolder(files);
  });

  after(async () => {
    served.server.close();
    await rm(work, { recursive: true, force: true });
  });

  const month = (ym: string) => {
    const [year, monthNumber] = ym.split('-');
    return ['--taxi', 'green', '--year', year!, '--month', String(Number(monthNumber))];
  };

  test('a month with no file (HTTP 404)', async () => {
    dataDir = join(work, 'data-404');
    await expectCleanFailure([...month('2023-04'), '--base-url', served.baseUrl], dataDir, /not_found: .*404/);
  });

  test('a truncated file', async () => {
    await expectCleanFailure([...month('2023-01'), '--base-url', served.baseUrl], join(work, 'data-trunc'), /invalid_file: .*green_tripdata_2023-01/);
  });

  test('a file that is not parquet', async () => {
    await expectCleanFailure([...month('2023-02'), '--base-url', served.baseUrl], join(work, 'data-html'), /invalid_file: .*green_tripdata_2023-02/);
  });

  test('a file without DOLocationID', async () => {
    await expectCleanFailure([...month('2022-12'), '--base-url', served.baseUrl], join(work, 'data-schema'), /invalid_schema: .*DOLocationID/);
  });

  test('a file where no row survives the 1-60 minute filter', async () => {
    await expectCleanFailure([...month('2022-11'), '--base-url', served.baseUrl], join(work, 'data-empty'), /empty_dataset: /);
  });

  test('a month in the future', async () => {
    const next = new Date();
    next.setUTCMonth(next.getUTCMonth() + 2, 1);
    const ym = `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`;
    await expectCleanFailure([...month(ym), '--base-url', served.baseUrl], join(work, 'data-future'), /invalid_request: .*future/);
  });

  test('an unknown taxi type', async () => {
    await expectCleanFailure(['--taxi', 'blue', '--year', '2023', '--month', '3'], join(work, 'data-taxi'), /invalid_request: --taxi: unknown taxi type 'blue'/);
  });

  test('an unreachable host', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await expectCleanFailure([...month('2022-10'), '--base-url', `http://127.0.0.1:${port}`], join(work, 'data-unreachable'), /unreachable: /);
  });

  test('a valid served month succeeds, so the failures above are about their files', async () => {
    const result = await runPipeline([...month('2022-10'), '--base-url', served.baseUrl, '--data-dir', join(work, 'data-ok'), '--json']);
    assert.equal(result.code, 0, result.stderr);
    const answers = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.equal(answers.rows_loaded, 400);
  });
});

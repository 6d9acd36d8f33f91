import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ingestMonth, sidecarPath } from '../src/index';
import type { IngestRequest } from '../src/index';
import { closedPort, craftTripFile, listDir, removeDir, sendBytes, sendThenDrop, startServer, tempDir } from './helpers';
import type { Handler, TestServer } from './helpers';

const month = { taxi: 'yellow', year: 2023, month: 3, now: new Date('2024-01-01T00:00:00Z') } as const;
const fileName = 'yellow_tripdata_2023-03.parquet';
const fastRetry = { attempts: 4, baseDelayMs: 5, maxDelayMs: 20 };

let work: string;
let valid: Buffer;
let validSha: string;
const rows = 20_000;

before(async () => {
  work = await tempDir('ingest-test');
  await craftTripFile(join(work, 'valid.parquet'), { rows });
  valid = await readFile(join(work, 'valid.parquet'));
  validSha = createHash('sha256').update(valid).digest('hex');
});
after(async () => removeDir(work));

/** Each test gets a fresh cache dir and a server; both are cleaned up even when the test fails. */
async function withServer(handler: Handler, body: (server: TestServer, cacheDir: string) => Promise<void>): Promise<void> {
  const server = await startServer(handler);
  const cacheDir = await tempDir('ingest-cache');
  try {
    await body(server, cacheDir);
  } finally {
    await server.close();
    await removeDir(cacheDir);
  }
}

function request(server: TestServer, cacheDir: string, extra: Partial<IngestRequest> = {}): IngestRequest {
  return { ...month, cacheDir, baseUrl: server.baseUrl, retry: fastRetry, ...extra };
}

function resumeOffset(range: string | undefined): number {
  const match = /^bytes=(\d+)-$/.exec(range ?? '');
  assert.ok(match, `expected a Range request, got ${String(range)}`);
  return Number(match[1]);
}

/** Waits (by condition, not by clock) until a `.part` file in `dir` holds `bytes` bytes. */
async function waitForPartFile(dir: string, bytes: number): Promise<void> {
  for (;;) {
    for (const name of await listDir(dir)) {
      if (name.endsWith('.part') && (await stat(join(dir, name))).size >= bytes) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function expectCode(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    if (message) assert.match((error as Error).message, message);
    return true;
  };
}

void test('downloads, validates and caches; the second call is served from the cache', async () => {
  await withServer((req, res) => sendBytes(req, res, valid), async (server, cacheDir) => {
    const first = await ingestMonth(request(server, cacheDir));
    assert.deepEqual(first, {
      path: join(cacheDir, fileName),
      sha256: validSha,
      bytes: valid.length,
      rows,
      sourceUrl: `${server.baseUrl}/${fileName}`,
      cached: false,
      pickupColumn: 'tpep_pickup_datetime',
      dropoffColumn: 'tpep_dropoff_datetime',
    });
    assert.deepEqual(server.requests.map((r) => r.path), [`/${fileName}`]);
    assert.deepEqual(await readFile(first.path), valid);
    const sidecar = JSON.parse(await readFile(sidecarPath(first.path), 'utf8')) as Record<string, unknown>;
    assert.equal(sidecar.sha256, validSha);
    assert.equal(sidecar.bytes, valid.length);
    assert.equal(sidecar.rows, rows);
    assert.equal(sidecar.sourceUrl, first.sourceUrl);
    assert.ok(Array.isArray(sidecar.columns) && sidecar.columns.length === 5);
    assert.ok(!Number.isNaN(Date.parse(String(sidecar.validatedAt))));
    assert.deepEqual(await listDir(cacheDir), [fileName, `${fileName}.json`]);

    const second = await ingestMonth(request(server, cacheDir));
    assert.deepEqual(second, { ...first, cached: true });
    assert.equal(server.requests.length, 1, 'the cached file is not fetched again');
  });
});

void test('a cache entry whose size no longer matches its sidecar is fetched again', async () => {
  await withServer((req, res) => sendBytes(req, res, valid), async (server, cacheDir) => {
    const first = await ingestMonth(request(server, cacheDir));
    await writeFile(first.path, valid.subarray(0, 1000));
    const again = await ingestMonth(request(server, cacheDir));
    assert.equal(again.cached, false);
    assert.equal(server.requests.length, 2);
    assert.equal((await stat(first.path)).size, valid.length);
  });
});

void test('a different source URL for a cached month re-fetches and replaces the entry', async () => {
  await withServer((req, res) => sendBytes(req, res, valid), async (server, cacheDir) => {
    await ingestMonth(request(server, cacheDir));
    const source = `${server.baseUrl}/mirror/${fileName}`;
    const overridden = await ingestMonth(request(server, cacheDir, { source }));
    assert.equal(overridden.cached, false);
    assert.equal(overridden.sourceUrl, source);
    assert.equal(server.requests.at(-1)?.path, `/mirror/${fileName}`);
    assert.equal((await ingestMonth(request(server, cacheDir, { source }))).cached, true);
    assert.equal((await ingestMonth(request(server, cacheDir))).cached, false, 'back to the template URL: fetched again');
  });
});

void test('a dropped connection is resumed with an HTTP Range request', async () => {
  const half = Math.floor(valid.length / 2);
  const handler: Handler = (req, res, index) => (index === 0 ? sendThenDrop(res, valid, half) : sendBytes(req, res, valid));
  await withServer(handler, async (server, cacheDir) => {
    const result = await ingestMonth(request(server, cacheDir));
    assert.equal(result.sha256, validSha);
    assert.equal(result.rows, rows);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]?.range, undefined);
    // Bytes still in flight when the socket died are lost, so the resume offset is at most `half`.
    const offset = resumeOffset(server.requests[1]?.range);
    assert.ok(offset > 0 && offset <= half, `resumed from ${offset}`);
    assert.deepEqual(await listDir(cacheDir), [fileName, `${fileName}.json`], 'no .part file left behind');
  });
});

void test('a server that ignores Range on the retry makes the download start over', async () => {
  const half = Math.floor(valid.length / 2);
  const handler: Handler = (req, res, index) =>
    index === 0 ? sendThenDrop(res, valid, half) : sendBytes(req, res, valid, { honourRange: false });
  await withServer(handler, async (server, cacheDir) => {
    const result = await ingestMonth(request(server, cacheDir));
    assert.ok(resumeOffset(server.requests[1]?.range) > 0);
    assert.equal(result.sha256, validSha);
    assert.deepEqual(await readFile(result.path), valid);
  });
});

void test('a stalled transfer hits the idle timeout and resumes', async () => {
  const half = Math.floor(valid.length / 2);
  const handler: Handler = (req, res, index) => {
    if (index > 0) return sendBytes(req, res, valid);
    res.writeHead(200, { 'content-length': valid.length });
    res.write(valid.subarray(0, half)); // then never another byte
  };
  await withServer(handler, async (server, cacheDir) => {
    const result = await ingestMonth(request(server, cacheDir, { timeoutMs: 200 }));
    assert.equal(result.sha256, validSha);
    assert.equal(resumeOffset(server.requests[1]?.range), half, 'a stall loses nothing: every byte sent was written');
  });
});

void test('5xx responses are retried until the file arrives', async () => {
  const handler: Handler = (req, res, index) => (index < 2 ? res.writeHead(503).end('busy') : sendBytes(req, res, valid));
  await withServer(handler, async (server, cacheDir) => {
    const result = await ingestMonth(request(server, cacheDir));
    assert.equal(result.sha256, validSha);
    assert.equal(server.requests.length, 3);
  });
});

void test('a server that keeps failing → download_failed after the configured attempts, nothing cached', async () => {
  await withServer((_req, res) => res.writeHead(500).end(), async (server, cacheDir) => {
    await assert.rejects(ingestMonth(request(server, cacheDir)), expectCode('download_failed', /failed after 4 attempts: HTTP 500/));
    assert.equal(server.requests.length, 4);
    assert.deepEqual(await listDir(cacheDir), []);
  });
});

void test('HTTP 404 → not_found naming the month and URL', async () => {
  await withServer((_req, res) => res.writeHead(404).end(), async (server, cacheDir) => {
    const url = `${server.baseUrl}/${fileName}`;
    await assert.rejects(
      ingestMonth(request(server, cacheDir)),
      expectCode('not_found', new RegExp(`^no yellow file for 2023-03 at ${url} \\(HTTP 404\\)$`)),
    );
    assert.equal(server.requests.length, 1, 'a 404 is not retried');
  });
});

void test('connection refused → unreachable after retries', async () => {
  const cacheDir = await tempDir('ingest-cache');
  try {
    const port = await closedPort();
    await assert.rejects(
      ingestMonth({ ...month, cacheDir, baseUrl: `http://127.0.0.1:${port}`, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } }),
      expectCode('unreachable', /yellow file for 2023-03: cannot connect to 127\.0\.0\.1:\d+ \(ECONNREFUSED\).*after 3 attempts/),
    );
    assert.deepEqual(await listDir(cacheDir), []);
  } finally {
    await removeDir(cacheDir);
  }
});

const badFiles: [string, () => Promise<Buffer>, string, RegExp][] = [
  ['a truncated copy', () => Promise.resolve(valid.subarray(0, Math.floor(valid.length * 0.6))), 'invalid_file', /truncated or corrupt parquet file \(no PAR1 magic at the end\)/],
  ['random bytes', () => Promise.resolve(randomBytes(50_000)), 'invalid_file', /not a parquet file \(no PAR1 magic at the start\)/],
  ['an empty body', () => Promise.resolve(Buffer.alloc(0)), 'invalid_file', /not a parquet file \(only 0 bytes\)/],
  [
    'PAR1 at both ends around garbage',
    () => Promise.resolve(Buffer.concat([Buffer.from('PAR1'), randomBytes(1000), Buffer.from([8, 0, 0, 0]), Buffer.from('PAR1')])),
    'invalid_file',
    /unreadable parquet footer/,
  ],
  [
    'a parquet without DOLocationID',
    async () => {
      const path = join(work, 'no-dropoff-zone.parquet');
      await craftTripFile(path, { rows: 100, withoutDropoffZone: true });
      return readFile(path);
    },
    'invalid_schema',
    /missing column DOLocationID$/,
  ],
];

for (const [name, makeBody, code, message] of badFiles) {
  void test(`${name} → ${code}, and the cache holds no trace of it`, async () => {
    const body = await makeBody();
    await withServer((req, res) => sendBytes(req, res, body), async (server, cacheDir) => {
      await assert.rejects(ingestMonth(request(server, cacheDir)), (error: unknown) => {
        expectCode(code, message)(error);
        assert.match((error as Error).message, new RegExp(`^yellow file for 2023-03 from ${server.baseUrl}/${fileName}: `));
        return true;
      });
      assert.deepEqual(await listDir(cacheDir), []);
    });
  });
}

void test('a bad download replaces nothing: an earlier valid entry for another source stays out of use', async () => {
  // The new (corrupt) source fails validation; the old entry must not be reported for the new source.
  const bad = randomBytes(10_000);
  await withServer((req, res) => sendBytes(req, res, req.url?.startsWith('/bad/') ? bad : valid), async (server, cacheDir) => {
    await ingestMonth(request(server, cacheDir));
    await assert.rejects(ingestMonth(request(server, cacheDir, { source: `${server.baseUrl}/bad/${fileName}` })), expectCode('invalid_file'));
    assert.deepEqual(await listDir(cacheDir), [fileName, `${fileName}.json`]);
    assert.equal((await ingestMonth(request(server, cacheDir))).cached, true);
  });
});

void test('a Content-Length over maxBytes → download_failed before any byte is stored', async () => {
  await withServer((req, res) => sendBytes(req, res, valid), async (server, cacheDir) => {
    await assert.rejects(
      ingestMonth(request(server, cacheDir, { maxBytes: 1000 })),
      expectCode('download_failed', new RegExp(`is ${valid.length} bytes, over the size limit of 1000 bytes`)),
    );
    assert.deepEqual(await listDir(cacheDir), []);
  });
});

void test('a chunked body that outgrows maxBytes is cut off → download_failed', async () => {
  const handler: Handler = (_req, res) => {
    res.writeHead(200); // no Content-Length: chunked
    res.end(valid);
  };
  await withServer(handler, async (server, cacheDir) => {
    await assert.rejects(
      ingestMonth(request(server, cacheDir, { maxBytes: 5000 })),
      expectCode('download_failed', /exceeded 5000 bytes while streaming/),
    );
    assert.equal(server.requests.length, 1, 'the size limit is not retried');
    assert.deepEqual(await listDir(cacheDir), []);
  });
});

void test('aborting the signal → cancelled; the partial file is kept to resume later', async () => {
  const controller = new AbortController();
  const half = Math.floor(valid.length / 2);
  const handler: Handler = (req, res, index) => {
    if (index > 0) return sendBytes(req, res, valid);
    res.writeHead(200, { 'content-length': valid.length });
    res.write(valid.subarray(0, half)); // then stall until the client gives up
  };
  await withServer(handler, async (server, cacheDir) => {
    const download = ingestMonth(request(server, cacheDir, { signal: controller.signal }));
    await waitForPartFile(cacheDir, half);
    controller.abort();
    await assert.rejects(download, expectCode('cancelled'));
    const left = await listDir(cacheDir);
    assert.equal(left.length, 1);
    assert.match(left[0] ?? '', /^yellow_tripdata_2023-03\.parquet\.[0-9a-f]{12}\.part$/);

    const resumed = await ingestMonth(request(server, cacheDir));
    assert.equal(resumed.sha256, validSha);
    assert.match(server.requests[1]?.range ?? '', /^bytes=\d+-$/);
    assert.deepEqual(await listDir(cacheDir), [fileName, `${fileName}.json`]);
  });
});

void test('a local path or file:// source is validated and used in place, without touching the cache', async () => {
  const cacheDir = join(work, 'never-created');
  const path = join(work, 'valid.parquet');
  for (const source of [path, pathToFileURL(path).href]) {
    const result = await ingestMonth({ ...month, cacheDir, source });
    assert.deepEqual(result, {
      path,
      sha256: validSha,
      bytes: valid.length,
      rows,
      sourceUrl: pathToFileURL(path).href,
      cached: false,
      pickupColumn: 'tpep_pickup_datetime',
      dropoffColumn: 'tpep_dropoff_datetime',
    });
  }
  assert.deepEqual(await listDir(cacheDir), []);
  await assert.rejects(
    ingestMonth({ ...month, cacheDir, source: join(work, 'missing.parquet') }),
    expectCode('not_found', /^no yellow file for 2023-03 at .*missing\.parquet \(no such file\)$/),
  );
});

void test('a file:// baseUrl reads the month from a local mirror directory', async () => {
  const mirror = join(work, 'mirror');
  await mkdir(mirror, { recursive: true });
  await writeFile(join(mirror, fileName), valid);
  const result = await ingestMonth({ ...month, cacheDir: join(work, 'unused'), baseUrl: pathToFileURL(mirror).href });
  assert.equal(result.path, join(mirror, fileName));
  assert.equal(result.rows, rows);
});

void test('two concurrent requests for one month share a single download', async () => {
  await withServer((req, res) => sendBytes(req, res, valid), async (server, cacheDir) => {
    const [a, b] = await Promise.all([ingestMonth(request(server, cacheDir)), ingestMonth(request(server, cacheDir))]);
    assert.equal(server.requests.length, 1);
    assert.deepEqual([a.cached, b.cached].sort(), [false, true]);
  });
});

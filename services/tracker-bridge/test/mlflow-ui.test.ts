// The MLflow UI shows what the bridge recorded: a headless Chromium opens the run page.
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { MlflowClient } from '@taxi-mlops/mlflow-client';
import type { MlflowTrackerConfig } from '../src/mlflow/config';
import { recordTrainingRun, type RecordResult } from '../src/mlflow/record-run';
import { buildTrainingRunRecord } from '../src/mlflow/run-record';
import { fixtureRun, type FixtureRun } from './support/mlflow-fixtures';
import { testConfig } from './support/mlflow-pipeline';
import { REPO_ROOT, startMlflowServer } from './support/mlflow-server';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOTS = join(REPO_ROOT, 'artifacts', 'screenshots');

void describe('MLflow UI', () => {
  let config: MlflowTrackerConfig;
  let run: FixtureRun;
  let recorded: RecordResult;
  let browser: BrowserContext;
  let profile: string;

  before(async () => {
    config = await testConfig(await startMlflowServer());
    run = await fixtureRun({ seed: 11, noise: 4, validationNoise: 5 });
    const record = buildTrainingRunRecord(run.events, { experimentNamePattern: config.MLFLOW_EXPERIMENT_NAME, user: 'ui-test', artifactRoot: '/' });
    recorded = await recordTrainingRun(record, { client: new MlflowClient({ trackingUri: config.MLFLOW_TRACKING_URI }), registeredModelName: config.MLFLOW_REGISTERED_MODEL });
    profile = await mkdtemp(join(tmpdir(), 'chromium-profile-'));
    // A fresh profile folder per run (launchPersistentContext passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1800 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    if (run) await rm(run.dir, { recursive: true, force: true });
    if (config) await rm(config.MLFLOW_MODEL_CACHE_DIR, { recursive: true, force: true });
  });

  void it('shows the run page with its metrics and params, and saves a screenshot', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(recorded.runUrl, { waitUntil: 'domcontentloaded', timeout: 120_000 });
      // The page renders client-side; wait for the run's own values, not for a fixed time.
      await page.getByText(`yellow-2023-03-${run.runId}`).first().waitFor({ timeout: 120_000 });
      for (const metric of ['rmse_train', 'rmse_val', 'intercept', 'model_size_bytes']) {
        await page.getByText(metric, { exact: true }).first().waitFor({ timeout: 60_000 });
      }
      const body = await page.locator('body').innerText();
      assert.ok(body.includes(String(run.model.modelSizeBytes)), 'the model size value is on the page');
      assert.ok(body.includes('exact-min-norm'), 'the solver param is on the page');
      await mkdir(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, 'mlflow-run-page.png');
      await page.screenshot({ path, fullPage: true });
      await access(path);
    } finally {
      await page.close();
    }
  });
});

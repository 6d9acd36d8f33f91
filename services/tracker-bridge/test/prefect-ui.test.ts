import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import type { Bus } from '@taxi-mlops/runtime';
import { PrefectClient } from '../src/prefect/client';
import { runIdForFlowRun } from '../src/prefect/claim';
import type { PrefectBridge } from '../src/prefect/bridge';
import {
  connectTestBus,
  deleteTestStreams,
  ensurePrefectServer,
  flowRunState,
  playPipeline,
  repoRoot,
  runEvents,
  startTestBridge,
  testConfig,
  testNamespace,
  waitFor,
} from './support/prefect';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = path.join(repoRoot, 'artifacts/prefect');

/** The Prefect UI (served by the same server) shows the mirrored run; screenshots go to artifacts/prefect/. */
void describe('Prefect UI shows the mirrored run', () => {
  let apiUrl: string;
  let bus: Bus;
  let bridge: PrefectBridge;
  let browser: BrowserContext | undefined;
  let profile: string;

  before(async () => {
    apiUrl = await ensurePrefectServer();
    const namespace = testNamespace();
    bus = await connectTestBus(namespace);
    bridge = await startTestBridge(bus, testConfig(apiUrl, namespace));
    profile = await mkdtemp(path.join(tmpdir(), 'prefect-ui-'));
  });

  after(async () => {
    await browser?.close();
    await bridge?.stop();
    if (bus) {
      await deleteTestStreams(bus);
      await bus.close();
    }
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  void it('the flow run page lists the four task runs by name', async () => {
    const client = new PrefectClient({ apiUrl });
    const flowRun = await client.createFlowRunFromDeployment(bridge.deployments.get('homework-complete-solution')!.id, {
      state: { type: 'SCHEDULED', message: 'Run from the Prefect UI with defaults' },
    });
    const runId = runIdForFlowRun(flowRun.id);
    await waitFor('run.requested', async () => (await runEvents(bus, runId)).some((e) => e.type === 'run.requested'));
    await waitFor('RUNNING', async () => (await flowRunState(client, flowRun.id))?.type === 'RUNNING');
    await playPipeline(bus, runId);
    await waitFor('COMPLETED', async () => (await flowRunState(client, flowRun.id))?.type === 'COMPLETED');

    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await browser.newPage();
    await mkdir(SCREENSHOTS, { recursive: true });
    // The V1 UI at "/" exists in every Prefect 3 release (3.8 also serves the V2 UI under /v2/).
    await page.goto(`${client.uiUrl}/runs/flow-run/${flowRun.id}`, { waitUntil: 'networkidle' });
    await page.getByText('Completed').first().waitFor({ timeout: 30_000 });
    const runPage = path.join(SCREENSHOTS, 'flow-run.png');
    await page.screenshot({ path: runPage, fullPage: true });

    await page.getByRole('tab', { name: 'Task Runs' }).or(page.getByText('Task Runs', { exact: true })).first().click();
    for (const name of ['download', 'features', 'train', 'track']) {
      await page.getByText(new RegExp(`^${name}$`)).first().waitFor({ timeout: 30_000 });
    }
    const text = await page.innerText('body');
    for (const name of ['download', 'features', 'train', 'track']) assert.match(text, new RegExp(`\\b${name}\\b`), `task run ${name} on the page`);
    const taskRunsPage = path.join(SCREENSHOTS, 'flow-run-task-runs.png');
    await page.screenshot({ path: taskRunsPage, fullPage: true });
    assert.ok((await stat(runPage)).size > 10_000 && (await stat(taskRunsPage)).size > 10_000, 'screenshots written');
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import type { Envelope } from '@taxi-mlops/contracts';
import type { Bus, Logger } from '@taxi-mlops/runtime';
import { terminalStateTypes, type FlowRun } from './api-types';
import { runRequestForFlowRun } from './claim';
import { PrefectClient } from './client';
import type { PrefectBridgeConfig } from './config';
import type { DecideContext } from './decide';
import { deploymentBody, deploymentSpecs, type DeploymentKey, type DeploymentOptions } from './deployments';
import { FlowRunWriter, type DeploymentRef } from './flow-run-writer';
import { inspectionMarkdown, inspectNewestModel } from './model-inspection';
import { readRunHistory, startNatsFeed, type FeedMessage, type NatsFeed } from './nats-feed';
import { RunMirror } from './run-mirror';
import { serviceLogLine } from './service-logs';

export interface PrefectBridgeDeps {
  /** An already-connected runtime bus (streams ensured by the caller or here). */
  bus: Bus;
  logger: Logger;
  config: PrefectBridgeConfig;
  /** Durable consumer name prefix (default "tracker-bridge-prefect"). */
  durable?: string;
}

export interface PrefectBridge {
  /** Resolves once Prefect answered, the deployments are registered and the consumers run. */
  readonly ready: Promise<void>;
  /** The registered deployments (after `ready`). */
  readonly deployments: ReadonlyMap<DeploymentKey, DeploymentRef>;
  stop(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;
const DONE_GRACE_MS = 30_000;

/**
 * Mirrors every pipeline run into a Prefect server and starts runs from it: registers the three
 * deployments, claims their scheduled runs (Quick Run, Custom Run, cron) and publishes
 * `run.requested`, drives each flow run from the run's events, and turns a cancel in the UI into
 * `run.cancelled`. Never blocks the pipeline: Prefect calls wait per run while events keep flowing.
 */
export function startPrefectBridge({ bus, logger: parentLogger, config, durable = 'tracker-bridge-prefect' }: PrefectBridgeDeps): PrefectBridge {
  const logger = parentLogger.child({ part: 'prefect' });
  const client = new PrefectClient({ apiUrl: config.PREFECT_API_URL, authString: config.PREFECT_API_AUTH_STRING });
  const abort = new AbortController();
  const deployments = new Map<DeploymentKey, DeploymentRef>();
  const keyOfDeployment = new Map<string, DeploymentKey>();
  const mirrors = new Map<string, RunMirror>();
  const cancelRequested = new Set<string>();
  const inspecting = new Set<string>();
  let feed: NatsFeed | undefined;
  let ctx: DecideContext | undefined;
  const timers: NodeJS.Timeout[] = [];
  const loops: Array<Promise<void>> = [];

  const deploymentOptions: DeploymentOptions = {
    flowSuffix: config.PREFECT_FLOW_SUFFIX,
    experimentName: config.MLFLOW_EXPERIMENT_NAME,
    schedules: {
      'homework-complete-solution': config.PREFECT_SCHEDULE_HOMEWORK,
      'data-download': config.PREFECT_SCHEDULE_DATA_DOWNLOAD,
      'model-inspection': config.PREFECT_SCHEDULE_MODEL_INSPECTION,
    },
    version: 'tracker-bridge-1',
  };

  function mirrorFor(runId: string): RunMirror {
    let mirror = mirrors.get(runId);
    if (!mirror) {
      const writer = new FlowRunWriter(runId, client, deployments, logger, async (prefectFlowRunId, deployment) => {
        await bus.emit('run.mirrored', runId, { prefectFlowRunId, deployment });
      });
      const created: RunMirror = new RunMirror(runId, writer, {
        ctx: ctx!,
        runTimeoutMinutes: config.PREFECT_RUN_TIMEOUT_MINUTES,
        logger,
        history: () => readRunHistory(bus, runId),
        onDone: () => {
          const timer = setTimeout(() => {
            if (mirrors.get(runId) === created && created.done) {
              created.stop();
              mirrors.delete(runId);
              cancelRequested.delete(runId);
            }
          }, DONE_GRACE_MS);
          timer.unref();
        },
      });
      mirror = created;
      mirrors.set(runId, mirror);
    }
    return mirror;
  }

  async function setup(): Promise<void> {
    for (let attempt = 1; !(await client.health()); attempt++) {
      if (abort.signal.aborted) return;
      if (attempt === 1 || attempt % 30 === 0) logger.warn({ url: config.PREFECT_API_URL }, 'prefect bridge: waiting for the Prefect server');
      await sleep(1000, undefined, { signal: abort.signal }).catch(() => undefined);
    }
    const version = await client.version();
    ctx = {
      orchestrator: `Prefect ${version}`,
      waitForTracking: config.PREFECT_WAIT_FOR_TRACKING,
      mlflowUrl: config.MLFLOW_TRACKING_URI,
      traceUiUrl: config.TRACE_UI_URL,
    };
    for (const spec of deploymentSpecs(deploymentOptions)) {
      const flow = await client.upsertFlow(spec.flowName, spec.tags);
      const deployment = await client.upsertDeployment(deploymentBody(spec, flow.id, deploymentOptions));
      deployments.set(spec.key, { id: deployment.id, flowName: spec.flowName });
      keyOfDeployment.set(deployment.id, spec.key);
    }
    logger.info({ version, deployments: Object.fromEntries([...deployments].map(([key, ref]) => [key, ref.id])) }, 'prefect bridge: deployments registered');
    if (abort.signal.aborted) return;
    feed = startNatsFeed(
      bus,
      durable,
      {
        event: (event: Envelope, message: FeedMessage, traceId) => mirrorFor(event.subject).receive(event, message, traceId),
        log: (runId, service, body, message) => {
          const line = serviceLogLine(body, service);
          if (line) mirrorFor(runId).receiveLog(line, message);
          else message.ack();
        },
      },
      logger,
    );
    await recoverClaimedRuns();
    loops.push(pollLoop());
    const heartbeat = setInterval(() => {
      for (const mirror of mirrors.values()) for (const message of mirror.heldMessages()) message.working();
    }, HEARTBEAT_MS);
    timers.push(heartbeat);
  }

  async function pollLoop(): Promise<void> {
    while (!abort.signal.aborted) {
      try {
        await claimScheduledRuns();
        await watchInFlightRuns();
      } catch (error) {
        logger.warn({ err: error }, 'prefect bridge: poll failed; retrying');
      }
      await sleep(config.PREFECT_POLL_INTERVAL_MS, undefined, { signal: abort.signal }).catch(() => undefined);
    }
  }

  /** Quick Run / Custom Run / cron runs: claim with a non-forced PENDING (ABORT: another bridge has it). */
  async function claimScheduledRuns(): Promise<void> {
    const scheduled = await client.getScheduledFlowRuns([...deployments.values()].map((d) => d.id), new Date(Date.now() + 10_000));
    for (const flowRun of scheduled) {
      if (abort.signal.aborted) return;
      const key = flowRun.deployment_id ? keyOfDeployment.get(flowRun.deployment_id) : undefined;
      if (!key) continue;
      const claim = await client.setFlowRunState(flowRun.id, { type: 'PENDING', message: 'Claimed by the tracker-bridge' });
      if (claim.status !== 'ACCEPT' || claim.state?.type !== 'PENDING') {
        logger.info({ flowRunId: flowRun.id, status: claim.status }, 'prefect bridge: run not claimed (another bridge has it)');
        continue;
      }
      logger.info({ flowRunId: flowRun.id, deployment: key }, 'prefect bridge: claimed a flow run');
      if (key === 'model-inspection') void runModelInspection(flowRun);
      else await requestPipelineRun(flowRun, key);
    }
  }

  async function requestPipelineRun(flowRun: FlowRun, key: Exclude<DeploymentKey, 'model-inspection'>): Promise<void> {
    const request = runRequestForFlowRun(flowRun, key);
    if (!request.ok) {
      await client.setFlowRunState(flowRun.id, { type: 'FAILED', message: `Invalid parameters: ${request.reason}` });
      return;
    }
    // Deterministic run id and message id: a re-publish after a crash is stored once.
    await bus.emit('run.requested', request.runId, request.data);
  }

  /** A claim whose run.requested never reached the stream (the bridge died in between) is published now. */
  async function recoverClaimedRuns(): Promise<void> {
    const ids = [deployments.get('homework-complete-solution')?.id, deployments.get('data-download')?.id].filter((id): id is string => !!id);
    const pending = await client.filterFlowRuns({ flow_runs: { state: { type: { any_: ['PENDING'] } } }, deployments: { id: { any_: ids } }, limit: 200 });
    for (const flowRun of pending) {
      const key = flowRun.deployment_id ? keyOfDeployment.get(flowRun.deployment_id) : undefined;
      if (!key || key === 'model-inspection' || flowRun.idempotency_key?.startsWith('pipeline-run-')) continue;
      const request = runRequestForFlowRun(flowRun, key);
      if (!request.ok) continue;
      if ((await readRunHistory(bus, request.runId)).length > 0) continue;
      logger.info({ flowRunId: flowRun.id, runId: request.runId }, 'prefect bridge: re-publishing the request of a claimed run');
      await bus.emit('run.requested', request.runId, request.data);
    }
  }

  /** Cancel in the UI (CANCELLING, or the legacy CANCELLED named "Cancelling") or any outside terminal state stops the pipeline. */
  async function watchInFlightRuns(): Promise<void> {
    const inFlight = [...mirrors.values()].filter((m) => !m.ended && m.writer.flowRunId);
    if (inFlight.length === 0) return;
    const byFlowRun = new Map(inFlight.map((m) => [m.writer.flowRunId!, m]));
    const flowRuns = await client.filterFlowRuns({ flow_runs: { id: { any_: [...byFlowRun.keys()] } }, limit: 200 });
    for (const flowRun of flowRuns) {
      const mirror = byFlowRun.get(flowRun.id);
      const state = flowRun.state;
      if (!mirror || !state || mirror.ended || cancelRequested.has(mirror.runId)) continue;
      const cancelling = state.type === 'CANCELLING' || (state.type === 'CANCELLED' && state.name === 'Cancelling');
      const endedOutside = terminalStateTypes.has(state.type);
      if (!cancelling && !endedOutside) continue;
      mirror.writer.noteFlowState(state);
      cancelRequested.add(mirror.runId);
      const reason = cancelling ? 'cancelled in Prefect' : `flow run set to ${state.name ?? state.type} in Prefect`;
      logger.info({ runId: mirror.runId, flowRunId: flowRun.id, state: state.type }, `prefect bridge: ${reason}; publishing run.cancelled`);
      await bus.emit('run.cancelled', mirror.runId, { reason, by: 'prefect' });
    }
  }

  async function runModelInspection(flowRun: FlowRun): Promise<void> {
    if (inspecting.has(flowRun.id)) return;
    inspecting.add(flowRun.id);
    const experimentName = typeof flowRun.parameters.experiment_name === 'string' ? flowRun.parameters.experiment_name : config.MLFLOW_EXPERIMENT_NAME;
    const log = (level: number, message: string) =>
      client.createLogs([{ name: 'prefect.flow_runs', level, message, timestamp: new Date().toISOString(), flow_run_id: flowRun.id }]);
    try {
      await client.setFlowRunState(flowRun.id, { type: 'RUNNING' });
      if (!config.MLFLOW_TRACKING_URI) throw new Error('MLFLOW_TRACKING_URI is not set: the bridge cannot reach MLflow');
      await log(20, `Inspecting the newest model of MLflow experiment "${experimentName}" at ${config.MLFLOW_TRACKING_URI}.`);
      const inspection = await inspectNewestModel(config.MLFLOW_TRACKING_URI, experimentName, config.MLFLOW_UI_URL);
      const markdown = inspectionMarkdown(inspection);
      await client.createArtifact({ key: 'model-inspection', type: 'markdown', description: `Newest model of ${experimentName}`, data: markdown, flow_run_id: flowRun.id });
      await log(20, markdown);
      await client.setFlowRunState(flowRun.id, { type: 'COMPLETED', message: inspection.found ? `Model of run ${inspection.runId}` : 'No model yet' });
    } catch (error) {
      const message = `Model inspection failed: ${(error as Error).message}`;
      logger.warn({ err: error, flowRunId: flowRun.id }, 'prefect bridge: model inspection failed');
      await log(40, message).catch(() => undefined);
      await client.setFlowRunState(flowRun.id, { type: 'FAILED', message }).catch(() => undefined);
    } finally {
      inspecting.delete(flowRun.id);
    }
  }

  const ready = setup();
  ready.catch((error: unknown) => logger.error({ err: error }, 'prefect bridge: setup failed'));

  return {
    ready,
    deployments,
    async stop() {
      abort.abort();
      for (const timer of timers) clearInterval(timer);
      await ready.catch(() => undefined);
      await feed?.stop();
      await Promise.all(loops);
      for (const mirror of mirrors.values()) mirror.stop();
      mirrors.clear();
    },
  };
}

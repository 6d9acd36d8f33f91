// The trainer service: features.ready → model.trained and run.completed (models under ARTIFACT_ROOT/models).
import { hostname } from 'node:os';
import { runService } from '@taxi-mlops/runtime';
import { artifactLayout } from '@taxi-mlops/artifact-store';
import { PIPELINE_STREAM_OPTIONS, WorkLeases } from '@taxi-mlops/coordination';
import { TrainerConfig } from './config';
import { trainerHandler } from './handler';

await runService({
  name: 'trainer',
  config: TrainerConfig,
  async start({ config, bus, logger }) {
    await bus.ensureStreams(PIPELINE_STREAM_OPTIONS);
    const owner = config.SERVICE_INSTANCE_ID ?? `trainer@${hostname()}:${process.pid}`;
    const leases = await WorkLeases.open(bus, { leaseMs: config.LEASE_TTL_MS, owner, logger });
    const layout = artifactLayout(config.ARTIFACT_ROOT);
    if (config.TRAINER_TEST_DELAY_MS > 0) logger.warn({ delayMs: config.TRAINER_TEST_DELAY_MS }, 'TRAINER_TEST_DELAY_MS is set: every training waits (tests only)');
    const handler = trainerHandler({
      bus,
      layout,
      exclusive: (key, work) => leases.withLease(key, work, { onWait: (holder) => logger.info({ key, holder }, 'waiting for another trainer training this model') }),
      testDelayMs: config.TRAINER_TEST_DELAY_MS,
    });
    await bus.consume('features.ready', handler, {
      stage: 'train',
      concurrency: config.TRAINER_CONCURRENCY,
      ackWaitMs: config.TRAINER_ACK_WAIT_MS,
      maxDeliver: config.TRAINER_MAX_DELIVER,
    });
    logger.info({ artifactRoot: layout.root, owner }, 'trainer ready');
  },
});

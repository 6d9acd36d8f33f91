// The features service: data.downloaded → features.ready (statistics under ARTIFACT_ROOT/pipeline-data).
import { hostname } from 'node:os';
import { runService } from '@taxi-mlops/runtime';
import { artifactLayout } from '@taxi-mlops/artifact-store';
import { PIPELINE_STREAM_OPTIONS, WorkLeases } from '@taxi-mlops/coordination';
import { FeaturesConfig } from './config';
import { featuresHandler } from './handler';

await runService({
  name: 'features',
  config: FeaturesConfig,
  async start({ config, bus, logger }) {
    await bus.ensureStreams(PIPELINE_STREAM_OPTIONS);
    const owner = config.SERVICE_INSTANCE_ID ?? `features@${hostname()}:${process.pid}`;
    const leases = await WorkLeases.open(bus, { leaseMs: config.LEASE_TTL_MS, owner, logger });
    const layout = artifactLayout(config.ARTIFACT_ROOT);
    if (config.FEATURES_TEST_DELAY_MS > 0) logger.warn({ delayMs: config.FEATURES_TEST_DELAY_MS }, 'FEATURES_TEST_DELAY_MS is set: every features stage waits (tests only)');
    const handler = featuresHandler({
      bus,
      layout,
      exclusive: (key, work) => leases.withLease(key, work, { onWait: (holder) => logger.info({ key, holder }, 'waiting for another instance computing these statistics') }),
      testDelayMs: config.FEATURES_TEST_DELAY_MS,
    });
    await bus.consume('data.downloaded', handler, {
      stage: 'features',
      concurrency: config.FEATURES_CONCURRENCY,
      ackWaitMs: config.FEATURES_ACK_WAIT_MS,
      maxDeliver: config.FEATURES_MAX_DELIVER,
    });
    logger.info({ artifactRoot: layout.root }, 'features ready to consume');
  },
});

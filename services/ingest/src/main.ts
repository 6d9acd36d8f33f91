// The ingest service: run.requested → data.downloaded (files cached under ARTIFACT_ROOT/taxi-data).
import { hostname } from 'node:os';
import { runService } from '@taxi-mlops/runtime';
import { artifactLayout } from '@taxi-mlops/artifact-store';
import { PIPELINE_STREAM_OPTIONS, WorkLeases } from '@taxi-mlops/coordination';
import { IngestConfig } from './config';
import { ingestHandler } from './handler';

await runService({
  name: 'ingest',
  config: IngestConfig,
  async start({ config, bus, logger }) {
    await bus.ensureStreams(PIPELINE_STREAM_OPTIONS);
    const owner = config.SERVICE_INSTANCE_ID ?? `ingest@${hostname()}:${process.pid}`;
    const leases = await WorkLeases.open(bus, { leaseMs: config.LEASE_TTL_MS, owner, logger });
    const layout = artifactLayout(config.ARTIFACT_ROOT);
    const handler = ingestHandler({
      bus,
      layout,
      exclusive: (key, work) => leases.withLease(key, work, { onWait: (holder) => logger.info({ key, holder }, 'waiting for another instance to finish this file') }),
      ...(config.TLC_BASE_URL === undefined ? {} : { baseUrl: config.TLC_BASE_URL }),
    });
    await bus.consume('run.requested', handler, {
      stage: 'ingest',
      concurrency: config.INGEST_CONCURRENCY,
      ackWaitMs: config.INGEST_ACK_WAIT_MS,
      maxDeliver: config.INGEST_MAX_DELIVER,
    });
    logger.info({ artifactRoot: layout.root, baseUrl: config.TLC_BASE_URL ?? null }, 'ingest ready');
  },
});

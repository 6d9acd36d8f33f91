// tracker-bridge: mirrors every pipeline run into Prefect (flow runs, task runs, logs, answers,
// deployments with Quick Run) and records every trained model in MLflow (run, LoggedModel, registry).
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { runService } from '@taxi-mlops/runtime';
import { bridgeEnv, prefectConfigOf } from './config';
import { startMlflowTracker } from './mlflow';
import { startPrefectBridge } from './prefect';
import { z } from 'zod';

await runService({
  name: 'tracker-bridge',
  config: z.object(bridgeEnv),
  // CLIENT spans for fetch (MLflow, Prefect) and traceparent on the requests; only inside a span,
  // so a run's MLflow calls join its trace and the Prefect polls make no traces of their own.
  instrumentations: [new UndiciInstrumentation({ requireParentforSpans: true })],
  async start({ bus, logger, config, onShutdown }) {
    if (config.MLFLOW_ENABLED) {
      const tracker = await startMlflowTracker({ bus, logger, config });
      onShutdown(() => tracker.stop());
    }
    if (config.PREFECT_ENABLED) {
      const bridge = startPrefectBridge({ bus, logger, config: prefectConfigOf(config) });
      onShutdown(() => bridge.stop());
      // Prefect may still be starting: the pipeline must not wait for it, so readiness is only logged.
      bridge.ready.then(
        () => logger.info({ deployments: [...bridge.deployments.keys()] }, 'prefect bridge ready'),
        (error: unknown) => logger.error({ err: error }, 'prefect bridge failed to start'),
      );
    }
  },
});

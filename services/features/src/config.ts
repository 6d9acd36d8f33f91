import { z } from 'zod';
import { commonEnv } from '@taxi-mlops/runtime';
import { intEnv, stageEnv } from '@taxi-mlops/coordination';

/** The features service's environment (commonEnv included, so a compose check sees every variable). */
export const FeaturesConfig = z.object({
  ...commonEnv,
  ...stageEnv,
  /** Runs whose statistics one process computes at once (each DuckDB pass uses one thread). */
  FEATURES_CONCURRENCY: intEnv(1),
  /** Redelivery to another instance after this long without a heartbeat (the process died), ms. */
  FEATURES_ACK_WAIT_MS: intEnv(30_000, 100),
  /** Deliveries of one event before it is dead-lettered and the run fails. */
  FEATURES_MAX_DELIVER: intEnv(5),
  /**
   * TEST ONLY: sleep this long after stage.started, before the statistics - the "features are
   * running" window of the cancel acceptance test (the real file takes well under a second). Leave at 0.
   */
  FEATURES_TEST_DELAY_MS: intEnv(0, 0),
});
export type FeaturesConfig = z.infer<typeof FeaturesConfig>;

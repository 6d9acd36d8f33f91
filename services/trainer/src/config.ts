import { z } from 'zod';
import { commonEnv } from '@taxi-mlops/runtime';
import { intEnv, stageEnv } from '@taxi-mlops/coordination';

/** The trainer service's environment (commonEnv included, so a compose check sees every variable). */
export const TrainerConfig = z.object({
  ...commonEnv,
  ...stageEnv,
  /** Runs one process trains at once (the solver is CPU-bound: one per core). */
  TRAINER_CONCURRENCY: intEnv(1),
  /** Redelivery to another instance after this long without a heartbeat (the process died), ms. */
  TRAINER_ACK_WAIT_MS: intEnv(30_000, 100),
  /** Deliveries of one event before it is dead-lettered and the run fails. */
  TRAINER_MAX_DELIVER: intEnv(5),
  /**
   * TEST ONLY: sleep this long inside the handler, holding the lease, before training - the
   * "mid-run" window of the kill, cancel and gateway-restart acceptance tests. Leave at 0.
   */
  TRAINER_TEST_DELAY_MS: intEnv(0, 0),
});
export type TrainerConfig = z.infer<typeof TrainerConfig>;

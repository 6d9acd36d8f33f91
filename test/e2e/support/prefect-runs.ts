// Reading and driving flow runs on the real Prefect server the way a user does in its UI.
import { PrefectClient } from '../../../services/tracker-bridge/src/prefect/client';
import type { Deployment } from '../../../services/tracker-bridge/src/prefect/api-types';
import type { DeploymentKey } from '../../../services/tracker-bridge/src/prefect/deployments';
import { waitFor } from '../../../services/tracker-bridge/test/support/prefect';

export { waitFor };

/** The flow of each deployment, without the test's suffix (deployments.ts). */
const flowOf: Record<DeploymentKey, string> = {
  'homework-complete-solution': 'nyc-taxi-duration-training',
  'data-download': 'nyc-taxi-data-download',
  'model-inspection': 'nyc-taxi-model-inspection',
};

export class PrefectUser {
  readonly client: PrefectClient;

  constructor(
    readonly apiUrl: string,
    private readonly flowSuffix: string,
  ) {
    this.client = new PrefectClient({ apiUrl });
  }

  deployment(key: DeploymentKey): Promise<Deployment> {
    return this.client.readDeploymentByName(`${flowOf[key]}-${this.flowSuffix}`, key);
  }

  /**
   * What the UI's Quick Run / Custom Run sends (prefect-rest.md §9.2): a SCHEDULED flow run of
   * the deployment, with the form's parameters. SQLite answers 503 "database is locked" now and
   * then; a user would click again.
   */
  async quickRun(key: DeploymentKey, parameters?: Record<string, unknown>): Promise<string> {
    const { id } = await this.deployment(key);
    const body = { state: { type: 'SCHEDULED', message: 'Run from the Prefect UI' }, ...(parameters ? { parameters } : {}) };
    const response = await waitFor('create_flow_run', async () => {
      const r = await fetch(`${this.apiUrl}/deployments/${id}/create_flow_run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return r.status === 503 ? undefined : r;
    });
    if (response.status !== 201) throw new Error(`create_flow_run ${key}: HTTP ${response.status} ${await response.text()}`);
    return ((await response.json()) as { id: string }).id;
  }

  /** Waits for one of `types` (terminal states end the wait even when they are not the one asked for). */
  async waitForState(flowRunId: string, type: string, timeoutMs = 120_000) {
    const terminal = ['COMPLETED', 'FAILED', 'CANCELLED', 'CRASHED'];
    const state = await waitFor(
      `flow run ${flowRunId} ${type}`,
      async () => {
        const current = (await this.client.readFlowRun(flowRunId)).state;
        return current && (current.type === type || terminal.includes(current.type)) ? current : undefined;
      },
      timeoutMs,
    );
    if (state.type !== type) throw new Error(`flow run ${flowRunId} ended ${state.type} (${state.message ?? ''}), expected ${type}`);
    return state;
  }

  /** The flow run's task runs, oldest first. */
  taskRuns(flowRunId: string) {
    return this.client.filterTaskRuns({ flow_runs: { id: { any_: [flowRunId] } }, sort: 'EXPECTED_START_TIME_ASC', limit: 50 });
  }

  async artifacts(flowRunId: string) {
    return this.client.filterArtifacts({ artifacts: { flow_run_id: { any_: [flowRunId] } } });
  }

  /** Every log of the flow run (the client's filter reads 200 at most; a run has far fewer here). */
  logs(flowRunId: string) {
    return this.client.filterLogs(flowRunId, 200);
  }
}

/**
 * A markdown table of an artifact as label → value: the last two cells of each row, so both the
 * answers (`| Q3 | Rows loaded | 65,171 |`) and the inspection (`| Intercept | 12.3 |`) read alike.
 */
export function markdownTable(markdown: string): Record<string, string> {
  const table: Record<string, string> = {};
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    if (cells.length < 2 || cells.every((cell) => /^-*$/.test(cell))) continue;
    table[cells.at(-2)!] = cells.at(-1)!;
  }
  return table;
}

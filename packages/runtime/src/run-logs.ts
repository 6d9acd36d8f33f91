import { RunId } from '@taxi-mlops/contracts';

type Publish = (runId: string, line: string) => void;

/**
 * Copies the log lines that carry a `runId` (child loggers of a handler do) to
 * `logs.<runId>.<service>`, where the tracker-bridge picks them up for the Prefect UI.
 * Attached once the bus is connected; until then (and after detach) lines only go to stdout.
 */
export class RunLogForwarder {
  private publish: Publish | undefined;

  attach(publish: Publish): void {
    this.publish = publish;
  }

  detach(): void {
    this.publish = undefined;
  }

  forward(line: string): void {
    if (!this.publish || !line.includes('"runId":')) return;
    try {
      const runId = (JSON.parse(line) as { runId?: unknown }).runId;
      if (typeof runId === 'string' && RunId.safeParse(runId).success) this.publish(runId, line.trimEnd());
    } catch {
      // A log line that cannot be forwarded must never break the service.
    }
  }
}

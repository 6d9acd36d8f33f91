import cliProgress from 'cli-progress';

export interface ProgressReporter {
  start(totalBytes: number | undefined, doneBytes: number): void;
  update(doneBytes: number): void;
  stop(): void;
}

const quiet: ProgressReporter = { start() {}, update() {}, stop() {} };

/** A byte progress bar on stderr when asked for and stderr is a terminal; silent otherwise (logs, CI, tests). */
export function createProgress(enabled: boolean, label: string): ProgressReporter {
  if (!enabled || !process.stderr.isTTY) return quiet;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {doneMiB}/{totalMiB} MiB | {speed} MiB/s`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let startedAt = 0;
  let startBytes = 0;
  const payload = (done: number, total: number | undefined) => {
    const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
    return {
      doneMiB: (done / 2 ** 20).toFixed(1),
      totalMiB: total === undefined ? '?' : (total / 2 ** 20).toFixed(1),
      speed: ((done - startBytes) / 2 ** 20 / seconds).toFixed(1),
    };
  };
  let knownTotal: number | undefined;
  return {
    start(totalBytes, doneBytes) {
      if (started) bar.stop();
      knownTotal = totalBytes;
      startedAt = Date.now();
      startBytes = doneBytes;
      bar.start(totalBytes ?? 0, doneBytes, payload(doneBytes, totalBytes));
      started = true;
    },
    update(doneBytes) {
      if (started) bar.update(doneBytes, payload(doneBytes, knownTotal));
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

import { championModel, type ChampionModel } from '@taxi-mlops/mlflow-client';
import { loadPredictor, type Predictor } from '@taxi-mlops/model-format';

export interface ChampionSnapshot {
  predictor: Predictor;
  registeredModel: string;
  version: string;
  uri: string;
}

export interface ChampionPredictorOptions {
  trackingUri: string;
  registeredModel: string;
  cacheDir: string;
  /** How long a resolved champion is trusted before the alias is asked again. */
  refreshMs: number;
  now?: () => number;
}

/**
 * The champion model, reloaded when the registry's `champion` alias moves: the alias is looked up
 * at most every `refreshMs`, and a version's files are loaded once (versions are immutable).
 */
export class ChampionPredictor {
  private snapshot: ChampionSnapshot | undefined;
  private checkedAt = -Infinity;
  private pending: Promise<ChampionSnapshot> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ChampionPredictorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Throws PipelineError `not_found` without a champion and MlflowUnavailableError when MLflow is down. */
  async current(): Promise<ChampionSnapshot> {
    if (this.snapshot && this.now() - this.checkedAt < this.options.refreshMs) return this.snapshot;
    // One lookup at a time: concurrent requests share it.
    this.pending ??= this.refresh().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async refresh(): Promise<ChampionSnapshot> {
    const champion: ChampionModel = await championModel({
      trackingUri: this.options.trackingUri,
      registeredModel: this.options.registeredModel,
      cacheDir: this.options.cacheDir,
    });
    if (this.snapshot?.version !== champion.version || this.snapshot.registeredModel !== champion.registeredModel) {
      this.snapshot = {
        predictor: await loadPredictor(champion.dir),
        registeredModel: champion.registeredModel,
        version: champion.version,
        uri: champion.uri,
      };
    }
    this.checkedAt = this.now();
    return this.snapshot;
  }
}

import { z } from 'zod';

/** Version of every payload schema below; bump on a breaking change and publish both during migration. */
export const SCHEMA_VERSION = 1;

export const taxiTypes = ['yellow', 'green'] as const;
export const TaxiType = z.enum(taxiTypes);
export type TaxiType = z.infer<typeof TaxiType>;

export const stages = ['ingest', 'features', 'train', 'track'] as const;
export const Stage = z.enum(stages);
export type Stage = z.infer<typeof Stage>;

/** NATS subject tokens cannot hold '.', '*', '>' or white space, so run ids are restricted. */
export const RunId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'run id: 1-64 letters, digits, "_" or "-"');

export const YearMonth = z.object({
  year: z.number().int().min(2009).max(2100),
  month: z.number().int().min(1).max(12),
});
export type YearMonth = z.infer<typeof YearMonth>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'sha256: 64 lowercase hex digits');
const Uri = z.string().min(1);

export const RunRequestedData = z.object({
  taxi: TaxiType,
  /** Training months, oldest first; one month for the homework. */
  months: z.array(YearMonth).min(1).max(240),
  /** Overrides the download for a single-month run: a local path, file:// or http(s) URL. */
  source: z.string().min(1).optional(),
  validation: YearMonth.optional(),
  /** `ingest` for the data-download deployment: stop after the file is cached. */
  stopAfter: z.enum(['ingest', 'train']).default('train'),
  origin: z.object({
    kind: z.enum(['gateway', 'prefect', 'schedule', 'cli', 'test']),
    prefectFlowRunId: z.string().optional(),
    deployment: z.string().optional(),
  }),
});

export const StageStartedData = z.object({
  stage: Stage,
  attempt: z.number().int().min(1),
});

export const DownloadedFile = z.object({
  year: z.number().int(),
  month: z.number().int(),
  uri: Uri,
  sha256: Sha256,
  bytes: z.number().int().nonnegative(),
  rows: z.number().int().nonnegative(),
  sourceUrl: z.string(),
});
export type DownloadedFile = z.infer<typeof DownloadedFile>;

export const DataDownloadedData = z.object({
  taxi: TaxiType,
  files: z.array(DownloadedFile).min(1),
  validation: DownloadedFile.optional(),
  durationMs: z.number().nonnegative(),
});

export const MonthStatistics = z.object({
  year: z.number().int(),
  month: z.number().int(),
  statsUri: Uri,
  sha256: Sha256,
  rowsRead: z.number().int().nonnegative(),
  rowsKept: z.number().int().nonnegative(),
});
export type MonthStatistics = z.infer<typeof MonthStatistics>;

export const FeaturesReadyData = z.object({
  taxi: TaxiType,
  months: z.array(MonthStatistics).min(1),
  validation: MonthStatistics.optional(),
  rowsRead: z.number().int().nonnegative(),
  rowsKept: z.number().int().nonnegative(),
  nFeatures: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});

export const ModelTrainedData = z.object({
  modelUri: Uri,
  intercept: z.number(),
  rmseTrain: z.number().nonnegative(),
  rmseVal: z.number().nonnegative().nullable(),
  nFeatures: z.number().int().nonnegative(),
  modelSizeBytes: z.number().int().positive(),
  rowsTrain: z.number().int().nonnegative(),
  solver: z.literal('exact-min-norm'),
  durationMs: z.number().nonnegative(),
});

/**
 * The tracker-bridge made a Prefect flow run for a run started elsewhere (the gateway, a test): its
 * id travels back so the gateway can link it and MLflow can tag it. Runs started in Prefect carry
 * it in `run.requested` already.
 */
export const RunMirroredData = z.object({
  prefectFlowRunId: z.string().min(1),
  deployment: z.string().min(1),
});

/** The tracker-bridge recorded the run and its model in MLflow (the `track` stage). */
export const ModelTrackedData = z.object({
  mlflowRunId: z.string().min(1),
  experimentId: z.string().min(1),
  experimentName: z.string().min(1),
  /** Registered model name and version, when registration succeeded. */
  registeredModel: z.string().optional(),
  modelVersion: z.string().optional(),
  /** Whether this version now holds the `champion` alias. */
  champion: z.boolean(),
  runUrl: z.string().optional(),
  durationMs: z.number().nonnegative(),
});

/** The homework's answers, keyed as the local command's `--json` output. */
export const Answers = z.object({
  rows_loaded: z.number().int().nonnegative(),
  rows_prepared: z.number().int().nonnegative(),
  n_features: z.number().int().nonnegative(),
  intercept: z.number(),
  rmse_train: z.number().nonnegative(),
  rmse_val: z.number().nonnegative().nullable(),
  model_size_bytes: z.number().int().positive(),
  model_dir: z.string(),
});
export type Answers = z.infer<typeof Answers>;

export const RunCompletedData = z.object({
  /** Absent for a data-download run, which stops after ingest. */
  answers: Answers.optional(),
});

export const RunFailedData = z.object({
  stage: Stage,
  code: z.string().min(1),
  message: z.string().min(1),
  attempts: z.number().int().min(1).optional(),
});

export const RunCancelledData = z.object({
  reason: z.string().optional(),
  by: z.string().optional(),
});

/** Event type → payload schema. The keys are the event `type` attribute, exactly. */
export const eventData = {
  'run.requested': RunRequestedData,
  'stage.started': StageStartedData,
  'data.downloaded': DataDownloadedData,
  'features.ready': FeaturesReadyData,
  'model.trained': ModelTrainedData,
  'model.tracked': ModelTrackedData,
  'run.mirrored': RunMirroredData,
  'run.completed': RunCompletedData,
  'run.failed': RunFailedData,
  'run.cancelled': RunCancelledData,
} as const;

export type EventType = keyof typeof eventData;
export const eventTypes = Object.keys(eventData) as EventType[];
export type EventData<T extends EventType> = z.infer<(typeof eventData)[T]>;
/** What a producer passes in: defaults (e.g. `stopAfter`) may be omitted. */
export type EventDataInput<T extends EventType> = z.input<(typeof eventData)[T]>;

export const terminalEventTypes: ReadonlySet<EventType> = new Set(['run.completed', 'run.failed', 'run.cancelled']);

-- Up Migration

-- One row per run: the projection of its events (see src/projection/apply.ts). The JSON columns
-- hold the projection's own shapes; the columns the API filters or sorts on are plain columns.
CREATE TABLE runs (
  run_id              text PRIMARY KEY,
  status              text NOT NULL DEFAULT 'requested'
                      CHECK (status IN ('requested', 'running', 'completed', 'failed', 'cancelled')),
  request             jsonb,                    -- run.requested data (taxi, months, source, ...)
  stages              jsonb NOT NULL DEFAULT '{}'::jsonb,
  results             jsonb NOT NULL DEFAULT '{}'::jsonb,
  answers             jsonb,
  error               jsonb,
  requested_at        timestamptz,              -- time of the run.requested event
  finished_at         timestamptz,              -- time of the terminal event
  prefect_flow_run_id text,
  mlflow_run_id       text,
  trace_id            text,
  idempotency_key     text UNIQUE,
  request_hash        text,                     -- a repeated Idempotency-Key must carry the same body
  event_count         integer NOT NULL DEFAULT 0,
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at          timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- GET /runs pages newest first by (created_at, run_id), optionally for one status.
CREATE INDEX runs_created_idx ON runs (created_at DESC, run_id DESC);
CREATE INDEX runs_status_created_idx ON runs (status, created_at DESC, run_id DESC);

-- Every event of every run, in the order the projection applied it. `seq` numbers a run's events
-- 1, 2, 3 ... (the SSE id); `event_id` makes a redelivered event a no-op.
CREATE TABLE run_events (
  run_id      text NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
  seq         integer NOT NULL,
  event_id    text NOT NULL UNIQUE,
  type        text NOT NULL,
  time        timestamptz NOT NULL,
  stream_seq  bigint,
  envelope    jsonb NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (run_id, seq)
);

-- Down Migration

DROP TABLE run_events;
DROP TABLE runs;

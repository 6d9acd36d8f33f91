import type { Pool } from 'pg';
import type { Envelope } from '@taxi-mlops/contracts';
import type { RunRequest, RunStatus } from '../projection/run-state';
import { RUN_COLUMNS, type RunRow } from './rows';

export interface NewRun {
  runId: string;
  request: RunRequest;
  idempotencyKey?: string;
  requestHash?: string;
  traceId?: string;
}

export type CreateRunResult = { kind: 'created'; row: RunRow } | { kind: 'replayed'; row: RunRow } | { kind: 'key_reused'; row: RunRow };

/**
 * Records an accepted request before its event is published, so `GET /runs/:id` answers at once.
 * With an Idempotency-Key the first request wins: a repeat with the same body gets that run back,
 * one with another body is refused.
 */
export async function createRun(pool: Pool, run: NewRun): Promise<CreateRunResult> {
  const inserted = await pool.query<RunRow>(
    `INSERT INTO runs (run_id, status, request, idempotency_key, request_hash, trace_id)
     VALUES ($1, 'requested', $2, $3, $4, $5)
     ON CONFLICT (idempotency_key) DO NOTHING
     RETURNING ${RUN_COLUMNS}`,
    [run.runId, JSON.stringify(run.request), run.idempotencyKey ?? null, run.requestHash ?? null, run.traceId ?? null],
  );
  if (inserted.rows[0]) return { kind: 'created', row: inserted.rows[0] };

  const existing = await pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE idempotency_key = $1`, [run.idempotencyKey]);
  const row = existing.rows[0];
  if (!row) throw new Error(`idempotency key conflict without a run for it`);
  return row.request_hash === (run.requestHash ?? null) ? { kind: 'replayed', row } : { kind: 'key_reused', row };
}

/** Undoes `createRun` when the event could not be published and no event arrived meanwhile. */
export async function forgetUnpublishedRun(pool: Pool, runId: string): Promise<void> {
  await pool.query('DELETE FROM runs WHERE run_id = $1 AND event_count = 0', [runId]);
}

export async function findRun(pool: Pool, runId: string): Promise<RunRow | undefined> {
  const { rows } = await pool.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1`, [runId]);
  return rows[0];
}

export interface RunPageQuery {
  limit: number;
  status?: RunStatus;
  /** Keyset position: runs strictly older than this one (newest first). */
  after?: { createdAt: string; runId: string };
  offset?: number;
}

/** One page, newest first; fetches one row more than asked to know whether another page exists. */
export async function listRuns(pool: Pool, query: RunPageQuery): Promise<{ rows: RunRow[]; more: boolean }> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (query.status) {
    values.push(query.status);
    conditions.push(`status = $${values.length}`);
  }
  if (query.after) {
    values.push(query.after.createdAt, query.after.runId);
    conditions.push(`(created_at, run_id) < ($${values.length - 1}::timestamptz, $${values.length})`);
  }
  values.push(query.limit + 1, query.offset ?? 0);
  const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await pool.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM runs ${where}
     ORDER BY created_at DESC, run_id DESC LIMIT $${values.length - 1} OFFSET $${values.length}`,
    values,
  );
  return { rows: rows.slice(0, query.limit), more: rows.length > query.limit };
}

export interface StoredEventRow {
  seq: number;
  type: string;
  envelope: Envelope;
}

export async function eventsAfter(pool: Pool, runId: string, afterSeq: number): Promise<StoredEventRow[]> {
  const { rows } = await pool.query<StoredEventRow>(
    'SELECT seq, type, envelope FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq',
    [runId, afterSeq],
  );
  return rows;
}

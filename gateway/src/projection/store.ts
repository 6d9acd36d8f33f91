import type { Pool } from 'pg';
import { applyEvent, type AnyEnvelope, type EventMeta } from './apply';
import { rowValuesOfState, stateOfRow, RUN_COLUMNS, type RunRow } from '../runs/rows';

/** NOTIFY channel: payload `<runId>:<seq>` after each stored event, for the SSE streams. */
export const RUN_EVENTS_CHANNEL = 'gateway_run_events';

export interface StoredEvent {
  applied: boolean;
  /** The event's place in its run (1, 2, 3 ...); the existing one for a duplicate. */
  seq: number;
}

/**
 * Stores one event and the run state after it, in one transaction. The run row is locked first,
 * so a run's events get gap-free sequence numbers in commit order, and a redelivered event (same
 * id) changes nothing.
 */
export async function storeEvent(pool: Pool, event: AnyEnvelope, meta: EventMeta & { streamSeq?: number } = {}): Promise<StoredEvent> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Creates the row if this is the run's first event, and locks it either way (one round trip).
    const { rows } = await client.query<RunRow>(
      `INSERT INTO runs (run_id) VALUES ($1)
       ON CONFLICT (run_id) DO UPDATE SET run_id = EXCLUDED.run_id
       RETURNING ${RUN_COLUMNS}`,
      [event.subject],
    );
    const row = rows[0];
    if (!row) throw new Error(`run ${event.subject}: no row after upsert`);

    const seq = row.event_count + 1;
    const inserted = await client.query<{ seq: number }>(
      `INSERT INTO run_events (run_id, seq, event_id, type, time, stream_seq, envelope)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (event_id) DO NOTHING
       RETURNING seq`,
      [event.subject, seq, event.id, event.type, event.time, meta.streamSeq ?? null, JSON.stringify(event)],
    );
    if (inserted.rowCount === 0) {
      // Seen before (a redelivery, or the same event published twice): nothing changes.
      await client.query('ROLLBACK');
      const existing = await pool.query<{ seq: number }>('SELECT seq FROM run_events WHERE event_id = $1', [event.id]);
      return { applied: false, seq: existing.rows[0]?.seq ?? 0 };
    }

    const next = applyEvent(stateOfRow(row), event, meta);
    await client.query(
      `WITH updated AS (
         UPDATE runs SET status = $2, request = $3, stages = $4, results = $5, answers = $6, error = $7,
           requested_at = $8, finished_at = $9, prefect_flow_run_id = $10, mlflow_run_id = $11, trace_id = $12,
           event_count = $13, updated_at = clock_timestamp()
         WHERE run_id = $1
         RETURNING run_id
       )
       SELECT pg_notify($14, $1 || ':' || $13) FROM updated`,
      [event.subject, ...rowValuesOfState(next), seq, RUN_EVENTS_CHANNEL],
    );
    await client.query('COMMIT');
    return { applied: true, seq };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

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
    await client.query('INSERT INTO runs (run_id) VALUES ($1) ON CONFLICT (run_id) DO NOTHING', [event.subject]);
    const { rows } = await client.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = $1 FOR UPDATE`, [event.subject]);
    const row = rows[0];
    if (!row) throw new Error(`run ${event.subject} vanished inside its transaction`);

    const duplicate = await client.query<{ seq: number }>('SELECT seq FROM run_events WHERE event_id = $1', [event.id]);
    if (duplicate.rows[0]) {
      await client.query('COMMIT');
      return { applied: false, seq: duplicate.rows[0].seq };
    }

    const next = applyEvent(stateOfRow(row), event, meta);
    const seq = row.event_count + 1;
    await client.query(
      `INSERT INTO run_events (run_id, seq, event_id, type, time, stream_seq, envelope)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [event.subject, seq, event.id, event.type, event.time, meta.streamSeq ?? null, JSON.stringify(event)],
    );
    await client.query(
      `UPDATE runs SET status = $2, request = $3, stages = $4, results = $5, answers = $6, error = $7,
         requested_at = $8, finished_at = $9, prefect_flow_run_id = $10, mlflow_run_id = $11, trace_id = $12,
         event_count = $13, updated_at = clock_timestamp()
       WHERE run_id = $1`,
      [event.subject, ...rowValuesOfState(next), seq],
    );
    await client.query('SELECT pg_notify($1, $2)', [RUN_EVENTS_CHANNEL, `${event.subject}:${seq}`]);
    await client.query('COMMIT');
    return { applied: true, seq };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

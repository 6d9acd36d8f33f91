import type { EventType } from './events';

/**
 * Subjects are `pipeline.<noun>.<verb>.<runId>`: a consumer filters one event type with
 * `pipeline.<noun>.<verb>.*` (nats-server 2.9 allows one filter per consumer) and a user
 * follows one run with `pipeline.*.*.<runId>`.
 */
export const STREAM_NAME = 'PIPELINE';
export const STREAM_SUBJECTS = 'pipeline.>';
export const DEAD_LETTER_STREAM = 'PIPELINE_DLQ';
export const DEAD_LETTER_SUBJECTS = 'dlq.>';

export function subjectFor(type: EventType, runId: string): string {
  return `pipeline.${type}.${runId}`;
}

export function subjectFilterFor(type: EventType): string {
  return `pipeline.${type}.*`;
}

export function runSubjectFilter(runId: string): string {
  return `pipeline.*.*.${runId}`;
}

/** Dead letters keep the original subject so one run's poison messages can be found. */
export function deadLetterSubject(originalSubject: string): string {
  return `dlq.${originalSubject}`;
}

/** Deterministic message id: a retried publish of the same event is stored once. */
export function messageIdFor(type: EventType, runId: string, discriminator?: string): string {
  return discriminator ? `${runId}:${type}:${discriminator}` : `${runId}:${type}`;
}

/**
 * Service log lines about a run, JSON (pino) per message, kept in their own stream so the
 * tracker-bridge can forward them to Prefect even after a restart.
 */
export const LOG_STREAM = 'PIPELINE_LOGS';
export const LOG_SUBJECTS = 'logs.>';

export function logSubject(runId: string, service: string): string {
  return `logs.${runId}.${service}`;
}

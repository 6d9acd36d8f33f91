import {
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECTS,
  LOG_STREAM,
  LOG_SUBJECTS,
  STREAM_NAME,
  STREAM_SUBJECTS,
  deadLetterSubject,
  logSubject,
  type EventType,
} from '@taxi-mlops/contracts';

const NAMESPACE = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Subject and stream names under an optional namespace: namespace `t123` turns `pipeline.>` into
 * `t123.pipeline.>` and `PIPELINE` into `PIPELINE_t123`, so parallel tests on one server never meet.
 */
export class Names {
  readonly stream: string;
  readonly deadLetterStream: string;
  readonly streamSubjects: string;
  readonly deadLetterSubjects: string;
  readonly logStream: string;
  readonly logSubjects: string;

  constructor(readonly namespace?: string) {
    if (namespace !== undefined && !NAMESPACE.test(namespace)) {
      throw new Error(`namespace "${namespace}" is invalid: must be 1-32 letters, digits, "_" or "-"`);
    }
    this.stream = namespace ? `${STREAM_NAME}_${namespace}` : STREAM_NAME;
    this.deadLetterStream = namespace ? `${DEAD_LETTER_STREAM}_${namespace}` : DEAD_LETTER_STREAM;
    this.streamSubjects = this.subject(STREAM_SUBJECTS);
    this.deadLetterSubjects = this.subject(DEAD_LETTER_SUBJECTS);
    this.logStream = namespace ? `${LOG_STREAM}_${namespace}` : LOG_STREAM;
    this.logSubjects = this.subject(LOG_SUBJECTS);
  }

  /** Prefixes a contracts subject (or filter) with the namespace. */
  subject(subject: string): string {
    return this.namespace ? `${this.namespace}.${subject}` : subject;
  }

  /** The contracts subject of a namespaced one. */
  unprefixed(subject: string): string {
    const prefix = this.namespace ? `${this.namespace}.` : '';
    return prefix && subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
  }

  runLog(runId: string, service: string): string {
    return this.subject(logSubject(runId, service));
  }

  deadLetter(originalSubject: string): string {
    return this.subject(deadLetterSubject(this.unprefixed(originalSubject)));
  }

  /** Durable consumer name: one per (service, event type); names cannot hold '.'. */
  durable(service: string, type: EventType): string {
    return `${service}--${type.replaceAll('.', '-')}`;
  }
}

/** Subjects are `pipeline.<noun>.<verb>.<runId>`: the last token is the run id. */
export function runIdOfSubject(unprefixedSubject: string): string | undefined {
  const tokens = unprefixedSubject.split('.');
  return tokens.length === 4 && tokens[0] === 'pipeline' ? tokens[3] : undefined;
}

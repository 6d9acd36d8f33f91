import type { FastifyReply } from 'fastify';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One bad input: the field (a dotted path, or a header/parameter name) and why. */
export interface FieldProblem {
  field: string;
  reason: string;
}

/** RFC 9457 problem details; `errors` lists every bad field of a 400. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
  /** RFC 9457 extension members (e.g. the checks of /readyz). */
  [extension: string]: unknown;
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `type` is a stable relative URI per kind of problem, so clients can switch on it. */
export function problem(status: number, kind: string, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: `/problems/${kind}`, title: titles[status] ?? 'Error', status, detail, ...extra };
}

export function invalidFields(errors: FieldProblem[]): Problem {
  const detail = errors.map((error) => `${error.field}: ${error.reason}`).join('; ');
  return problem(400, 'invalid-request', detail, { errors });
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...body, instance: body.instance ?? reply.request.url });
}

/** Thrown from handlers and hooks; the error handler turns it into the problem response. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

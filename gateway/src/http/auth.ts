import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problem, sendProblem } from './problem';

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * An onRequest hook for write routes: with a token configured, the request needs
 * `Authorization: Bearer <token>`. Both sides are hashed first, so the comparison is constant
 * time and of equal length whatever the caller sends.
 */
export function requireBearerToken(token: string | undefined) {
  const expected = token ? digest(token) : undefined;
  return async function checkBearerToken(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (!expected) return undefined;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header);
    if (match?.[1] && timingSafeEqual(digest(match[1]), expected)) return undefined;
    void reply.header('www-authenticate', 'Bearer realm="taxi-mlops"');
    return sendProblem(
      reply,
      problem(401, 'unauthorized', match ? 'the bearer token is not valid' : 'this route needs an Authorization: Bearer <token> header'),
    );
  };
}

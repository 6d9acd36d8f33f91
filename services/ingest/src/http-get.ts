import http from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';

export class IdleTimeoutError extends Error {
  override readonly name = 'IdleTimeoutError';
  readonly code = 'ETIMEDOUT';
}

const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 5;

/**
 * GET with an idle timeout (no byte for `timeoutMs` destroys the socket, also mid-body) that
 * follows a few redirects. Resolves with the response head; the caller consumes or destroys the body.
 */
export async function httpGet(
  url: string,
  headers: OutgoingHttpHeaders,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ response: IncomingMessage; finalUrl: string }> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(current, headers, timeoutMs, signal);
    const location = response.headers.location;
    if (!redirectStatuses.has(response.statusCode ?? 0) || !location || hop >= maxRedirects) {
      return { response, finalUrl: current };
    }
    response.resume();
    current = new URL(location, current).href;
  }
}

function requestOnce(url: string, headers: OutgoingHttpHeaders, timeoutMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const request = client.get(target, { headers, ...(signal ? { signal } : {}) }, resolve);
    request.setTimeout(timeoutMs, () => request.destroy(new IdleTimeoutError(`no data for ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}

/** `bytes 100-199/1000` → start 100, total 1000 (total undefined for `*`). */
export function parseContentRange(header: string | undefined): { start: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

export function contentLength(response: IncomingMessage): number | undefined {
  const header = response.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

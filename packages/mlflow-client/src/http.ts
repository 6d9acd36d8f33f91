/**
 * One place that talks HTTP to MLflow, and the two ways it can fail: the server is not there
 * (retry later, forever) or it refused the request (a bug or bad data: retrying rarely helps).
 */

/** Connection refused, timeout, 5xx or 429: MLflow is down or overloaded; try again later. */
export class MlflowUnavailableError extends Error {
  override readonly name = 'MlflowUnavailableError';
}

/** MLflow answered 4xx; `errorCode` is MLflow's (e.g. RESOURCE_DOES_NOT_EXIST) when the body was JSON. */
export class MlflowRequestError extends Error {
  override readonly name = 'MlflowRequestError';
  constructor(
    message: string,
    readonly status: number,
    readonly errorCode: string | undefined,
  ) {
    super(message);
  }
}

export function isMlflowErrorCode(error: unknown, code: string): boolean {
  return error instanceof MlflowRequestError && error.errorCode === code;
}

export interface HttpOptions {
  /** e.g. http://127.0.0.1:5000 (no trailing slash needed). */
  trackingUri: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Aborts every request (service shutdown). */
  signal?: AbortSignal;
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below the tracking URI, starting with '/'. */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  /** Sent as JSON with Content-Type application/json. */
  json?: unknown;
  /** Sent as is (artifact upload). */
  body?: Uint8Array;
  contentType?: string;
}

export class MlflowHttp {
  readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpOptions) {
    let url: URL;
    try {
      url = new URL(options.trackingUri);
    } catch {
      throw new Error(`MLFLOW_TRACKING_URI: "${options.trackingUri}" is not an http(s) URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`MLFLOW_TRACKING_URI: "${options.trackingUri}" must be http(s); the bridge speaks REST only`);
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  url(path: string, query?: RequestSpec['query']): string {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
    }
    return url.href;
  }

  /** The raw response body of a successful request. */
  async bytes(spec: RequestSpec): Promise<Buffer> {
    const response = await this.send(spec);
    return Buffer.from(await response.arrayBuffer());
  }

  /** The parsed JSON body; an empty body (3.x artifact PUT) is `{}`. */
  async json(spec: RequestSpec): Promise<unknown> {
    const text = (await this.bytes(spec)).toString('utf8');
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new MlflowRequestError(`${spec.method} ${spec.path}: response is not JSON: ${text.slice(0, 200)}`, 200, undefined);
    }
  }

  private async send(spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = {};
    let body: string | Uint8Array | undefined;
    if (spec.json !== undefined) {
      headers['content-type'] = 'application/json'; // MLflow rejects POST/PUT without it
      body = JSON.stringify(spec.json);
    } else if (spec.body !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
      body = spec.body;
    }
    const signals = [AbortSignal.timeout(this.timeoutMs)];
    if (this.options.signal) signals.push(this.options.signal);
    const what = `${spec.method} ${spec.path}`;
    let response: Response;
    try {
      response = await fetch(this.url(spec.path, spec.query), { method: spec.method, headers, body, signal: AbortSignal.any(signals) });
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw new MlflowUnavailableError(`MLflow at ${this.baseUrl} unreachable (${what}): ${cause}`, { cause: error });
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    if (response.status >= 500 || response.status === 429) {
      throw new MlflowUnavailableError(`MLflow at ${this.baseUrl} answered ${response.status} to ${what}: ${text.slice(0, 300)}`);
    }
    // Error bodies are JSON from MLflow itself, text or HTML from a proxy or the host check.
    let errorCode: string | undefined;
    let message = text.slice(0, 500);
    if (response.headers.get('content-type')?.includes('json')) {
      try {
        const parsed = JSON.parse(text) as { error_code?: unknown; message?: unknown };
        if (typeof parsed.error_code === 'string') errorCode = parsed.error_code;
        if (typeof parsed.message === 'string') message = parsed.message;
      } catch {
        // keep the raw text
      }
    }
    throw new MlflowRequestError(`MLflow refused ${what} (${response.status}${errorCode ? ` ${errorCode}` : ''}): ${message}`, response.status, errorCode);
  }
}

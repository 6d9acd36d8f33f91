/** A keyset position (created_at as PostgreSQL text, run id), opaque to clients. */
export interface Cursor {
  createdAt: string;
  runId: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.runId])).toString('base64url');
}

/** The position, or undefined for anything this API did not hand out. */
export function decodeCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, runId] = value as unknown[];
    if (typeof createdAt !== 'string' || typeof runId !== 'string') return undefined;
    // Only the timestamp shape PostgreSQL prints; the value still travels as a query parameter.
    if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/.test(createdAt)) return undefined;
    return { createdAt, runId };
  } catch {
    return undefined;
  }
}

import { createHash } from 'node:crypto';

/** Namespace of the bridge's deterministic ids (a random v4, fixed forever). */
export const BRIDGE_NAMESPACE = '6f1d3c52-8a0e-4b7a-9d8e-2f4b9c0a7e11';

/** RFC 9562 UUIDv5: the same name always gives the same id, so re-creating a task run is a no-op. */
export function uuidv5(name: string, namespace = BRIDGE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type { Logger } from '@taxi-mlops/runtime';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Brings the schema up to date at start-up. node-pg-migrate takes an advisory lock, so several
 * gateways starting at once apply each migration once; `wait` makes the others queue behind it.
 */
export async function migrate(databaseUrl: string, logger?: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'gateway_migrations',
    singleTransaction: true,
    advisoryLockMode: 'wait',
    log: (message) => logger?.debug({ migration: message }, 'migrate'),
  });
  return applied.map((migration) => migration.name);
}

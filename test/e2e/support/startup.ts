// The start-up check every service test makes: a missing required variable is one line and exit 78.
import assert from 'node:assert/strict';
import { spawnService, type ServiceName } from './processes';

export async function assertExitsNamingMissingVariable(name: ServiceName, env: Record<string, string>, variable: string): Promise<void> {
  const service = spawnService(name, name, { NATS_URL: 'nats://127.0.0.1:4222', ...env });
  const { code } = await service.exited;
  const lines = service.stderr().trim().split('\n');
  assert.equal(code, 78, `exit code (stderr: ${service.stderr()})`);
  assert.equal(lines.length, 1, `one line on stderr, got: ${service.stderr()}`);
  assert.match(lines[0]!, new RegExp(`\\b${variable} is missing\\b`));
  assert.equal(service.lines.length, 0, 'nothing was logged: the service never started');
}

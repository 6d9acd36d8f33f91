// compose.yaml against the workspace: the files the services run, the variables their config
// schemas require, start-order conditions, the Dockerfile and the README's compose section.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { commonEnv } from '@taxi-mlops/runtime';
import { IngestConfig } from '../../services/ingest/src/config';
import { FeaturesConfig } from '../../services/features/src/config';
import { TrainerConfig } from '../../services/trainer/src/config';
import { bridgeEnv } from '../../services/tracker-bridge/src/config';
import { GatewayConfig } from '../../gateway/src/config';
import {
  appServices,
  checkBindSources,
  checkDependencies,
  checkDockerfileWorkspaces,
  checkEntryPoints,
  checkEnvironment,
  checkReadmeSection,
  commandEntry,
  loadCompose,
  readmeComposeSection,
  repoRoot,
  type ComposeFile,
} from './support';

/** The schema each entry point loads at start-up (runService adds commonEnv to every one). */
const schemaByEntry: Record<string, z.ZodObject> = {
  'services/ingest/src/main.ts': IngestConfig,
  'services/features/src/main.ts': FeaturesConfig,
  'services/trainer/src/main.ts': TrainerConfig,
  'services/tracker-bridge/src/main.ts': z.object({ ...commonEnv, ...bridgeEnv }),
  'gateway/src/main.ts': GatewayConfig,
};

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
const fresh = (): ComposeFile => structuredClone(loadCompose());

function environmentProblems(compose: ComposeFile): string[] {
  return appServices(compose).flatMap(([name, service]) => {
    const schema = schemaByEntry[commandEntry(service)!];
    return schema ? checkEnvironment(name, service, schema) : [`${name}: runs ${commandEntry(service)}, whose config schema this test does not know`];
  });
}

void describe('compose.yaml against the workspace', () => {
  void it('runs the five services of the pipeline, each a file that exists and that the image contains', () => {
    const compose = fresh();
    assert.deepEqual(appServices(compose).map(([, service]) => commandEntry(service)).sort(), Object.keys(schemaByEntry).sort());
    assert.deepEqual(checkEntryPoints(compose, dockerfile), []);
  });

  void it('a service whose file is gone, or not copied into the image, is reported', () => {
    const compose = fresh();
    compose.services.trainer!.command = ['node', '--import', 'tsx', 'services/trainer/src/no-such-main.ts'];
    assert.deepEqual(checkEntryPoints(compose, dockerfile), ['trainer: command runs services/trainer/src/no-such-main.ts, which does not exist']);
    assert.deepEqual(checkEntryPoints(fresh(), dockerfile.replace(/^COPY gateway \.\/gateway$/m, '')), ['gateway: the Dockerfile does not COPY gateway/ into the image']);
  });

  void it('sets every variable each service requires at start-up, with values its schema accepts', () => {
    assert.deepEqual(environmentProblems(fresh()), []);
  });

  void it('a missing required variable or an invalid value is reported by name', () => {
    const compose = fresh();
    const env = (name: string) => compose.services[name]!.environment as Record<string, string>;
    delete env('trainer').ARTIFACT_ROOT;
    delete env('gateway').DATABASE_URL;
    env('tracker-bridge').MLFLOW_TRACKING_URI = 'mlflow:5000';
    const problems = environmentProblems(compose);
    assert.ok(problems.includes('trainer: ARTIFACT_ROOT is required by its config schema but not set in compose.yaml'), problems.join('\n'));
    assert.ok(problems.includes('gateway: DATABASE_URL is required by its config schema but not set in compose.yaml'), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('tracker-bridge: MLFLOW_TRACKING_URI is invalid')), problems.join('\n'));
  });

  void it('waits only for services that can say so: healthy ones have a healthcheck, completed ones do not restart', () => {
    assert.deepEqual(checkDependencies(fresh()), []);
    const compose = fresh();
    delete compose.services.nats!.healthcheck;
    compose.services['data-init']!.restart = 'always';
    assert.deepEqual(checkDependencies(compose).sort(), [
      'features: waits for "data-init" to complete, but it restarts (always)',
      'features: waits for "nats" to be healthy, but it has no healthcheck',
      'gateway: waits for "data-init" to complete, but it restarts (always)',
      'gateway: waits for "nats" to be healthy, but it has no healthcheck',
      'ingest: waits for "data-init" to complete, but it restarts (always)',
      'ingest: waits for "nats" to be healthy, but it has no healthcheck',
      'tracker-bridge: waits for "data-init" to complete, but it restarts (always)',
      'tracker-bridge: waits for "nats" to be healthy, but it has no healthcheck',
      'trainer: waits for "data-init" to complete, but it restarts (always)',
      'trainer: waits for "nats" to be healthy, but it has no healthcheck',
    ]);
  });

  void it('mounts only infra files that exist', () => {
    assert.deepEqual(checkBindSources(fresh()), []);
    const compose = fresh();
    compose.services.prometheus!.volumes = ['./infra/prometheus/prometheus.yaml:/etc/prometheus/prometheus.yml:ro'];
    assert.deepEqual(checkBindSources(compose), ['prometheus: mounts ./infra/prometheus/prometheus.yaml, which does not exist']);
  });

  void it('the Dockerfile copies the manifest of every npm workspace (npm ci needs them all)', () => {
    assert.deepEqual(checkDockerfileWorkspaces(dockerfile), []);
    const without = dockerfile.replace(/^COPY services\/trainer\/package\.json services\/trainer\/\n/m, '');
    assert.deepEqual(checkDockerfileWorkspaces(without), ['Dockerfile: no "COPY services/trainer/package.json services/trainer/" line']);
  });

  void it("the README's compose section names exactly the ports and host folders compose.yaml publishes and mounts", () => {
    const section = readmeComposeSection(readFileSync(join(repoRoot, 'README.md'), 'utf8'));
    assert.deepEqual(checkReadmeSection(section, fresh()), []);
    const compose = fresh();
    compose.services.grafana!.ports = ['127.0.0.1:3001:3000'];
    compose.services.postgres!.volumes = ['./data/pg:/var/lib/postgresql/data'];
    assert.deepEqual(checkReadmeSection(section, compose).sort(), [
      'README names data/postgres, which compose.yaml does not mount',
      'README names localhost:3000, which compose.yaml does not publish',
      'compose.yaml mounts data/pg, which the README section does not name',
      'compose.yaml publishes 3001 (grafana), which the README section does not name as localhost:3001',
    ]);
  });
});

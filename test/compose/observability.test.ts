// The observability wiring of compose.yaml: Prometheus scrapes every service that exposes metrics,
// Grafana's provisioned dashboard queries only metrics the runtime really exports (scraped from a
// real exporter) through provisioned datasources, and the dashboards folder is where it is mounted.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import YAML from 'yaml';
import { prometheusReader, recordDelivery, resetMetricInstruments } from '../../packages/runtime/src/metrics';
import { appServices, environmentOf, loadCompose, repoRoot, type ComposeFile } from './support';

interface Panel {
  title: string;
  datasource?: { uid?: string };
  targets?: Array<{ expr?: string; datasource?: { uid?: string } }>;
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ datasource?: { uid?: string }; definition?: string }> };
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const dashboardPath = 'infra/grafana/dashboards/taxi-mlops.json';

/** Metric names in a PromQL expression (identifiers followed by `{`, `[` or `)`; not functions or labels). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=[{[])/g)].map((m) => m[1]!).filter((name) => name !== 'by');
}

function dashboardProblems(dashboard: Dashboard, exposed: Set<string>, datasourceUids: Set<string>): string[] {
  const problems: string[] = [];
  const queries = [
    ...dashboard.panels.flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)].map((ds) => ({ where: panel.title, ds }))),
    ...dashboard.templating.list.map((variable) => ({ where: 'variable', ds: variable.datasource })),
  ];
  for (const { where, ds } of queries) if (ds?.uid && !datasourceUids.has(ds.uid)) problems.push(`${where}: datasource uid "${ds.uid}" is not provisioned`);
  const exprs = [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => (t.expr ? [{ where: panel.title, expr: t.expr }] : []))),
    ...dashboard.templating.list.flatMap((v) => (v.definition ? [{ where: 'variable', expr: v.definition.replace(/^label_values\(([^,]+),.*$/, '$1{}') }] : [])),
  ];
  for (const { where, expr } of exprs) {
    for (const name of metricNames(expr)) if (!exposed.has(name)) problems.push(`${where}: queries ${name}, which no service exposes`);
  }
  return problems;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The series names a real exporter serves after the runtime recorded one delivery of each outcome. */
async function exposedMetricNames(): Promise<Set<string>> {
  const port = await freePort();
  const reader = prometheusReader(port, '127.0.0.1');
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'ingest' }), readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  resetMetricInstruments();
  try {
    for (const outcome of ['acked', 'failed', 'retry', 'dead_lettered', 'interrupted'] as const) {
      recordDelivery({ eventType: 'run.requested', stage: 'ingest', outcome, attempt: outcome === 'acked' ? 1 : 2, durationMs: 12, errorCode: 'internal' });
    }
    await reader.startServer();
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.match(text, /service_name="ingest"/, 'series carry the service name');
    return new Set([...text.matchAll(/^([a-z_][a-z0-9_]*)\{/gm)].map((m) => m[1]!).concat('up'));
  } finally {
    await provider.shutdown();
    metrics.disable();
    resetMetricInstruments();
  }
}

function scrapeTargetProblems(compose: ComposeFile, prometheusYaml: string): string[] {
  const config = YAML.parse(prometheusYaml) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
  const targets = new Set(config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)));
  const expected = appServices(compose).flatMap(([name, service]) => {
    const port = environmentOf(service).METRICS_PORT;
    return port ? [`${name}:${port}`] : [];
  });
  return [
    ...expected.filter((t) => !targets.has(t)).map((t) => `prometheus.yml does not scrape ${t}`),
    ...[...targets].filter((t) => !expected.includes(t)).map((t) => `prometheus.yml scrapes ${t}, which compose does not serve`),
  ];
}

void describe('observability wiring', () => {
  const compose = loadCompose();
  const datasources = YAML.parse(read('infra/grafana/provisioning/datasources/datasources.yaml')) as { datasources: Array<{ uid: string; type: string; url: string }> };
  const uids = new Set(datasources.datasources.map((d) => d.uid));

  void it('Prometheus scrapes the metrics port of every service, and nothing else', () => {
    assert.deepEqual(scrapeTargetProblems(compose, read('infra/prometheus/prometheus.yml')), []);
    assert.equal(appServices(compose).length, 5);
    const broken = structuredClone(compose);
    (broken.services.trainer!.environment as Record<string, string>).METRICS_PORT = '9465';
    assert.deepEqual(scrapeTargetProblems(broken, read('infra/prometheus/prometheus.yml')), ['prometheus.yml does not scrape trainer:9465', 'prometheus.yml scrapes trainer:9464, which compose does not serve']);
  });

  void it('Grafana provisions a Prometheus and a Jaeger datasource at their compose addresses', () => {
    const byType = new Map(datasources.datasources.map((d) => [d.type, d.url]));
    assert.equal(byType.get('prometheus'), 'http://prometheus:9090');
    assert.equal(byType.get('jaeger'), 'http://jaeger:16686');
    assert.ok(compose.services.prometheus && compose.services.jaeger);
  });

  void it('the dashboard queries only metrics the runtime exports, through provisioned datasources', async () => {
    const dashboard = JSON.parse(read(dashboardPath)) as Dashboard;
    const exposed = await exposedMetricNames();
    for (const name of ['pipeline_events_handled_total', 'pipeline_handler_failures_total', 'pipeline_events_redelivered_total', 'pipeline_handler_duration_bucket']) assert.ok(exposed.has(name), `${name} is exported`);
    assert.deepEqual(dashboardProblems(dashboard, exposed, uids), []);

    const broken = JSON.parse(read(dashboardPath).replaceAll('pipeline_handler_duration_bucket', 'pipeline_handler_duration_seconds_bucket').replace('"uid": "jaeger"', '"uid": "tempo"')) as Dashboard;
    const problems = dashboardProblems(broken, exposed, uids);
    assert.ok(problems.some((p) => p.includes('pipeline_handler_duration_seconds_bucket, which no service exposes')), problems.join('\n'));
    assert.ok(problems.some((p) => p.includes('datasource uid "tempo" is not provisioned')), problems.join('\n'));
  });

  void it('the dashboards provider reads the folder compose mounts the dashboard into', () => {
    const provider = YAML.parse(read('infra/grafana/provisioning/dashboards/dashboards.yaml')) as { providers: Array<{ options: { path: string } }> };
    const mounts = (compose.services.grafana!.volumes ?? []).map((v) => (typeof v === 'string' ? v : `${v.source ?? ''}:${v.target ?? ''}`).split(':'));
    const dashboards = mounts.find(([source]) => source === './infra/grafana/dashboards');
    assert.ok(dashboards, 'compose mounts infra/grafana/dashboards');
    assert.equal(provider.providers[0]?.options.path, dashboards[1]);
  });
});

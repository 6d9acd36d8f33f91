import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { CommonConfig, ConfigError, loadConfig, otlpTracesConfigured, withExample } from '../src/index';

const Schema = z.object({
  DATA_DIR: withExample(z.string().min(1), '/data'),
  PORT: withExample(z.coerce.number().int().min(1).max(65535).default(8080), '8080'),
});

void describe('loadConfig', () => {
  void it('applies defaults and coerces values', () => {
    assert.deepEqual(loadConfig(Schema, { DATA_DIR: '/tmp/d' }), { DATA_DIR: '/tmp/d', PORT: 8080 });
    assert.deepEqual(loadConfig(Schema, { DATA_DIR: '/tmp/d', PORT: '9000', UNRELATED: 'x' }), { DATA_DIR: '/tmp/d', PORT: 9000 });
  });

  void it('names a missing variable with an example, treating an empty value as missing', () => {
    assert.throws(
      () => loadConfig(Schema, { DATA_DIR: '  ' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.message, 'config: DATA_DIR is missing (example: /data)');
        assert.deepEqual(error.variables, ['DATA_DIR']);
        return true;
      },
    );
  });

  void it('names every malformed variable on one line', () => {
    assert.throws(
      () => loadConfig(Schema, { PORT: '70000' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.doesNotMatch(error.message, /\n/);
        assert.match(error.message, /^config: DATA_DIR is missing \(example: \/data\); PORT is invalid: .*65535.* \(example: 8080\)$/);
        return true;
      },
    );
  });

  void it('gives the common variables their defaults', () => {
    const config = loadConfig(CommonConfig, {});
    assert.equal(config.NATS_URL, 'nats://127.0.0.1:4222');
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.NATS_NAMESPACE, undefined);
    assert.throws(() => loadConfig(CommonConfig, { NATS_NAMESPACE: 'a.b' }), /NATS_NAMESPACE is invalid/);
  });
});

void describe('otlpTracesConfigured', () => {
  void it('exports only when an endpoint or the exporter is configured', () => {
    assert.equal(otlpTracesConfigured({}), false);
    assert.equal(otlpTracesConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }), true);
    assert.equal(otlpTracesConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' }), true);
    assert.equal(otlpTracesConfigured({ OTEL_TRACES_EXPORTER: 'otlp' }), true);
    assert.equal(otlpTracesConfigured({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }), false);
  });
});

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { connectBus, createLogger, type Bus } from '@taxi-mlops/runtime';
import { emitOnce, isCancelled, lastRunEvent, leaseBucketName, WorkLeases } from '../src/index';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'coordination-test', level: 'silent' });

void describe('coordination on a real NATS server', () => {
  let bus: Bus;
  before(async () => {
    bus = await connectBus({ servers: NATS_URL, name: 'coordination-test', namespace: `c${randomBytes(5).toString('hex')}`, logger });
    await bus.ensureStreams();
  });
  after(async () => {
    await bus.jsm.streams.delete(`KV_${leaseBucketName(bus)}`).catch(() => false);
    await bus.deleteStreams();
    await bus.close(0);
  });

  void it('a lease lets one holder work at a time, and the other goes next', { timeout: 20_000 }, async () => {
    const leases = await WorkLeases.open(bus, { leaseMs: 2000, owner: 'test', logger });
    let active = 0;
    let most = 0;
    const order: string[] = [];
    const work = (name: string) => async () => {
      active++;
      most = Math.max(most, active);
      order.push(`${name}:start`);
      await sleep(300);
      order.push(`${name}:end`);
      active--;
      return name;
    };
    const results = await Promise.all([leases.withLease('train.k1', work('a')), leases.withLease('train.k1', work('b'))]);
    assert.deepEqual(results, ['a', 'b']);
    assert.equal(most, 1, `the two works overlapped: ${order.join(' ')}`);
  });

  void it('a holder that stopped renewing (a killed process) loses its lease after leaseMs', { timeout: 20_000 }, async () => {
    const leases = await WorkLeases.open(bus, { leaseMs: 500, owner: 'survivor', logger });
    const kv = await new Kvm(bus.js).open(leaseBucketName(bus));
    await kv.create('train.k2', JSON.stringify({ holder: 'killed/1', at: new Date().toISOString() }));
    const holders: string[] = [];
    const result = await leases.withLease('train.k2', () => Promise.resolve('done'), { onWait: (holder) => holders.push(holder) });
    assert.equal(result, 'done');
    assert.deepEqual(holders, ['killed/1']);
    const entry = await kv.get('train.k2');
    assert.notEqual(entry?.operation, 'PUT', 'released after the work');
  });

  void it('a live holder keeps its lease however long it works', { timeout: 20_000 }, async () => {
    const leases = await WorkLeases.open(bus, { leaseMs: 300, owner: 'test', logger });
    let overlap = false;
    let busy = false;
    const long = leases.withLease('train.k3', async () => {
      busy = true;
      await sleep(1500); // five lease periods, renewed every 100 ms
      busy = false;
    });
    await sleep(50);
    await leases.withLease('train.k3', () => {
      overlap = busy;
      return Promise.resolve();
    });
    await long;
    assert.equal(overlap, false);
  });

  void it('emitOnce stores one event per run and type, and returns the stored one afterwards', async () => {
    const runId = `run-${randomBytes(4).toString('hex')}`;
    assert.equal(await lastRunEvent(bus, 'run.completed', runId), undefined);
    const first = await emitOnce(bus, 'run.completed', runId, {});
    const second = await emitOnce(bus, 'run.completed', runId, {});
    assert.equal(first.emitted, true);
    assert.equal(second.emitted, false);
    assert.equal(second.event.id, first.event.id);
    const subject = bus.names.subject(`pipeline.run.completed.${runId}`);
    const info = await bus.jsm.streams.info(bus.names.stream, { subjects_filter: subject });
    assert.equal(info.state.subjects?.[subject], 1);
  });

  void it('isCancelled sees a run.cancelled in the stream', async () => {
    const runId = `run-${randomBytes(4).toString('hex')}`;
    assert.equal(await isCancelled(bus, runId), false);
    await bus.emit('run.cancelled', runId, { by: 'test' });
    assert.equal(await isCancelled(bus, runId), true);
  });
});

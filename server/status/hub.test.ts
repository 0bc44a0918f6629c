import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { LabStatus } from '../../shared';
import { silentLogger } from '../log';
import { LabStore } from '../store/labStore';
import { FakeEngine } from '../testing/fakeEngine';
import { startTestServer, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';
import { waitUntil } from '../testing/wait';
import { diff, StatusHub, sameJson } from './hub';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ statusIntervalMs: 40 });
  await s.api('POST', '/api/labs', { lab: makeVethPairLab('live') });
});
afterAll(() => s.stop());

describe('status over /ws', () => {
  it('hello, then a snapshot, then deltas with only the changed objects', async () => {
    const sock = await s.ws();
    expect(sock.received[0]).toEqual({ type: 'hello', mode: 'sandbox' });
    sock.send({ type: 'subscribe', lab: 'live' });
    const snap = await sock.next('snapshot');
    const status = LabStatus.parse(snap.status);
    expect(Object.keys(status.objects).sort()).toEqual(['blue', 'cable', 'cable#0', 'cable#1', 'red']);
    expect(status.objects.red?.state).toBe('absent');

    s.engine.setState('live', 'red', 'drifted');
    const d = await sock.next('delta', (m) => 'red' in m.objects);
    expect(Object.keys(d.objects)).toEqual(['red']);
    expect(d.objects.red?.state).toBe('drifted');
    s.engine.setState('live', 'red', null);
    await sock.next('delta', (m) => m.objects.red?.state === 'absent');
    sock.close();
  });

  it('computes rates from successive counters once applied', async () => {
    const sock = await s.ws({ subscribe: 'live' });
    await sock.next('snapshot');
    await s.api('POST', '/api/labs/live/apply');
    const d = await sock.next('delta', (m) => (m.objects['cable#0']?.rates?.rxBps ?? 0) > 0);
    expect(d.objects['cable#0']?.rates?.txBps).toBeGreaterThan(0);
    expect(d.appliedRevision).toBe(1);
    const r = await s.api('POST', '/api/labs/live/destroy');
    expect(r.status).toBe(202);
    await sock.next('result', (m) => m.result.action === 'destroy');
    sock.close();
  });

  it('subscribing again to a watched lab sends a fresh snapshot', async () => {
    const sock = await s.ws({ subscribe: 'live' });
    await sock.next('snapshot');
    sock.send({ type: 'subscribe', lab: 'live' });
    // `next` resolves only with a snapshot not consumed yet: a second one must arrive.
    expect(LabStatus.parse((await sock.next('snapshot')).status).lab).toBe('live');
    sock.close();
  });

  it('unknown labs and bad messages get an error message, not a crash', async () => {
    const sock = await s.ws();
    sock.send({ type: 'subscribe', lab: 'nope' });
    expect((await sock.next('error')).message).toContain('nope');
    sock.ws.send('not json');
    await sock.next('error');
    sock.send({ type: 'subscribe', lab: '../x' });
    await sock.next('error');
    sock.close();
  });

  it('samples nothing without subscribers', async () => {
    // The earlier tests' sockets are closed; wait until the server has seen every close (not a fixed time).
    await waitUntil(() => s.hub.socketCount === 0, 5000, 'the earlier sockets to close');
    const before = s.engine.callCount('status');
    await new Promise((r) => setTimeout(r, 200));
    expect(s.engine.callCount('status')).toBe(before);
  });

  it('50 concurrent subscribers all get the snapshot and the update; one sample per tick for all', async () => {
    const socks = await Promise.all(Array.from({ length: 50 }, () => s.ws({ subscribe: 'live' })));
    await Promise.all(socks.map((k) => k.next('snapshot')));
    const before = s.engine.callCount('status');
    const t0 = Date.now();
    s.engine.setState('live', 'blue', 'failed');
    await Promise.all(socks.map((k) => k.next('delta', (m) => m.objects.blue?.state === 'failed')));
    const ticks = Math.ceil((Date.now() - t0) / 40) + 2;
    expect(s.engine.callCount('status') - before).toBeLessThanOrEqual(ticks);
    expect(s.hub.socketCount).toBeGreaterThanOrEqual(50);
    s.engine.setState('live', 'blue', null);
    for (const k of socks) k.close();
  });

  it('a deleted lab ends its subscription with an error', async () => {
    await s.api('POST', '/api/labs', { lab: makeVethPairLab('gone') });
    const sock = await s.ws({ subscribe: 'gone' });
    await sock.next('snapshot');
    expect((await s.api('DELETE', '/api/labs/gone')).status).toBe(204);
    expect((await sock.next('error')).message).toContain('deleted');
    sock.close();
  });
});

describe('diff', () => {
  const base: LabStatus = {
    lab: 'x',
    observedRevision: 1,
    appliedRevision: null,
    at: 't0',
    objects: { a: { id: 'a', state: 'ready', conditions: [] }, b: { id: 'b', state: 'ready', conditions: [] } },
  };
  it('is null when only the time changed, and lists changes and removals otherwise', () => {
    expect(diff(base, { ...base, at: 't1' })).toBeNull();
    const next: LabStatus = { ...base, at: 't1', objects: { a: { conditions: [], state: 'drifted', id: 'a' } } };
    expect(diff(base, next)).toMatchObject({ objects: { a: { state: 'drifted' } }, removed: ['b'] });
    expect(diff(base, { ...base, appliedRevision: 1 })).toMatchObject({ objects: {}, appliedRevision: 1 });
  });
  it('compares objects as JSON would send them: key order and undefined keys do not count', () => {
    const a = { id: 'a', state: 'ready', conditions: [{ type: 'Ready', status: true }], counters: { rx: 1, tx: 2 } };
    expect(
      sameJson(a, {
        counters: { tx: 2, rx: 1 },
        conditions: [{ status: true, type: 'Ready' }],
        state: 'ready',
        id: 'a',
      }),
    ).toBe(true);
    expect(sameJson(a, { ...a, mtu: undefined })).toBe(true);
    expect(sameJson({ ...a, mtu: undefined }, a)).toBe(true);
    expect(sameJson(a, { ...a, counters: { rx: 1, tx: 3 } })).toBe(false);
    expect(sameJson(a, { ...a, conditions: [] })).toBe(false);
    expect(sameJson(a, { ...a, mtu: 1500 })).toBe(false);
    expect(sameJson({ ...a, mtu: 1500 }, a)).toBe(false);
    expect(sameJson({ x: null }, { x: {} })).toBe(false);
    expect(sameJson({ x: [] }, { x: {} })).toBe(false);
    expect(sameJson({ x: [1, 2] }, { x: [2, 1] })).toBe(false);
    expect(sameJson({ x: 0 }, { x: '0' })).toBe(false);
    // A counter change is a delta with just that object.
    const next: LabStatus = {
      ...base,
      at: 't1',
      objects: {
        ...base.objects,
        b: {
          id: 'b',
          state: 'ready',
          conditions: [],
          counters: { rxBytes: 1, txBytes: 0, rxPackets: 1, txPackets: 0 },
        } as never,
      },
    };
    expect(Object.keys(diff(base, next)?.objects ?? {})).toEqual(['b']);
  });
});

/** Just enough of a ws socket to watch what the hub does with it. */
class StubSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  sent: string[] = [];
  terminated = false;
  pings = 0;
  send(text: string) {
    this.sent.push(text);
  }
  terminate() {
    this.terminated = true;
    this.readyState = 3;
  }
  ping() {
    this.pings++;
  }
}

describe('socket hygiene', () => {
  it('drops a socket whose send buffer is full instead of queueing more', async () => {
    const hub = new StatusHub({
      engine: new FakeEngine(),
      store: s.store,
      log: silentLogger(),
      mode: 'sandbox',
      intervalMs: 20,
      maxBufferedBytes: 1000,
    });
    const ws = new StubSocket();
    hub.add(ws as unknown as WebSocket);
    expect(JSON.parse(ws.sent[0] ?? '{}')).toEqual({ type: 'hello', mode: 'sandbox' });
    ws.bufferedAmount = 5000;
    ws.emit('message', Buffer.from(JSON.stringify({ type: 'subscribe', lab: 'live' })), false);
    await waitUntil(() => ws.terminated, 5000, 'the slow socket to be dropped');
    expect(ws.terminated).toBe(true);
    expect(hub.socketCount).toBe(0);
    hub.close();
  });

  it('pings, and terminates a socket that missed a pong', async () => {
    const store = await LabStore.open(s.stateDir, silentLogger());
    const hub = new StatusHub({
      engine: new FakeEngine(),
      store,
      log: silentLogger(),
      mode: 'sandbox',
      heartbeatMs: 20,
    });
    const alive = new StubSocket();
    const dead = new StubSocket();
    hub.add(alive as unknown as WebSocket);
    hub.add(dead as unknown as WebSocket);
    alive.ping = () => {
      alive.pings++;
      queueMicrotask(() => alive.emit('pong'));
    };
    await waitUntil(() => dead.terminated && alive.pings > 2, 5000, 'the silent socket to be dropped');
    expect(dead.pings).toBeGreaterThan(0);
    expect(dead.terminated).toBe(true);
    expect(alive.terminated).toBe(false);
    expect(alive.pings).toBeGreaterThan(1);
    hub.close();
  });
});

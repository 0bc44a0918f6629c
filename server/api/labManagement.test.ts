/** Lab management over real HTTP with the fake engine: names in use (labs + an observed host), rename, duplicate. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabDocument, NamesInUse } from '../../shared';
import type { ObservedLink, ObservedState } from '../engine/types';
import { silentLogger } from '../log';
import { OperationQueue } from '../ops/queue';
import { startTestServer, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';
import { labManagementRouter } from './labManagement';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.stop());

const link = (ifname: string, lab?: string): ObservedLink => ({
  netns: null,
  ifindex: 3,
  ifname,
  kind: 'veth',
  marker: lab ? { lab, object: 'x' } : null,
  adminUp: true,
  operstate: 'UP',
  mtu: 1500,
  addresses: [],
});

describe('names in use', () => {
  it("lists other labs' namespaces and root-namespace interfaces, not the asking lab's", async () => {
    const a = makeVethPairLab('names-a');
    a.nodes.push({ id: 'h', kind: 'host' }, { id: 'br', kind: 'bridge', name: 'br-a' });
    a.links.push({
      id: 'up',
      kind: 'veth',
      endpoints: [
        { node: 'h', ifname: 'up-a' },
        { node: 'red', ifname: 'up0' },
      ],
    });
    expect((await s.api('POST', '/api/labs', { lab: a })).status).toBe(201);
    expect((await s.api('POST', '/api/labs', { lab: makeVethPairLab('names-b') })).status).toBe(201);
    const seen = NamesInUse.parse((await s.api('GET', '/api/names?lab=names-b')).json);
    expect(seen.namespaces).toEqual(expect.arrayContaining(['names-a-red', 'names-a-blue']));
    expect(seen.namespaces).not.toContain('names-b-red');
    expect(seen.rootInterfaces).toEqual(expect.arrayContaining(['br-a', 'up-a']));
    expect(seen.rootInterfaces).not.toContain('veth-red'); // inside a namespace: that namespace's own name
  });

  it('adds what the host has, except the objects the asking lab created', async () => {
    const host: ObservedState = {
      root: { name: null, marker: null, links: [link('eth0'), link('own0', 'mine')], routes: [] },
      namespaces: {
        green: { name: 'green', marker: null, links: [], routes: [] },
        kept: { name: 'kept', marker: { lab: 'mine', object: 'k' }, links: [], routes: [] },
      },
    };
    const express = (await import('express')).default;
    const app = express().use(
      labManagementRouter({
        store: s.store,
        engine: s.engine,
        ops: new OperationQueue(silentLogger()),
        observe: async () => host,
      }),
    );
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const port = (server.address() as { port: number }).port;
      const seen = NamesInUse.parse(await (await fetch(`http://127.0.0.1:${port}/names?lab=mine`)).json());
      expect(seen.namespaces).toContain('green');
      expect(seen.namespaces).not.toContain('kept');
      expect(seen.rootInterfaces).toContain('eth0');
      expect(seen.rootInterfaces).not.toContain('own0');
    } finally {
      server.close();
    }
  });
});

describe('rename and duplicate', () => {
  it('renames a lab (and its title); the old name is gone; a taken or invalid name is refused', async () => {
    expect((await s.api('POST', '/api/labs', { lab: makeVethPairLab('ren-a') })).status).toBe(201);
    expect((await s.api('POST', '/api/labs', { lab: makeVethPairLab('ren-taken') })).status).toBe(201);
    const r = await s.api('POST', '/api/labs/ren-a/rename', { to: 'ren-b', title: 'Class B' });
    expect(r.status).toBe(200);
    expect(LabDocument.parse(r.json).lab).toMatchObject({ name: 'ren-b', title: 'Class B' });
    expect((await s.api('GET', '/api/labs/ren-a')).status).toBe(404);
    // The old name's keys go (the renamed lab gets its own on first need).
    expect(s.engine.calls.filter((c) => c.method === 'forgetLab')).toEqual([{ method: 'forgetLab', lab: 'ren-a' }]);
    expect((await s.api('GET', '/api/labs/ren-b')).json.lab.nodes).toHaveLength(2);
    expect((await s.api('POST', '/api/labs/ren-b/rename', { to: 'ren-taken' })).status).toBe(409);
    const bad = await s.api('POST', '/api/labs/ren-b/rename', { to: 'Bad Name' });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('to');
    const titled = await s.api('POST', '/api/labs/ren-b/rename', { to: 'ren-b', title: 'Only the title' });
    expect(titled.json).toMatchObject({ revision: 2, lab: { name: 'ren-b', title: 'Only the title' } });
  });

  it('an applied lab is not renamed (its objects on the host carry its name)', async () => {
    expect((await s.api('POST', '/api/labs', { lab: makeVethPairLab('ren-up') })).status).toBe(201);
    await s.engine.apply(LabDocument.parse((await s.api('GET', '/api/labs/ren-up')).json).lab);
    const r = await s.api('POST', '/api/labs/ren-up/rename', { to: 'ren-down' });
    expect(r.status).toBe(409);
    expect(r.json.message).toContain('destroy it first');
    expect((await s.api('GET', '/api/labs/ren-down')).status).toBe(404);
  });

  it('duplicates a lab under a new name, never applied, the original untouched', async () => {
    expect((await s.api('POST', '/api/labs', { lab: makeVethPairLab('dup-a') })).status).toBe(201);
    const r = await s.api('POST', '/api/labs/dup-a/duplicate', { to: 'dup-a-copy' });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ revision: 1, lab: { name: 'dup-a-copy', title: 'Two namespaces, one cable' } });
    const list = (await s.api('GET', '/api/labs')).json.labs as { name: string; appliedRevision: null }[];
    expect(list.find((l) => l.name === 'dup-a-copy')?.appliedRevision).toBeNull();
    expect(list.some((l) => l.name === 'dup-a')).toBe(true);
    expect((await s.api('POST', '/api/labs/dup-a/duplicate', { to: 'dup-a' })).status).toBe(409);
    expect((await s.api('POST', '/api/labs/nope/duplicate', { to: 'nope-copy' })).status).toBe(404);
  });
});

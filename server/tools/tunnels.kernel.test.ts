/**
 * Issue #15 items 3 and 5 against the real kernel, inside a throwaway sandbox: the vxlan-sites example applied
 * over HTTP; its reachability matrix agrees with the pings, and the path across the overlay (site-a →
 * 10.200.0.2) is complete, shows the underlay hops via wan, the kernel's first hop agrees and the ping gets
 * its reply. Then the live-state endpoint: `lo` and its addresses, routes, the neighbour learned across the
 * tunnel and the VXLAN's FDB entry towards the far site; a namespace of the same name not made by the lab is
 * refused. Root only; in CI it fails, never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NodeLiveResponse, PathResponse, ReachabilityResponse } from '../../shared';
import type { Engine, Sandbox } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { createSandbox } from '../engine/sandbox';
import { describeKernel, hasProgram, kernelDriver } from '../engine/testing/kernel';
import { silentLogger } from '../log';
import { loadExamples } from '../store/labFiles';
import { startTestServer, type TestServer } from '../testing/harness';

describeKernel('VXLAN overlay path and live node state (sandbox)', () => {
  let sandbox: Sandbox;
  let engine: Engine;
  let stateDir: string;
  let s: TestServer<Engine>;

  beforeAll(async () => {
    expect(hasProgram('/usr/bin/ping'), 'ping (iputils-ping) must be installed').toBe(true);
    sandbox = await createSandbox();
    stateDir = await mkdtemp(join(tmpdir(), 'netloom-ktun-'));
    engine = await openEngine({ stateDir, runner: sandbox.runner, driver: kernelDriver() });
    const examples = await loadExamples(new URL('../../examples', import.meta.url).pathname, silentLogger());
    s = await startTestServer({ engine, mode: 'sandbox', examples, runner: sandbox.runner, statusIntervalMs: 200 });
    expect((await s.api('POST', '/api/examples/vxlan-sites.yaml/open')).status).toBe(201);
    const sock = await s.ws({ subscribe: 'vxlan-sites' });
    const apply = await s.api('POST', '/api/labs/vxlan-sites/apply');
    const r = await sock.next('result', (m) => m.result.operationId === apply.json.operationId, 30_000);
    expect(r.result.ok).toBe(true);
    sock.close();
  });

  afterAll(async () => {
    await s?.stop();
    await engine?.close();
    await sandbox?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('the reachability matrix agrees with the pings (every pair reachable, as predicted)', async () => {
    const r = await s.api('POST', '/api/labs/vxlan-sites/reachability', { timeoutS: 2 });
    expect(r.status).toBe(200);
    const m = ReachabilityResponse.parse(r.json);
    expect(m.cells).toHaveLength(6);
    for (const c of m.cells) expect([c.from, c.to, c.reachable, c.expected]).toEqual([c.from, c.to, true, true]);
  });

  it('the overlay path site-a → 10.200.0.2: complete, underlay hops via wan, the kernel and the ping agree', async () => {
    const r = await s.api('POST', '/api/labs/vxlan-sites/path', { from: 'site-a', to: '10.200.0.2' });
    expect(r.status).toBe(200);
    const p = PathResponse.parse(r.json);
    expect(p.problem).toBeUndefined();
    expect(p).toMatchObject({ complete: true, toNode: 'site-b' });
    expect(p.hops[0]).toMatchObject({ node: 'site-a', out: 'vx0', tunnel: { vni: 100, remote: '172.16.2.1' } });
    expect(p.hops[0]?.tunnel?.underlay.map((h) => h.node)).toEqual(['site-a', 'wan', 'site-b']);
    expect(p.objects).toContain('wan');
    expect(p.routeGet).toMatchObject({ ok: true, dev: 'vx0', agrees: true });
    expect(p.ping?.parsed?.received).toBe(1);
  });

  it('live state of site-a: lo with 127.0.0.1, routes, the neighbour across the tunnel and the FDB entry', async () => {
    // The path test's ping taught site-a the far end's MAC; ping again so this test stands alone.
    await s.api('POST', '/api/labs/vxlan-sites/exec', {
      node: 'site-a',
      tool: 'ping',
      args: { target: '10.200.0.2', count: 1, timeoutS: 2 },
    });
    const r = await s.api('GET', '/api/labs/vxlan-sites/nodes/site-a/live');
    expect(r.status).toBe(200);
    const live = NodeLiveResponse.parse(r.json);
    expect(live.netns).toBe('site-a');
    expect(live.interfaces[0]).toMatchObject({ ifname: 'lo', linkType: 'loopback' });
    expect(live.interfaces[0]?.addresses).toContain('127.0.0.1/8');
    expect(live.interfaces.map((i) => i.ifname)).toEqual(expect.arrayContaining(['eth0', 'vx0']));
    expect(live.routes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ family: 4, dst: 'default', gateway: '172.16.1.254', dev: 'eth0' }),
        expect.objectContaining({ family: 4, dst: '10.200.0.0/24', dev: 'vx0', protocol: 'kernel' }),
      ]),
    );
    expect(live.neighbours).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: '10.200.0.2', dev: 'vx0' })]),
    );
    expect(live.fdb).toEqual(expect.arrayContaining([expect.objectContaining({ dev: 'vx0', dst: '172.16.2.1' })]));
    // Multicast group entries are left out.
    expect(live.fdb.every((e) => (Number.parseInt(e.mac.slice(0, 2), 16) & 1) === 0)).toBe(true);
  });

  it('refuses unknown nodes and labs; a same-named namespace the lab did not make is not read', async () => {
    expect((await s.api('GET', '/api/labs/vxlan-sites/nodes/nope/live')).status).toBe(404);
    expect((await s.api('GET', '/api/labs/nope/nodes/site-a/live')).status).toBe(404);
    // Replace site-b's namespace marker by hand (as a user's script might): no longer ours.
    const m = await sandbox.runner.run([
      'ip',
      'netns',
      'exec',
      'site-b',
      'ip',
      'link',
      'set',
      'lo',
      'alias',
      'someone-else',
    ]);
    expect(m.code).toBe(0);
    const r = await s.api('GET', '/api/labs/vxlan-sites/nodes/site-b/live');
    expect(r.status).toBe(409);
    expect(r.json.message).toContain('is not the one lab "vxlan-sites" made');
  });
});

/**
 * Discovery over HTTP with the real engine in a sandbox: GET /api/discovery (token required), the
 * re-creation script, POST /api/discovery/adopt (lab stored, objects marked, recorded as applied), and the
 * three-way diff after a change by hand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { type DiscoveryResponse, type LabDiff, validate } from '../../shared';
import { openEngine } from '../engine/engine';
import { describeKernel, kernelDriver, withSandbox } from '../engine/testing/kernel';
import { startTestServer } from '../testing/harness';

describeKernel('discovery over HTTP (sandbox)', () => {
  it('discover → script → adopt → diff shows a change by hand', async () => {
    await withSandbox(async (sb) => {
      const run = async (argv: string[]) => expect((await sb.runner.run(argv)).code).toBe(0);
      await run(['ip', 'netns', 'add', 'red']);
      await run(['ip', 'link', 'add', 'hred', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', 'red']);
      await run(['ip', '-n', 'red', 'addr', 'add', '10.5.0.2/24', 'dev', 'eth0']);
      await run(['ip', '-n', 'red', 'link', 'set', 'eth0', 'up']);
      await run(['ip', 'link', 'set', 'hred', 'up']);

      const stateDir = await mkdtemp(join(tmpdir(), 'netloom-disc-'));
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
      const s = await startTestServer({ engine, mode: 'sandbox', runner: sb.runner });
      try {
        expect(
          (await s.api('GET', '/api/discovery', undefined, { authorization: 'Bearer wrong-token-000000' })).status,
        ).toBe(401);
        const g = await s.api('GET', '/api/discovery');
        expect(g.status).toBe(200);
        const body = g.json as DiscoveryResponse;
        expect(validate(body.lab).ok).toBe(true);
        expect(body.lab.nodes.map((n) => n.id).sort()).toEqual(['host', 'ns-red']);
        const linkId = body.lab.links[0]!.id;
        expect(body.objects['ns-red']).toMatchObject({ kind: 'namespace', netns: 'red', ownership: 'foreign' });
        expect(body.objects[`${linkId}#1`]).toMatchObject({ netns: 'red', ifname: 'eth0', ownership: 'foreign' });

        const script = await s.api('GET', '/api/discovery/script');
        expect(script.status).toBe(200);
        expect(script.text).toContain('ip netns add red');
        expect(script.text).toContain('ip -n red addr add 10.5.0.2/24 dev eth0');

        const bad = await s.api('POST', '/api/discovery/adopt', { labName: 'found', select: ['nope'] });
        expect(bad.status).toBe(409);
        const a = await s.api('POST', '/api/discovery/adopt', { labName: 'found', select: ['ns-red', linkId] });
        expect(a.status, a.text).toBe(201);
        expect(a.json).toMatchObject({ marked: 3, applied: true, residual: [] });
        expect(a.json.added).toEqual(['host']);
        expect((await s.api('GET', '/api/labs/found')).status).toBe(200);
        expect(await engine.appliedLab('found')).not.toBeNull();
        const again = await s.api('GET', '/api/discovery');
        expect(again.json.objects['ns-red']).toMatchObject({
          ownership: 'owned',
          marker: { lab: 'found', object: 'ns-red' },
        });

        const d0 = (await s.api('GET', '/api/labs/found/diff')).json as LabDiff;
        expect(d0.summary).toEqual({ 'in-sync': 3, drifted: 0, missing: 0, foreign: 0 });
        await run(['ip', '-n', 'red', 'addr', 'add', '10.5.0.9/24', 'dev', 'eth0']);
        const d1 = (await s.api('GET', '/api/labs/found/diff')).json as LabDiff;
        const end = d1.objects.find((o) => o.id === `${linkId}#1`)!;
        expect(end.badge).toBe('drifted');
        expect(end.fields).toEqual([
          expect.objectContaining({ field: 'addresses', changedBy: 'host', patch: expect.any(Object) }),
        ]);
        expect((await s.api('GET', '/api/labs/nope/diff')).status).toBe(404);

        expect(await engine.destroy('found')).toMatchObject({ ok: true });
        expect((await sb.runner.run(['ip', 'netns', 'list'])).stdout).toBe('');
      } finally {
        await s.stop();
        await engine.close();
        await rm(stateDir, { recursive: true, force: true });
      }
    });
  });
});

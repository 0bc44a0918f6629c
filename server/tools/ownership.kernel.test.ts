/**
 * Tools follow ownership, not names (issue #13 item 4), against the real engine and kernel in a sandbox:
 * lab A applied (namespaces + a host-side veth end); lab B only stored, naming A's namespace, a foreign
 * namespace and a foreign root interface → every tool (exec, path, reachability, terminal, capture) refused
 * and nothing started; lab A's own tools work; A's host node has exec but no terminal; an applied lab whose
 * namespace was replaced by a foreign one of the same name is refused 403. Root only; in CI it fails, never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { LabInput } from '../../shared';
import type { Engine, Sandbox } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { createSandbox } from '../engine/sandbox';
import { describeKernel, kernelDriver } from '../engine/testing/kernel';
import { startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';

interface Sock {
  text: { type: string; code?: string; message?: string }[];
  closed: Promise<number>;
  ws: WebSocket;
}

function openSock(port: number, path: string): Promise<Sock> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const s: Sock = { ws, text: [], closed: new Promise((r) => ws.on('close', (c) => r(c))) };
    ws.on('message', (d, bin) => {
      if (!bin) s.text.push(JSON.parse(Buffer.from(d as Buffer).toString('utf8')));
    });
    ws.on('error', reject);
    ws.on('open', () => resolve(s));
  });
}

const labA: LabInput = {
  version: 1,
  name: 'alpha',
  nodes: [
    { id: 'host', kind: 'host' },
    { id: 'red', kind: 'namespace', name: 'alpha-red' },
    { id: 'blue', kind: 'namespace', name: 'alpha-blue' },
  ],
  links: [
    {
      id: 'rb',
      kind: 'veth',
      endpoints: [
        { node: 'red', ifname: 'veth-red', addresses: ['10.0.0.1/24'] },
        { node: 'blue', ifname: 'veth-blue', addresses: ['10.0.0.2/24'] },
      ],
    },
    {
      id: 'up',
      kind: 'veth',
      endpoints: [
        { node: 'host', ifname: 'alpha-h0', addresses: ['10.9.0.1/24'] },
        { node: 'red', ifname: 'uplink', addresses: ['10.9.0.2/24'] },
      ],
    },
  ],
};

/** Stored only: its names are A's namespace, a foreign namespace and a foreign root interface. */
const labB: LabInput = {
  version: 1,
  name: 'bravo',
  nodes: [
    { id: 'host', kind: 'host' },
    { id: 'thief', kind: 'namespace', name: 'alpha-red' },
    { id: 'alien', kind: 'namespace', name: 'foreign' },
  ],
  links: [
    {
      id: 'steal',
      kind: 'veth',
      endpoints: [
        { node: 'thief', ifname: 'veth-red', addresses: ['10.0.0.7/24'] },
        { node: 'alien', ifname: 'f0', addresses: ['10.0.0.8/24'] },
      ],
    },
    {
      id: 'root',
      kind: 'veth',
      endpoints: [
        { node: 'host', ifname: 'foreign0', addresses: ['10.8.0.1/24'] },
        { node: 'alien', ifname: 'f1', addresses: ['10.8.0.2/24'] },
      ],
    },
  ],
};

describeKernel('tools follow ownership (sandbox)', () => {
  let sandbox: Sandbox;
  let engine: Engine;
  let stateDir: string;
  let s: TestServer<Engine>;

  const apply = async (name: string) => {
    const sock = await s.ws({ subscribe: name });
    const a = await s.api('POST', `/api/labs/${name}/apply`);
    expect(a.status).toBe(202);
    const r = await sock.next('result', (m) => m.result.operationId === a.json.operationId, 30_000);
    sock.close();
    return r.result;
  };

  beforeAll(async () => {
    sandbox = await createSandbox();
    stateDir = await mkdtemp(join(tmpdir(), 'netloom-kown-'));
    engine = await openEngine({ stateDir, runner: sandbox.runner, driver: kernelDriver() });
    s = await startTestServer({ engine, mode: 'sandbox', runner: sandbox.runner, statusIntervalMs: 500 });
    // Foreign objects, as someone else would have made them: a namespace and a root veth pair, no marker.
    for (const argv of [
      ['ip', 'netns', 'add', 'foreign'],
      ['ip', 'link', 'add', 'foreign0', 'type', 'veth', 'peer', 'name', 'foreign1'],
      ['ip', 'link', 'set', 'dev', 'foreign0', 'up'],
    ])
      expect((await sandbox.runner.run(argv)).code, argv.join(' ')).toBe(0);
    expect((await s.api('POST', '/api/labs', { lab: labA })).status).toBe(201);
    expect((await apply('alpha')).ok).toBe(true);
    expect((await s.api('POST', '/api/labs', { lab: labB })).status).toBe(201);
  });

  afterAll(async () => {
    await s?.stop();
    await engine?.close();
    await sandbox?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('lab B (stored, never applied) gets no exec, path, reachability, terminal or capture anywhere', async () => {
    // The plan refuses B too: it is not a loophole that B was never applied.
    const plan = await s.api('POST', '/api/labs/bravo/plan');
    expect(plan.json.errors?.length ?? 0).toBeGreaterThan(0);
    for (const node of ['thief', 'alien', 'host']) {
      const r = await s.api('POST', '/api/labs/bravo/exec', { node, tool: 'ipLink' });
      expect(r.status, node).toBe(409);
      expect(r.json.message).toMatch(/lab "bravo" is not applied/);
      const p = await s.api('POST', '/api/labs/bravo/path', { from: node, to: '10.0.0.1' });
      expect(p.status, node).toBe(409);
    }
    expect((await s.api('POST', '/api/labs/bravo/reachability', {})).status).toBe(409);
    for (const q of [
      'term?lab=bravo&node=thief',
      'term?lab=bravo&node=alien',
      'term?lab=bravo&node=host',
      'capture?lab=bravo&link=steal&end=0',
      'capture?lab=bravo&link=steal&end=1',
      'capture?lab=bravo&link=root&end=0',
    ]) {
      const c = await openSock(s.port, `/ws/${q}`);
      expect(await c.closed, q).toBe(4409);
      expect(c.text[0], q).toMatchObject({ type: 'error', code: 'Conflict' });
    }
    expect(s.tools.terminals?.count).toBe(0);
    expect(s.tools.captures?.count).toBe(0);
  });

  it("lab A's own tools work; its host node has exec (it owns alpha-h0) but never a terminal", async () => {
    const ping = await s.api('POST', '/api/labs/alpha/exec', {
      node: 'red',
      tool: 'ping',
      args: { target: '10.0.0.2', count: 1, timeoutS: 2 },
    });
    expect(ping.status).toBe(200);
    expect(ping.json.parsed.received).toBe(1);
    const host = await s.api('POST', '/api/labs/alpha/exec', {
      node: 'host',
      tool: 'ping',
      args: { target: '10.9.0.2', count: 1, timeoutS: 2 },
    });
    expect(host.status).toBe(200);
    expect(host.json.parsed.received).toBe(1);
    const ht = await openSock(s.port, '/ws/term?lab=alpha&node=host');
    expect(await ht.closed).toBe(4403);
    expect(ht.text[0]).toMatchObject({ type: 'error', code: 'PermissionDenied' });
    expect(ht.text[0]!.message).toMatch(/node "host" is the host's root namespace: no terminal/);

    const t = await openSock(s.port, '/ws/term?lab=alpha&node=red&cols=80&rows=24');
    await expect.poll(() => t.text.some((m) => m.type === 'ready'), { timeout: 10_000 }).toBe(true);
    t.ws.close();
    await t.closed;
    const c = await openSock(s.port, '/ws/capture?lab=alpha&link=up&end=0');
    await expect.poll(() => c.text.some((m) => m.type === 'started'), { timeout: 10_000 }).toBe(true);
    c.ws.close();
    await c.closed;
    expect((await s.api('POST', '/api/labs/alpha/reachability', {})).status).toBe(200);
  });

  it('an applied lab whose namespace was replaced by a foreign one of the same name is refused (403)', async () => {
    const lab: LabInput = {
      version: 1,
      name: 'charlie',
      nodes: [{ id: 'solo', kind: 'namespace', name: 'charlie-solo' }],
      links: [],
    };
    expect((await s.api('POST', '/api/labs', { lab })).status).toBe(201);
    expect((await apply('charlie')).ok).toBe(true);
    expect((await s.api('POST', '/api/labs/charlie/exec', { node: 'solo', tool: 'ipAddr' })).status).toBe(200);
    // charlie owns no host-side object: no tools on its host node (it has none in the design either).
    for (const argv of [
      ['ip', 'netns', 'del', 'charlie-solo'],
      ['ip', 'netns', 'add', 'charlie-solo'],
    ])
      expect((await sandbox.runner.run(argv)).code).toBe(0);
    const r = await s.api('POST', '/api/labs/charlie/exec', { node: 'solo', tool: 'ipAddr' });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ code: 'PermissionDenied' });
    expect(r.json.message).toMatch(/namespace "charlie-solo" of node "solo" is not owned by Netloom/);
    const t = await openSock(s.port, '/ws/term?lab=charlie&node=solo');
    expect(await t.closed).toBe(4403);
    expect(s.tools.terminals?.count).toBe(0);
  });
});

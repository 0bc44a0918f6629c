/**
 * Live tools against the real engine and kernel, inside a throwaway sandbox: apply the veth-pair example over
 * HTTP, then exec ping, path, reachability (all reachable; then an end set down → LinkDown), a terminal socket
 * (its output shows the namespace's address; closing kills the shell) and a capture socket (ICMP echo request
 * and reply decoded by the client's decoder; closing kills tcpdump). Root only; in CI it fails, never skips.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { CaptureServerMessage, ExecResponse, PathResponse, ReachabilityResponse } from '../../shared';
import { decodeRecord, parsePcapHeader, parseRecord } from '../../shared/pcap';
import type { Engine, Sandbox } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { createSandbox } from '../engine/sandbox';
import { describeKernel, hasProgram, kernelDriver } from '../engine/testing/kernel';
import { silentLogger } from '../log';
import { loadExamples } from '../store/labFiles';
import { startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { waitUntil } from '../testing/wait';
import { processAlive, sessionMembers } from './procs';

interface ToolSocket {
  ws: WebSocket;
  text: unknown[];
  binary: Buffer[];
  closed: Promise<number>;
}

function openToolSocket(port: number, path: string): Promise<ToolSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    const sock: ToolSocket = {
      ws,
      text: [],
      binary: [],
      closed: new Promise((r) => ws.on('close', (code) => r(code))),
    };
    ws.on('message', (data, isBinary) => {
      const buf = Buffer.from(data as Buffer);
      if (isBinary) sock.binary.push(buf);
      else sock.text.push(JSON.parse(buf.toString('utf8')));
    });
    ws.on('unexpected-response', (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
    ws.on('open', () => resolve(sock));
  });
}

describeKernel('live tools (sandbox)', () => {
  let sandbox: Sandbox;
  let engine: Engine;
  let stateDir: string;
  let s: TestServer<Engine>;

  beforeAll(async () => {
    expect(hasProgram('/usr/bin/ping'), 'ping (iputils-ping) must be installed').toBe(true);
    expect(hasProgram('/usr/bin/tcpdump') || hasProgram('/usr/sbin/tcpdump'), 'tcpdump must be installed').toBe(true);
    sandbox = await createSandbox();
    stateDir = await mkdtemp(join(tmpdir(), 'netloom-ktools-'));
    engine = await openEngine({ stateDir, runner: sandbox.runner, driver: kernelDriver() });
    const examples = await loadExamples(new URL('../../examples', import.meta.url).pathname, silentLogger());
    s = await startTestServer({ engine, mode: 'sandbox', examples, runner: sandbox.runner, statusIntervalMs: 200 });
    expect((await s.api('POST', '/api/examples/veth-pair.yaml/open')).status).toBe(201);
    const sock = await s.ws({ subscribe: 'veth-pair' });
    const apply = await s.api('POST', '/api/labs/veth-pair/apply');
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

  it('exec: ping red → blue gets every reply', async () => {
    const r = await s.api('POST', '/api/labs/veth-pair/exec', {
      node: 'red',
      tool: 'ping',
      args: { target: '10.0.0.2', count: 2, timeoutS: 2 },
    });
    expect(r.status).toBe(200);
    const res = ExecResponse.parse(r.json);
    expect(res).toMatchObject({ ok: true, exitCode: 0, parsed: { transmitted: 2, received: 2, lossPct: 0 } });
    const addr = ExecResponse.parse(
      (await s.api('POST', '/api/labs/veth-pair/exec', { node: 'blue', tool: 'ipAddr' })).json,
    );
    expect(addr.stdout).toContain('10.0.0.2/24');
    const rg = ExecResponse.parse(
      (await s.api('POST', '/api/labs/veth-pair/exec', { node: 'red', tool: 'routeGet', args: { target: '10.0.0.2' } }))
        .json,
    );
    expect(rg.stdout).toContain('dev veth-red');
  });

  it('path: red → blue crosses the veth, and the kernel agrees', async () => {
    const r = await s.api('POST', '/api/labs/veth-pair/path', { from: 'red', to: 'blue' });
    expect(r.status).toBe(200);
    const p = PathResponse.parse(r.json);
    expect(p).toMatchObject({ complete: true, target: '10.0.0.2', toNode: 'blue' });
    expect(p.objects).toEqual(['red', 'red-blue', 'blue']);
    expect(p.routeGet).toMatchObject({ ok: true, dev: 'veth-red', agrees: true });
    expect(p.ping?.parsed?.received).toBe(1);
  });

  it('terminal: the shell runs in the namespace; closing the socket kills it', async () => {
    const t = await openToolSocket(s.port, '/ws/term?lab=veth-pair&node=red&cols=100&rows=30');
    await waitUntil(() => t.text.some((m) => (m as { type: string }).type === 'ready'), 10_000, 'terminal ready');
    expect(s.tools.terminals?.count).toBe(1);
    const [pid] = s.tools.terminals!.pids();
    t.ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    t.ws.send(Buffer.from('ip -br addr\n'), { binary: true });
    const out = () => Buffer.concat(t.binary).toString('utf8');
    await waitUntil(() => out().includes('10.0.0.1/24'), 10_000, `address in terminal output: ${out()}`);
    expect(out()).toContain('[red]');
    expect(out()).not.toContain('10.0.0.2/24');
    // A background job gets its own process group under bash's job control: it must die with the socket too.
    t.ws.send(JSON.stringify({ type: 'input', data: 'sleep 300 &\n' }));
    await waitUntil(() => sessionMembers(pid!).length >= 2, 5000, 'background job');
    const members = sessionMembers(pid!);
    t.ws.close();
    await t.closed;
    await waitUntil(() => members.every((p) => !processAlive(p)), 5000, 'shell and its jobs to exit');
    expect(s.tools.terminals?.count).toBe(0);
  });

  it('capture: ping shows up as ICMP echo request and reply; closing stops tcpdump', async () => {
    const c = await openToolSocket(
      s.port,
      `/ws/capture?lab=veth-pair&link=red-blue&end=0&filter=${encodeURIComponent('icmp')}`,
    );
    await waitUntil(() => c.text.some((m) => (m as { type: string }).type === 'started'), 10_000, 'capture started');
    expect(CaptureServerMessage.parse(c.text[0])).toMatchObject({ type: 'started', ifname: 'veth-red', netns: 'red' });
    const [pid] = s.tools.captures!.pids();
    const ping = await s.api('POST', '/api/labs/veth-pair/exec', {
      node: 'red',
      tool: 'ping',
      args: { target: '10.0.0.2', count: 2 },
    });
    expect(ping.json.ok).toBe(true);
    await waitUntil(() => c.binary.length >= 5, 10_000, 'header + 4 records');
    const header = parsePcapHeader(new Uint8Array(c.binary[0]!));
    expect(c.binary[0]!.length).toBe(24);
    const decoded = c.binary.slice(1).map((b) => {
      const r = parseRecord(header, new Uint8Array(b));
      expect(r?.next).toBe(b.length); // one whole record per frame
      return decodeRecord(header, r!.record);
    });
    expect(decoded.every((d) => d.protocol === 'ICMP')).toBe(true);
    expect(decoded.some((d) => d.info.startsWith('Echo (ping) request') && d.src === '10.0.0.1')).toBe(true);
    expect(decoded.some((d) => d.info.startsWith('Echo (ping) reply') && d.src === '10.0.0.2')).toBe(true);
    c.ws.close();
    await c.closed;
    await waitUntil(() => !processAlive(pid!), 5000, 'tcpdump to exit');
    expect(s.tools.captures?.count).toBe(0);
  });

  it('capture: a filter that does not compile is refused with a message', async () => {
    const c = await openToolSocket(
      s.port,
      `/ws/capture?lab=veth-pair&link=red-blue&end=1&filter=${encodeURIComponent('icmp and and')}`,
    );
    expect(await c.closed).toBe(4400);
    expect(c.text[0]).toMatchObject({ type: 'error', code: 'InvalidRequest' });
    expect((c.text[0] as { message: string }).message).toContain('does not compile');
    expect(s.tools.captures?.count).toBe(0);
  });

  it('reachability: all reachable, then an end set down → LinkDown', async () => {
    const all = ReachabilityResponse.parse((await s.api('POST', '/api/labs/veth-pair/reachability', {})).json);
    expect(all.nodes).toEqual(['red', 'blue']);
    expect(all.cells.map((c) => [c.from, c.to, c.reachable, c.expected])).toEqual([
      ['red', 'blue', true, true],
      ['blue', 'red', true, true],
    ]);

    const down = await sandbox.runner.run(['ip', '-n', 'red', 'link', 'set', 'dev', 'veth-red', 'down']);
    expect(down.code).toBe(0);
    const after = ReachabilityResponse.parse((await s.api('POST', '/api/labs/veth-pair/reachability', {})).json);
    const cell = after.cells.find((c) => c.from === 'red' && c.to === 'blue')!;
    expect(cell.reachable).toBe(false);
    expect(cell.problem).toMatchObject({ reason: 'LinkDown', object: 'red-blue#0' });
    const back = after.cells.find((c) => c.from === 'blue' && c.to === 'red')!;
    expect(back.reachable).toBe(false);
    expect(back.problem?.reason).toBe('LinkDown');
  });

  it('router example: the path goes through the router, as ip route get says; traceroute shows the hop', async () => {
    expect((await s.api('POST', '/api/examples/router.yaml/open')).status).toBe(201);
    const sock = await s.ws({ subscribe: 'router' });
    const apply = await s.api('POST', '/api/labs/router/apply');
    const r = await sock.next('result', (m) => m.result.operationId === apply.json.operationId, 30_000);
    expect(r.result.ok).toBe(true);
    sock.close();
    const p = PathResponse.parse((await s.api('POST', '/api/labs/router/path', { from: 'left', to: 'right' })).json);
    expect(p.objects).toEqual(['left', 'left-rtr', 'rtr', 'rtr-right', 'right']);
    expect(p.routeGet).toMatchObject({ ok: true, dev: 'eth0', via: '10.1.1.254', agrees: true });
    expect(p.ping?.parsed?.received).toBe(1);
    if (hasProgram('/usr/bin/traceroute')) {
      const tr = ExecResponse.parse(
        (
          await s.api('POST', '/api/labs/router/exec', {
            node: 'left',
            tool: 'traceroute',
            args: { target: '10.1.2.2', maxHops: 4 },
          })
        ).json,
      );
      expect(tr.stdout).toContain('10.1.1.254');
    }
  });
});

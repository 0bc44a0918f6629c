/**
 * Terminals are contained (issue #13 items 6 and 10), against the real engine and kernel in a sandboxed
 * server: a namespace terminal sees only its own PID namespace (no host PID, not the sandbox holder), cannot
 * `nsenter -t 1 -n` nor `--net=/proc/HOLDER/ns/net`, is not root; and a `setsid` job started in it (which
 * leaves the shell's session) dies with the socket, so no process is left holding the namespace.
 * Root only; in CI it fails, never skips.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Engine, Sandbox } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { createSandbox } from '../engine/sandbox';
import { describeKernel, kernelDriver } from '../engine/testing/kernel';
import { silentLogger } from '../log';
import { loadExamples } from '../store/labFiles';
import { startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { waitUntil } from '../testing/wait';
import { processAlive } from './procs';

/** Host PIDs whose PID namespace is `ns` (the link text of /proc/PID/ns/pid). */
function pidNsMembers(ns: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readlinkSync(`/proc/${e}/ns/pid`) === ns && processAlive(Number(e))) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Host PIDs whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(e));
    } catch {}
  }
  return out;
}

describeKernel('terminals are contained (sandbox)', () => {
  let sandbox: Sandbox;
  let engine: Engine;
  let stateDir: string;
  let s: TestServer<Engine>;

  beforeAll(async () => {
    sandbox = await createSandbox();
    stateDir = await mkdtemp(join(tmpdir(), 'netloom-kconf-'));
    engine = await openEngine({ stateDir, runner: sandbox.runner, driver: kernelDriver() });
    const examples = await loadExamples(new URL('../../examples', import.meta.url).pathname, silentLogger());
    s = await startTestServer({ engine, mode: 'sandbox', examples, runner: sandbox.runner, statusIntervalMs: 500 });
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

  const openTerminal = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws/term?lab=veth-pair&node=red&cols=200&rows=50`, {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    const chunks: Buffer[] = [];
    let ready = false;
    ws.on('message', (d, bin) => {
      if (bin) chunks.push(Buffer.from(d as Buffer));
      else if (JSON.parse(Buffer.from(d as Buffer).toString('utf8')).type === 'ready') ready = true;
    });
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    await waitUntil(() => ready, 10_000, 'terminal ready');
    const out = () => Buffer.concat(chunks).toString('utf8');
    /** Runs `line`, whose `@=` prints `MARKER=value`; quoted in the line so the terminal's echo never matches. */
    const run = async (line: string, marker: string) => {
      const quoted = `${marker.slice(0, 1)}''${marker.slice(1)}`;
      ws.send(JSON.stringify({ type: 'input', data: `${line.replace('@=', `${quoted}=`)}\n` }));
      await waitUntil(() => new RegExp(`${marker}=\\S+`).test(out()), 10_000, `${marker} in: ${out()}`);
      return new RegExp(`${marker}=(\\S+)`).exec(out())![1]!;
    };
    return { ws, closed, out, run };
  };

  it('sees only its own PIDs, cannot enter the host or the holder, is not root', async () => {
    const t = await openTerminal();
    // PID 1 of its namespace is the confined shell's parent chain, not systemd/init or the holder.
    const pids = (await t.run('echo @=$(ls /proc | grep -E "^[0-9]+$" | sort -n | head -5 | tr "\\n" ,)', 'PIDS'))
      .split(',')
      .filter(Boolean)
      .map(Number);
    expect(Math.max(...pids)).toBeLessThan(50);
    expect(await t.run(`test -e /proc/${sandbox.pid}/ns/net; echo @=$?`, 'HOLDER_SEEN')).toBe('1');
    expect(await t.run(`test -e /proc/${process.pid}; echo @=$?`, 'SERVER_SEEN')).toBe('1');
    // nsenter -t 1 -n: PID 1 is its own namespace's, and without CAP_SYS_ADMIN setns fails anyway.
    expect(await t.run('nsenter -t 1 -n true; echo @=$?', 'NSENTER1')).not.toBe('0');
    expect(await t.run('nsenter --net=/proc/1/ns/net true; echo @=$?', 'NSENTERNET')).not.toBe('0');
    expect(await t.run('unshare --net true; echo @=$?', 'UNSHARE')).not.toBe('0');
    expect(await t.run('echo @=$(id -u)', 'UID')).toBe('65534');
    expect(await t.run('touch /root/netloom-probe 2>/dev/null; echo @=$?', 'WROTE')).not.toBe('0');
    // What it needs still works: its own network (NET_ADMIN) and ping (NET_RAW).
    expect(await t.run('ip link set dev veth-red mtu 1500; echo @=$?', 'MTU')).toBe('0');
    expect(await t.run('ping -c1 -W2 10.0.0.2 >/dev/null; echo @=$?', 'PING')).toBe('0');
    t.ws.close();
    await t.closed;
  });

  it('a setsid job dies with the socket: nothing is left in the terminal’s PID namespace', async () => {
    const t = await openTerminal();
    const [leader] = s.tools.terminals!.pids();
    expect(leader).toBeDefined();
    // The pty runs `unshare` (nsenter and ip netns exec exec into it); its child is PID 1 of the namespace.
    await waitUntil(
      () => childrenOf(leader!).length > 0,
      5000,
      `child of ${leader}: ${readFileSync(`/proc/${leader}/cmdline`, 'utf8')}`,
    );
    const [init] = childrenOf(leader!);
    expect(init).toBeDefined();
    const ns = readlinkSync(`/proc/${init}/ns/pid`);
    expect(ns).not.toBe(readlinkSync('/proc/self/ns/pid'));
    expect(await t.run('setsid sleep 1000 & echo @=$!', 'STARTED')).toMatch(/^\d+$/);
    await waitUntil(
      () =>
        pidNsMembers(ns).some((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00001000\u0000';
          } catch {
            return false;
          }
        }),
      5000,
      'setsid sleep in the terminal’s PID namespace',
    );
    const sleeper = pidNsMembers(ns).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('sleep'))!;
    // It left the shell's session: the old session kill alone would miss it.
    const sid = Number(readFileSync(`/proc/${sleeper}/stat`, 'utf8').split(') ')[1]!.split(' ')[3]);
    expect(sid).toBe(sleeper);
    t.ws.close();
    await t.closed;
    await waitUntil(() => pidNsMembers(ns).length === 0 && !processAlive(sleeper), 5000, 'every process to exit');
    expect(s.tools.terminals?.count).toBe(0);
  });
});

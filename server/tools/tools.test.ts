/**
 * Live tools without a kernel: argv audit (allowlisted templates, `--` or a keyword before every user value,
 * netns prefix), ping parsing, pcap stream splitting, and the HTTP/WS surface over real HTTP with a fake engine
 * and a recording runner (bad input → 400 and nothing spawned; sockets need the token and a good Origin).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ExecRequest, type LabInput } from '../../shared';
import type { CommandRunner, RunOptions, RunResult } from '../engine/contract';
import { startTestServer, TEST_TOKEN, type TestServer } from '../testing/harness';
import { makeVethPairLab } from '../testing/labs';
import { CAPTURE_HIGH_WATER, captureArgv, compileArgv, linkEnd } from './capture';
import { confineArgv } from './confine';
import { execArgv, inNetns, nodeNetns, parsePing } from './exec';
import { PcapSplitter } from './pcapStream';
import { parseRouteGet } from './service';
import { terminalArgv, terminalEnv } from './terminal';

const SHELLS = /(^|\/)(sh|bash|dash|zsh)$/;

describe('exec argv', () => {
  const argv = (body: unknown) => execArgv(ExecRequest.parse(body)).argv;

  it('ping: fixed flags, validated numbers, the target after --', () => {
    expect(argv({ node: 'red', tool: 'ping', args: { target: '10.0.0.2', count: 2, timeoutS: 1 } })).toEqual([
      'ping',
      '-4',
      '-n',
      '-c',
      '2',
      '-i',
      '0.2',
      '-W',
      '1',
      '--',
      '10.0.0.2',
    ]);
    expect(argv({ node: 'red', tool: 'ping6', args: { target: 'fd00::2' } })).toContain('-6');
    expect(() => argv({ node: 'red', tool: 'ping6', args: { target: '10.0.0.2' } })).toThrow(/IPv6/);
  });

  it('traceroute and ip: values after -- or an explicit keyword', () => {
    const tr = argv({ node: 'red', tool: 'traceroute', args: { target: '10.0.0.2' } });
    expect(tr.slice(-2)).toEqual(['--', '10.0.0.2']);
    expect(argv({ node: 'red', tool: 'routeGet', args: { target: 'fd00::1' } })).toEqual([
      'ip',
      'route',
      'get',
      'to',
      'fd00::1',
    ]);
    expect(argv({ node: 'red', tool: 'ipAddr' })).toEqual(['ip', 'addr', 'show']);
    expect(argv({ node: 'red', tool: 'ipRoute', args: { family: 'inet6' } })).toEqual([
      'ip',
      '-f',
      'inet6',
      'route',
      'show',
    ]);
    expect(argv({ node: 'red', tool: 'ipNeigh', args: {} })).toEqual(['ip', 'neigh', 'show']);
    expect(argv({ node: 'red', tool: 'ipLink' })).toEqual(['ip', '-s', 'link', 'show']);
  });

  it('rejects anything outside the allowlist', () => {
    const bad: unknown[] = [
      { node: 'red', tool: 'bash', args: {} },
      { node: 'red', tool: 'ping', args: { target: '10.0.0.2; id' } },
      { node: 'red', tool: 'ping', args: { target: '-f' } },
      { node: 'red', tool: 'ping', args: { target: '10.0.0.2', count: 11 } },
      { node: 'red', tool: 'ping', args: { target: '10.0.0.2', count: 0 } },
      { node: 'red', tool: 'ping', args: { target: '10.0.0.2', timeoutS: 1.5 } },
      { node: 'red', tool: 'ping', args: { target: '10.0.0.2', extra: '-f' } },
      { node: 'red', tool: 'ipAddr', args: { family: 'link; reboot' } },
      { node: 'red', tool: 'ipLink', args: { dev: 'x' } },
      { node: '-rf', tool: 'ipLink' },
      { node: 'red', tool: 'traceroute', args: { target: '10.0.0.2', maxHops: 64 } },
    ];
    for (const b of bad) expect(ExecRequest.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });

  it('no template starts a shell', () => {
    const all = [
      argv({ node: 'r', tool: 'ping', args: { target: '10.0.0.2' } }),
      argv({ node: 'r', tool: 'traceroute', args: { target: '10.0.0.2' } }),
      argv({ node: 'r', tool: 'routeGet', args: { target: '10.0.0.2' } }),
      argv({ node: 'r', tool: 'ipAddr' }),
      captureArgv({ ifname: 'veth-red', netns: 'red', filter: 'icmp' }),
    ];
    for (const a of all) expect(a.some((x) => SHELLS.test(x))).toBe(false);
  });

  it('netns wrapping: ip netns exec NS for namespaces, nothing for the host', () => {
    expect(inNetns('red', ['ip', 'addr'])).toEqual(['ip', 'netns', 'exec', 'red', 'ip', 'addr']);
    expect(inNetns(null, ['ip', 'addr'])).toEqual(['ip', 'addr']);
    const lab = {
      version: 1 as const,
      name: 'x',
      nodes: [
        { id: 'h', kind: 'host' as const },
        { id: 'br', kind: 'bridge' as const, name: 'br0', addresses: [] },
        { id: 'n', kind: 'namespace' as const, name: 'nsn', forwarding: false, routes: [] },
      ],
      links: [],
    };
    expect(nodeNetns(lab, 'n')).toBe('nsn');
    expect(nodeNetns(lab, 'h')).toBeNull();
    expect(() => nodeNetns(lab, 'br')).toThrow(/bridge/);
    expect(() => nodeNetns(lab, 'nope')).toThrow(/no node/);
  });
});

describe('parsePing', () => {
  it('reads the summary', () => {
    const out =
      '--- 10.0.0.2 ping statistics ---\n3 packets transmitted, 2 received, 33.3333% packet loss, time 402ms\nrtt min/avg/max/mdev = 0.041/0.052/0.063/0.011 ms\n';
    expect(parsePing(out)).toEqual({ transmitted: 3, received: 2, lossPct: 33.3, rttAvgMs: 0.052 });
    expect(parsePing('1 packets transmitted, 0 received, 100% packet loss, time 0ms\n')).toEqual({
      transmitted: 1,
      received: 0,
      lossPct: 100,
      rttAvgMs: null,
    });
    expect(parsePing('ping: connect: Network is unreachable\n')).toBeNull();
  });

  it('reads ip -j route get', () => {
    expect(
      parseRouteGet('[{"dst":"10.1.2.2","gateway":"10.1.1.254","dev":"eth0","prefsrc":"10.1.1.2","flags":[]}]'),
    ).toEqual({ ok: true, dev: 'eth0', via: '10.1.1.254', src: '10.1.1.2', type: 'unicast' });
  });
});

/** The confined program: what follows setpriv's `--`. */
const program = (argv: string[]): string[] => argv.slice(argv.indexOf('--', argv.indexOf('setpriv')) + 1);

describe('confinement (issue #13 items 6, 10)', () => {
  it('own PID + mount namespace with a fresh /proc, killed with unshare; only NET_ADMIN/NET_RAW; nobody as root', () => {
    const caps = '-all,+net_admin,+net_raw';
    expect(confineArgv(['ping'], true)).toEqual([
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--',
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      `--inh-caps=${caps}`,
      `--ambient-caps=${caps}`,
      `--bounding-set=${caps}`,
      '--',
      'ping',
    ]);
    // In a user-namespace sandbox only uid 0 is mapped: stay uid 0, same caps (+ setuid/setgid for tcpdump -Z).
    const inUserns = confineArgv(['ping'], false);
    expect(inUserns.some((a) => a.startsWith('--reuid'))).toBe(false);
    expect(inUserns).toContain('--bounding-set=-all,+net_admin,+net_raw,+setuid,+setgid');
    expect(inUserns.join(' ')).not.toMatch(/sys_admin|sys_ptrace|dac_override/);
  });
});

describe('a tool identity of its own (classroom: one uid and process quota per student)', () => {
  it('as real root: that uid, RLIMIT_NPROC through prlimit before setpriv; otherwise stays, unlimited', () => {
    const argv = confineArgv(['bash'], { uid: 1852571649, maxProcesses: 64 });
    if (process.getuid?.() === 0) {
      const at = argv.indexOf('prlimit');
      expect(argv.slice(at, at + 4)).toEqual(['prlimit', '--nproc=64', '--', 'setpriv']);
      expect(argv).toContain('--reuid=1852571649');
      expect(argv).toContain('--regid=1852571649');
      expect(argv.indexOf('unshare')).toBeLessThan(at);
    } else {
      // Inside a user namespace only uid 0 is mapped, and a limit would count the operator's own processes.
      expect(argv).not.toContain('prlimit');
      expect(argv.some((a) => a.startsWith('--reuid'))).toBe(false);
    }
    expect(program(argv)).toEqual(['bash']);
  });
});

describe('terminal and capture argv', () => {
  it('terminal: bash without rc files, interactive, inside the namespace; clean env with the prompt', () => {
    const bash = ['/bin/bash', '--norc', '--noprofile', '-i'];
    expect(terminalArgv('red', true)).toEqual(['ip', 'netns', 'exec', 'red', ...confineArgv(bash, true)]);
    expect(terminalArgv(null, true)).toEqual(confineArgv(bash, true));
    expect(program(terminalArgv('red'))).toEqual(bash);
    const env = terminalEnv('red');
    expect(env.PS1).toBe('[red] \\w# ');
    expect(env.TERM).toBe('xterm-256color');
    expect(Object.keys(env)).not.toContain('NETLOOM_TOKEN');
  });

  it('capture: tcpdump on the end, filter as one argument after --', () => {
    const a = captureArgv({ ifname: 'veth-red', netns: 'red', filter: ' icmp or arp ' });
    expect(a.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'red', 'unshare']);
    expect(program(a).slice(0, 4)).toEqual(['tcpdump', '-i', 'veth-red', '-U']);
    expect(a.slice(-2)).toEqual(['--', 'icmp or arp']);
    expect(program(captureArgv({ ifname: 'veth-red', netns: null, filter: '' }))).not.toContain('--');
    expect(compileArgv({ ifname: 'veth-red', netns: 'red', filter: 'icmp' })).toContain('-d');
    expect(CAPTURE_HIGH_WATER).toBe(4 * 1024 * 1024);
  });

  it('link ends resolve to their namespace (bridge ports: the bridge’s namespace; root: null)', () => {
    const lab = {
      version: 1 as const,
      name: 'x',
      nodes: [
        { id: 'sw', kind: 'namespace' as const, name: 'swns', forwarding: false, routes: [] },
        { id: 'br', kind: 'bridge' as const, name: 'br0', namespace: 'sw', addresses: [] },
        { id: 'rbr', kind: 'bridge' as const, name: 'br1', addresses: [] },
        { id: 'a', kind: 'namespace' as const, name: 'nsa', forwarding: false, routes: [] },
      ],
      links: [
        {
          id: 'l1',
          kind: 'veth' as const,
          endpoints: [
            { node: 'a', ifname: 'eth0', addresses: [], up: true },
            { node: 'br', ifname: 'p1', addresses: [], up: true },
          ] as [never, never],
        },
        {
          id: 'l2',
          kind: 'veth' as const,
          endpoints: [
            { node: 'a', ifname: 'eth1', addresses: [], up: true },
            { node: 'rbr', ifname: 'p2', addresses: [], up: true },
          ] as [never, never],
        },
      ],
    };
    expect(linkEnd(lab, 'l1', 0)).toEqual({ ifname: 'eth0', netns: 'nsa' });
    expect(linkEnd(lab, 'l1', 1)).toEqual({ ifname: 'p1', netns: 'swns' });
    expect(linkEnd(lab, 'l2', 1)).toEqual({ ifname: 'p2', netns: null });
    expect(() => linkEnd(lab, 'zz', 0)).toThrow(/no link/);
  });
});

describe('PcapSplitter', () => {
  const header = Buffer.from('d4c3b2a10200040000000000000000000000040001000000', 'hex');
  const record = (n: number) => {
    const b = Buffer.alloc(16 + n, 0xab);
    b.writeUInt32LE(1, 0);
    b.writeUInt32LE(2, 4);
    b.writeUInt32LE(n, 8);
    b.writeUInt32LE(n, 12);
    return b;
  };

  it('header first, then whole records, whatever the chunking', () => {
    const stream = Buffer.concat([header, record(60), record(0), record(1500)]);
    for (const size of [1, 7, 16, 100, stream.length]) {
      const s = new PcapSplitter();
      const out = [];
      for (let i = 0; i < stream.length; i += size) out.push(...s.push(stream.subarray(i, i + size)));
      expect(out.map((p) => [p.kind, p.bytes.length])).toEqual([
        ['header', 24],
        ['record', 76],
        ['record', 16],
        ['record', 1516],
      ]);
    }
  });

  it('big-endian streams, and garbage is refused', () => {
    const be = Buffer.from('a1b2c3d40002000400000000000000000004000000000001', 'hex');
    const rec = Buffer.alloc(20);
    rec.writeUInt32BE(4, 8);
    const s = new PcapSplitter();
    expect(s.push(Buffer.concat([be, rec])).map((p) => p.bytes.length)).toEqual([24, 20]);
    expect(() => new PcapSplitter().push(Buffer.alloc(24, 0x41))).toThrow(/pcap/);
    const huge = Buffer.alloc(16);
    huge.writeUInt32LE(50_000_000, 8);
    expect(() => new PcapSplitter().push(Buffer.concat([header, huge]))).toThrow(/corrupt/);
  });
});

// ---- over HTTP with a fake engine and a recording runner ----

class RecordingRunner implements CommandRunner {
  readonly prefix = ['nsenter', '-t', '1', '-n', '-m', '--'] as const;
  readonly mode = 'sandbox' as const;
  readonly calls: string[][] = [];
  async run(argv: readonly string[], _opts?: RunOptions): Promise<RunResult> {
    this.calls.push([...argv]);
    if (argv.includes('ping'))
      return {
        code: 0,
        stdout:
          '1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min/avg/max/mdev = 0.050/0.050/0.050/0.000 ms\n',
        stderr: '',
      };
    if (argv.includes('get'))
      return { code: 0, stdout: '[{"dst":"10.0.0.2","dev":"veth-red","prefsrc":"10.0.0.1"}]', stderr: '' };
    return { code: 0, stdout: '', stderr: '' };
  }
}

describe('tools API (fake engine)', () => {
  let s: TestServer;
  let runner: RecordingRunner;
  afterEach(async () => s?.stop());

  const start = async (withRunner = true, apply = true) => {
    runner = new RecordingRunner();
    s = await startTestServer(withRunner ? { runner } : {});
    const lab: LabInput = makeVethPairLab();
    expect((await s.api('POST', '/api/labs', { lab })).status).toBe(201);
    if (apply) expect((await s.engine.apply((await s.store.require('veth-pair')).lab)).ok).toBe(true);
  };

  it('exec runs the template inside the node’s namespace and parses ping', async () => {
    await start();
    const r = await s.api('POST', '/api/labs/veth-pair/exec', {
      node: 'red',
      tool: 'ping',
      args: { target: '10.0.0.2', count: 1 },
    });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ ok: true, exitCode: 0, parsed: { transmitted: 1, received: 1, lossPct: 0 } });
    expect(runner.calls[0]!.slice(0, 5)).toEqual(['ip', 'netns', 'exec', 'veth-pair-red', 'unshare']);
    expect(program(runner.calls[0]!)[0]).toBe('ping');
  });

  it('bad input: 400 with a path, nothing spawned', async () => {
    await start();
    const bad = [
      { node: 'red', tool: 'ping', args: { target: '$(id)' } },
      { node: 'red', tool: 'rm', args: {} },
      { node: 'red', tool: 'ping', args: { target: '10.0.0.2', count: 1000 } },
    ];
    for (const b of bad) {
      const r = await s.api('POST', '/api/labs/veth-pair/exec', b);
      expect(r.status).toBe(400);
      expect(r.json.code).toBe('InvalidRequest');
    }
    // A node the applied lab does not have: 409 naming it, nothing run.
    const ghost = await s.api('POST', '/api/labs/veth-pair/exec', { node: 'ghost', tool: 'ipAddr' });
    expect(ghost.status).toBe(409);
    expect(ghost.json.message).toMatch(/node "ghost" is not part of what lab "veth-pair" applied/);
    expect((await s.api('POST', '/api/labs/nope/exec', { node: 'red', tool: 'ipAddr' })).status).toBe(404);
    expect(runner.calls).toEqual([]);
  });

  it('needs the token and a same-origin Origin like every POST', async () => {
    await start();
    const body = JSON.stringify({ node: 'red', tool: 'ipAddr' });
    const noToken = await s.req('POST', '/api/labs/veth-pair/exec', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(noToken.status).toBe(401);
    const evil = await s.api(
      'POST',
      '/api/labs/veth-pair/exec',
      { node: 'red', tool: 'ipAddr' },
      { origin: 'http://evil.example' },
    );
    expect(evil.status).toBe(403);
    expect(runner.calls).toEqual([]);
  });

  it('without a runner the tools answer 422 Unsupported', async () => {
    await start(false);
    const r = await s.api('POST', '/api/labs/veth-pair/exec', { node: 'red', tool: 'ipAddr' });
    expect(r.status).toBe(422);
  });

  it('path: design path, ip route get agreement, ping', async () => {
    await start();
    const r = await s.api('POST', '/api/labs/veth-pair/path', { from: 'red', to: 'blue' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      from: 'red',
      target: '10.0.0.2',
      toNode: 'blue',
      complete: true,
      objects: ['red', 'cable', 'blue'],
      reverseObjects: ['blue', 'cable', 'red'],
      routeGet: { ok: true, dev: 'veth-red', agrees: true },
      ping: { ok: true },
    });
  });

  it('reachability: one ping per ordered pair', async () => {
    await start();
    const r = await s.api('POST', '/api/labs/veth-pair/reachability', {});
    expect(r.status).toBe(200);
    expect(r.json.nodes).toEqual(['red', 'blue']);
    expect(r.json.cells).toHaveLength(2);
    expect(r.json.cells[0]).toMatchObject({ from: 'red', to: 'blue', target: '10.0.0.2', reachable: true });
    expect(runner.calls.filter((c) => c.includes('ping'))).toHaveLength(2);
  });

  const wsOpen = (url: string, headers: Record<string, string>) =>
    new Promise<{ ws: WebSocket; first: Promise<string> }>((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.on('unexpected-response', (_q, res) =>
        reject(Object.assign(new Error('refused'), { status: res.statusCode })),
      );
      ws.on('error', reject);
      const first = new Promise<string>((r) => ws.once('message', (d) => r(d.toString())));
      ws.on('open', () => resolve({ ws, first }));
    });

  it('terminal and capture sockets: no token → 401, foreign Origin → 403', async () => {
    await start();
    for (const path of ['/ws/term?lab=veth-pair&node=red', '/ws/capture?lab=veth-pair&link=cable&end=0']) {
      await expect(wsOpen(`ws://127.0.0.1:${s.port}${path}`, {})).rejects.toMatchObject({ status: 401 });
      await expect(
        wsOpen(`ws://127.0.0.1:${s.port}${path}`, {
          authorization: `Bearer ${TEST_TOKEN}`,
          origin: 'http://evil.example',
        }),
      ).rejects.toMatchObject({ status: 403 });
    }
    expect(runner.calls).toEqual([]);
  });

  it('capture: a filter with forbidden characters is refused on the socket before anything runs', async () => {
    await start();
    const { ws, first } = await wsOpen(
      `ws://127.0.0.1:${s.port}/ws/capture?lab=veth-pair&link=cable&end=0&filter=${encodeURIComponent('icmp; reboot')}`,
      { authorization: `Bearer ${TEST_TOKEN}` },
    );
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    expect(JSON.parse(await first)).toMatchObject({ type: 'error', code: 'InvalidRequest' });
    expect(await closed).toBe(4400);
    expect(runner.calls).toEqual([]);
  });

  it('terminal for a node the lab did not apply is refused (4409)', async () => {
    await start();
    const { ws, first } = await wsOpen(`ws://127.0.0.1:${s.port}/ws/term?lab=veth-pair&node=ghost`, {
      authorization: `Bearer ${TEST_TOKEN}`,
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    expect(JSON.parse(await first)).toMatchObject({ type: 'error', code: 'Conflict' });
    expect(await closed).toBe(4409);
    expect(s.tools.terminals?.count).toBe(0);
  });

  // Issue #13 item 4: targets come from what the lab applied and owns, never from names in a stored lab.
  it('a stored, never-applied lab gets no tool at all (409 naming the lab), nothing run', async () => {
    await start(true, false);
    for (const [path, body] of [
      ['exec', { node: 'red', tool: 'ipAddr' }],
      ['path', { from: 'red', to: 'blue' }],
      ['reachability', {}],
    ] as const) {
      const r = await s.api('POST', `/api/labs/veth-pair/${path}`, body);
      expect(r.status, path).toBe(409);
      expect(r.json.message).toMatch(/lab "veth-pair" is not applied/);
    }
    for (const q of ['/ws/term?lab=veth-pair&node=red', '/ws/capture?lab=veth-pair&link=cable&end=0']) {
      const { ws, first } = await wsOpen(`ws://127.0.0.1:${s.port}${q}`, { authorization: `Bearer ${TEST_TOKEN}` });
      const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
      expect(JSON.parse(await first)).toMatchObject({ type: 'error', code: 'Conflict' });
      expect(await closed).toBe(4409);
    }
    expect(runner.calls).toEqual([]);
  });

  it('an applied lab whose namespace is owned by another lab, or by nobody, is refused (403 naming it)', async () => {
    await start();
    const lab = (await s.store.require('veth-pair')).lab;
    const obs = await s.engine.observe();
    const red = obs.namespaces['veth-pair-red']!;
    // Another lab's marker on the namespace, and no marker at all on the interface of the capture.
    s.engine.observation = {
      ...obs,
      namespaces: {
        ...obs.namespaces,
        'veth-pair-red': {
          ...red,
          marker: { lab: 'other', object: 'red' },
          links: red.links.map((l) => ({ ...l, marker: null, alias: undefined })),
        },
      },
    };
    const r = await s.api('POST', '/api/labs/veth-pair/exec', { node: 'red', tool: 'ipAddr' });
    expect(r.status).toBe(403);
    expect(r.json.message).toMatch(/namespace "veth-pair-red" of node "red" is owned by lab "other"/);
    const ok = await s.api('POST', '/api/labs/veth-pair/exec', { node: 'blue', tool: 'ipAddr' });
    expect(ok.status).toBe(200);
    // The namespace is ours again, but its interface carries no marker: no capture there.
    s.engine.observation = {
      ...obs,
      namespaces: {
        ...obs.namespaces,
        'veth-pair-red': { ...red, links: red.links.map((l) => ({ ...l, marker: null, alias: undefined })) },
      },
    };
    const { ws, first } = await wsOpen(`ws://127.0.0.1:${s.port}/ws/capture?lab=veth-pair&link=cable&end=0`, {
      authorization: `Bearer ${TEST_TOKEN}`,
    });
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
    const msg = JSON.parse(await first);
    expect(msg).toMatchObject({ type: 'error', code: 'PermissionDenied' });
    expect(msg.message).toMatch(/interface "veth-red" \(cable#0\) in namespace "veth-pair-red" is not owned/);
    expect(await closed).toBe(4403);
    expect(lab.name).toBe('veth-pair');
    expect(runner.calls.filter((c) => c.includes('tcpdump'))).toEqual([]);
  });
});

/** Impairments (issue #6) through the pure layers: plan options, render, observe parsing, status, rollback. */
import { describe, expect, it } from 'vitest';
import { Lab, type LabInput } from '../../shared';
import { IpBatchDriver } from './driver';
import { rollbackOps } from './engine';
import { applyTcQdiscs, parseNetns } from './observe';
import { describe as describeOp, plan } from './plan';
import { opArgvs, planResult } from './render';
import { emptyObserved, simulateAll } from './simulate';
import { status } from './status';
import type { ObservedLink, ObservedState } from './types';

const lab = (imp0?: object, imp1?: object): Lab =>
  Lab.parse({
    version: 1,
    name: 'demo',
    nodes: [
      { id: 'red', kind: 'namespace', name: 'red' },
      { id: 'blue', kind: 'namespace', name: 'blue' },
    ],
    links: [
      {
        id: 'l1',
        kind: 'veth',
        endpoints: [
          { node: 'red', ifname: 'red-eth0', addresses: ['10.0.0.1/24'], ...(imp0 && { impairment: imp0 }) },
          { node: 'blue', ifname: 'blue-eth0', addresses: ['10.0.0.2/24'], ...(imp1 && { impairment: imp1 }) },
        ],
      },
    ],
  } satisfies LabInput);
const up = (l: Lab, o: ObservedState = emptyObserved()) => simulateAll(o, plan(l, o).ops);
const red = (o: ObservedState): ObservedLink => o.namespaces.red!.links.find((l) => l.ifname === 'red-eth0')!;

describe('impairments: render', () => {
  it('rate → tc tbf with explicit units; delete → tc qdisc del root', () => {
    expect(
      opArgvs({
        kind: 'qdisc.replace',
        netns: 'red',
        ifname: 'red-eth0',
        qdisc: { kind: 'tbf', rateKbit: 1000, burstBytes: 32768, latencyMs: 50 },
      }),
    ).toEqual([
      [
        'tc',
        '-n',
        'red',
        'qdisc',
        'replace',
        'dev',
        'red-eth0',
        'root',
        'tbf',
        'rate',
        '1000kbit',
        'burst',
        '32kb',
        'latency',
        '50ms',
      ],
    ]);
    expect(opArgvs({ kind: 'qdisc.delete', netns: null, ifname: 'h0' })).toEqual([
      ['tc', 'qdisc', 'del', 'dev', 'h0', 'root'],
    ]);
  });

  it('netem (on kernels that have it) → delay/jitter/loss/duplicate/corrupt/rate', () => {
    expect(
      opArgvs({
        kind: 'qdisc.replace',
        netns: 'red',
        ifname: 'e',
        qdisc: {
          kind: 'netem',
          delayMs: 20,
          jitterMs: 5,
          lossPct: 1.5,
          duplicatePct: 1,
          corruptPct: 0.1,
          rateKbit: 800,
        },
      })[0]!.slice(8),
    ).toEqual([
      'netem',
      'delay',
      '20ms',
      '5ms',
      'loss',
      '1.5%',
      'duplicate',
      '1%',
      'corrupt',
      '0.1%',
      'rate',
      '800kbit',
    ]);
  });

  it('the plan preview shows the tc command and its inverse', () => {
    const p = plan(lab({ rateKbit: 2000 }), up(lab()));
    const r = planResult('demo', p.ops, p.errors);
    expect(r.operations).toEqual([
      expect.objectContaining({
        kind: 'qdisc.replace',
        argv: [
          'tc',
          '-n',
          'red',
          'qdisc',
          'replace',
          'dev',
          'red-eth0',
          'root',
          'tbf',
          'rate',
          '2000kbit',
          'burst',
          '32kb',
          'latency',
          '50ms',
        ],
        inverseArgv: ['tc', '-n', 'red', 'qdisc', 'del', 'dev', 'red-eth0', 'root'],
      }),
    ]);
    expect(r.script).toContain('tc -n red qdisc replace dev red-eth0 root tbf rate 2000kbit');
    expect(describeOp(p.ops[0]!)).toBe('set rate limit 2000 kbit/s (burst 32 KB, latency 50 ms) on red-eth0 in red');
  });

  it('tc commands run standalone (never inside an ip batch)', async () => {
    const argvs: string[][] = [];
    const runner = {
      mode: 'sandbox' as const,
      prefix: [],
      run: async (argv: readonly string[]) => {
        argvs.push([...argv]);
        return { code: 0, stdout: '', stderr: '' };
      },
    };
    const res = await new IpBatchDriver(runner).execute([
      {
        kind: 'qdisc.replace',
        netns: null,
        ifname: 'h0',
        qdisc: { kind: 'tbf', rateKbit: 8, burstBytes: 2048, latencyMs: 1 },
      },
    ]);
    expect(res.ok).toBe(true);
    expect(argvs).toEqual([
      ['tc', 'qdisc', 'replace', 'dev', 'h0', 'root', 'tbf', 'rate', '8kbit', 'burst', '2kb', 'latency', '1ms'],
    ]);
  });
});

describe('impairments: plan', () => {
  it('netem fields are refused without the netem capability, planned with it', () => {
    const want = lab({ delayMs: 10 });
    expect(plan(want, up(lab())).errors).toEqual([
      {
        code: 'Unsupported',
        message: expect.stringContaining("delay on 'red-eth0' needs the netem qdisc, which this kernel does not have"),
        path: 'links.0.endpoints.0.impairment.delayMs',
        object: 'l1#0',
      },
    ]);
    expect(plan(want, up(lab())).ops).toEqual([]);
    const p = plan(want, up(lab()), { netem: true });
    expect(p.errors).toEqual([]);
    expect(p.ops.map((o) => o.kind)).toEqual(['qdisc.replace']);
    expect(plan(want, simulateAll(up(lab()), p.ops), { netem: true }).ops).toEqual([]);
  });

  it('a rate change is one in-place replace (no link recreated), undone by the previous qdisc', () => {
    const before = up(lab({ rateKbit: 1000 }));
    const p = plan(lab({ rateKbit: 3000 }), before);
    expect(p.ops.map((o) => o.kind)).toEqual(['qdisc.replace']);
    const after = simulateAll(before, p.ops);
    expect(red(after).ifindex).toBe(red(before).ifindex);
    expect(simulateAll(after, [p.ops[0]!.inverse!])).toEqual(before);
  });
});

describe('impairments: observe', () => {
  // Output of `ip -j -d -s -batch` (trimmed) and `tc -j qdisc show` on this kernel.
  const ipOut = [
    JSON.stringify([
      {
        ifindex: 1,
        ifname: 'lo',
        flags: ['UP'],
        mtu: 65536,
        qdisc: 'noqueue',
        operstate: 'UNKNOWN',
        link_type: 'loopback',
      },
      {
        ifindex: 3,
        ifname: 'red-eth0',
        flags: ['UP'],
        mtu: 1500,
        qdisc: 'tbf',
        operstate: 'UP',
        ifalias: 'netloom:demo:l1.0',
        linkinfo: { info_kind: 'veth' },
      },
      {
        ifindex: 4,
        ifname: 'other',
        flags: ['UP'],
        mtu: 1500,
        qdisc: 'noqueue',
        operstate: 'UP',
        linkinfo: { info_kind: 'veth' },
      },
    ]),
    '[]',
    '[]',
    '[]',
  ].join('\n');
  const tcOut =
    '[{"kind":"noqueue","handle":"0:","dev":"lo","root":true,"refcnt":2,"options":{}},{"kind":"tbf","handle":"8031:","dev":"red-eth0","root":true,"refcnt":3,"options":{"rate":125000,"burst":32768,"lat":50000}}]';

  it('the link list names the root qdisc kind (default kinds are left out); tc gives the parameters', () => {
    const raw = parseNetns('red', ipOut);
    expect(raw.needsTc).toBe(true);
    expect(raw.ns.links.find((l) => l.ifname === 'red-eth0')!.qdisc).toEqual({ kind: 'tbf' });
    expect(raw.ns.links.find((l) => l.ifname === 'other')!.qdisc).toBeUndefined();
    applyTcQdiscs(raw.ns, tcOut);
    expect(raw.ns.links.find((l) => l.ifname === 'red-eth0')!.qdisc).toEqual({
      kind: 'tbf',
      rateKbit: 1000,
      burstBytes: 32768,
      latencyMs: 50,
    });
  });

  it('no owned interface with tbf/netem: no tc read needed', () => {
    expect(parseNetns('red', ipOut.replace('"qdisc":"tbf"', '"qdisc":"noqueue"')).needsTc).toBeUndefined();
  });
});

describe('impairments: status and rollback', () => {
  it('a missing, different or unexpected qdisc is drift with its own reason', () => {
    const cond = (l: Lab, o: ObservedState) =>
      status(l, o, { observed: 1, applied: 1 }, 'now').objects['l1#0']!.conditions.map((c) => c.reason);
    const want = lab({ rateKbit: 1000 });
    expect(cond(want, up(want))).toEqual(['AsDesigned']);
    expect(cond(want, up(lab()))).toEqual(['ImpairmentMissing']);
    expect(cond(want, up(lab({ rateKbit: 5000 })))).toEqual(['ImpairmentDiffers']);
    expect(cond(lab(), up(want))).toEqual(['ImpairmentUnexpected']);
  });

  it('rollback deletes a qdisc only while ours is still installed', () => {
    const before = up(lab());
    const p = plan(lab({ rateKbit: 1000 }), before);
    const after = simulateAll(before, p.ops);
    expect(rollbackOps('demo', p.ops, after)).toEqual([{ kind: 'qdisc.delete', netns: 'red', ifname: 'red-eth0' }]);
    expect(rollbackOps('demo', p.ops, before)).toEqual([]);
  });
});

describe('attached interfaces: markers and render', () => {
  it('markers `<node>/<ifname>` round-trip through the alias, even for a name ending in .0', async () => {
    const { parseMarker } = await import('./marker');
    const { aliasToMarker, markerToAlias } = await import('./marker');
    for (const m of ['netloom:lab:red/vx0', 'netloom:lab:red/eth0.0', 'netloom:lab:l1#0']) {
      expect(aliasToMarker(markerToAlias(m))).toBe(m);
      expect(parseMarker(m)).not.toBeNull();
    }
    expect(parseMarker('netloom:lab:red/has space')).toBeNull();
    expect(parseMarker('netloom:lab:red/way-too-long-name0')).toBeNull();
  });

  it('vxlan → one ip batch segment: add with every parameter after its keyword, mark, enslave', () => {
    expect(
      opArgvs({
        kind: 'iface.create',
        netns: 'ha',
        ifname: 'vx0',
        marker: 'netloom:o:ha/vx0',
        spec: { kind: 'vxlan', vni: 42, remote: '192.0.2.2', local: '192.0.2.1', dstPort: 4789, dev: 'u0' },
        master: 'br0',
      }),
    ).toEqual([
      [
        'ip',
        '-n',
        'ha',
        'link',
        'add',
        'name',
        'vx0',
        'type',
        'vxlan',
        'id',
        '42',
        'remote',
        '192.0.2.2',
        'local',
        '192.0.2.1',
        'dstport',
        '4789',
        'dev',
        'u0',
      ],
      ['ip', '-n', 'ha', 'link', 'set', 'dev', 'vx0', 'alias', 'netloom:o:ha/vx0'],
      ['ip', '-n', 'ha', 'link', 'set', 'dev', 'vx0', 'master', 'br0'],
    ]);
    expect(
      opArgvs({
        kind: 'iface.create',
        netns: 'ha',
        ifname: 'tap0',
        marker: 'netloom:o:ha/tap0',
        spec: { kind: 'tap' },
      })[0],
    ).toEqual(['ip', '-n', 'ha', 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap']);
  });
});

import { describe, expect, it } from 'vitest';
import { splitByIdentify } from './fanout';
import { aliasToMarker, markerToAlias } from './marker';
import { splitJson } from './observe';
import { batchSafe, opArgvs, planResult, render, shellText } from './render';
import { schedule } from './schedule';
import type { OpBody, Operation } from './types';

const op = (body: OpBody, inverse: OpBody | null = null): Operation => ({ ...body, object: 'x', reason: 'r', inverse });

describe('render', () => {
  it('creates a namespace, then marks and raises its lo from inside', () => {
    expect(opArgvs({ kind: 'netns.create', netns: 'red', marker: 'netloom:lab:red' })).toEqual([
      ['ip', 'netns', 'add', 'red'],
      ['ip', '-n', 'red', 'link', 'set', 'dev', 'lo', 'alias', 'netloom:lab:red'],
      ['ip', '-n', 'red', 'link', 'set', 'dev', 'lo', 'up'],
    ]);
  });

  it('creates a veth from the root side, enslaved at creation, and marks both ends', () => {
    const argvs = opArgvs({
      kind: 'veth.create',
      a: { netns: 'pc1', ifname: 'eth0', marker: 'netloom:lan:c#0', mtu: 1400 },
      b: { netns: null, ifname: 'lan0-pc1', marker: 'netloom:lan:c#1', master: 'lan0' },
    });
    expect(argvs[0]).toEqual([
      'ip',
      'link',
      'add',
      'name',
      'lan0-pc1',
      'master',
      'lan0',
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      'pc1',
      'mtu',
      '1400',
    ]);
    // `#` would start a comment in `ip -batch`: the kernel alias spells the endpoint suffix `.N`.
    expect(argvs[1]).toEqual(['ip', 'link', 'set', 'dev', 'lan0-pc1', 'alias', 'netloom:lan:c.1']);
    expect(argvs[2]).toEqual(['ip', '-n', 'pc1', 'link', 'set', 'dev', 'eth0', 'alias', 'netloom:lan:c.0']);
    for (const a of argvs) expect(batchSafe(a.slice(a[1] === '-n' ? 3 : 1))).toBe(true);
  });

  it('spells an IPv6 default route as ::/0 and adds IPv6 addresses without DAD', () => {
    expect(opArgvs({ kind: 'route.add', netns: 'a', route: { to: 'default', via: 'fd00::1' } })[0]).toEqual([
      'ip',
      '-n',
      'a',
      'route',
      'add',
      '::/0',
      'via',
      'fd00::1',
    ]);
    expect(opArgvs({ kind: 'addr.add', netns: null, ifname: 'x', cidr: 'fd00::2/64' })[0]).toContain('nodad');
  });

  it('sets forwarding with sysctl inside the namespace (no shell)', () => {
    expect(opArgvs({ kind: 'netns.setForwarding', netns: 'rtr', on: true })[0]).toEqual([
      'ip',
      'netns',
      'exec',
      'rtr',
      'sysctl',
      '-q',
      '-w',
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
    ]);
  });

  it('quotes shell text only where needed', () => {
    expect(shellText(['ip', 'link', 'set', 'dev', 'a', 'alias', "it's"])).toBe(`ip link set dev a alias 'it'\\''s'`);
  });

  it('gives the public view: argv, inverse argv, a script', () => {
    const p = planResult(
      'lab',
      [
        op(
          { kind: 'addr.add', netns: 'a', ifname: 'e', cidr: '10.0.0.1/24' },
          { kind: 'addr.del', netns: 'a', ifname: 'e', cidr: '10.0.0.1/24' },
        ),
      ],
      [],
    );
    expect(p.operations[0]).toMatchObject({
      kind: 'addr.add',
      netns: 'a',
      argv: ['ip', '-n', 'a', 'addr', 'add', '10.0.0.1/24', 'dev', 'e'],
      inverseArgv: ['ip', '-n', 'a', 'addr', 'del', '10.0.0.1/24', 'dev', 'e'],
    });
    expect(p.script).toContain('ip -n a addr add 10.0.0.1/24 dev e\n');
  });

  it('never renders a user value in a positional slot without its keyword', () => {
    for (const s of render({ kind: 'link.rename', netns: 'n', from: 'a', to: 'b' })) {
      const args = s.cmds[0]!.type === 'ip' ? s.cmds[0]!.args : [];
      expect(args).toEqual(['link', 'set', 'dev', 'a', 'name', 'b']);
    }
  });
});

describe('schedule', () => {
  const star = (n: number): OpBody[] => [
    { kind: 'bridge.create', netns: null, ifname: 'br0', marker: 'netloom:s:br' },
    ...Array.from(
      { length: n },
      (_, i): OpBody => ({ kind: 'netns.create', netns: `s${i}`, marker: `netloom:s:n${i}` }),
    ),
    ...Array.from(
      { length: n },
      (_, i): OpBody => ({
        kind: 'veth.create',
        a: { netns: `s${i}`, ifname: 'eth0', marker: `netloom:s:l${i}#0` },
        b: { netns: null, ifname: `p${i}`, marker: `netloom:s:l${i}#1`, master: 'br0' },
      }),
    ),
    ...Array.from({ length: n }, (_, i): OpBody => ({ kind: 'link.setUp', netns: `s${i}`, ifname: 'eth0', up: true })),
    ...Array.from(
      { length: n },
      (_, i): OpBody => ({ kind: 'addr.add', netns: `s${i}`, ifname: 'eth0', cidr: `10.0.${i}.1/16` }),
    ),
  ];

  it('builds a star in two waves: everything in the root first, then one batch per namespace', () => {
    const { placed, waves } = schedule(star(50));
    expect(waves).toBe(2);
    const wave0 = new Set(placed.filter((p) => p.wave === 0).map((p) => p.step.netns));
    expect([...wave0]).toEqual([null]);
  });

  it('keeps every segment after the segments it depends on', () => {
    const ops = star(3);
    const { placed } = schedule(ops);
    const waveOf = (pred: (p: (typeof placed)[number]) => boolean) => placed.find(pred)!.wave;
    const cmd0 = (p: (typeof placed)[number]) => render(ops[p.op]!)[p.k]!.cmds[0]!;
    expect(
      waveOf((p) => cmd0(p).type === 'ip' && (cmd0(p) as { args: string[] }).args.join(' ') === 'netns add s1'),
    ).toBeLessThan(waveOf((p) => p.step.netns === 's1'));
  });

  it('deletions come before everything after them, in their own wave', () => {
    const { placed } = schedule([
      { kind: 'netns.delete', netns: 'a' },
      { kind: 'netns.delete', netns: 'b' },
      {
        kind: 'veth.create',
        a: { netns: null, ifname: 'x', marker: 'netloom:l:v#0' },
        b: { netns: null, ifname: 'y', marker: 'netloom:l:v#1' },
      },
    ]);
    expect(placed.map((p) => p.wave)).toEqual([0, 0, 1]);
  });
});

describe('parsing helpers', () => {
  it('splits concatenated JSON documents', () => {
    expect(splitJson('[{"a":"]"}]\n[]\n[{"b":[1,2]}]\n')).toEqual([[{ a: ']' }], [], [{ b: [1, 2] }]]);
  });
  it('splits fan-out output by namespace', () => {
    const m = splitByIdentify('red\n[1]\n[2]\nblue\n[3]\n', new Set(['red', 'blue']));
    expect(m.get('red')).toBe('[1]\n[2]');
    expect(m.get('blue')).toBe('[3]\n');
  });
  it('maps endpoint markers to batch-safe aliases and back', () => {
    expect(markerToAlias('netloom:lab:cable#1')).toBe('netloom:lab:cable.1');
    expect(aliasToMarker('netloom:lab:cable.1')).toBe('netloom:lab:cable#1');
    expect(aliasToMarker('something.1')).toBe('something.1');
    expect(markerToAlias('netloom:lab:red')).toBe('netloom:lab:red');
  });
});

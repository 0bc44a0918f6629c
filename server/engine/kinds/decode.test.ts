/** Kinds decode their own links (both observers ask the registry), and give the start-up probe its lines. */
import { describe, expect, it } from 'vitest';
import { detectCapabilities } from '../capabilities';
import type { CommandRunner, RunOptions } from '../contract';
import { attachedKinds, linkKind } from './index';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
};

describe('decode', () => {
  it('macvlan decodes its mode (ip -j -d, IFLA_INFO_DATA) into an attachment the observer resolves', () => {
    const k = linkKind('macvlan')!;
    expect(k.deleteBeforeNamespace).toBe(true);
    const mode = (p: { attachment?: { mode: string; parent: unknown } }) => {
      expect(p.attachment?.parent).toBeNull();
      return p.attachment?.mode;
    };
    expect(mode(k.decode!.ip({ mode: 'vepa' }))).toBe('vepa');
    expect(mode(k.decode!.ip({}))).toBe('unknown');
    expect(mode(k.decode!.netlink(new Map([[1, u32(4)]])))).toBe('bridge');
    expect(mode(k.decode!.netlink(new Map([[1, u32(16)]])))).toBe('source');
    expect(mode(k.decode!.netlink(new Map([[1, u32(3)]])))).toBe('unknown');
    expect(mode(k.decode!.netlink(new Map()))).toBe('unknown');
  });

  it('vxlan decodes its parameters only with an id', () => {
    const k = linkKind('vxlan')!;
    expect(k.deleteBeforeNamespace).toBeUndefined();
    expect(k.decode!.ip({ id: 7, group: '239.1.1.1', port: 4789 })).toEqual({
      vxlan: { vni: 7, group: '239.1.1.1', port: 4789 },
    });
    expect(k.decode!.ip({ remote: '10.0.0.2' })).toEqual({});
    // IPv6 ends, as `ip -j -d` prints them (remote6/local6/group6; seen on this kernel's iproute2).
    expect(k.decode!.ip({ id: 7, remote6: '2001:db8::2', local6: '2001:db8::1', port: 4789 })).toEqual({
      vxlan: { vni: 7, remote: '2001:db8::2', local: '2001:db8::1', port: 4789 },
    });
    expect(k.decode!.ip({ id: 8, group6: 'ff05::1', port: 4789 })).toEqual({
      vxlan: { vni: 8, group: 'ff05::1', port: 4789 },
    });
    expect(k.decode!.netlink(new Map())).toEqual({});
  });

  it('no decoder (and no early delete) for kinds without a module or that decode nothing', () => {
    for (const kind of ['veth', 'bridge', 'tun', 'nope']) expect(linkKind(kind)).toBeUndefined();
    for (const kind of ['vlan', 'gre', 'geneve']) expect(linkKind(kind)?.decode).toBeUndefined();
  });
});

describe('start-up probe', () => {
  it('creates one link per probed kind and sets its key from whether that link exists', async () => {
    let batch = '';
    const runner: CommandRunner = {
      prefix: [],
      mode: 'host',
      run: async (argv: readonly string[], opts?: RunOptions) => {
        if (argv.includes('ip')) {
          batch = opts?.stdin ?? '';
          const made = ['nlp-veth0', 'nlp-veth1', 'nlp-br', 'nlp-macvlan', 'nlp-vlan'];
          return { code: 0, stdout: JSON.stringify(made.map((ifname) => ({ ifname }))), stderr: '' };
        }
        return { code: 1, stdout: '', stderr: '' };
      },
    } as CommandRunner;
    const caps = await detectCapabilities(runner);
    expect(batch).toContain('link add nlp-macvlan link nlp-veth0 type macvlan mode bridge\n');
    expect(batch).toContain('link add nlp-vlan link nlp-veth0 type vlan id 5\n');
    expect(batch.trim().split('\n').at(-1)).toBe('link show');
    expect(caps).toMatchObject({ netns: true, veth: true, bridge: true, macvlan: true, vlan: true });
    expect(caps).toMatchObject({ vxlan: false, gre: false, ipip: false, ip6tnl: false, geneve: false });
    // Every kind with a probe line has its key (WireGuard's is set by its own probe, elsewhere).
    for (const k of attachedKinds()) if (k.probeArgs) expect(Object.hasOwn(caps, k.probe!)).toBe(true);
  });
});

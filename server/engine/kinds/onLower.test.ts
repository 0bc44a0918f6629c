/** Kinds on a lower device decode their own mode (both observers ask the registry), and the probe lines. */
import { describe, expect, it } from 'vitest';
import { detectCapabilities } from '../capabilities';
import type { CommandRunner, RunOptions } from '../contract';
import { attachedKinds, onLower } from './index';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n, 0);
  return b;
};

describe('onLower', () => {
  it('macvlan decodes its mode from ip -j -d and from IFLA_INFO_DATA', () => {
    const k = onLower('macvlan')!;
    expect(k.deleteBeforeNamespace).toBe(true);
    expect(k.ipMode({ mode: 'vepa' })).toBe('vepa');
    expect(k.ipMode({})).toBeUndefined();
    expect(k.netlinkMode(new Map([[1, u32(4)]]))).toBe('bridge');
    expect(k.netlinkMode(new Map([[1, u32(16)]]))).toBe('source');
    expect(k.netlinkMode(new Map([[1, u32(3)]]))).toBeUndefined();
    expect(k.netlinkMode(new Map())).toBeUndefined();
  });

  it('is absent for links of other kinds', () => {
    for (const kind of ['veth', 'bridge', 'vxlan', 'vlan', 'tun', 'nope']) expect(onLower(kind)).toBeUndefined();
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

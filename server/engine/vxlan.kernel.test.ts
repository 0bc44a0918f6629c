/**
 * Node-attached interfaces on the kernel (issue #6), in a sandbox: two namespaces act as two "hosts" joined
 * by an underlay veth; each has a bridge with a VXLAN port (VNI 42, unicast remote) and a client namespace
 * behind it. The clients ping each other across the tunnel. A tap is created and marked; a VLAN interface
 * is refused at plan time (no 802.1Q on this kernel) with nothing changed.
 */
import { expect, it } from 'vitest';
import { Lab, type LabInput, validate } from '../../shared';
import type { CommandRunner } from './contract';
import { openEngine } from './engine';
import { observe } from './observe';
import { describeKernel, kernelDriver, pingAvailable, withSandbox } from './testing/kernel';
import { snapshot } from './testing/snapshot';

const canPing = pingAvailable();
type AttachedInput = NonNullable<Extract<LabInput['nodes'][number], { kind: 'namespace' }>['interfaces']>[number];

function input(vni = 42, extra: AttachedInput[] = []): LabInput {
  const side = (s: 'a' | 'b', me: string, peer: string) => ({
    id: `h${s}`,
    kind: 'namespace' as const,
    name: `nlt-h${s}`,
    interfaces: [
      { kind: 'vxlan' as const, name: 'vx0', vni, remote: peer, local: me, bridge: `br${s}` },
      ...(s === 'a' ? extra : []),
    ],
  });
  return {
    version: 1,
    name: 'overlay',
    nodes: [
      side('a', '192.168.1.1', '192.168.1.2'),
      side('b', '192.168.1.2', '192.168.1.1'),
      { id: 'bra', kind: 'bridge', name: 'br0', namespace: 'ha' },
      { id: 'brb', kind: 'bridge', name: 'br0', namespace: 'hb' },
      { id: 'c1', kind: 'namespace', name: 'nlt-c1' },
      { id: 'c2', kind: 'namespace', name: 'nlt-c2' },
    ],
    links: [
      {
        id: 'underlay',
        kind: 'veth',
        endpoints: [
          { node: 'ha', ifname: 'u0', addresses: ['192.168.1.1/24'] },
          { node: 'hb', ifname: 'u0', addresses: ['192.168.1.2/24'] },
        ],
      },
      {
        id: 'la',
        kind: 'veth',
        endpoints: [
          { node: 'bra', ifname: 'p-c1' },
          { node: 'c1', ifname: 'eth0', addresses: ['10.50.0.1/24'], mtu: 1450 },
        ],
      },
      {
        id: 'lb',
        kind: 'veth',
        endpoints: [
          { node: 'brb', ifname: 'p-c2' },
          { node: 'c2', ifname: 'eth0', addresses: ['10.50.0.2/24'], mtu: 1450 },
        ],
      },
    ],
  };
}
const lab = (vni?: number, extra?: AttachedInput[]): Lab => {
  const v = validate(input(vni, extra));
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return Lab.parse(input(vni, extra));
};

async function ping(runner: CommandRunner): Promise<boolean> {
  for (let i = 0; i < 5; i++) {
    const r = await runner.run(['ip', 'netns', 'exec', 'nlt-c1', 'ping', '-c1', '-W1', '10.50.0.2'], {
      timeoutMs: 5000,
    });
    if (r.code === 0) return true;
  }
  return false;
}

describeKernel('vxlan / tap / vlan on the kernel', () => {
  it('a VXLAN between two "hosts" carries a ping between the namespaces behind them', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      expect(engine.capabilities()).toMatchObject({ vxlan: true, vlan: false });
      const before = await snapshot(sb.runner);
      const withTap = lab(42, [{ kind: 'tap', name: 'tap0' }]);
      const p = await engine.plan(withTap);
      expect(p.errors).toEqual([]);
      expect(p.operations.filter((o) => o.kind === 'iface.create').map((o) => o.object)).toEqual([
        'ha/vx0',
        'ha/tap0',
        'hb/vx0',
      ]);
      const up = await engine.apply(withTap);
      expect(up.error).toBeUndefined();
      const obs = await observe(sb.runner);
      const vx = obs.namespaces['nlt-ha']!.links.find((l) => l.ifname === 'vx0')!;
      expect(vx).toMatchObject({
        kind: 'vxlan',
        master: 'br0',
        marker: { lab: 'overlay', object: 'ha/vx0' },
        vxlan: { vni: 42, remote: '192.168.1.2', local: '192.168.1.1', port: 4789 },
      });
      expect(obs.namespaces['nlt-ha']!.links.find((l) => l.ifname === 'tap0')).toMatchObject({
        kind: 'tun',
        tunType: 'tap',
        marker: { lab: 'overlay', object: 'ha/tap0' },
      });
      if (canPing) expect(await ping(sb.runner)).toBe(true);
      expect(await engine.apply(withTap)).toMatchObject({ ok: true, ran: 0 });
      const st = await engine.status(withTap, { observed: 1, applied: 1 });
      expect(st.objects['ha/vx0']?.state).toBe('ready');
      expect(st.objects['ha/tap0']?.state).toBe('ready');

      // A new VNI recreates only the tunnels (and leaves the tap).
      const p2 = await engine.plan(lab(43, [{ kind: 'tap', name: 'tap0' }]));
      expect(p2.operations.map((o) => `${o.kind} ${o.object}`).filter((x) => !x.startsWith('link.setUp'))).toEqual([
        'link.delete ha/vx0',
        'link.delete hb/vx0',
        'iface.create ha/vx0',
        'iface.create hb/vx0',
      ]);
      expect((await engine.apply(lab(43, [{ kind: 'tap', name: 'tap0' }]))).ok).toBe(true);
      if (canPing) expect(await ping(sb.runner)).toBe(true);

      expect((await engine.destroy('overlay')).ok).toBe(true);
      expect(await snapshot(sb.runner)).toEqual(before);
      await engine.close();
    }));

  it('an IPv6 VXLAN made by hand (discovery): both observers read its ends (iproute2 names them remote6/local6)', () =>
    withSandbox(async (sb, stateDir) => {
      const made = await sb.runner.run(
        [
          'ip',
          'link',
          'add',
          'vx6',
          'type',
          'vxlan',
          'id',
          '7',
          'remote',
          '2001:db8::2',
          'local',
          '2001:db8::1',
          'dstport',
          '4789',
        ],
        { timeoutMs: 10_000 },
      );
      expect(made.code, made.stderr).toBe(0);
      const group = await sb.runner.run(
        ['ip', 'link', 'add', 'vx6g', 'type', 'vxlan', 'id', '8', 'group', 'ff05::1', 'dev', 'lo', 'dstport', '4789'],
        { timeoutMs: 10_000 },
      );
      expect(group.code, group.stderr).toBe(0);
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      try {
        const byIp = (await observe(sb.runner)).root.links;
        const byEngine = (await engine.observe()).root.links;
        for (const links of [byIp, byEngine]) {
          expect(links.find((x) => x.ifname === 'vx6')?.vxlan).toEqual({
            vni: 7,
            remote: '2001:db8::2',
            local: '2001:db8::1',
            port: 4789,
          });
          expect(links.find((x) => x.ifname === 'vx6g')?.vxlan).toEqual({ vni: 8, group: 'ff05::1', port: 4789 });
        }
      } finally {
        await engine.close();
      }
    }));

  it('a VLAN interface is refused at plan time on a kernel without 802.1Q; nothing changes', () =>
    withSandbox(async (sb, stateDir) => {
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      const before = await snapshot(sb.runner);
      const vlan = lab(42, [{ kind: 'vlan', name: 'u0.10', parent: 'u0', vlanId: 10 }]);
      const p = await engine.plan(vlan);
      expect(p.operations).toEqual([]);
      expect(p.errors).toEqual([
        {
          code: 'Unsupported',
          message: expect.stringContaining('needs 802.1Q (vlan) support'),
          path: 'nodes.0.interfaces.1.vlanId',
          object: 'ha/u0.10', // the canvas shows it on that interface
        },
      ]);
      expect(await engine.apply(vlan)).toMatchObject({ ok: false, ran: 0, error: { code: 'Unsupported' } });
      expect(await snapshot(sb.runner)).toEqual(before);
      await engine.close();
    }));
});

/**
 * WireGuard and the point-to-point tunnel kinds in the planner: refused at plan time (Unsupported, naming
 * the interface's path, no operation at all) where the world has no way to run them; where it has, the plan
 * makes the device of the right kind (a TUN for wireguard-go, the kernel's link otherwise), marks it, sets
 * its MTU, addresses and up, and routes the allowed IPs into it when asked; the simulated host then plans
 * nothing more, and the script never holds a key.
 */
import { describe, expect, it } from 'vitest';
import { Lab, type LabInput } from '../../shared';
import { wireguardLab } from '../../shared/testing/wireguard';
import { desiredState } from '../engine/desired';
import { plan } from '../engine/plan';
import { render } from '../engine/render';
import { emptyObserved, simulateAll } from '../engine/simulate';

const argvs = (ops: ReturnType<typeof plan>['ops']) =>
  ops.flatMap((o) => render(o).flatMap((s) => s.cmds.map((c) => ('argv' in c ? c.argv : c.args).join(' '))));

describe('WireGuard in the planner', () => {
  it('is refused at plan time with nothing to run where neither the module nor wireguard-go is there', () => {
    const p = plan(Lab.parse(wireguardLab()), emptyObserved(), {
      wireguard: null,
      wireguardMessage: 'this host lacks wireguard-go (apt-get install wireguard-go)',
    });
    expect(p.ops).toEqual([]);
    expect(p.errors).toEqual([
      expect.objectContaining({ code: 'Unsupported', path: 'nodes.0.interfaces.0.kind', object: 'a/wg0' }),
      expect.objectContaining({ code: 'Unsupported', path: 'nodes.2.interfaces.0.kind', object: 'b/wg0' }),
    ]);
    expect(p.errors[0]!.message).toBe(
      "WireGuard interface 'wg0' cannot be created here: this host lacks wireguard-go (apt-get install wireguard-go)",
    );
  });

  it('userspace: a marked TUN device with MTU 1420, its address, up; allowed IPs routed when asked; then nothing to do', () => {
    const lab = Lab.parse(wireguardLab({ a: { routeAllowedIps: true } }));
    const p = plan(lab, emptyObserved(), { wireguard: 'userspace' });
    expect(p.errors).toEqual([]);
    const lines = argvs(p.ops);
    expect(lines).toContain('tuntap add dev wg0 mode tun');
    expect(lines).toContain('link set dev wg0 mtu 1420');
    expect(lines).toContain('link set dev wg0 alias netloom:vpn:a/wg0');
    expect(lines).toContain('addr add 10.99.0.1/24 dev wg0');
    expect(lines).toContain('route add 10.99.0.2/32 dev wg0');
    expect(lines.join('\n')).not.toMatch(/private|key/i);
    // Only site a routes its allowed IPs.
    expect(desiredState(lab).namespaces.find((n) => n.object === 'b')!.routes).toEqual([
      { to: 'default', via: '198.51.100.254' },
    ]);
    const after = simulateAll(emptyObserved(), p.ops);
    expect(plan(lab, after, { wireguard: 'userspace' }).ops).toEqual([]);
  });

  it('kernel module: the wireguard link itself', () => {
    const p = plan(Lab.parse(wireguardLab()), emptyObserved(), { wireguard: 'kernel' });
    expect(argvs(p.ops)).toContain('link add name wg0 mtu 1420 type wireguard');
  });
});

const tunnelLab = (x: object): LabInput => ({
  version: 1,
  name: 'tun',
  nodes: [
    {
      id: 'a',
      kind: 'namespace',
      name: 'tun-a',
      interfaces: [{ name: 't0', addresses: ['10.9.0.1/30'], ...x } as never],
    },
  ],
  links: [],
});

describe('GRE / IPIP / ip6tnl / GENEVE', () => {
  const cases = [
    { x: { kind: 'gre', remote: '192.0.2.2' }, word: 'GRE', needs: /ip_gre, CONFIG_NET_IPGRE/ },
    { x: { kind: 'ipip', remote: '192.0.2.2' }, word: 'IPIP', needs: /CONFIG_NET_IPIP/ },
    { x: { kind: 'ip6tnl', remote: 'fd00::2' }, word: 'ip6tnl', needs: /CONFIG_IPV6_TUNNEL/ },
    { x: { kind: 'geneve', vni: 7, remote: '192.0.2.2' }, word: 'GENEVE', needs: /CONFIG_GENEVE/ },
  ] as const;
  for (const c of cases) {
    it(`${c.x.kind}: refused without the kernel's support, like VLAN; planned with it`, () => {
      const lab = Lab.parse(tunnelLab(c.x));
      const p = plan(lab, emptyObserved(), {});
      expect(p.ops).toEqual([]);
      expect(p.errors).toEqual([
        {
          code: 'Unsupported',
          message: expect.stringMatching(
            new RegExp(`^${c.word} interface 't0' needs .*which this kernel does not have$`),
          ),
          path: 'nodes.0.interfaces.0.kind',
          object: 'a/t0',
        },
      ]);
      expect(p.errors[0]!.message).toMatch(c.needs);
      const ok = plan(lab, emptyObserved(), { [c.x.kind]: true });
      expect(ok.errors).toEqual([]);
      expect(argvs(ok.ops).some((l) => l.startsWith(`link add name t0 type ${c.x.kind}`))).toBe(true);
    });
  }

  it('a layer-3 tunnel cannot be a bridge port (validate)', async () => {
    const { validate } = await import('../../shared');
    const lab = tunnelLab({ kind: 'gre', remote: '192.0.2.2', bridge: 'br' });
    (lab.nodes as object[]).push({ id: 'br', kind: 'bridge', name: 'br0', namespace: 'a' });
    const v = validate(lab);
    expect(v.issues).toContainEqual(
      expect.objectContaining({ code: 'TunnelBridgePort', path: ['nodes', 0, 'interfaces', 0, 'bridge'] }),
    );
  });
});

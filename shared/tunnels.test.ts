/** VXLAN pairing (shared/tunnels.ts) and the mismatch problems validate() reports on both ends. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab, NamespaceNode } from './lab';
import { vxlanTunnels } from './tunnels';
import { validate } from './validate';

const example = (): Lab => {
  const r = validate(
    parse(readFileSync(fileURLToPath(new URL('../examples/vxlan-sites.yaml', import.meta.url)), 'utf8')),
  );
  if (!r.ok) throw new Error('vxlan-sites is invalid');
  return r.lab;
};

/** The example with one site's VXLAN changed. */
function withSite(lab: Lab, id: string, patch: Record<string, unknown>): Lab {
  return {
    ...lab,
    nodes: lab.nodes.map((n) =>
      n.id === id && n.kind === 'namespace'
        ? { ...n, interfaces: (n.interfaces ?? []).map((x) => ({ ...x, ...patch }) as typeof x) }
        : n,
    ),
  };
}

describe('VXLAN tunnels', () => {
  it('pairs the two sites of vxlan-sites into one tunnel with matching VNI and port, and no issue', () => {
    const lab = example();
    const { tunnels, unanswered } = vxlanTunnels(lab);
    expect(unanswered).toEqual([]);
    expect(tunnels).toHaveLength(1);
    expect(tunnels[0]).toMatchObject({
      id: 'vxlan:site-a/vx0~site-b/vx0',
      vni: { a: 100, b: 100 },
      port: { a: 4789, b: 4789 },
      ok: true,
    });
    expect(validate(lab).issues).toEqual([]);
  });

  it('a VNI mismatch is a warning on BOTH ends, naming the other end; the lab still applies', () => {
    const lab = withSite(example(), 'site-b', { vni: 101 });
    expect(vxlanTunnels(lab).tunnels[0]!.ok).toBe(false);
    const r = validate(lab);
    expect(r.ok).toBe(true);
    const vni = r.issues.filter((i) => i.code === 'VxlanVniMismatch');
    expect(vni.map((i) => [i.object, i.path.join('.'), i.severity])).toEqual([
      ['site-a', 'nodes.0.interfaces.0.vni', 'warning'],
      ['site-b', 'nodes.2.interfaces.0.vni', 'warning'],
    ]);
    expect(vni[0]!.message).toContain('VNI 100 but its other end vx0 in "site-b" uses VNI 101');
  });

  it('a UDP port mismatch is a warning on both ends, on dstPort', () => {
    const r = validate(withSite(example(), 'site-a', { dstPort: 8472 }));
    expect(r.issues.filter((i) => i.code === 'VxlanPortMismatch').map((i) => i.path.join('.'))).toEqual([
      'nodes.0.interfaces.0.dstPort',
      'nodes.2.interfaces.0.dstPort',
    ]);
  });

  it('a remote at the next router (no VXLAN there pointing back) is a warning on remote', () => {
    const lab = withSite(example(), 'site-a', { remote: '172.16.1.254' });
    const r = validate(lab);
    const w = r.issues.filter((i) => i.code === 'VxlanRemoteNoTunnel');
    // site-b still points at site-a, whose VXLAN now points elsewhere: site-b hears about it too.
    expect(w.map((i) => [i.object, i.path.join('.')])).toEqual([
      ['site-a', 'nodes.0.interfaces.0.remote'],
      ['site-b', 'nodes.2.interfaces.0.remote'],
    ]);
    expect(w[0]!.message).toContain('"wan"');
    expect(w[1]!.message).toContain('"site-a"');
    expect(vxlanTunnels(lab).tunnels).toEqual([]);
  });

  it('a remote outside the lab is not judged (the far end may be a real machine)', () => {
    const lab = withSite(example(), 'site-a', { remote: '192.0.2.9' });
    const a = validate(lab).issues.filter((i) => i.code.startsWith('Vxlan') && i.object === 'site-a');
    expect(a).toEqual([]);
    expect((lab.nodes[0] as NamespaceNode).interfaces).toHaveLength(1);
  });
});

describe('routes over the overlay', () => {
  it("a route via the tunnel's far end is connected (no GatewayNotConnected beside a working tunnel)", () => {
    const lab = example();
    const withRoute: Lab = {
      ...lab,
      nodes: lab.nodes.map((n) =>
        n.id === 'site-a' && n.kind === 'namespace'
          ? { ...n, routes: [...n.routes, { to: '10.77.0.0/24', via: '10.200.0.2' }] }
          : n,
      ),
    };
    // The route is fine; what is left is the truth: site-b does not forward (a warning).
    expect(validate(withRoute).issues.map((i) => [i.code, i.severity])).toEqual([['GatewayNotForwarding', 'warning']]);
    // With the VNIs apart the far end is not on the overlay any more: its gateway is absent (a warning).
    const broken = withSite(withRoute, 'site-b', { vni: 101 });
    expect(validate(broken).issues.map((i) => i.code)).toContain('GatewayAbsent');
  });
});

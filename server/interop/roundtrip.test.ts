/**
 * Round trip: import(export(lab)) is the same lab — for the example labs, for every lab the corpus
 * imports to, and for generated labs (fast-check) covering namespaces, bridges (root and in a namespace),
 * the host, veth ends with addresses/MTU/MAC/down/impairments/VLANs, routes, forwarding and sysctls, and
 * attached vxlan/tap/vlan/macvlan interfaces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type Lab, type LabInput, type PortVlan, validate } from '../../shared';
import { exportContainerlab, ImportRefused, importTopology } from './index';
import { corpusFiles, normalLab } from './testing';

const roundTrip = (lab: Lab) => importTopology(exportContainerlab(lab).text, { filename: `${lab.name}.clab.yml` }).lab;

const examplesDir = join(import.meta.dirname, '..', '..', 'examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => {
    const v = validate(parse(readFileSync(join(examplesDir, f), 'utf8')));
    if (!v.ok) throw new Error(`examples/${f} is not valid`);
    return [f, v.lab] as const;
  });

/** The lab without what export says it leaves out (host NAT, WireGuard: no containerlab equivalent). */
function exportable(lab: Lab): Lab {
  const out = structuredClone(lab);
  for (const n of out.nodes) {
    if (n.kind === 'host') delete n.nat;
    if (n.kind === 'namespace' && n.interfaces) n.interfaces = n.interfaces.filter((x) => x.kind !== 'wireguard');
  }
  return out;
}

describe('import(export(lab)) = lab', () => {
  it.each(examples)('example %s', (_f, lab) => {
    const { notes } = exportContainerlab(lab);
    const left = exportable(lab);
    // Only what the export names in its notes may be missing.
    expect(notes.some((n) => /not exported/.test(n))).toBe(JSON.stringify(left) !== JSON.stringify(lab));
    expect(normalLab(roundTrip(lab))).toEqual(normalLab(left));
  });

  const corpusLabs = corpusFiles('containerlab').flatMap(({ file, text }) => {
    try {
      return [[file, importTopology(text, { filename: file }).lab] as const];
    } catch (e) {
      if (e instanceof ImportRefused) return [];
      throw e;
    }
  });
  it.each(corpusLabs)('the lab imported from %s', (_f, lab) => {
    expect(normalLab(roundTrip(lab))).toEqual(normalLab(lab));
  });

  it('generated labs (property)', () => {
    fc.assert(
      fc.property(arbLab(), (input) => {
        const v = validate(input);
        fc.pre(v.ok);
        const lab = (v as { lab: Lab }).lab;
        expect(normalLab(roundTrip(lab))).toEqual(normalLab(lab));
      }),
      { numRuns: 120 },
    );
    // A hang guard with headroom on a loaded machine (about 2 s alone).
  }, 60_000);

  it('the exported file is containerlab: linux nodes, bridge nodes, links, exec lines', () => {
    const lab = examples.find(([f]) => f === 'router.yaml')![1];
    const doc = parse(exportContainerlab(lab).text);
    expect(doc.name).toBe('router');
    expect(doc.topology.nodes.rtr).toMatchObject({ kind: 'linux', 'network-mode': 'none' });
    expect(doc.topology.nodes.rtr.exec).toContain('sysctl -w net.ipv4.ip_forward=1');
    expect(doc.topology.nodes.left.exec).toContain('ip route add default via 10.1.1.254');
    expect(doc.topology.links[0].endpoints).toEqual(['left:eth0', 'rtr:rtr-left']);
  });
});

/** Small valid-ish labs: most pass validate() (the property pre-filters the rest). */
function arbLab(): fc.Arbitrary<LabInput> {
  const subnet = fc.integer({ min: 1, max: 200 });
  return fc
    .record({
      n: fc.integer({ min: 1, max: 4 }),
      withHost: fc.boolean(),
      rootBridge: fc.boolean(),
      nsBridge: fc.boolean(),
      links: fc.array(
        fc.record({
          a: fc.nat(),
          b: fc.nat(),
          net: subnet,
          v6: fc.boolean(),
          mtu: fc.constantFrom(undefined, 1400, 9000),
          mtuB: fc.constantFrom(undefined, 1450),
          mac: fc.boolean(),
          down: fc.boolean(),
          imp: fc.constantFrom(
            undefined,
            { rateKbit: 1000 },
            { rateKbit: 2000, burstKb: 64, latencyMs: 20 },
            { delayMs: 10, jitterMs: 2, lossPct: 1.5 },
            { duplicatePct: 1, corruptPct: 0.5, rateKbit: 500 },
          ),
        }),
        { maxLength: 5 },
      ),
      fwd: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      rp: fc.constantFrom(undefined, 0, 1, 2),
      proxy: fc.constantFrom(undefined, true, false),
      attached: fc.constantFrom('none', 'vxlan', 'tap', 'vlan', 'macvlan'),
      vlanPort: fc.constantFrom<PortVlan | undefined>(
        undefined,
        { pvid: 10 },
        { tagged: [20, 30] },
        { pvid: 5, untagged: false },
      ),
      route: fc.boolean(),
      desc: fc.constantFrom(undefined, 'a node: with "quotes" and\nnewlines'),
    })
    .map((g): LabInput => {
      const nodes: LabInput['nodes'] = [];
      for (let i = 0; i < g.n; i++)
        nodes.push({
          id: `ns${i}`,
          kind: 'namespace',
          name: `ns${i}`,
          forwarding: g.fwd[i] ?? false,
          ...(i === 0 && g.rp !== undefined ? { rpFilter: g.rp } : {}),
          ...(i === 0 && g.proxy !== undefined ? { proxyArp: g.proxy } : {}),
          ...(i === 0 && g.desc ? { description: g.desc } : {}),
        });
      if (g.withHost) nodes.push({ id: 'host', kind: 'host' });
      if (g.rootBridge)
        nodes.push({ id: 'br-root', kind: 'bridge', name: 'brr', addresses: ['10.250.0.1/24'], stp: true });
      if (g.nsBridge)
        nodes.push({
          id: 'br-in',
          kind: 'bridge',
          name: 'brin',
          namespace: 'ns0',
          vlanFiltering: g.vlanPort !== undefined,
        });
      const ends = nodes.map((n) => n.id);
      const links: LabInput['links'] = [];
      g.links.forEach((l, j) => {
        const a = ends[l.a % ends.length]!;
        const b = ends[l.b % ends.length]!;
        if (a === b) return;
        const isBr = (x: string) => x.startsWith('br-');
        const addr = (h: number) => (l.v6 ? `fd00:${l.net}::${h}/64` : `10.${l.net}.${j}.${h}/24`);
        links.push({
          id: `l${j}`,
          kind: 'veth',
          endpoints: [
            {
              node: a,
              ifname: `a${j}`,
              addresses: isBr(a) ? [] : [addr(1)],
              ...(l.mtu ? { mtu: l.mtu } : {}),
              ...(l.mac ? { mac: `02:00:00:00:0${j}:01` } : {}),
              ...(l.down ? { up: false } : {}),
              ...(l.imp && !isBr(a) ? { impairment: l.imp } : {}),
              ...(a === 'br-in' && g.vlanPort ? { vlan: structuredClone(g.vlanPort) } : {}),
            },
            {
              node: b,
              ifname: `b${j}`,
              addresses: isBr(b) ? [] : [addr(2)],
              ...(l.mtu ? { mtu: l.mtuB ?? l.mtu } : {}),
              ...(b === 'br-in' && g.vlanPort ? { vlan: structuredClone(g.vlanPort) } : {}),
            },
          ],
        });
      });
      const ns0 = nodes[0] as Extract<LabInput['nodes'][number], { kind: 'namespace' }>;
      const first = links.find((l) => l.endpoints[0].node === 'ns0' && !l.endpoints[0].addresses?.[0]?.includes(':'));
      if (g.route && first) {
        const gw = first.endpoints[1].addresses?.[0]?.split('/')[0];
        if (gw && !first.endpoints[1].node.startsWith('br-')) ns0.routes = [{ to: '10.99.0.0/16', via: gw, metric: 5 }];
      }
      if (g.attached === 'vxlan')
        ns0.interfaces = [
          { kind: 'vxlan', name: 'vx0', vni: 42, remote: '192.0.2.9', dstPort: 4789, addresses: ['10.77.0.1/24'] },
        ];
      if (g.attached === 'tap')
        ns0.interfaces = [{ kind: 'tap', name: 'tap0', mtu: 1400, ...(g.nsBridge ? { bridge: 'br-in' } : {}) }];
      if (g.attached === 'macvlan')
        ns0.interfaces = [{ kind: 'macvlan', name: 'mv0', parent: 'eth0', addresses: ['10.88.0.2/24'] }];
      if (g.attached === 'vlan' && first)
        ns0.interfaces = [{ kind: 'vlan', name: 'a0.7', parent: first.endpoints[0].ifname, vlanId: 7, addresses: [] }];
      return { version: 1, name: 'gen', title: 'Generated', nodes, links };
    });
}

/**
 * The shared corpus of real topology files (../shared/corpus): every containerlab file imports to a lab
 * that validate() accepts, or is refused with a message naming the construct; the CORE files import too.
 * Plus what specific files must keep (their addresses, routes, bridges, forwarding).
 */
import { describe, expect, it } from 'vitest';
import { type Lab, validate } from '../../shared';
import { ImportRefused, importTopology } from './index';
import { CORPUS_DIR, corpusFiles, describeCorpus } from './testing';

const clab = corpusFiles('containerlab');
const core = corpusFiles('core');

function importOrRefusal(file: string, text: string): { lab?: Lab; refused?: ImportRefused } {
  try {
    return { lab: importTopology(text, { filename: file }).lab };
  } catch (e) {
    if (e instanceof ImportRefused) return { refused: e };
    throw e;
  }
}

describeCorpus(`corpus ${CORPUS_DIR}`, () => {
  it('has the 36 containerlab and 3 CORE files', () => {
    expect(clab.length).toBeGreaterThanOrEqual(35);
    expect(core.length).toBe(3);
  });

  it.each(clab.map((f) => [f.file, f.text] as const))(
    '%s imports to a valid lab or is refused by construct',
    (file, text) => {
      const r = importOrRefusal(file, text);
      if (r.refused) {
        expect(r.refused.construct).toMatch(/^[a-z-]+$/);
        expect(r.refused.message.length).toBeGreaterThan(20);
        return;
      }
      const v = validate(r.lab);
      expect(v.ok, JSON.stringify(v.issues.filter((i) => i.severity === 'error').slice(0, 3))).toBe(true);
      const rep = importTopology(text, { filename: file }).report;
      // Every node and link of the file is accounted for in the report.
      expect(rep.items.filter((i) => i.kind !== 'lab').length).toBeGreaterThan(0);
    },
  );

  it.each(core.map((f) => [f.file, f.text] as const))('%s (CORE) imports to a valid lab', (file, text) => {
    const { lab, report } = importTopology(text, { filename: file });
    expect(validate(lab).ok).toBe(true);
    expect(report.format).toBe('core');
  });

  const get = (prefix: string) => {
    const f = clab.find((x) => x.file.startsWith(prefix));
    if (!f) throw new Error(`corpus file ${prefix} missing`);
    return importTopology(f.text, { filename: f.file });
  };
  const ns = (lab: Lab, id: string) => {
    const n = lab.nodes.find((x) => x.id === id);
    if (n?.kind !== 'namespace') throw new Error(`${id} is not a namespace`);
    return n;
  };
  const addrsOf = (lab: Lab, node: string) =>
    lab.links.flatMap((l) => l.endpoints.filter((e) => e.node === node).flatMap((e) => e.addresses));

  it('Go templates are refused naming the construct and the line', () => {
    for (const p of ['C05', 'C06', 'C41-clos3.clab.gotmpl']) {
      const f = clab.find((x) => x.file.startsWith(p));
      if (!f) continue;
      const r = importOrRefusal(f.file, f.text);
      expect(r.refused?.construct).toBe('go-template');
      expect(r.refused?.line).toBeGreaterThan(0);
    }
  });

  it('C35: a router with three subnets, hosts with routes via it, forwarding from sysctl', () => {
    const { lab } = get('C35');
    expect(ns(lab, 'router').forwarding).toBe(true);
    expect(addrsOf(lab, 'router').sort()).toEqual(['10.0.1.1/24', '10.0.2.1/24', '10.0.3.1/24']);
    expect(ns(lab, 'host1').routes).toEqual([
      { to: '10.0.2.0/24', via: '10.0.1.1' },
      { to: '10.0.3.0/24', via: '10.0.1.1' },
    ]);
  });

  it('C03: the bridge lives in bp1 and carries the address the exec line gave it', () => {
    const { lab } = get('C03');
    const br = lab.nodes.find((n) => n.kind === 'bridge');
    expect(br).toMatchObject({ kind: 'bridge', name: 'br01', namespace: 'bp1', addresses: ['192.168.0.1/24'] });
    expect(lab.links[0]!.endpoints.map((e) => e.node)).toEqual(['c1', br!.id]);
  });

  it('C11: the vxlan from `ash -c` lands on l2 with its address; the vxlan link on the placeholder', () => {
    const { lab } = get('C11');
    expect(ns(lab, 'l2').interfaces).toEqual([
      {
        kind: 'vxlan',
        name: 'vxlan0',
        addresses: ['192.168.67.2/30'],
        vni: 100,
        remote: '172.20.25.21',
        dstPort: 14788,
      },
    ]);
    expect(ns(lab, 'srl1').interfaces?.[0]).toMatchObject({ kind: 'vxlan', name: 'e1-1', vni: 100, dstPort: 14788 });
  });

  it('C24: two eth76 in the root namespace: the second is renamed with a note', () => {
    const { lab, report } = get('C24');
    const names = lab.links.flatMap((l) => l.endpoints.filter((e) => e.node !== 'l1').map((e) => e.ifname));
    expect(new Set(names).size).toBe(2);
    expect(JSON.stringify(report)).toMatch(/renamed/);
  });

  it('C15: `ip a del dev eth1` then `ip a add` leaves one address; k8s-kind nodes are placeholders', () => {
    const { lab, report } = get('C15');
    expect(addrsOf(lab, 'k01-control-plane')).toEqual(['192.168.237.1/24']);
    expect(report.items.find((i) => i.source === 'k01')?.notes.some((n) => /placeholder/.test(n.text))).toBe(true);
  });

  it('C17: group inheritance gives the PCs their image and the routers are linux nodes without addresses', () => {
    const { lab } = get('C17');
    expect(ns(lab, 'PC1').routes).toEqual([
      { to: '192.168.0.0/16', via: '192.168.11.1', dev: 'eth1' },
      { to: '10.10.10.0/24', via: '192.168.11.1', dev: 'eth1' },
    ]);
  });

  it('C07: ${host_link:=ens3} gives the macvlan parent', () => {
    const { lab } = get('C07');
    expect(ns(lab, 'l1').interfaces).toEqual([
      { kind: 'macvlan', name: 'eth1', addresses: [], parent: 'ens3', mode: 'bridge' },
    ]);
  });

  it('C26: defaults.kind makes 100 linux nodes', () => {
    const { lab } = get('C26');
    expect(lab.nodes.filter((n) => n.kind === 'namespace')).toHaveLength(100);
    expect(lab.links).toHaveLength(144);
  });
});

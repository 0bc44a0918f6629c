/** The canvas draws a VXLAN tunnel as ONE dashed edge between its two ends (issue #15 item 3). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Lab } from '../../../shared/lab';
import { validate } from '../../../shared/validate';
import { tunnelEdges } from './toFlow';

const sites = (): Lab => {
  const r = validate(
    parse(readFileSync(fileURLToPath(new URL('../../../examples/vxlan-sites.yaml', import.meta.url)), 'utf8')),
  );
  if (!r.ok) throw new Error('invalid');
  return r.lab;
};

describe('tunnelEdges', () => {
  it('vxlan-sites: one edge site-a → site-b labelled with its VNI; ready when both ends are', () => {
    const ready = { state: 'ready', conditions: [] } as never;
    const edges = tunnelEdges(
      sites(),
      { 'site-a/vx0': ready, 'site-b/vx0': ready },
      new Set(['vxlan:site-a/vx0~site-b/vx0']),
    );
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({
      id: 'vxlan:site-a/vx0~site-b/vx0',
      type: 'tunnel',
      source: 'site-a',
      target: 'site-b',
      selectable: false,
      data: { label: 'VXLAN · VNI 100', ok: true, state: 'ready', path: true, ifnames: ['vx0', 'vx0'] },
    });
    expect(tunnelEdges(sites(), { 'site-a/vx0': ready }).map((e) => e.data?.state)).toEqual(['absent']);
  });

  it('ends that disagree: still one edge, marked with the mismatch', () => {
    const lab = sites();
    const broken: Lab = {
      ...lab,
      nodes: lab.nodes.map((n) =>
        n.id === 'site-b' && n.kind === 'namespace'
          ? { ...n, interfaces: n.interfaces!.map((x) => ({ ...x, vni: 101 }) as typeof x) }
          : n,
      ),
    };
    const [e] = tunnelEdges(broken, {});
    expect(e?.data).toMatchObject({ ok: false, label: 'VNI 100 ≠ 101' });
    expect(e?.data?.warning).toContain('no frame crosses');
  });
});

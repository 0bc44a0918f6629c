/** Auto-layout with elkjs, loaded on demand (`import()`) so it stays out of the initial bundle. Pure in → out. */
import type { Lab } from '../../../shared/lab';
import type { Position } from '../../../shared/layout';

export async function autoLayout(
  lab: Lab,
  sizes: ReadonlyMap<string, { width: number; height: number }>,
): Promise<Record<string, Position>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const graph = await elk.layout({
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '90',
      'elk.layered.spacing.nodeNodeBetweenLayers': '240',
      'elk.edgeRouting': 'POLYLINE',
    },
    children: lab.nodes.map((n) => ({
      id: n.id,
      width: sizes.get(n.id)?.width ?? 230,
      height: sizes.get(n.id)?.height ?? 100,
    })),
    edges: lab.links.map((l) => ({ id: l.id, sources: [l.endpoints[0].node], targets: [l.endpoints[1].node] })),
  });
  const out: Record<string, Position> = {};
  for (const c of graph.children ?? []) out[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  return out;
}

/**
 * Auto-layout with elkjs, loaded on demand (`import()`) so it stays out of the initial bundle. Pure in → out.
 * The canvas draws links as straight lines between node centres, so a layout is judged by that drawing: a
 * few ELK layouts are tried (layered across and down, stress, radial for trees) and the one whose straight
 * links cross nothing and that fits the canvas at the largest zoom wins. A bridge drawn inside its
 * namespace keeps its place in it; the namespace is laid out as one node.
 */
import type { Lab } from '../../../shared/lab';
import type { Position } from '../../../shared/layout';
import { nestedBridges } from './toFlow';

type Size = { width: number; height: number };
type Box = Position & Size;

/** Below this zoom a fit would make the text unreadable: fitView after auto-layout stops there. */
export const READABLE_ZOOM = 0.75;
/** Beyond this many nodes one layered layout is computed, without trying the others. */
const TRY_ALL_UP_TO = 80;
const DEFAULT: Size = { width: 230, height: 100 };

/** Room between node borders along a link for its two end labels (they sit on the line). */
const GAP = 170;
const CANDIDATES: Record<string, Record<string, string>> = {
  across: {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.spacing.nodeNode': '90',
    'elk.layered.spacing.nodeNodeBetweenLayers': String(GAP + 30),
  },
  down: {
    'elk.algorithm': 'layered',
    'elk.direction': 'DOWN',
    'elk.spacing.nodeNode': '90',
    'elk.layered.spacing.nodeNodeBetweenLayers': String(GAP),
  },
  stress: { 'elk.algorithm': 'stress', 'elk.stress.desiredEdgeLength': String(GAP + 160) },
  // Only for trees (ELK refuses anything else): a hub in the middle, its neighbours around it.
  radial: { 'elk.algorithm': 'radial', 'elk.spacing.nodeNode': '80' },
};

interface Graph {
  ids: string[];
  sizes: Map<string, Size>;
  edges: [string, string][];
}

/** Straight links that cross each other or pass through a node they do not join (the canvas's drawing). */
export function badness(g: Graph, pos: Record<string, Position>): number {
  const box = (id: string): Box => ({ ...pos[id]!, ...(g.sizes.get(id) ?? DEFAULT) });
  const mid = (b: Box) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });
  const segs = g.edges.map(([s, t]) => ({ s, t, p: mid(box(s)), q: mid(box(t)) }));
  const side = (a: Position, b: Position, c: Position) => (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x);
  let bad = 0;
  for (let i = 0; i < segs.length; i++)
    for (let j = i + 1; j < segs.length; j++) {
      const a = segs[i]!;
      const b = segs[j]!;
      if (new Set([a.s, a.t, b.s, b.t]).size < 4) continue;
      if (side(a.p, a.q, b.p) * side(a.p, a.q, b.q) < 0 && side(b.p, b.q, a.p) * side(b.p, b.q, a.q) < 0) bad++;
    }
  for (const { s, t, p, q } of segs)
    for (const id of g.ids) {
      if (id === s || id === t) continue;
      const b = box(id);
      // A margin around the node: a line grazing its corner reads as going through it.
      for (let k = 0.02; k < 0.98; k += 0.02) {
        const x = p.x + (q.x - p.x) * k;
        const y = p.y + (q.y - p.y) * k;
        if (x > b.x - 8 && x < b.x + b.width + 8 && y > b.y - 8 && y < b.y + b.height + 8) {
          bad++;
          break;
        }
      }
    }
  return bad;
}

/** The zoom at which the layout fits a view of `view` (with fitView's padding). */
function fitZoom(g: Graph, pos: Record<string, Position>, view: Size): number {
  const xs = g.ids.flatMap((id) => [pos[id]!.x, pos[id]!.x + (g.sizes.get(id) ?? DEFAULT).width]);
  const ys = g.ids.flatMap((id) => [pos[id]!.y, pos[id]!.y + (g.sizes.get(id) ?? DEFAULT).height]);
  const w = Math.max(...xs) - Math.min(...xs);
  const h = Math.max(...ys) - Math.min(...ys);
  return Math.min(view.width / (w * 1.3 || 1), view.height / (h * 1.3 || 1));
}

export async function autoLayout(
  lab: Lab,
  sizes: ReadonlyMap<string, Size>,
  /** The canvas's size: the layout that fits it best wins (default: a 4:3 view). */
  view: Size = { width: 1200, height: 900 },
  /** Where nodes are now (a bridge inside a namespace keeps its offset in it). */
  current: Readonly<Record<string, Position>> = {},
): Promise<Record<string, Position>> {
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  // A bridge drawn inside its namespace moves with it: lay out the namespace, links to the bridge count as
  // links to the namespace.
  const inside = nestedBridges(lab);
  const top = (id: string) => inside.get(id) ?? id;
  const ids = lab.nodes.map((n) => n.id).filter((id) => !inside.has(id));
  const edges: [string, string][] = [];
  const seen = new Set<string>();
  for (const l of lab.links) {
    const [s, t] = [top(l.endpoints[0].node), top(l.endpoints[1].node)];
    const k = s < t ? `${s}\t${t}` : `${t}\t${s}`;
    if (s !== t && !seen.has(k)) {
      seen.add(k);
      edges.push([s, t]);
    }
  }
  const g: Graph = { ids, sizes: new Map(ids.map((id) => [id, sizes.get(id) ?? DEFAULT])), edges };
  const run = async (opts: Record<string, string>): Promise<Record<string, Position>> => {
    const graph = await elk.layout({
      id: 'root',
      layoutOptions: opts,
      children: ids.map((id) => ({ id, ...g.sizes.get(id)! })),
      edges: edges.map(([s, t], i) => ({ id: `e${i}`, sources: [s], targets: [t] })),
    });
    const out: Record<string, Position> = {};
    for (const c of graph.children ?? []) out[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
    return out;
  };
  let best: Record<string, Position> | null = null;
  if (ids.length > TRY_ALL_UP_TO) best = await run(CANDIDATES.across!);
  else {
    let score = Number.POSITIVE_INFINITY;
    const tree = edges.length === ids.length - 1;
    for (const [name, opts] of Object.entries(CANDIDATES)) {
      if (name === 'radial' && !tree) continue;
      let pos: Record<string, Position>;
      try {
        pos = await run(opts);
      } catch {
        continue; // e.g. radial on a graph it does not take
      }
      // Crossings first (each costs more than any zoom), then the larger zoom.
      const s = badness(g, pos) * 10 - Math.min(fitZoom(g, pos, view), 2);
      if (s < score) {
        score = s;
        best = pos;
      }
    }
  }
  const out = best ?? {};
  // Bridges inside a namespace keep their offset in it (or a first place below its rows).
  for (const [child, parent] of inside) {
    const p = out[parent];
    if (!p) continue;
    const c = current[child];
    const q = current[parent];
    out[child] = c && q ? { x: p.x + c.x - q.x, y: p.y + c.y - q.y } : { x: p.x + 20, y: p.y + 120 };
  }
  return out;
}

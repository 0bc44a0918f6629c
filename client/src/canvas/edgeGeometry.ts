/**
 * Where a veth is drawn (pure): a straight line between the borders of its two nodes, each end's label on
 * the line just clear of its node (a tag on the cable: never read as another link's), beside it when the
 * link is too short for both, and the middle and the badges. Shared by the canvas edge and the SVG export.
 */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface Point {
  x: number;
  y: number;
}

/** What a label shows, for its size: the interface name, and its addresses unless the link is short. */
export interface LabelText {
  ifname: string;
  addresses: readonly string[];
  /** The host's addresses where they differ (toFlow's `live`): one more line. */
  live?: readonly string[];
}

export interface EdgeGeometry {
  /** Where the line leaves each node. */
  p: Point;
  q: Point;
  len: number;
  /** On a short link the labels show names only (the nodes list the addresses). */
  compact: boolean;
  labels: [Point, Point];
  mid: Point;
  /** Impairment badges, beside their end's label. */
  badges: [Point, Point];
}

const centreOf = (r: Rect): Point => ({ x: r.x + r.width / 2, y: r.y + r.height / 2 });

/** Where the segment from the centre of `r` towards `to` leaves r. */
export function borderPoint(r: Rect, to: Point): Point {
  const c = centreOf(r);
  const dx = to.x - c.x;
  const dy = to.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const s = Math.min(r.width / 2 / Math.abs(dx || 1e-9), r.height / 2 / Math.abs(dy || 1e-9));
  return { x: c.x + dx * s, y: c.y + dy * s };
}

export function edgeGeometry(a: Rect, b: Rect, ends: readonly [LabelText, LabelText]): EdgeGeometry {
  const p = borderPoint(a, centreOf(b));
  const q = borderPoint(b, centreOf(a));
  const len = Math.hypot(q.x - p.x, q.y - p.y);
  const ux = len > 0 ? (q.x - p.x) / len : 1;
  const uy = len > 0 ? (q.y - p.y) / len : 0;
  const compact = len < 200;
  const at = (k: number) => ({ x: p.x + (q.x - p.x) * k, y: p.y + (q.y - p.y) * k });
  // A label's half size, estimated from its text (11px mono); clear of the node = half its extent along
  // the line, plus a gap.
  const half = (e: LabelText) => {
    const chars = Math.max(e.ifname.length + 2, compact ? 0 : e.addresses.join(' ').length, e.live ? 12 : 0);
    return { w: (chars * 6.6 + 16) / 2, h: compact ? 11 : e.live ? 24 : 18 };
  };
  const h0 = half(ends[0]);
  const h1 = half(ends[1]);
  const along0 = Math.abs(ux) * h0.w + Math.abs(uy) * h0.h + 6;
  const along1 = Math.abs(ux) * h1.w + Math.abs(uy) * h1.h + 6;
  const k0 = len > 0 ? Math.min(0.42, along0 / len) : 0.5;
  const k1 = len > 0 ? Math.min(0.42, along1 / len) : 0.5;
  const flip = ux < 0 || (ux === 0 && uy < 0) ? -1 : 1;
  // Too short for both labels on the line: each steps off it to its own side, still touching it.
  const crowded = 2 * (along0 + along1) - 12 > len;
  const beside = (h: { w: number; h: number }) => (crowded ? Math.abs(ux) * h.h + Math.abs(uy) * h.w + 3 : 0);
  const p0 = at(k0);
  const p1 = at(1 - k1);
  const s0 = beside(h0) * flip;
  const s1 = beside(h1) * flip;
  const l0 = { x: p0.x + uy * s0, y: p0.y - ux * s0 };
  const l1 = { x: p1.x - uy * s1, y: p1.y + ux * s1 };
  // The middle pill (rate, problem) sits on the line; on a short link the end labels reach the middle, so
  // it moves beside the line instead.
  const centre = at(0.5);
  const aside = crowded ? 2 * Math.abs(s0) + 14 : 24;
  const mid = compact ? { x: centre.x + uy * aside * flip, y: centre.y - ux * aside * flip } : centre;
  const off = Math.abs(uy) * 74 + Math.abs(ux) * 32;
  return {
    p,
    q,
    len,
    compact,
    labels: [l0, l1],
    mid,
    badges: [
      { x: l0.x + uy * off * flip, y: l0.y - ux * off * flip },
      { x: l1.x - uy * off * flip, y: l1.y + ux * off * flip },
    ],
  };
}

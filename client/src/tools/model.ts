/**
 * Pure view models of the live tools: the path highlight (which nodes/links a path crosses), the ping badge
 * text, the reachability grid and the matrix overlay (reason per lab object). No React, no store.
 */
import type { Lab } from '../../../shared/lab';
import type { PathResponse, ReachabilityCell, ReachabilityResponse } from '../../../shared/tools';

/** A lab object id as the canvas knows it: an endpoint key `link#0` is drawn as its link. */
export const canvasObject = (id: string): string => id.split('#')[0]!;

/** Every node/link/bridge id on the forward and reply paths (endpoint keys folded into their link). */
export function pathObjects(res: Pick<PathResponse, 'objects' | 'reverseObjects'> | null | undefined): Set<string> {
  const out = new Set<string>();
  if (!res) return out;
  for (const id of [...res.objects, ...res.reverseObjects]) out.add(canvasObject(id));
  return out;
}

export interface PingSummaryView {
  ok: boolean;
  /** "3/3 received · 0.05 ms", or "0/1 received". */
  text: string;
  /** Why not (reason + message), when the path or the ping failed. */
  explanation?: string;
  reason?: string;
}

const ms = (v: number) => (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v.toFixed(1)).replace(/\.?0+$/, '') || '0';

export function pingSummary(res: PathResponse): PingSummaryView {
  const p = res.ping?.parsed;
  const received = p ? p.received : res.ping?.ok ? 1 : 0;
  const transmitted = p ? p.transmitted : res.ping ? 1 : 0;
  const ok = res.ping ? received > 0 : res.complete;
  let text: string;
  if (res.ping) {
    text = `${received}/${transmitted} received`;
    if (p?.rttAvgMs != null && received > 0) text += ` · ${ms(p.rttAvgMs)} ms`;
  } else text = res.complete ? 'path complete' : 'no path';
  const problem = res.problem;
  if (problem) return { ok, text, explanation: problem.message, reason: problem.reason };
  if (!ok && res.ping) {
    const detail = (res.ping.stderr || res.ping.stdout).trim().split('\n').pop();
    return { ok, text, explanation: detail || 'the ping got no reply', reason: 'Unknown' };
  }
  if (!res.routeGet.agrees && res.routeGet.ok)
    return { ok, text, explanation: `the kernel routes via ${res.routeGet.dev ?? '?'}, not the designed hop` };
  return { ok, text };
}

/**
 * The overlay legs of a path, one line each: "vx0 · VXLAN 100 over site-a → wan → site-b" (the underlay hops
 * its UDP packets take). Empty for a path without tunnels.
 */
export function overlayLines(res: Pick<PathResponse, 'hops'>, label: (id: string) => string = (id) => id): string[] {
  return res.hops.flatMap((h) =>
    h.tunnel
      ? [`${h.out ?? '?'} · VXLAN ${h.tunnel.vni} over ${h.tunnel.underlay.map((u) => label(u.node)).join(' → ')}`]
      : [],
  );
}

export type CellKind = 'self' | 'ok' | 'fail' | 'none';

export interface CellView {
  from: string;
  to: string;
  kind: CellKind;
  /** The measurement and the design disagree. */
  unexpected: boolean;
  symbol: '✓' | '✗' | '—';
  reason?: string;
  /** Hover text / explanation. */
  title: string;
  cell?: ReachabilityCell;
}

export interface GridView {
  nodes: { id: string; label: string }[];
  rows: { from: string; label: string; cells: CellView[] }[];
  reachable: number;
  unreachable: number;
  unexpected: number;
}

/** Rows = from, columns = to, in the response's node order; a missing pair is grey. */
export function matrixGrid(res: ReachabilityResponse, label: (id: string) => string = (id) => id): GridView {
  const byPair = new Map(res.cells.map((c) => [`${c.from}\u0000${c.to}`, c]));
  let reachable = 0;
  let unreachable = 0;
  let unexpected = 0;
  const rows = res.nodes.map((from) => ({
    from,
    label: label(from),
    cells: res.nodes.map((to): CellView => {
      if (from === to)
        return { from, to, kind: 'self', unexpected: false, symbol: '—', title: `${label(from)} itself` };
      const c = byPair.get(`${from}\u0000${to}`);
      if (!c) return { from, to, kind: 'none', unexpected: false, symbol: '—', title: 'not measured' };
      const wrong = c.expected !== c.reachable;
      if (c.reachable) reachable++;
      else unreachable++;
      if (wrong) unexpected++;
      const head = `${label(from)} → ${label(to)} (${c.target}): ${
        c.reachable ? `reachable${c.rttMs != null ? `, ${ms(c.rttMs)} ms` : ''}` : 'unreachable'
      }`;
      const expectation = wrong ? ` — the design predicts ${c.expected ? 'reachable' : 'unreachable'}` : '';
      const why = c.problem ? `\n${c.problem.reason}: ${c.problem.message}` : '';
      return {
        from,
        to,
        kind: c.reachable ? 'ok' : 'fail',
        unexpected: wrong,
        symbol: c.reachable ? '✓' : '✗',
        ...(c.problem ? { reason: c.problem.reason } : {}),
        title: `${head}${expectation}${why}`,
        cell: c,
      };
    }),
  }));
  return { nodes: res.nodes.map((id) => ({ id, label: label(id) })), rows, reachable, unreachable, unexpected };
}

/** Reasons of the failing pairs, on the object each names (link or node): the canvas overlay. */
export function matrixNotes(res: ReachabilityResponse | null | undefined): Map<string, string> {
  const out = new Map<string, Set<string>>();
  for (const c of res?.cells ?? []) {
    if (c.reachable || !c.problem?.object) continue;
    const id = canvasObject(c.problem.object);
    const set = out.get(id) ?? new Set<string>();
    set.add(c.problem.reason);
    out.set(id, set);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].join(', ')]));
}

/** A ping target typed by the user: an address as is, else a node by id or by name. */
export function resolveTarget(lab: Lab, text: string): string | null {
  const t = text.trim();
  if (!t) return null;
  if (/^[0-9.]+$/.test(t) || t.includes(':')) return t;
  const byId = lab.nodes.find((n) => n.id === t);
  if (byId) return byId.id;
  const byName = lab.nodes.find((n) => (n.kind === 'host' ? 'host' : n.name) === t);
  return byName?.id ?? t;
}

/** Protocols worth a colour in the packet list. */
export function protocolClass(p: string): string {
  const k = p.toLowerCase();
  if (k.startsWith('icmp')) return 'icmp';
  if (k === 'arp') return 'arp';
  if (k === 'tcp' || k === 'http') return 'tcp';
  if (k === 'udp' || k === 'dns' || k === 'dhcp') return 'udp';
  return 'other';
}

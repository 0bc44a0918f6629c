/**
 * WireGuard tunnels on the canvas (issue #15): the two ends of a tunnel — WireGuard interfaces of the lab
 * that list each other as peers — are joined by one dashed line between their namespaces, labelled with the
 * two interface names and coloured by their live state (ready only when both daemons/devices run). Not
 * selectable: a tunnel is edited on its interfaces, in the namespace inspector. Pure derivation + one edge.
 */
import { type Edge, EdgeLabelRenderer, type EdgeProps, type InternalNode, useInternalNode } from '@xyflow/react';
import { memo } from 'react';
import type { Lab } from '../../../shared/lab';
import type { ObjectStatus } from '../../../shared/status';
import { resolvePeer, wireguardInterfaces, wireguardKey } from '../../../shared/wireguard';
import { borderPoint, type Rect } from './edgeGeometry';
import type { ViewState } from './toFlow';

export interface TunnelEdgeView extends Record<string, unknown> {
  /** `${node}/${ifname}` of each end. */
  ends: [string, string];
  label: string;
  state: ViewState;
  title: string;
}
export type TunnelFlowEdge = Edge<TunnelEdgeView, 'wgtunnel'>;
/** Id prefix of tunnel edges (a link id never contains ':'). */
export const TUNNEL_EDGE = 'wg:';

/** One edge per pair of mutual WireGuard peers of the lab (between two different namespaces). */
export function wireguardTunnels(lab: Lab, status: Readonly<Record<string, ObjectStatus>>): TunnelFlowEdge[] {
  const all = wireguardInterfaces(lab);
  if (all.size < 2) return [];
  const out: TunnelFlowEdge[] = [];
  const seen = new Set<string>();
  for (const at of all.values()) {
    for (const p of at.x.peers) {
      const r = resolvePeer(lab, all, p);
      if (!r.ok || r.at.node.id === at.node.id) continue;
      if (!r.at.x.peers.some((q) => q.node === at.node.id && q.interface === at.x.name)) continue;
      const pair = [wireguardKey(at.node.id, at.x.name), wireguardKey(r.at.node.id, r.at.x.name)].sort().join('|');
      if (seen.has(pair)) continue;
      seen.add(pair);
      const ends: [string, string] = [`${at.node.id}/${at.x.name}`, `${r.at.node.id}/${r.at.x.name}`];
      const sts = ends.map((e) => status[e]);
      // Not on the host yet (or destroyed): absent, like every other object — not "drifted".
      const state: ViewState = sts.every((s) => s === undefined || s.state === 'absent')
        ? 'absent'
        : sts.every((s) => s?.state === 'ready' && s.wireguard?.running !== false)
          ? 'ready'
          : sts.some((s) => s?.state === 'failed' || s?.state === 'conflict')
            ? 'failed'
            : 'drifted';
      const shook = sts.some((s) => s?.wireguard?.peers.some((q) => q.lastHandshakeMs !== null));
      out.push({
        id: `${TUNNEL_EDGE}${ends.join('~')}`,
        type: 'wgtunnel',
        source: at.node.id,
        target: r.at.node.id,
        selectable: false,
        focusable: false,
        data: {
          ends,
          label: at.x.name === r.at.x.name ? `WireGuard ${at.x.name}` : `WireGuard ${at.x.name} ⇄ ${r.at.x.name}`,
          state,
          title: `WireGuard tunnel ${ends[0]} ⇄ ${ends[1]}${shook ? ' (handshake done)' : ''}`,
        },
      });
    }
  }
  return out;
}

function rectOf(n: InternalNode): Rect {
  return {
    x: n.internals.positionAbsolute.x,
    y: n.internals.positionAbsolute.y,
    width: n.measured.width ?? 0,
    height: n.measured.height ?? 0,
  };
}

export const TunnelEdge = memo(function TunnelEdge({ id, source, target, data }: EdgeProps<TunnelFlowEdge>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const [a, b] = [rectOf(s), rectOf(t)];
  const p = borderPoint(a, { x: b.x + b.width / 2, y: b.y + b.height / 2 });
  const q = borderPoint(b, { x: a.x + a.width / 2, y: a.y + a.height / 2 });
  return (
    <>
      <g data-testid={`tunnel-edge.${data.ends.join('~')}`} className={`nl-edge nl-tunnel-edge state-${data.state}`}>
        <path d={`M ${p.x},${p.y} L ${q.x},${q.y}`} className="react-flow__edge-path nl-edge-path" />
      </g>
      <EdgeLabelRenderer>
        <div
          className={`nl-attach-label nl-tunnel-label nodrag nopan state-${data.state}`}
          style={{ transform: `translate(-50%, -50%) translate(${(p.x + q.x) / 2}px, ${(p.y + q.y) / 2}px)` }}
          title={data.title}
          data-edge={id}
        >
          {data.label}
        </div>
      </EdgeLabelRenderer>
    </>
  );
});

export const tunnelEdgeTypes = { wgtunnel: TunnelEdge };

/**
 * Custom veth edge: a floating straight line between node borders, both interface names + addresses on the
 * line near their ends (click one to edit that endpoint) and the live rx/tx rate in the middle; egress impairment
 * badges near the end they apply to; a link set down is dashed grey with a "down" badge. Memoized; reads only
 * the two nodes it joins.
 */
import { EdgeLabelRenderer, type EdgeProps, type InternalNode, useInternalNode } from '@xyflow/react';
import { memo } from 'react';
import { useEditorStore } from '../store/context';
import { borderPoint, edgeGeometry, type Rect } from './edgeGeometry';
import type { AttachFlowEdge, EndView, FlowEdge, TunnelFlowEdge } from './toFlow';

/** The node's rectangle on the canvas (React Flow's absolute position and measured size). */
function rectOf(n: InternalNode): Rect {
  return {
    x: n.internals.positionAbsolute.x,
    y: n.internals.positionAbsolute.y,
    width: n.measured.width ?? 0,
    height: n.measured.height ?? 0,
  };
}
function center(n: InternalNode) {
  const r = rectOf(n);
  return { x: r.x + r.width / 2, y: r.y + r.height / 2, w: r.width, h: r.height };
}

export function formatRate(bps: number): string {
  const bits = bps * 8;
  if (bits < 1000) return `${Math.round(bits)} b/s`;
  if (bits < 1e6) return `${(bits / 1e3).toFixed(1)} kb/s`;
  if (bits < 1e9) return `${(bits / 1e6).toFixed(1)} Mb/s`;
  return `${(bits / 1e9).toFixed(2)} Gb/s`;
}

/** Impairment text with the rate's stopwatch drawn as an icon (no emoji font needed). */
export function ImpairmentText({ text }: { text: string }) {
  const [before, after] = text.split('⏱ ');
  if (after === undefined) return <>{text}</>;
  return (
    <>
      {before}
      <svg className="nl-stopwatch" viewBox="0 0 16 16" width="11" height="11" aria-label="rate limit" role="img">
        <circle cx="8" cy="9" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <path d="M8 9 L10.5 6.5 M6.5 1.8 H9.5" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      </svg>{' '}
      {after}
    </>
  );
}

function EndLabel({
  end,
  x,
  y,
  edgeId,
  compact,
}: {
  end: EndView;
  x: number;
  y: number;
  edgeId: string;
  compact: boolean;
}) {
  const store = useEditorStore();
  return (
    <div
      className={`nl-end nodrag nopan state-${end.state}${end.selected ? ' is-selected' : ''}${end.error ? ' has-error' : ''}${end.up ? '' : ' admin-down'}`}
      style={{ transform: `translate(-50%, -50%) translate(${x}px, ${y}px)` }}
      data-testid={`endpoint.${end.key}`}
      data-edge={edgeId}
      title={
        end.error ??
        `${end.ifname} ${end.addresses.join(' ')}${end.operstate ? ` (${end.operstate})` : ''}${end.live ? ` — on the host: ${end.live.join(' ') || 'no address'}` : ''} — click to edit`
      }
      onClick={(e) => {
        e.stopPropagation();
        store.getState().select({ endpoint: end.key });
      }}
      onContextMenu={(e) => {
        e.preventDefault();
        e.stopPropagation();
        store.getState().openMenu(e.clientX, e.clientY, { kind: 'link', id: edgeId });
      }}
    >
      <span className="nl-end-name">
        <span className={`nl-oper oper-${(end.operstate ?? 'none').toLowerCase()}`} />
        {end.ifname}
      </span>
      {!compact && end.addresses.length > 0 && <span className="nl-end-addr">{end.addresses.join(' ')}</span>}
      {end.live && (
        <span
          className="nl-end-live"
          data-testid={`endpoint.${end.key}.live`}
          title="Live: what the host has on this interface (the design's addresses are above)"
        >
          {compact ? '≠ host' : `host: ${end.live.join(' ') || 'no address'}`}
        </span>
      )}
      {end.vlan && (
        <span className="nl-end-vlan" data-testid={`endpoint.${end.key}.vlan`}>
          {end.vlan}
        </span>
      )}
      {end.error && <span className="nl-end-error">⚠ invalid</span>}
    </div>
  );
}

export const VethEdge = memo(function VethEdge({ id, source, target, data, selected }: EdgeProps<FlowEdge>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const { p, q, compact, labels, mid, badges: imp } = edgeGeometry(rectOf(s), rectOf(t), data.ends);
  const d = `M ${p.x},${p.y} L ${q.x},${q.y}`;
  const [l0, l1] = labels;
  const state = data.error ? 'invalid' : data.state;
  const down = data.down === true;
  // Rates only when something flows: a row of "0 b/s" pills is noise on a projector.
  const rate = data.rate && data.rate.rxBps + data.rate.txBps > 0 ? data.rate : null;
  return (
    <>
      <g
        data-testid={`edge.${id}`}
        data-state={data.state}
        data-down={down ? 'true' : 'false'}
        {...(data.path ? { 'data-path': 'true' } : {})}
        className={`nl-edge state-${state}${selected ? ' is-selected' : ''}${data.path ? ' on-path' : ''}${down ? ' is-down' : ''}`}
      >
        <path d={d} className="nl-edge-halo" />
        <path d={d} className="react-flow__edge-path nl-edge-path" />
        {data.state === 'ready' && rate && !down && <path d={d} className="nl-edge-flow" />}
        <path d={d} className="react-flow__edge-interaction" fill="none" strokeOpacity={0} strokeWidth={18} />
      </g>
      <EdgeLabelRenderer>
        <EndLabel end={data.ends[0]} x={l0.x} y={l0.y} edgeId={id} compact={compact} />
        <EndLabel end={data.ends[1]} x={l1.x} y={l1.y} edgeId={id} compact={compact} />
        {data.ends.map((e, i) =>
          e.impairment ? (
            <div
              key={e.key}
              className="nl-edge-badge impairment nodrag nopan"
              style={{ transform: `translate(-50%, -50%) translate(${imp[i]!.x}px, ${imp[i]!.y}px)` }}
              data-testid={`edge.${id}.impairment`}
              data-end={i}
              title={`Egress impairment of ${e.ifname}: ${e.impairment}`}
            >
              <ImpairmentText text={e.impairment} />
            </div>
          ) : null,
        )}
        {down && (
          <div
            className="nl-edge-badge down nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y}px)` }}
            data-testid={`edge.${id}.down`}
            title="Administratively down (a fault for teaching): nothing passes"
          >
            down
          </div>
        )}
        {data.failure && (
          <div
            className="nl-edge-failure nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y + 64}px)` }}
            data-testid={`edge.${id}.failure`}
          >
            <b>Failed here</b>
            <code>{data.failure}</code>
          </div>
        )}
        {data.note && (
          <div
            className="nl-tool-note edge nodrag nopan"
            style={{
              transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y + (rate || data.error || data.message ? 26 : 0) + (down ? 26 : 0)}px)`,
            }}
            data-testid={`edge.${id}.note`}
          >
            {data.note}
          </div>
        )}
        {(rate || data.error || data.message) && (
          <div
            className={`nl-edge-mid nodrag nopan${data.error ? ' has-error' : ''}`}
            style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y + (down ? 26 : 0)}px)` }}
            data-testid={`edge.${id}.rate`}
            title={data.error ?? data.message}
          >
            {data.error
              ? '⚠'
              : rate
                ? `↓ ${formatRate(rate.rxBps)}  ↑ ${formatRate(rate.txBps)}`
                : (data.message ?? '')}
          </div>
        )}
      </EdgeLabelRenderer>
    </>
  );
});

/**
 * An attached interface (e.g. a VXLAN) that is a port of a bridge node: a dashed line from its namespace to
 * the bridge, named by the interface in the middle. Not selectable (edit it in the namespace's inspector).
 */
export const AttachEdge = memo(function AttachEdge({ id, source, target, data }: EdgeProps<AttachFlowEdge>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const b = center(t);
  const [rs, rt] = [rectOf(s), rectOf(t)];
  // A bridge drawn inside the namespace: from below the namespace's chips (on its left, where they are)
  // down to the bridge's top.
  const inside = data.inside;
  const q = inside === undefined ? borderPoint(rt, center(s)) : { x: b.x, y: b.y - b.h / 2 };
  const chipX = s.internals.positionAbsolute.x + 70;
  const p =
    inside === undefined
      ? borderPoint(rs, b)
      : { x: Math.abs(chipX - q.x) < 24 ? q.x - 40 : chipX, y: s.internals.positionAbsolute.y + inside };
  const d = `M ${p.x},${p.y} L ${q.x},${q.y}`;
  const state = data.error ? 'invalid' : data.state;
  return (
    <>
      <g
        data-testid={`attach-edge.${data.key}`}
        data-attach-state={data.state}
        className={`nl-edge nl-attach-edge state-${state}`}
      >
        <path d={d} className="react-flow__edge-path nl-edge-path" />
      </g>
      <EdgeLabelRenderer>
        <div
          className={`nl-attach-label nodrag nopan state-${state}`}
          style={{ transform: `translate(-50%, -50%) translate(${(p.x + q.x) / 2}px, ${(p.y + q.y) / 2}px)` }}
          title={data.error ?? `${data.ifname} is a port of this bridge`}
          data-edge={id}
        >
          {data.ifname}
        </div>
      </EdgeLabelRenderer>
    </>
  );
});

/**
 * A VXLAN tunnel: one dashed arc between the namespaces of its two ends (the underlay links are drawn as
 * themselves), its VNI in the middle; amber with the mismatch when the ends disagree.
 */
export const TunnelEdge = memo(function TunnelEdge({ id, source, target, data }: EdgeProps<TunnelFlowEdge>) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t || !data) return null;
  const [rs, rt] = [rectOf(s), rectOf(t)];
  // An arc bowing upwards, so the tunnel stands apart from the underlay it rides on (often a straight row of
  // veths through the routers between the sites): it leaves each node towards the arc's control point.
  const [cs, ct] = [center(s), center(t)];
  const len = Math.hypot(ct.x - cs.x, ct.y - cs.y) || 1;
  const bow = Math.min(320, Math.max(200, len * 0.5));
  let nx = -(ct.y - cs.y) / len;
  let ny = (ct.x - cs.x) / len;
  if (ny > 0) [nx, ny] = [-nx, -ny];
  const c = { x: (cs.x + ct.x) / 2 + nx * bow, y: (cs.y + ct.y) / 2 + ny * bow };
  const p = borderPoint(rs, c);
  const q = borderPoint(rt, c);
  const d = `M ${p.x},${p.y} Q ${c.x},${c.y} ${q.x},${q.y}`;
  const mid = { x: (p.x + 2 * c.x + q.x) / 4, y: (p.y + 2 * c.y + q.y) / 4 };
  const cls = data.ok ? `state-${data.state}` : 'is-mismatch';
  return (
    <>
      <g
        data-testid={`tunnel-edge.${data.key}`}
        data-ok={String(data.ok)}
        {...(data.path ? { 'data-path': 'true' } : {})}
        className={`nl-edge nl-tunnel-edge ${cls}${data.path ? ' on-path' : ''}`}
      >
        <path d={d} className="nl-edge-halo" />
        <path d={d} className="react-flow__edge-path nl-edge-path" />
      </g>
      <EdgeLabelRenderer>
        <div
          className={`nl-tunnel-label nodrag nopan ${cls}`}
          style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y}px)` }}
          title={
            data.warning ??
            `VXLAN tunnel ${data.ifnames[0]} ⇢ ${data.ifnames[1]}: Ethernet frames inside UDP, carried by the routed underlay`
          }
          data-testid={`tunnel-label.${data.key}`}
          data-edge={id}
        >
          {data.label}
        </div>
      </EdgeLabelRenderer>
    </>
  );
});

export const edgeTypes = { veth: VethEdge, attach: AttachEdge, tunnel: TunnelEdge };

/**
 * Host view node and edge types: the editor's memoized nodes wrapped with an ownership badge (owned = the lab's
 * name in the normal state colours, foreign = neutral), a small labelled stub for extras, and a floating dashed
 * edge from a stub to what it hangs off. Read-only: no store access.
 */
import { type EdgeProps, Handle, type InternalNode, type NodeProps, Position, useInternalNode } from '@xyflow/react';
import { type ComponentType, memo } from 'react';
import { BridgeNodeView, HostNodeView, NamespaceNodeView } from '../canvas/nodes';
import type { FlowNode } from '../canvas/toFlow';
import { edgeTypes as editorEdgeTypes } from '../canvas/VethEdge';
import type { HostFlowNode } from './adapters';

function Badge({ data }: { data: HostFlowNode['data'] }) {
  return data.ownership === 'owned' ? (
    <span className="hv-badge owned" title={`owned by Netloom lab ${data.owner}`}>
      {data.owner}
    </span>
  ) : (
    <span className="hv-badge foreign" title="not created by Netloom (no marker)">
      foreign
    </span>
  );
}

function wrap(Base: ComponentType<NodeProps<FlowNode>>) {
  return memo(function HostWrapped(props: NodeProps<HostFlowNode>) {
    const d = props.data;
    return (
      <div
        className={`hv-node own-${d.ownership}`}
        data-testid={`hostview.node.${props.id}`}
        data-ownership={d.ownership}
        data-owner={d.owner ?? ''}
        data-dim={d.dim ? 'true' : 'false'}
      >
        <Base {...(props as unknown as NodeProps<FlowNode>)} />
        <Badge data={d} />
      </div>
    );
  });
}

const ExtraNode = memo(function ExtraNode({ id, data, selected }: NodeProps<HostFlowNode>) {
  return (
    <div
      className={`hv-stub own-${data.ownership}${selected ? ' is-selected' : ''}`}
      data-testid={`hostview.node.${id}`}
      data-ownership={data.ownership}
      data-kind={data.extraKind}
      data-dim={data.dim ? 'true' : 'false'}
      title={`${data.label}${data.detail ? ` — ${data.detail}` : ''}`}
    >
      <Handle type="source" position={Position.Left} id="l" className="hv-handle" isConnectable={false} />
      <span className="hv-stub-kind">{data.extraKind === 'netns' ? 'ns' : data.extraKind}</span>
      <span className="hv-stub-text">
        <span className="hv-stub-label">{data.label}</span>
        {data.detail && <span className="hv-stub-detail">{data.detail}</span>}
      </span>
      <Handle type="source" position={Position.Right} id="r" className="hv-handle" isConnectable={false} />
    </div>
  );
});

export const hostNodeTypes = {
  namespace: wrap(NamespaceNodeView),
  bridge: wrap(BridgeNodeView),
  host: wrap(HostNodeView),
  extra: ExtraNode,
};

function center(n: InternalNode) {
  const w = n.measured.width ?? 0;
  const h = n.measured.height ?? 0;
  return { x: n.internals.positionAbsolute.x + w / 2, y: n.internals.positionAbsolute.y + h / 2, w, h };
}

function border(a: ReturnType<typeof center>, b: { x: number; y: number }) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (dx === 0 && dy === 0) return a;
  const s = Math.min(a.w / 2 / Math.abs(dx || 1e-9), a.h / 2 / Math.abs(dy || 1e-9));
  return { x: a.x + dx * s, y: a.y + dy * s };
}

/** Dashed floating line between two node borders (stub → anchor, veth peers among extras). */
const StubEdge = memo(function StubEdge({ id, source, target }: EdgeProps) {
  const s = useInternalNode(source);
  const t = useInternalNode(target);
  if (!s || !t) return null;
  const a = center(s);
  const b = center(t);
  const p = border(a, b);
  const q = border(b, a);
  return <path data-testid={`hostview.edge.${id}`} d={`M ${p.x},${p.y} L ${q.x},${q.y}`} className="hv-stub-path" />;
});

export const hostEdgeTypes = { ...editorEdgeTypes, straight: StubEdge };

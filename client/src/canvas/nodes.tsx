/**
 * Memoized custom nodes (namespace, bridge, host). They render only their `data` (a NodeView built by
 * `toFlow`); they never read the store, so moving one node re-renders one node.
 */
import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo } from 'react';
import { KindIcon } from './icons';
import { type AttachedView, type FlowNode, type IfaceView, STATE_LABEL } from './toFlow';

function Handles() {
  // Four handles, all sources: with ConnectionMode.Loose any handle connects to any other; edges float.
  return (
    <>
      <Handle type="source" position={Position.Top} id="t" className="nl-handle" />
      <Handle type="source" position={Position.Right} id="r" className="nl-handle" />
      <Handle type="source" position={Position.Bottom} id="b" className="nl-handle" />
      <Handle type="source" position={Position.Left} id="l" className="nl-handle" />
    </>
  );
}

function Iface({ i }: { i: IfaceView }) {
  const oper = i.operstate ?? (i.state === 'absent' ? '' : undefined);
  return (
    <li className={`nl-iface${i.error ? ' has-error' : ''}`} title={i.error ?? undefined}>
      <span
        className={`nl-oper oper-${(oper || 'none').toLowerCase()}${i.up ? '' : ' admin-down'}`}
        title={oper ? `operstate ${oper}` : 'not on the host yet'}
      />
      <span className="nl-ifname">{i.ifname}</span>
      <span className="nl-addrs">{i.addresses.length ? i.addresses.join(' ') : <em>no address</em>}</span>
      {i.live && (
        <span className="nl-live-mark" title={`Live: the host has ${i.live.join(' ') || 'no address'} here`}>
          ≠ host
        </span>
      )}
    </li>
  );
}

const KIND_TAG: Record<AttachedView['kind'], string> = {
  vxlan: 'VXLAN',
  tap: 'TAP',
  vlan: 'VLAN',
  macvlan: 'MACVLAN',
  wireguard: 'WG',
  gre: 'GRE',
  ipip: 'IPIP',
  ip6tnl: 'IP6TNL',
  geneve: 'GENEVE',
};

/** One attached interface: kind tag, name, detail ("VNI 42"), bridge; its dot shows the live operstate. */
function AttachedChip({ a }: { a: AttachedView }) {
  const text = `${a.name}${a.detail ? ` · ${a.detail}` : ''}${a.bridge ? ` → ${a.bridge}` : ''}`;
  const live =
    a.state === 'absent' ? 'not on the host yet' : `${a.state}${a.operstate ? `, operstate ${a.operstate}` : ''}`;
  return (
    <span
      className={`nl-attached-chip kind-${a.kind} state-${a.state}${a.error ? ' has-error' : ''}`}
      data-testid={`attached.${a.key}`}
      data-state={a.state}
      title={a.error ?? `${KIND_TAG[a.kind]} ${text} (${live})`}
    >
      <span className={`nl-oper oper-${(a.operstate ?? 'none').toLowerCase()} state-${a.state}`} />
      <span className="nl-attached-kind">{KIND_TAG[a.kind]}</span>
      <span className="nl-attached-text">{text}</span>
    </span>
  );
}

function NodeBody({ id, data, selected }: Pick<NodeProps<FlowNode>, 'id' | 'data' | 'selected'>) {
  const cls = [
    'nl-node',
    `kind-${data.kind}`,
    `state-${data.state}`,
    selected ? 'is-selected' : '',
    data.error ? 'has-error' : data.warning ? 'has-warning' : '',
    data.router ? 'is-router' : '',
    data.busy ? 'is-busy' : '',
    data.failure ? 'has-failure' : '',
    data.path ? 'on-path' : '',
    data.container ? 'is-container' : '',
  ].join(' ');
  return (
    <div
      className={cls}
      data-testid={`node.${id}`}
      data-state={data.state}
      {...(data.path ? { 'data-path': 'true' } : {})}
    >
      <header className="nl-node-head">
        <span className="nl-node-icon">
          <KindIcon kind={data.kind} />
        </span>
        <span className="nl-node-title">
          <span className="nl-node-name">{data.label}</span>
          <span className="nl-node-detail">{data.detail}</span>
        </span>
        <span className={`nl-state-pill state-${data.state}`} title={data.message ?? STATE_LABEL[data.state]}>
          {STATE_LABEL[data.state]}
        </span>
      </header>
      {data.kind === 'bridge' && data.ifaces.length > 0 && (
        <div className="nl-ports" title="bridge ports">
          {data.ifaces.map((i) =>
            i.key === id ? (
              <span key={i.key} className="nl-port">
                {i.addresses.join(' ')}
              </span>
            ) : (
              <span key={i.key} className={`nl-port${i.error ? ' has-error' : ''}`}>
                <span className={`nl-oper oper-${(i.operstate ?? 'none').toLowerCase()}`} />
                {i.ifname}
              </span>
            ),
          )}
        </div>
      )}
      {data.kind !== 'bridge' && data.ifaces.length > 0 && (
        <ul className="nl-ifaces">
          {data.ifaces.slice(0, 6).map((i) => (
            <Iface key={i.key} i={i} />
          ))}
          {data.ifaces.length > 6 && <li className="nl-more">+{data.ifaces.length - 6} more</li>}
        </ul>
      )}
      {data.attached && (
        <div className="nl-attached" data-testid={`node.${id}.attached`}>
          {data.attached.slice(0, 8).map((a) => (
            <AttachedChip key={a.key} a={a} />
          ))}
          {data.attached.length > 8 && <span className="nl-more">+{data.attached.length - 8} more</span>}
        </div>
      )}
      {data.error && (
        <div className="nl-node-error" data-testid={`node.${id}.error`}>
          {data.error}
        </div>
      )}
      {!data.error && data.ifaces.some((i) => i.error) && (
        <div className="nl-node-error" data-testid={`node.${id}.error`}>
          {data.ifaces.find((i) => i.error)?.error}
        </div>
      )}
      {data.state === 'drifted' && (
        <div className="nl-drift" data-testid={`node.${id}.drift`}>
          drifted{data.message ? `: ${data.message}` : ''} — re-apply to repair
        </div>
      )}
      {data.failure && (
        <div className="nl-node-failure" data-testid={`node.${id}.failure`}>
          <b>Failed here</b>
          <code>{data.failure}</code>
        </div>
      )}
      {(data.state === 'failed' || (data.state === 'conflict' && !data.error)) && data.message && (
        <div className="nl-node-error">{data.message}</div>
      )}
      {data.note && (
        <div className="nl-tool-note" data-testid={`node.${id}.note`}>
          {data.note}
        </div>
      )}
      {data.notice && (
        <div className="nl-node-notice" data-testid={`node.${id}.notice`}>
          {data.notice}
        </div>
      )}
      <Handles />
    </div>
  );
}

export const NamespaceNodeView = memo(function NamespaceNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  return <NodeBody id={id} data={data} selected={selected} />;
});
export const BridgeNodeView = memo(function BridgeNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  return <NodeBody id={id} data={data} selected={selected} />;
});
export const HostNodeView = memo(function HostNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  return <NodeBody id={id} data={data} selected={selected} />;
});

export const nodeTypes = { namespace: NamespaceNodeView, bridge: BridgeNodeView, host: HostNodeView };

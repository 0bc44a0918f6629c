/** Read-only inspector of the host view: kernel names, addresses and ownership of the selected object. */
import type { ReactNode } from 'react';
import type { DiscoveredLinkInfo, DiscoveryResponse, NetnsRef, ObjectInfo } from '../../../shared/discovery';
import { describeObject, extraLabel, netnsText, ownershipText } from './adapters';
import { type DiscoveryStore, useDiscovery } from './store';

function Row({ k, children, testid }: { k: string; children: ReactNode; testid?: string }) {
  return (
    <div className="hv-kv">
      <span className="hv-k">{k}</span>
      <span className="hv-v" data-testid={testid}>
        {children}
      </span>
    </div>
  );
}

function Owner({
  info,
}: {
  info: ObjectInfo | { ownership: string; marker?: { lab: string; object: string } } | undefined;
}) {
  const owned = info?.ownership === 'owned';
  return (
    <span className={`hv-own ${owned ? 'owned' : 'foreign'}`} data-testid="hostview.inspector.ownership">
      {ownershipText(info)}
    </span>
  );
}

function linksIn(d: DiscoveryResponse, netns: NetnsRef): DiscoveredLinkInfo[] {
  return d.namespaces.find((n) => n.ref === netns)?.links ?? [];
}

function Ifaces({ links }: { links: DiscoveredLinkInfo[] }) {
  if (!links.length) return <span className="hv-muted">none</span>;
  return (
    <ul className="hv-ifaces">
      {links.map((l) => (
        <li key={l.ifname}>
          <span className={`nl-oper oper-${(l.operstate ?? 'none').toLowerCase()}`} />
          <code>{l.ifname}</code>
          <span className="hv-muted">{l.kind}</span>
          <span className="hv-addrs">{l.addresses.join(' ')}</span>
        </li>
      ))}
    </ul>
  );
}

function EndRows({ d, key0 }: { d: DiscoveryResponse; key0: string }) {
  const info = d.objects[key0];
  const link = d.lab.links.find((l) => l.id === key0.split('#')[0]);
  const ep = link?.endpoints[Number(key0.split('#')[1])];
  const live = info ? linksIn(d, info.netns).find((l) => l.ifname === info.ifname) : undefined;
  return (
    <div className="hv-end" data-testid={`hostview.inspector.end.${key0}`}>
      <Row k="Interface">
        <code>{info?.ifname ?? ep?.ifname}</code>
        {info?.ifindex !== undefined && <span className="hv-muted"> #{info.ifindex}</span>}
      </Row>
      <Row k="Namespace">{netnsText(info?.netns ?? null)}</Row>
      <Row k="Addresses">{ep?.addresses.length ? ep.addresses.join(' ') : <span className="hv-muted">none</span>}</Row>
      {live?.operstate && <Row k="State">{live.operstate}</Row>}
      {live?.mtu !== undefined && <Row k="MTU">{live.mtu}</Row>}
      {live?.mac && (
        <Row k="MAC">
          <code>{live.mac}</code>
        </Row>
      )}
      <Row k="Ownership">
        <Owner info={info} />
      </Row>
    </div>
  );
}

export function HostInspector({ store }: { store: DiscoveryStore }) {
  const d = useDiscovery((s) => s.data, store);
  const selection = useDiscovery((s) => s.selection, store);
  const endpoint = useDiscovery((s) => s.endpoint, store);
  const warnings = d?.warnings ?? [];
  const id = endpoint ?? selection[selection.length - 1];
  let body: ReactNode = (
    <div className="nl-empty">
      Click an object to see its kernel names, addresses and owner. Shift-click or Shift-drag to select several, then{' '}
      <b>Adopt…</b> to turn them into a lab.
    </div>
  );
  if (d && id) {
    const node = d.lab.nodes.find((n) => n.id === id);
    const link = d.lab.links.find((l) => l.id === id);
    const extra = d.extras.find((x) => x.id === id);
    const info = d.objects[id];
    if (endpoint) body = <EndRows d={d} key0={endpoint} />;
    else if (node) {
      const netns = node.kind === 'namespace' ? node.name : (info?.netns ?? null);
      const links =
        node.kind === 'bridge' ? linksIn(d, netns).filter((l) => l.master === node.name) : linksIn(d, netns);
      body = (
        <>
          <Row k="Kind">{node.kind === 'host' ? 'root namespace' : node.kind}</Row>
          {node.kind !== 'host' && (
            <Row k="Kernel name">
              <code>{node.name}</code>
            </Row>
          )}
          {node.kind === 'bridge' && <Row k="Namespace">{netnsText(netns)}</Row>}
          {node.kind === 'bridge' && node.addresses.length > 0 && <Row k="Addresses">{node.addresses.join(' ')}</Row>}
          {node.kind === 'namespace' && <Row k="Forwarding">{node.forwarding ? 'on (router)' : 'off'}</Row>}
          {node.kind === 'namespace' && node.routes.length > 0 && (
            <Row k="Routes">
              {node.routes
                .map((r) => `${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`)
                .join(', ')}
            </Row>
          )}
          <Row k="Ownership">
            <Owner info={info} />
          </Row>
          <div className="nl-section-title hv-sub">{node.kind === 'bridge' ? 'Ports' : 'Interfaces'}</div>
          <Ifaces links={links.filter((l) => l.ifname !== 'lo')} />
        </>
      );
    } else if (link) {
      body = (
        <>
          <Row k="Kind">veth pair</Row>
          <div className="nl-section-title hv-sub">End 0</div>
          <EndRows d={d} key0={`${link.id}#0`} />
          <div className="nl-section-title hv-sub">End 1</div>
          <EndRows d={d} key0={`${link.id}#1`} />
        </>
      );
    } else if (extra) {
      body = (
        <>
          <Row k="Kind">{extra.kind === 'netns' ? 'namespace held by a process' : extra.kind}</Row>
          {extra.ifname && (
            <Row k="Interface">
              <code>{extra.ifname}</code>
              {extra.ifindex !== undefined && <span className="hv-muted"> #{extra.ifindex}</span>}
            </Row>
          )}
          <Row k="Namespace">{netnsText(extra.netns)}</Row>
          {extra.pid !== undefined && (
            <Row k="Process">
              {extra.pid} ({extra.comm ?? '?'})
            </Row>
          )}
          {extra.addresses.length > 0 && <Row k="Addresses">{extra.addresses.join(' ')}</Row>}
          {extra.parent && (
            <Row k="Parent">
              <code>{extra.parent.ifname}</code> in {netnsText(extra.parent.netns)}
            </Row>
          )}
          {extra.peer && (
            <Row k="Peer">
              <code>{extra.peer.ifname}</code> in {netnsText(extra.peer.netns)}
            </Row>
          )}
          {extra.master && <Row k="Master">{extra.master}</Row>}
          {extra.operstate && <Row k="State">{extra.operstate}</Row>}
          {extra.mtu !== undefined && <Row k="MTU">{extra.mtu}</Row>}
          {extra.mac && (
            <Row k="MAC">
              <code>{extra.mac}</code>
            </Row>
          )}
          {extra.detail &&
            Object.entries(extra.detail).map(([k, v]) => (
              <Row key={k} k={k}>
                {String(v)}
              </Row>
            ))}
          <Row k="Ownership">
            <Owner info={extra} />
          </Row>
          <div className="nl-callout hv-reason">{extra.reason}</div>
        </>
      );
    }
  }
  const title = d && id ? (endpoint ? (d.objects[endpoint]?.ifname ?? endpoint) : describeObject(d, id)) : null;
  const x = d && id ? d.extras.find((e) => e.id === id) : undefined;
  return (
    <div className="hv-inspector" data-testid="hostview.inspector">
      <div className="nl-tabs hv-tabs">
        <span className="hv-tab">Inspector</span>
        {selection.length > 1 && (
          <span className="nl-count" data-testid="hostview.selected-count">
            {selection.length} selected
          </span>
        )}
      </div>
      <div className="hv-insp-body">
        {title && (
          <div className="hv-insp-title" data-testid="hostview.inspector.title">
            {x ? extraLabel(x).label : title}
          </div>
        )}
        {body}
        {warnings.length > 0 && (
          <details className="hv-warnings" data-testid="hostview.warnings">
            <summary>
              {warnings.length} discovery warning{warnings.length === 1 ? '' : 's'}
            </summary>
            <ul>
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          </details>
        )}
      </div>
    </div>
  );
}

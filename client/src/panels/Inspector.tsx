/**
 * Inspector: schema-driven forms for the selected node, link or endpoint; inline errors from validate();
 * live status details (operstate, observed addresses, counters, conditions).
 */
import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { Issue } from '../../../shared/errors';
import { type Endpoint, IfName, type LabNode, Mac, Mtu, NetnsName, type Route } from '../../../shared/lab';
import type { ObjectStatus } from '../../../shared/status';
import { useMaybeActions } from '../actions';
import { suggestRoutes } from '../addressing';
import { KindIcon } from '../canvas/icons';
import { formatRate } from '../canvas/VethEdge';
import { useEditor, useEditorStore } from '../store/context';
import { applyRenames, derivedRenames } from '../store/renameIfaces';
import {
  problemsOf,
  selectBusy,
  selectIssuesOf,
  selectLink,
  selectNode,
  selectSelection,
  selectStatusOf,
} from '../store/selectors';
import { fieldError, listCheck, splitList, TextField, Toggle } from './fields';
import { AttachedInterfaces } from './interfaces';
import { LiveKernelState } from './liveState';
import { HostNat, ImpairmentSection, NamespaceSysctls, RoutesTable } from './network';
import { BridgeVlanSection, PortVlanSection } from './vlans';

/** Issues of an object whose path ends in `field` (after the object's own prefix). */
function issuesFor(issues: Issue[] | undefined, field: string): string[] {
  return (issues ?? []).filter((i) => i.path.includes(field)).map((i) => i.message);
}

function mtuCheck(v: string): string | null {
  return v.trim() === '' ? null : fieldError(Mtu, Number(v));
}

/** Problems of the object as a whole: errors in red, warnings (advice; they do not block Apply) in amber. */
function GeneralIssues({ issues }: { issues: Issue[] }) {
  return (
    <>
      {issues.map((i) => (
        <div
          key={i.message}
          className={`nl-callout ${i.severity === 'warning' ? 'warn' : 'error'}`}
          data-testid={i.severity === 'warning' ? 'inspector.warning' : 'inspector.error'}
        >
          {i.message}
        </div>
      ))}
    </>
  );
}

/** Drift a re-apply does not repair: the design leaves the value to the kernel (server/engine/status.ts). */
const KEPT_BY_REAPPLY = new Set(['MtuNotDefault']);

function StatusDetails({ st }: { st: ObjectStatus | undefined }) {
  if (!st) return null;
  return (
    <div className="nl-status-box" data-testid="inspector.status">
      <div className="nl-status-row">
        <span className={`nl-swatch state-${st.state}`} />
        <b>{st.state}</b>
        {st.operstate && <span className="nl-chip">operstate {st.operstate}</span>}
        {st.mtu && <span className="nl-chip">mtu {st.mtu}</span>}
      </div>
      {st.addresses && st.addresses.length > 0 && <div className="mono small">on host: {st.addresses.join(', ')}</div>}
      {st.counters && (
        <div className="mono small" data-testid="inspector.counters">
          rx {st.counters.rxPackets} pkts / {st.counters.rxBytes} B · tx {st.counters.txPackets} pkts /{' '}
          {st.counters.txBytes} B
        </div>
      )}
      {st.rates && (
        <div className="mono small">
          ↓ {formatRate(st.rates.rxBps)} ↑ {formatRate(st.rates.txBps)}
        </div>
      )}
      {st.conditions
        .filter((c) => c.type !== 'Ready' || !c.status)
        .map((c) => (
          <div key={c.type + c.reason} className={`nl-condition ${c.status ? 'on' : 'off'}`}>
            <b>{c.type}</b> {c.reason}: {c.message}
          </div>
        ))}
      {st.state === 'drifted' && (
        <div className="nl-drift inline">
          {st.conditions.every((c) => c.type !== 'Drifted' || KEPT_BY_REAPPLY.has(c.reason))
            ? 'The host differs from what the lab implies; re-apply leaves it: the design does not set it.'
            : 'The host differs from the lab — re-apply to repair.'}
        </div>
      )}
    </div>
  );
}

function NodeForm({ node }: { node: LabNode }) {
  const store = useEditorStore();
  const allIssues = useEditor(selectIssuesOf(node.id));
  // Problems of attached interfaces (nodes.i.interfaces.…) belong to the Interfaces section, not to the
  // node's own fields (an interface's `name` is not the namespace's name).
  const issues = allIssues?.filter((i) => i.path[2] !== 'interfaces');
  const st = useEditor(selectStatusOf(node.id));
  const nsChoices = useEditor(
    useShallow((s) =>
      s.lab.nodes.filter((n) => n.kind === 'namespace').map((n) => `${n.id}\t${n.kind === 'namespace' ? n.name : ''}`),
    ),
  );
  const update = (patch: Partial<LabNode>) => store.getState().updateNode(node.id, patch);
  // The name the node had before the user renamed it here: its interfaces may still be named after it.
  const [renamedFrom, setRenamedFrom] = useState<string | null>(null);
  const rename = (name: string) => {
    if (node.kind !== 'host' && name !== node.name) setRenamedFrom(renamedFrom ?? node.name);
    update({ name } as Partial<LabNode>);
  };
  const general = (issues ?? []).filter(
    (i) => !['name', 'routes', 'addresses', 'mtu', 'namespace', 'description', 'nat'].some((f) => i.path.includes(f)),
  );
  return (
    <>
      <div className="nl-insp-head">
        <span className={`nl-insp-icon kind-${node.kind}`}>
          <KindIcon kind={node.kind} size={22} />
        </span>
        <div>
          <div className="nl-insp-title">{node.kind === 'host' ? 'Host' : node.name}</div>
          <div className="nl-insp-sub">
            {node.kind === 'namespace'
              ? node.forwarding
                ? 'router (namespace)'
                : 'network namespace'
              : node.kind === 'bridge'
                ? 'Linux bridge'
                : 'root network namespace'}{' '}
            · id <span data-testid="inspector.id">{node.id}</span>
          </div>
        </div>
      </div>
      <GeneralIssues issues={general} />
      <StatusDetails st={st} />
      {node.kind !== 'bridge' && <NodeTools id={node.id} host={node.kind === 'host'} />}
      {node.kind === 'namespace' && (
        <>
          <TextField
            label="Name"
            value={node.name}
            testid="inspector.name"
            mono
            check={(v) => fieldError(NetnsName, v)}
            errors={issuesFor(issues, 'name')}
            onCommit={rename}
          />
          {renamedFrom && <RenameOffer node={node} from={renamedFrom} onDone={() => setRenamedFrom(null)} />}
          <Toggle
            label="Router (IP forwarding)"
            checked={node.forwarding}
            testid="inspector.forwarding"
            onChange={(forwarding) => update({ forwarding })}
            hint={
              node.forwarding ? (
                <RouterHint id={node.id} />
              ) : (
                'Turn on to forward packets between this namespace’s interfaces.'
              )
            }
          />
          <NamespaceSysctls node={node} />
          <AttachedInterfaces node={node} issues={allIssues} />
          <RoutesTable node={node} issues={issues} />
          <LiveKernelState node={node} />
        </>
      )}
      {node.kind === 'bridge' && (
        <>
          <TextField
            label="Name"
            value={node.name}
            testid="inspector.name"
            mono
            check={(v) => fieldError(IfName, v)}
            errors={issuesFor(issues, 'name')}
            onCommit={rename}
          />
          {renamedFrom && <RenameOffer node={node} from={renamedFrom} onDone={() => setRenamedFrom(null)} />}
          <div className="nl-field">
            <label htmlFor={`ns-${node.id}`}>Lives in</label>
            <select
              id={`ns-${node.id}`}
              className="nl-input"
              data-testid="inspector.namespace"
              value={node.namespace ?? ''}
              onChange={(e) => update({ namespace: e.target.value || undefined })}
            >
              <option value="">host (root namespace)</option>
              {nsChoices.map((c) => {
                const [id, name] = c.split('\t');
                return (
                  <option key={id} value={id}>
                    {name}
                  </option>
                );
              })}
            </select>
          </div>
          <TextField
            label="Addresses (gateway of the LAN)"
            value={node.addresses.join(', ')}
            testid="inspector.addresses"
            mono
            placeholder="10.0.1.254/24"
            check={listCheck}
            errors={issuesFor(issues, 'addresses')}
            onCommit={(t) => update({ addresses: splitList(t) })}
          />
          <TextField
            label="MTU"
            value={node.mtu?.toString() ?? ''}
            testid="inspector.mtu"
            mono
            placeholder="1500"
            check={mtuCheck}
            errors={issuesFor(issues, 'mtu')}
            onCommit={(t) => update({ mtu: t.trim() ? Number(t) : undefined })}
          />
          <Toggle
            label="Spanning tree (STP)"
            checked={node.stp ?? false}
            testid="inspector.stp"
            onChange={(stp) => update({ stp })}
          />
          <BridgeVlanSection node={node} />
        </>
      )}
      {node.kind === 'host' && (
        <>
          <p className="nl-muted">
            The host's own network stack. Links to it put one end of a veth in the root namespace, where your shell can
            see it.
          </p>
          <HostNat node={node} issues={issues} />
        </>
      )}
      <TextField
        label="Notes"
        value={node.description ?? ''}
        testid="inspector.description"
        multiline
        onCommit={(t) => update({ description: t || undefined })}
      />
    </>
  );
}

/** After a rename: offers to rename the node's interfaces still named after its old name (one undo step). */
function RenameOffer({ node, from, onDone }: { node: LabNode; from: string; onDone(): void }) {
  const store = useEditorStore();
  const to = node.kind === 'host' ? '' : node.name;
  // Joined strings keep the selector output stable (useShallow compares the items).
  const offer = useEditor(
    useShallow((s) => derivedRenames(s.lab, node.id, from, to).map((r) => `${r.key}\t${r.from}\t${r.to}`)),
  );
  if (!offer.length) return null;
  const renames = offer.map((line) => {
    const [key, a, b] = line.split('\t') as [string, string, string];
    return { key, from: a, to: b };
  });
  return (
    <div className="nl-router-hint" data-testid="inspector.rename-ifaces">
      <span>
        {renames.length === 1 ? 'An interface is' : `${renames.length} interfaces are`} still named after{' '}
        <b className="mono">{from}</b>:
      </span>
      <ul className="mono small">
        {renames.map((r) => (
          <li key={r.key}>
            {r.from} → {r.to}
          </li>
        ))}
      </ul>
      <div className="nl-row">
        <button
          type="button"
          className="nl-btn small"
          data-testid="inspector.rename-ifaces.apply"
          onClick={() => {
            const s = store.getState();
            store.setState({ lab: applyRenames(s.lab, node.id, renames), edited: node.id }); // one undo step
            onDone();
          }}
        >
          Rename {renames.length === 1 ? 'it' : 'them'}
        </button>
        <button type="button" className="nl-btn small ghost" onClick={onDone}>
          Keep the names
        </button>
      </div>
    </div>
  );
}

/**
 * Live tools of a namespace/host: terminal, ping (the lab must be applied). The host node has no terminal:
 * the server refuses a shell in the root namespace (it reaches what other labs and the host own).
 */
function NodeTools({ id, host }: { id: string; host: boolean }) {
  const store = useEditorStore();
  return (
    <div className="nl-insp-tools" data-testid="inspector.tools">
      <span className="nl-insp-tools-title">Tools</span>
      {!host && (
        <button
          type="button"
          className="nl-btn small"
          data-testid="inspector.terminal"
          onClick={() => store.getState().openTerminalTab(id)}
        >
          ›_ Open terminal
        </button>
      )}
      <button
        type="button"
        className="nl-btn small"
        data-testid="inspector.ping"
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          store.getState().setPingPrompt({ from: id, x: r.left - 120, y: r.bottom + 6 });
        }}
      >
        ⇢ Ping…
      </button>
    </div>
  );
}

function RouterHint({ id }: { id: string }) {
  const store = useEditorStore();
  // Joined strings keep the selector output stable between renders (useShallow compares the array items).
  const lines = useEditor(
    useShallow((s) =>
      suggestRoutes(s.lab, id).map((x) => {
        const n = s.lab.nodes.find((m) => m.id === x.node);
        return `${n && n.kind !== 'host' ? n.name : x.node}: ip route add ${x.route.to} via ${x.route.via}`;
      }),
    ),
  );
  const add = () => {
    const { lab } = store.getState();
    const byNode = new Map<string, Route[]>();
    for (const s of suggestRoutes(lab, id)) byNode.set(s.node, [...(byNode.get(s.node) ?? []), s.route]);
    // One history entry for all the neighbours' new routes.
    store.setState({
      lab: {
        ...lab,
        nodes: lab.nodes.map((n) =>
          n.kind === 'namespace' && byNode.has(n.id) ? { ...n, routes: [...n.routes, ...byNode.get(n.id)!] } : n,
        ),
      },
    });
  };
  return (
    <div className="nl-router-hint" data-testid="inspector.router-hint">
      <span>
        Forwarding is on. Other namespaces need <b>routes via this router</b> to reach its other subnets.
      </span>
      {lines.length > 0 && (
        <>
          <ul className="mono small">
            {lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
          <button type="button" className="nl-btn small" onClick={add} data-testid="inspector.add-routes">
            Add these routes
          </button>
        </>
      )}
    </div>
  );
}

function EndpointForm({ linkId, end, e }: { linkId: string; end: 0 | 1; e: Endpoint }) {
  const store = useEditorStore();
  const key = `${linkId}#${end}`;
  const issues = useEditor(selectIssuesOf(key));
  const st = useEditor(selectStatusOf(key));
  const nodeLabel = useEditor((s) => {
    const n = s.lab.nodes.find((x) => x.id === e.node);
    return n ? (n.kind === 'host' ? 'host' : n.name) : e.node;
  });
  const onBridge = useEditor((s) => s.lab.nodes.find((x) => x.id === e.node)?.kind === 'bridge');
  const update = (patch: Partial<Endpoint>) => store.getState().updateEndpoint(linkId, end, patch);
  const p = `inspector.end${end}`;
  return (
    <fieldset className="nl-endpoint" data-testid={`${p}`}>
      <legend>
        End {end + 1} · in <b>{nodeLabel}</b>
      </legend>
      <StatusDetails st={st} />
      <TextField
        label="Interface name"
        value={e.ifname}
        testid={`${p}.ifname`}
        mono
        check={(v) => fieldError(IfName, v)}
        errors={issuesFor(issues, 'ifname')}
        onCommit={(ifname) => update({ ifname })}
      />
      <TextField
        label="Addresses"
        value={e.addresses.join(', ')}
        testid={`${p}.addresses`}
        mono
        placeholder={onBridge ? 'none (a bridge port)' : '10.0.0.1/30'}
        hint={onBridge ? 'A bridge port usually has no address: the LAN’s hosts do.' : undefined}
        check={listCheck}
        errors={issuesFor(issues, 'addresses')}
        onCommit={(t) => update({ addresses: splitList(t) })}
      />
      <div className="nl-row">
        <TextField
          label="MTU"
          value={e.mtu?.toString() ?? ''}
          testid={`${p}.mtu`}
          mono
          placeholder="1500"
          check={mtuCheck}
          errors={issuesFor(issues, 'mtu')}
          onCommit={(t) => update({ mtu: t.trim() ? Number(t) : undefined })}
        />
        <TextField
          label="MAC"
          value={e.mac ?? ''}
          testid={`${p}.mac`}
          mono
          placeholder="auto"
          check={(v) => (v ? fieldError(Mac, v) : null)}
          errors={issuesFor(issues, 'mac')}
          onCommit={(t) => update({ mac: t || undefined })}
        />
      </div>
      <Toggle
        label="Up (administratively)"
        checked={e.up}
        testid={`${p}.up`}
        onChange={(up) => update({ up })}
        hint={e.up ? undefined : 'Down: a fault to find for students.'}
      />
      <PortVlanSection linkId={linkId} end={end} e={e} issues={issues} />
      <ImpairmentSection linkId={linkId} end={end} e={e} issues={issues} />
      <button
        type="button"
        className="nl-btn small"
        data-testid={`${p}.capture`}
        onClick={() => store.getState().openCaptureTab(linkId, end)}
      >
        ◉ Capture on <span className="mono">{e.ifname}</span>
      </button>
    </fieldset>
  );
}

/** Teaching fault: set the link down (both ends) or back up, and apply at once. */
function LinkUpToggle({ linkId, down }: { linkId: string; down: boolean }) {
  const actions = useMaybeActions();
  const store = useEditorStore();
  const busy = useEditor(selectBusy);
  return (
    <div className="nl-row">
      <button
        type="button"
        className={`nl-btn small${down ? ' primary' : ''}`}
        data-testid="inspector.link-toggle"
        data-down={down ? 'true' : 'false'}
        disabled={busy}
        title="Sets both ends administratively down/up and applies right away"
        onClick={() => (actions ? void actions.toggleLinkUp(linkId) : store.getState().toggleLinkUp(linkId))}
      >
        {down ? '▲ Set link up' : '▼ Set link down'} (applies now)
      </button>
    </div>
  );
}

function LinkForm({ linkId, only }: { linkId: string; only?: 0 | 1 }) {
  const link = useEditor(selectLink(linkId));
  const store = useEditorStore();
  const issues = useEditor(selectIssuesOf(linkId));
  if (!link) return null;
  const general = (issues ?? []).filter((i) => !i.path.includes('endpoints'));
  return (
    <>
      <div className="nl-insp-head">
        <span className="nl-insp-icon kind-veth">⇄</span>
        <div>
          <div className="nl-insp-title">
            {link.endpoints[0].ifname} ⇄ {link.endpoints[1].ifname}
          </div>
          <div className="nl-insp-sub">
            veth pair · id <span data-testid="inspector.id">{link.id}</span>
          </div>
        </div>
      </div>
      <GeneralIssues issues={general} />
      <LinkUpToggle linkId={linkId} down={!link.endpoints.every((e) => e.up)} />
      {(only === undefined || only === 0) && <EndpointForm linkId={linkId} end={0} e={link.endpoints[0]} />}
      {(only === undefined || only === 1) && <EndpointForm linkId={linkId} end={1} e={link.endpoints[1]} />}
      {only !== undefined && (
        <button
          type="button"
          className="nl-btn small ghost"
          onClick={() => store.getState().select({ links: [linkId] })}
        >
          Show both ends
        </button>
      )}
      {only === undefined && (
        <TextField
          label="Notes"
          value={link.description ?? ''}
          testid="inspector.description"
          multiline
          onCommit={(t) => store.getState().updateLink(linkId, { description: t || undefined })}
        />
      )}
    </>
  );
}

function LabForm() {
  const store = useEditorStore();
  const meta = useEditor(
    useShallow((s) => ({
      name: s.lab.name,
      title: s.lab.title ?? '',
      description: s.lab.description ?? '',
      nodes: s.lab.nodes.length,
      links: s.lab.links.length,
    })),
  );
  const errors = useEditor((s) => problemsOf(s.lab).errors);
  return (
    <>
      <div className="nl-insp-head">
        <span className="nl-insp-icon kind-lab">◇</span>
        <div>
          <div className="nl-insp-title">{meta.title || meta.name}</div>
          <div className="nl-insp-sub">
            lab {meta.name} · {meta.nodes} nodes · {meta.links} links{errors ? ` · ${errors} problems` : ''}
          </div>
        </div>
      </div>
      <TextField
        label="Title"
        value={meta.title}
        testid="inspector.lab-title"
        onCommit={(title) => store.getState().setLabMeta({ title: title || undefined })}
      />
      <TextField
        label="Description"
        value={meta.description}
        testid="inspector.lab-description"
        multiline
        rows={6}
        onCommit={(d) => store.getState().setLabMeta({ description: d || undefined })}
      />
      <div className="nl-tips">
        <h3>Tips</h3>
        <ul>
          <li>Drag a namespace or bridge from the palette.</li>
          <li>Drag from a node's dot to another node to add a veth — names and addresses are proposed for you.</li>
          <li>Click an interface label on a link to edit that end.</li>
          <li>
            <kbd>Del</kbd> delete · <kbd>Ctrl</kbd>+<kbd>D</kbd> duplicate · <kbd>Ctrl</kbd>+<kbd>Z</kbd> undo ·{' '}
            <kbd>Ctrl</kbd>+<kbd>S</kbd> save
          </li>
        </ul>
      </div>
    </>
  );
}

export function Inspector() {
  const sel = useEditor(selectSelection);
  const store = useEditorStore();
  const singleNode = sel.nodes.length === 1 && sel.links.length === 0 ? sel.nodes[0]! : null;
  const node = useEditor(selectNode(singleNode ?? ''));
  const count = sel.nodes.length + sel.links.length;
  let body: React.ReactNode;
  if (sel.endpoint) {
    const [linkId, end] = sel.endpoint.split('#');
    body = <LinkForm linkId={linkId!} only={end === '1' ? 1 : 0} />;
  } else if (node) body = <NodeForm key={node.id} node={node} />;
  else if (count === 1 && sel.links.length === 1) body = <LinkForm linkId={sel.links[0]!} />;
  else if (count > 1)
    body = (
      <div className="nl-multi">
        <div className="nl-insp-title">{count} objects selected</div>
        <div className="nl-row">
          <button type="button" className="nl-btn" onClick={() => store.getState().duplicate()}>
            Duplicate
          </button>
          <button type="button" className="nl-btn danger" onClick={() => store.getState().removeSelection()}>
            Delete
          </button>
        </div>
      </div>
    );
  else body = <LabForm />;
  return (
    <div className="nl-inspector" data-testid="inspector">
      {body}
    </div>
  );
}

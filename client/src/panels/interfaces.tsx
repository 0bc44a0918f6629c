/**
 * Inspector section of a namespace: its node-attached interfaces (`interfaces[]`: VXLAN tunnels, TAP devices,
 * 802.1Q VLAN sub-interfaces, macvlans). List, add one of a kind (name, VNI, underlay proposed by
 * `proposeAttached`), edit its fields, remove it. Every commit is one store verb = one undo entry; problems
 * from validate() show on the field their JSON path names (`nodes.i.interfaces.k.<field>`).
 */
import { useState } from 'react';
import type { Issue } from '../../../shared/errors';
import {
  type AttachedInterface,
  IfName,
  MacvlanInterface,
  Mtu,
  type NamespaceNode,
  VlanInterface,
  VxlanInterface,
} from '../../../shared/lab';
import { type AttachedKind, VXLAN_PORT } from '../addressing';
import { attachedDetail } from '../canvas/toFlow';
import { useEditor, useEditorStore } from '../store/context';
import type { AttachedPatch } from '../store/labSlice';
import { selectStatusOf } from '../store/selectors';
import { fieldError, listCheck, splitList, TextField } from './fields';
import { KernelNote } from './vlans';
import { WireguardFields } from './wireguardFields';

export const KIND_LABEL: Record<AttachedKind, string> = {
  vxlan: 'VXLAN tunnel',
  tap: 'TAP device',
  vlan: 'VLAN (802.1Q)',
  macvlan: 'macvlan',
  wireguard: 'WireGuard (VPN)',
};

const KIND_HINT: Record<AttachedInterface['kind'], string> = {
  vxlan:
    'Ethernet over UDP: frames sent into the tunnel leave as UDP packets to the remote end (port 4789). Both ends need the same VNI.',
  tap: 'Hands the frames to a program (a VM, a user-space switch). Its link stays down (no carrier) until a program opens it.',
  vlan: 'Frames sent here leave the parent interface with an 802.1Q tag carrying the VLAN id; tagged frames arriving on the parent come out here.',
  macvlan:
    'A second MAC address on an interface of the host (the parent), placed in this namespace: it sits on the parent’s network. Macvlans on the same parent reach each other (mode bridge); the host itself does not, through the parent.',
  wireguard:
    'An encrypted layer-3 tunnel: IP packets sent here leave as UDP packets to a peer, which accepts them only from the networks it allows for this end’s key.',
  gre: 'IP in GRE: IPv4 packets sent here travel inside GRE packets to the remote underlay address (layer 3, no encryption).',
  ipip: 'IPv4 in IPv4: the simplest tunnel, an outer IPv4 header around each packet (layer 3, no encryption).',
  ip6tnl: 'An IPv6 tunnel: IPv6 and/or IPv4 packets inside IPv6 packets to the remote (layer 3).',
  geneve: 'Ethernet over UDP (port 6081), like VXLAN with extensible options: both ends need the same VNI.',
};

type Field = keyof AttachedPatch;

/** Issues of interface `k` (path nodes.i.interfaces.k.…); `field` null = about the interface as a whole. */
function ifaceIssues(issues: Issue[] | undefined, k: number, field: Field | null): Issue[] {
  return (issues ?? []).filter(
    (i) =>
      i.path[2] === 'interfaces' && i.path[3] === k && (field === null ? i.path.length === 4 : i.path[4] === field),
  );
}
const messages = (list: Issue[]) => list.map((i) => i.message);

/** Live check of a whole-number field: empty is fine only when the field is optional. */
function intCheck(schema: Parameters<typeof fieldError>[0], optional: boolean) {
  return (v: string): string | null => {
    if (v.trim() === '') return optional ? null : 'required';
    const n = Number(v.trim());
    if (!Number.isFinite(n)) return 'expected a number';
    return fieldError(schema, n);
  };
}

/** Commits a number (empty → `empty`; not a number → nothing: the field keeps saying why). */
function intCommit(apply: (n: number | undefined) => void, empty: number | undefined | null) {
  return (t: string) => {
    const v = t.trim();
    if (v === '') {
      if (empty !== null) apply(empty);
      return;
    }
    const n = Number(v);
    if (Number.isFinite(n)) apply(n);
  };
}

const ipCheck = (v: string) => (v.trim() ? fieldError(VxlanInterface.shape.remote, v.trim()) : null);
const nameCheck = (v: string) => fieldError(IfName, v);
const optNameCheck = (v: string) => (v.trim() ? fieldError(IfName, v.trim()) : null);
const mtuCheck = intCheck(Mtu, true);
const vniCheck = intCheck(VxlanInterface.shape.vni, false);
const portCheck = intCheck(VxlanInterface.shape.dstPort, true);
const vlanIdCheck = intCheck(VlanInterface.shape.vlanId, false);
const parentCheck = (v: string) => fieldError(MacvlanInterface.shape.parent, v.trim());

/** State of the interface on the host (object `${node}/${ifname}`), when the status stream has it. */
function LiveState({ id, testid }: { id: string; testid: string }) {
  const st = useEditor(selectStatusOf(id));
  if (!st) return null;
  const why = st.conditions.find((c) => c.status && c.type !== 'Ready') ?? st.conditions.find((c) => !c.status);
  return (
    <div className="nl-status-row" data-testid={testid} data-state={st.state}>
      <span className={`nl-swatch state-${st.state}`} />
      <b>{st.state}</b>
      {st.operstate && <span className="nl-chip">operstate {st.operstate}</span>}
      {st.state !== 'ready' && why && <span className="small">{why.message}</span>}
    </div>
  );
}

function AttachedCard({
  node,
  x,
  k,
  issues,
  bridges,
}: {
  node: NamespaceNode;
  x: AttachedInterface;
  k: number;
  issues: Issue[] | undefined;
  bridges: [string, string][];
}) {
  const store = useEditorStore();
  const [open, setOpen] = useState(true);
  const t = `inspector.iface.${k}`;
  const update = (patch: AttachedPatch) => store.getState().updateInterface(node.id, k, patch);
  const errs = (f: Field) => messages(ifaceIssues(issues, k, f));
  const whole = ifaceIssues(issues, k, null);
  const bad = (issues ?? []).some((i) => i.severity === 'error' && i.path[2] === 'interfaces' && i.path[3] === k);
  const detail = attachedDetail(x);
  const text = (label: string, f: Field, value: string, check: (v: string) => string | null, placeholder?: string) => (
    <TextField
      label={label}
      value={value}
      testid={`${t}.${f}`}
      mono
      placeholder={placeholder}
      check={check}
      errors={errs(f)}
      onCommit={(v) => update({ [f]: v.trim() || undefined } as AttachedPatch)}
    />
  );
  return (
    <details
      className={`nl-iface-card${bad ? ' has-error' : ''}`}
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
      data-testid={t}
      data-kind={x.kind}
      data-name={x.name}
    >
      <summary data-testid={`${t}.toggle`}>
        <span className="nl-chip">{x.kind}</span>
        <b>{x.name}</b>
        {detail && <span className="nl-muted small">· {detail}</span>}
        <span className="nl-grow" />
        <button
          type="button"
          className="nl-btn small ghost"
          title={`Remove ${x.name}`}
          aria-label={`remove interface ${x.name}`}
          data-testid={`${t}.remove`}
          onClick={(e) => {
            e.preventDefault();
            e.stopPropagation();
            store.getState().removeInterface(node.id, k);
          }}
        >
          ✕
        </button>
      </summary>
      <LiveState id={`${node.id}/${x.name}`} testid={`${t}.status`} />
      <div className="nl-field-hint">{KIND_HINT[x.kind]}</div>
      <TextField
        label="Name"
        value={x.name}
        testid={`${t}.name`}
        mono
        check={nameCheck}
        errors={errs('name')}
        onCommit={(name) => update({ name: name.trim() })}
      />
      {x.kind === 'vxlan' && (
        <>
          <div className="nl-row">
            <TextField
              label="VNI"
              value={String(x.vni)}
              testid={`${t}.vni`}
              mono
              check={vniCheck}
              errors={errs('vni')}
              onCommit={intCommit((vni) => update({ vni }), null)}
            />
            <TextField
              label="UDP port"
              value={String(x.dstPort)}
              testid={`${t}.dstPort`}
              mono
              placeholder={String(VXLAN_PORT)}
              check={portCheck}
              errors={errs('dstPort')}
              onCommit={intCommit((dstPort) => update({ dstPort }), VXLAN_PORT)}
            />
          </div>
          <div className="nl-row">
            {text('Remote (peer)', 'remote', x.remote ?? '', ipCheck, '10.0.0.2')}
            {text('Local (underlay)', 'local', x.local ?? '', ipCheck, 'any')}
          </div>
          <div className="nl-row">
            {text('Multicast group', 'group', x.group ?? '', ipCheck, 'none')}
            {text('Underlay dev', 'dev', x.dev ?? '', optNameCheck, 'any')}
          </div>
          <div className="nl-field-hint">One remote peer, or a multicast group (with its underlay dev).</div>
        </>
      )}
      {x.kind === 'vlan' && <KernelNote feature="vlan" testid={`${t}.unavailable`} />}
      {x.kind === 'vlan' && (
        <div className="nl-row">
          <TextField
            label="Parent interface"
            value={x.parent}
            testid={`${t}.parent`}
            mono
            check={parentCheck}
            errors={errs('parent')}
            onCommit={(parent) => update({ parent: parent.trim() })}
          />
          <TextField
            label="VLAN id"
            value={String(x.vlanId)}
            testid={`${t}.vlanId`}
            mono
            check={vlanIdCheck}
            errors={errs('vlanId')}
            onCommit={intCommit((vlanId) => update({ vlanId }), null)}
          />
        </div>
      )}
      {x.kind === 'wireguard' && <WireguardFields node={node} x={x} k={k} issues={issues} update={update} />}
      {x.kind === 'macvlan' && (
        <TextField
          label="Parent (an interface of the host)"
          value={x.parent}
          testid={`${t}.parent`}
          mono
          check={parentCheck}
          errors={errs('parent')}
          hint="Mode bridge. The parent lives in the host’s root namespace, e.g. eth0."
          onCommit={(parent) => update({ parent: parent.trim() })}
        />
      )}
      <TextField
        label="Addresses"
        value={x.addresses.join(', ')}
        testid={`${t}.addresses`}
        mono
        placeholder={x.bridge ? 'none (a bridge port)' : '10.10.0.1/24'}
        check={listCheck}
        errors={errs('addresses')}
        onCommit={(v) => update({ addresses: splitList(v) })}
      />
      <div className="nl-row">
        <TextField
          label="MTU"
          value={x.mtu?.toString() ?? ''}
          testid={`${t}.mtu`}
          mono
          placeholder={x.kind === 'vxlan' ? '1450' : x.kind === 'wireguard' ? '1420' : '1500'}
          check={mtuCheck}
          errors={errs('mtu')}
          onCommit={intCommit((mtu) => update({ mtu }), undefined)}
        />
        {x.kind !== 'wireguard' && (
          <div className="nl-field">
            <label htmlFor={`${t}.bridge`}>Port of bridge</label>
            <select
              id={`${t}.bridge`}
              className={`nl-input${errs('bridge').length ? ' invalid' : ''}`}
              data-testid={`${t}.bridge`}
              value={x.bridge ?? ''}
              onChange={(e) => update({ bridge: e.target.value || undefined })}
            >
              <option value="">none</option>
              {bridges.map(([id, name]) => (
                <option key={id} value={id}>
                  {name}
                </option>
              ))}
              {x.bridge !== undefined && !bridges.some(([id]) => id === x.bridge) && (
                <option value={x.bridge}>{x.bridge} (not here)</option>
              )}
            </select>
            {errs('bridge').map((m) => (
              <div key={m} className="nl-field-error" role="alert" data-testid={`${t}.bridge.error`}>
                {m}
              </div>
            ))}
          </div>
        )}
      </div>
      {whole.map((i) => (
        <div
          key={i.message}
          className={i.severity === 'warning' ? 'nl-warning' : 'nl-field-error'}
          role={i.severity === 'warning' ? undefined : 'alert'}
          data-testid={`${t}.${i.severity === 'warning' ? 'warning' : 'error'}`}
        >
          {i.message}
        </div>
      ))}
    </details>
  );
}

/** The "Interfaces" section of a namespace's inspector. */
export function AttachedInterfaces({ node, issues }: { node: NamespaceNode; issues: Issue[] | undefined }) {
  const store = useEditorStore();
  const [kind, setKind] = useState<AttachedKind>('vxlan');
  // Bridge nodes in this namespace (what an interface may be a port of); a joined string keeps it stable.
  const bridgeList = useEditor((s) =>
    s.lab.nodes
      .filter((n) => n.kind === 'bridge' && n.namespace === node.id)
      .map((n) => `${n.id}\t${n.kind === 'bridge' ? n.name : ''}`)
      .join('\n'),
  );
  const bridges = bridgeList ? bridgeList.split('\n').map((l) => l.split('\t') as [string, string]) : [];
  const list = node.interfaces ?? [];
  return (
    <div className="nl-field" data-testid="inspector.interfaces">
      <span className="nl-label">Interfaces</span>
      {list.length === 0 && (
        <div className="nl-field-hint" data-testid="inspector.interfaces.empty">
          Besides its veths, a namespace can hold tunnels and virtual devices: a VXLAN, a TAP, a VLAN sub-interface, a
          macvlan, a WireGuard VPN interface.
        </div>
      )}
      {list.map((x, k) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the verbs address interfaces by index, like routes
        <AttachedCard key={`${k}:${x.kind}`} node={node} x={x} k={k} issues={issues} bridges={bridges} />
      ))}
      <div className="nl-iface-add">
        <select
          className="nl-input"
          aria-label="kind of interface to add"
          data-testid="inspector.iface-kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as AttachedKind)}
        >
          {(Object.keys(KIND_LABEL) as AttachedKind[]).map((k) => (
            <option key={k} value={k}>
              {KIND_LABEL[k]}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="nl-btn small"
          data-testid="inspector.iface-add"
          onClick={() => store.getState().addInterface(node.id, kind)}
        >
          + Add interface
        </button>
      </div>
      {kind === 'vlan' && <KernelNote feature="vlan" testid="inspector.iface-kind.unavailable" />}
    </div>
  );
}

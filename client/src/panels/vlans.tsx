/**
 * VLANs on bridges in the inspector (issue #15 item 4): a bridge's 802.1Q filtering switch, and on each port
 * of a filtering bridge its PVID, untagged flag and tagged VLANs. Where the server's capability report says the
 * kernel lacks the feature, a "not available on this kernel" note stands by the field BEFORE Apply (which is
 * refused with the same words), never a failed-apply banner.
 */
import type { Issue } from '../../../shared/errors';
import type { BridgeNode, Endpoint, PortVlan } from '../../../shared/lab';
import { lacks, UNAVAILABLE } from '../kernelFeatures';
import { useEditor, useEditorStore } from '../store/context';
import { TextField, Toggle } from './fields';

/** The note by a field the kernel cannot realize. */
export function KernelNote({ feature, testid }: { feature: keyof typeof UNAVAILABLE; testid: string }) {
  const missing = useEditor((s) => lacks(s.capabilities, feature));
  if (!missing) return null;
  return (
    <div className="nl-callout warn nl-kernel-note" data-testid={testid} role="note">
      {UNAVAILABLE[feature]}
    </div>
  );
}

export function BridgeVlanSection({ node }: { node: BridgeNode }) {
  const store = useEditorStore();
  const ports = useEditor((s) => s.lab.links.filter((l) => l.endpoints.some((e) => e.node === node.id)).length);
  return (
    <>
      <Toggle
        label="VLAN filtering (802.1Q)"
        checked={node.vlanFiltering ?? false}
        testid="inspector.vlanFiltering"
        onChange={(on) => store.getState().updateNode(node.id, { vlanFiltering: on || undefined })}
        hint={
          node.vlanFiltering
            ? `Each port forwards only the VLANs it is a member of: set PVID / tagged on each of its ${ports} port${ports === 1 ? '' : 's'} (click an end on a link).`
            : 'Off: one LAN. On: the bridge keeps VLANs apart per port, like a managed switch.'
        }
      />
      <KernelNote feature="bridgeVlan" testid="inspector.vlanFiltering.unavailable" />
    </>
  );
}

const idCheck = (v: string): string | null => {
  if (v.trim() === '') return null;
  const n = Number(v.trim());
  return Number.isInteger(n) && n >= 1 && n <= 4094 ? null : 'a VLAN id is 1 to 4094';
};
const idsCheck = (v: string): string | null => {
  for (const part of v.split(/[\s,]+/).filter(Boolean)) {
    const e = idCheck(part);
    if (e) return `${part}: ${e}`;
  }
  return null;
};

/** PVID / untagged / tagged of an end on a bridge with VLAN filtering. */
export function PortVlanSection({
  linkId,
  end,
  e,
  issues,
}: {
  linkId: string;
  end: 0 | 1;
  e: Endpoint;
  issues: Issue[] | undefined;
}) {
  const store = useEditorStore();
  const filtering = useEditor((s) => {
    const n = s.lab.nodes.find((x) => x.id === e.node);
    return n?.kind === 'bridge' ? (n.vlanFiltering ?? false) : null;
  });
  if (filtering === null) return null;
  const p = `inspector.end${end}.vlan`;
  const v = e.vlan ?? {};
  const set = (patch: Partial<PortVlan>) => {
    const next = { ...v, ...patch };
    for (const k of Object.keys(next) as (keyof PortVlan)[]) if (next[k] === undefined) delete next[k];
    store.getState().updateEndpoint(linkId, end, { vlan: Object.keys(next).length ? next : undefined });
  };
  const errs = (issues ?? []).filter((i) => i.path.includes('vlan')).map((i) => i.message);
  if (!filtering)
    return (
      <div className="nl-field-hint" data-testid={`${p}.off`}>
        A port of a plain bridge: every frame reaches every port. Turn on VLAN filtering on the bridge to give this port
        VLANs.
        {e.vlan && <div className="nl-field-error">{errs[0]}</div>}
      </div>
    );
  return (
    <fieldset className="nl-vlan-port" data-testid={p}>
      <legend>VLANs of this port</legend>
      <div className="nl-row">
        <TextField
          label="PVID (native VLAN)"
          value={v.pvid?.toString() ?? ''}
          testid={`${p}.pvid`}
          mono
          placeholder="1"
          check={idCheck}
          errors={errs}
          onCommit={(t) => set({ pvid: t.trim() ? Number(t) : undefined })}
        />
        <TextField
          label="Tagged VLANs (trunk)"
          value={(v.tagged ?? []).join(', ')}
          testid={`${p}.tagged`}
          mono
          placeholder="none, e.g. 10, 20"
          check={idsCheck}
          onCommit={(t) => {
            const ids = t
              .split(/[\s,]+/)
              .filter(Boolean)
              .map(Number);
            set({ tagged: ids.length ? ids : undefined });
          }}
        />
      </div>
      <Toggle
        label="PVID leaves untagged (access port)"
        checked={v.untagged ?? true}
        testid={`${p}.untagged`}
        onChange={(on) => set({ untagged: on ? undefined : false })}
      />
      <KernelNote feature="bridgeVlan" testid={`${p}.unavailable`} />
    </fieldset>
  );
}

/** Palette: drag a namespace, bridge or host onto the canvas (or click to drop it in the middle). */
import { useReactFlow } from '@xyflow/react';
import type { NodeKind } from '../../../shared/lab';
import { DRAG_MIME } from '../canvas/Canvas';
import { KindIcon } from '../canvas/icons';
import { useEditorStore } from '../store/context';

const ITEMS: { kind: NodeKind; title: string; hint: string }[] = [
  { kind: 'namespace', title: 'Namespace', hint: 'an isolated network stack (a "machine")' },
  { kind: 'bridge', title: 'Bridge', hint: 'a virtual switch joining a LAN' },
  { kind: 'host', title: 'Host', hint: 'the root namespace of this machine' },
];

export function Palette() {
  const store = useEditorStore();
  const rf = useReactFlow();
  return (
    <section className="nl-palette" aria-label="Palette">
      <h2 className="nl-section-title">Add</h2>
      {ITEMS.map((it) => (
        <button
          type="button"
          key={it.kind}
          className={`nl-palette-item kind-${it.kind}`}
          data-testid={`palette.${it.kind}`}
          draggable
          title={`Drag onto the canvas: ${it.hint}`}
          onDragStart={(e) => {
            e.dataTransfer.setData(DRAG_MIME, it.kind);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          onClick={() => {
            const el = document.querySelector('.nl-canvas')?.getBoundingClientRect();
            const p = rf.screenToFlowPosition({
              x: (el?.left ?? 0) + (el?.width ?? 800) / 2,
              y: (el?.top ?? 0) + (el?.height ?? 600) / 2,
            });
            store.getState().addNode(it.kind, { x: Math.round(p.x - 110), y: Math.round(p.y - 40) });
          }}
        >
          <span className="nl-palette-icon">
            <KindIcon kind={it.kind} size={22} />
          </span>
          <span className="nl-palette-text">
            <strong>{it.title}</strong>
            <small>{it.hint}</small>
          </span>
        </button>
      ))}
      <p className="nl-palette-tip">
        Drag from a node's edge dot to another node to link them with a <b>veth</b> pair.
      </p>
    </section>
  );
}

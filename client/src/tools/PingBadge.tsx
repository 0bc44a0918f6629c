/** The ping result, drawn on the canvas just above the source node (inside React Flow's viewport). */
import { useInternalNode, ViewportPortal } from '@xyflow/react';
import { useEditor, useEditorStore } from '../store/context';
import { overlayLines, pingSummary } from './model';

export function PingBadge() {
  const ping = useEditor((s) => s.ping);
  const toLabel = useEditor((s) => {
    const id = s.ping?.result?.toNode ?? s.ping?.to;
    const n = s.lab.nodes.find((x) => x.id === id);
    return n ? (n.kind === 'host' ? 'host' : n.name) : (s.ping?.result?.target ?? s.ping?.to ?? '');
  });
  const overlay = useEditor((s) => {
    const res = s.ping?.result;
    if (!res) return '';
    const name = (id: string) => {
      const n = s.lab.nodes.find((x) => x.id === id);
      return n ? (n.kind === 'host' ? 'host' : n.name) : id;
    };
    return overlayLines(res, name).join('\n');
  });
  const store = useEditorStore();
  const node = useInternalNode(ping?.from ?? '');
  if (!ping || !node) return null;
  const x = node.internals.positionAbsolute.x + (node.measured.width ?? 0) / 2;
  const y = node.internals.positionAbsolute.y;
  const sum = ping.result ? pingSummary(ping.result) : null;
  const state = ping.state === 'running' ? 'running' : sum?.ok ? 'ok' : 'fail';
  return (
    <ViewportPortal>
      <div
        className={`nl-ping-badge nodrag nopan ${state}`}
        style={{ transform: `translate(-50%, -100%) translate(${x}px, ${y - 10}px)` }}
        data-testid="ping.result"
        data-state={state}
        {...(sum ? { 'data-ok': String(sum.ok) } : {})}
      >
        <div className="nl-ping-head">
          <span className="nl-ping-icon">{state === 'running' ? '…' : state === 'ok' ? '✓' : '✗'}</span>
          <span>
            ping {toLabel}
            {ping.result && ping.result.target !== toLabel ? ` (${ping.result.target})` : ''}
          </span>
          <button
            type="button"
            className="nl-ping-close"
            title="Clear (Esc)"
            aria-label="Clear"
            onClick={() => store.getState().clearPath()}
          >
            ×
          </button>
        </div>
        {ping.state === 'running' && <div className="nl-ping-text">pinging…</div>}
        {sum && <div className="nl-ping-text">{sum.text}</div>}
        {(overlay ? overlay.split('\n') : []).map((line) => (
          <div key={line} className="nl-ping-overlay mono small" data-testid="ping.overlay">
            ⇢ {line}
          </div>
        ))}
        {sum?.explanation && (
          <div className="nl-ping-why">
            {sum.reason && <b>{sum.reason}</b>} {sum.explanation}
          </div>
        )}
        {ping.error && <div className="nl-ping-why">{ping.error}</div>}
      </div>
    </ViewportPortal>
  );
}

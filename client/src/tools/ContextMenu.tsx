/** Right-click menu of a node (terminal, ping) or a link (capture on either end); the ping target prompt. */
import { useEffect, useRef, useState } from 'react';
import { useActions, useMaybeActions } from '../actions';
import { useEditor, useEditorStore } from '../store/context';
import { resolveTarget } from './model';

function useDismiss(onClose: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const down = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) onClose();
    };
    const key = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('mousedown', down, true);
    window.addEventListener('keydown', key);
    return () => {
      window.removeEventListener('mousedown', down, true);
      window.removeEventListener('keydown', key);
    };
  }, [onClose]);
  return ref;
}

/** Keeps a popup of about w×h inside the window. */
const clampTo = (x: number, y: number, w: number, h: number) => ({
  left: Math.max(4, Math.min(x, window.innerWidth - w - 4)),
  top: Math.max(4, Math.min(y, window.innerHeight - h - 4)),
});

export function ContextMenu() {
  const menu = useEditor((s) => s.menu);
  const store = useEditorStore();
  const actions = useMaybeActions();
  const busy = useEditor((s) => s.progress !== null);
  const target = useEditor((s) => {
    const t = s.menu?.target;
    if (!t) return null;
    if (t.kind === 'node') return s.lab.nodes.find((n) => n.id === t.id) ?? null;
    return s.lab.links.find((l) => l.id === t.id) ?? null;
  });
  const close = useRef(() => store.getState().closeMenu()).current;
  const ref = useDismiss(close);
  if (!menu || !target) return null;
  const items: React.ReactNode[] = [];
  if ('kind' in target && target.kind !== 'veth') {
    const n = target;
    if (n.kind !== 'bridge') {
      items.push(
        <button
          key="t"
          type="button"
          role="menuitem"
          data-testid="context.terminal"
          onClick={() => store.getState().openTerminalTab(n.id)}
        >
          <span className="nl-mi-icon">›_</span> Open terminal
        </button>,
        <button
          key="p"
          type="button"
          role="menuitem"
          data-testid="context.ping"
          onClick={() => store.getState().setPingPrompt({ from: n.id, x: menu.x, y: menu.y })}
        >
          <span className="nl-mi-icon">⇢</span> Ping…
        </button>,
      );
    }
  } else if ('endpoints' in target) {
    const l = target;
    for (const end of [0, 1] as const)
      items.push(
        <button
          key={end}
          type="button"
          role="menuitem"
          data-testid="context.capture"
          data-end={end}
          onClick={() => store.getState().openCaptureTab(l.id, end)}
        >
          <span className="nl-mi-icon">◉</span> Capture on <b className="mono">{l.endpoints[end].ifname}</b>
        </button>,
      );
    // Teaching fault: both ends down (or back up), applied at once.
    const down = !l.endpoints.every((e) => e.up);
    items.push(
      <button
        key="updown"
        type="button"
        role="menuitem"
        disabled={busy}
        data-testid={down ? 'context.link-up' : 'context.link-down'}
        onClick={() => {
          if (actions) void actions.toggleLinkUp(l.id);
          else store.getState().toggleLinkUp(l.id);
          store.getState().closeMenu();
        }}
      >
        <span className="nl-mi-icon">{down ? '▲' : '▼'}</span> Set link {down ? 'up' : 'down'} (applies now)
      </button>,
    );
  }
  if (!items.length) return null;
  return (
    <div
      ref={ref}
      className="nl-context"
      role="menu"
      data-testid="context"
      style={clampTo(menu.x, menu.y, 220, 40 * items.length + 12)}
      onContextMenu={(e) => e.preventDefault()}
    >
      {items}
    </div>
  );
}

export function PingPrompt() {
  const prompt = useEditor((s) => s.pingPrompt);
  const store = useEditorStore();
  const close = useRef(() => store.getState().setPingPrompt(null)).current;
  const ref = useDismiss(close);
  if (!prompt) return null;
  return <PingForm key={`${prompt.from}@${prompt.x},${prompt.y}`} from={prompt.from} at={prompt} boxRef={ref} />;
}

function PingForm({
  from,
  at,
  boxRef,
}: {
  from: string;
  at: { x: number; y: number };
  boxRef: React.RefObject<HTMLDivElement | null>;
}) {
  const store = useEditorStore();
  const actions = useActions();
  const fromLabel = useEditor((s) => {
    const n = s.lab.nodes.find((x) => x.id === from);
    return n?.kind === 'host' ? 'host' : n && 'name' in n ? n.name : from;
  });
  const others = useEditor((s) => s.lab.nodes);
  const choices = others.filter((n) => n.id !== from && n.kind !== 'bridge');
  const [value, setValue] = useState(() => {
    const first = choices[0];
    return first ? (first.kind === 'host' ? 'host' : first.name) : '';
  });
  const run = () => {
    const to = resolveTarget(store.getState().lab, value);
    if (to) void actions.ping(from, to);
  };
  return (
    <div
      ref={boxRef}
      className="nl-context nl-ping-prompt"
      data-testid="ping.prompt"
      style={clampTo(at.x, at.y, 280, 120)}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <label className="nl-ping-label" htmlFor="nl-ping-target">
          Ping from <b>{fromLabel}</b> to
        </label>
        <div className="nl-row">
          <input
            id="nl-ping-target"
            className="nl-input mono"
            list="nl-ping-choices"
            data-testid="ping.target"
            value={value}
            // biome-ignore lint/a11y/noAutofocus: the prompt exists to take this one value
            autoFocus
            placeholder="node or address"
            onChange={(e) => setValue(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') store.getState().setPingPrompt(null);
            }}
          />
          <datalist id="nl-ping-choices">
            {choices.map((n) => (
              <option key={n.id} value={n.kind === 'host' ? 'host' : n.name} />
            ))}
          </datalist>
          <button type="submit" className="nl-btn primary" data-testid="ping.run" disabled={!value.trim()}>
            Ping
          </button>
        </div>
        <div className="nl-field-hint">A node name, or any address (10.0.0.2, fd00::1).</div>
      </form>
    </div>
  );
}

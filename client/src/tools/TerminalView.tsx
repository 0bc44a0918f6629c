/**
 * One terminal tab: xterm.js (+ fit addon) wired to /ws/term. Binary frames both ways carry the bytes; JSON
 * frames carry ready/exit/error (server) and resize (client). Lazily loaded: xterm stays out of the main bundle.
 * Unmounting closes the socket (the server then kills the shell's session).
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { TERMINAL_PATH, TerminalServerMessage } from '../../../shared/tools';
import { useEditorStore } from '../store/context';
import { openToolSocket, toolUrl } from './sockets';

type TermState = 'connecting' | 'ready' | 'exited' | 'closed' | 'error';

const THEME = {
  background: '#0f1522',
  foreground: '#e6ebf5',
  cursor: '#818cf8',
  selectionBackground: '#33415f',
};

export default function TerminalView({ lab, node, active }: { lab: string; node: string; active: boolean }) {
  const store = useEditorStore();
  const host = useRef<HTMLDivElement>(null);
  const fitRef = useRef<(() => void) | null>(null);
  const termRef = useRef<Terminal | null>(null);
  const [state, setState] = useState<TermState>('connecting');

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const term = new Terminal({
      fontFamily: getComputedStyle(document.documentElement).getPropertyValue('--mono').trim() || 'monospace',
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: THEME,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(el);
    const refit = () => {
      // A hidden pane has no size: fitting it would shrink the terminal to the minimum.
      if (el.offsetParent === null || el.clientWidth === 0) return;
      try {
        fit.fit();
      } catch {
        /* not measurable yet */
      }
    };
    refit();
    termRef.current = term;
    fitRef.current = refit;

    const ws = openToolSocket(store, toolUrl(TERMINAL_PATH, { lab, node, cols: term.cols, rows: term.rows }));
    let done = false;
    const enc = new TextEncoder();
    ws.onmessage = (e) => {
      if (typeof e.data !== 'string') {
        term.write(new Uint8Array(e.data as ArrayBuffer));
        return;
      }
      let msg: TerminalServerMessage;
      try {
        msg = TerminalServerMessage.parse(JSON.parse(e.data));
      } catch {
        return;
      }
      if (msg.type === 'ready') {
        setState('ready');
        // The pty was made with the size known when the socket opened: catch up with any later fit.
        ws.send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
      } else if (msg.type === 'exit') {
        done = true;
        setState('exited');
        term.write('\r\n\x1b[90m[process exited]\x1b[0m\r\n');
      } else {
        done = true;
        setState('error');
        term.write(`\r\n\x1b[31m[${msg.message}]\x1b[0m\r\n`);
      }
    };
    ws.onclose = () => {
      if (!done) {
        setState('closed');
        term.write('\r\n\x1b[90m[connection closed]\x1b[0m\r\n');
      }
    };
    const send = (bytes: Uint8Array) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(bytes);
    };
    const d1 = term.onData((d) => send(enc.encode(d)));
    const d2 = term.onBinary((d) => send(Uint8Array.from(d, (c) => c.charCodeAt(0) & 0xff)));
    const d3 = term.onResize(({ cols, rows }) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'resize', cols, rows }));
    });
    let raf = 0;
    const ro = new ResizeObserver(() => {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(refit);
    });
    ro.observe(el);
    return () => {
      cancelAnimationFrame(raf);
      ro.disconnect();
      d1.dispose();
      d2.dispose();
      d3.dispose();
      ws.close();
      term.dispose();
      termRef.current = null;
      fitRef.current = null;
    };
  }, [lab, node, store]);

  useEffect(() => {
    if (!active) return;
    const raf = requestAnimationFrame(() => {
      fitRef.current?.();
      termRef.current?.focus();
    });
    return () => cancelAnimationFrame(raf);
  }, [active]);

  return (
    <div className="nl-term-wrap" data-state={state} data-testid={`terminal.${node}.state`}>
      <div className="nl-term" ref={host} data-testid={`terminal.${node}`} />
    </div>
  );
}

/** Tool WebSocket helpers: same-origin URL (the session cookie authenticates) and the open-socket count. */
import { WS_PROTOCOL } from '../../../shared/session';
import type { EditorStore } from '../store/editorStore';

export function toolUrl(path: string, query: Record<string, string | number>): string {
  const { protocol, host } = window.location;
  const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}?${q}`;
}

/** Opens a socket and keeps `toolSockets` in the store in step with it (shown on the stage for tests). */
export function openToolSocket(store: EditorStore, url: string): WebSocket {
  const ws = new WebSocket(url, [WS_PROTOCOL]);
  ws.binaryType = 'arraybuffer';
  store.getState().socketOpened();
  let counted = true;
  ws.addEventListener('close', () => {
    if (counted) store.getState().socketClosed();
    counted = false;
  });
  return ws;
}

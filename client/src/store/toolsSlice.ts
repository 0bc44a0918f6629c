/**
 * Tools slice (issue #7): the bottom dock's tabs, the node/link context menu, the ping prompt and its result
 * (drives the path highlight), the reachability matrix and the count of open tool sockets. Never undoable.
 */
import type { StateCreator } from 'zustand';
import type { PathResponse, ReachabilityResponse } from '../../../shared/tools';
import type { EditorState } from './editorStore';

export type DockTab =
  | { kind: 'terminal'; key: string; lab: string; node: string; label: string }
  | { kind: 'capture'; key: string; lab: string; link: string; end: 0 | 1; ifname: string }
  | { kind: 'matrix'; key: 'matrix' };

export type MenuTarget = { kind: 'node'; id: string } | { kind: 'link'; id: string };

export interface PingState {
  from: string;
  to: string;
  state: 'running' | 'done' | 'error';
  result?: PathResponse;
  error?: string;
}

export interface MatrixState {
  state: 'loading' | 'ready' | 'error';
  result: ReachabilityResponse | null;
  error?: string;
  /** The cell whose explanation is shown (`from`, `to`). */
  selected: { from: string; to: string } | null;
}

export interface ToolsSlice {
  dock: { tabs: DockTab[]; active: string | null; height: number };
  menu: { x: number; y: number; target: MenuTarget } | null;
  pingPrompt: { from: string; x: number; y: number } | null;
  ping: PingState | null;
  matrix: MatrixState | null;
  toolSockets: number;
  openTab(tab: DockTab): void;
  /** Opens (or focuses) the terminal tab of a namespace/host node. */
  openTerminalTab(node: string): void;
  /** Opens (or focuses) the capture tab on one end of a link. */
  openCaptureTab(link: string, end: 0 | 1): void;
  closeTab(key: string): void;
  setActiveTab(key: string): void;
  setDockHeight(h: number): void;
  openMenu(x: number, y: number, target: MenuTarget): void;
  closeMenu(): void;
  setPingPrompt(p: ToolsSlice['pingPrompt']): void;
  setPing(p: PingState | null): void;
  /** Clears the path highlight and the ping badge (click on the pane, Esc). */
  clearPath(): void;
  setMatrix(m: MatrixState | null): void;
  selectCell(cell: { from: string; to: string } | null): void;
  socketOpened(): void;
  socketClosed(): void;
}

export const DOCK_MIN = 120;
export const DOCK_DEFAULT = 280;

export const terminalKey = (node: string) => node;
export const captureKey = (link: string, end: 0 | 1) => `capture.${link}.${end}`;

export const createToolsSlice: StateCreator<EditorState, [], [], ToolsSlice> = (set, get) => ({
  dock: { tabs: [], active: null, height: DOCK_DEFAULT },
  menu: null,
  pingPrompt: null,
  ping: null,
  matrix: null,
  toolSockets: 0,
  openTab(tab) {
    const { dock } = get();
    const exists = dock.tabs.some((t) => t.key === tab.key);
    set({ dock: { ...dock, tabs: exists ? dock.tabs : [...dock.tabs, tab], active: tab.key } });
  },
  openTerminalTab(node) {
    const n = get().lab.nodes.find((x) => x.id === node);
    if (!n || n.kind === 'bridge') return;
    get().openTab({
      kind: 'terminal',
      key: terminalKey(node),
      lab: get().lab.name,
      node,
      label: n.kind === 'host' ? 'host' : n.name,
    });
    set({ menu: null });
  },
  openCaptureTab(link, end) {
    const l = get().lab.links.find((x) => x.id === link);
    if (!l) return;
    get().openTab({
      kind: 'capture',
      key: captureKey(link, end),
      lab: get().lab.name,
      link,
      end,
      ifname: l.endpoints[end].ifname,
    });
    set({ menu: null });
  },
  closeTab(key) {
    const { dock } = get();
    const i = dock.tabs.findIndex((t) => t.key === key);
    if (i < 0) return;
    const tabs = dock.tabs.filter((t) => t.key !== key);
    const active = dock.active === key ? (tabs[Math.min(i, tabs.length - 1)]?.key ?? null) : dock.active;
    set({ dock: { ...dock, tabs, active }, ...(key === 'matrix' ? { matrix: null } : {}) });
  },
  setActiveTab(key) {
    set({ dock: { ...get().dock, active: key } });
  },
  setDockHeight(h) {
    set({ dock: { ...get().dock, height: Math.max(DOCK_MIN, Math.round(h)) } });
  },
  openMenu(x, y, target) {
    set({ menu: { x, y, target }, pingPrompt: null });
  },
  closeMenu() {
    if (get().menu) set({ menu: null });
  },
  setPingPrompt(pingPrompt) {
    set({ pingPrompt, menu: null });
  },
  setPing(ping) {
    set({ ping });
  },
  clearPath() {
    if (get().ping || get().pingPrompt || get().menu) set({ ping: null, pingPrompt: null, menu: null });
  },
  setMatrix(matrix) {
    set({ matrix });
  },
  selectCell(selected) {
    const m = get().matrix;
    if (m) set({ matrix: { ...m, selected } });
  },
  socketOpened() {
    set((s) => ({ toolSockets: s.toolSockets + 1 }));
  },
  socketClosed() {
    set((s) => ({ toolSockets: Math.max(0, s.toolSockets - 1) }));
  },
});

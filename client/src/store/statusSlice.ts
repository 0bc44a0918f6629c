/** Status slice: live data from the server (connection, mode, object status, operation progress, plan). Not undoable. */
import type { StateCreator } from 'zustand';
import type { Mode, OperationResult } from '../../../shared/api';
import type { PlanResult } from '../../../shared/plan';
import type { LabStatus, ObjectStatus } from '../../../shared/status';
import type { EditorState } from './editorStore';

export type Connection = 'connecting' | 'connected' | 'disconnected';
export interface Progress {
  operationId: string;
  action: 'apply' | 'destroy';
  step: number;
  total: number;
  phase: string;
  command?: string;
  object?: string;
}

export interface StatusSlice {
  connection: Connection;
  mode: Mode | null;
  objects: Record<string, ObjectStatus>;
  appliedRevision: number | null;
  observedRevision: number | null;
  progress: Progress | null;
  /** Commands seen during the current/last operation, in order (what the progress drawer lists). */
  commands: string[];
  result: OperationResult | null;
  plan: { state: 'idle' | 'loading' | 'ready' | 'error'; result: PlanResult | null; error?: string };
  /** What the server's kernel can do (GET /api/info): e.g. `netem: false`. Null until known. */
  capabilities: Record<string, boolean> | null;
  setCapabilities(c: Record<string, boolean>): void;
  setConnection(c: Connection): void;
  setMode(m: Mode): void;
  applySnapshot(s: LabStatus): void;
  applyDelta(d: {
    objects: Record<string, ObjectStatus>;
    removed: string[];
    appliedRevision: number | null;
    observedRevision: number;
  }): void;
  startOperation(operationId: string, action: 'apply' | 'destroy'): void;
  setProgress(p: Omit<Progress, 'action'>): void;
  setResult(r: OperationResult | null): void;
  setPlan(p: StatusSlice['plan']): void;
  resetStatus(): void;
}

export const createStatusSlice: StateCreator<EditorState, [], [], StatusSlice> = (set, get) => ({
  connection: 'connecting',
  mode: null,
  objects: {},
  appliedRevision: null,
  observedRevision: null,
  progress: null,
  commands: [],
  result: null,
  plan: { state: 'idle', result: null },
  capabilities: null,
  setCapabilities(capabilities) {
    set({ capabilities });
  },
  setConnection(connection) {
    if (get().connection !== connection) set({ connection });
  },
  setMode(mode) {
    set({ mode });
  },
  applySnapshot(s) {
    set({ objects: s.objects, appliedRevision: s.appliedRevision, observedRevision: s.observedRevision });
  },
  applyDelta(d) {
    set((s) => {
      const objects = { ...s.objects, ...d.objects };
      for (const id of d.removed) delete objects[id];
      return { objects, appliedRevision: d.appliedRevision, observedRevision: d.observedRevision };
    });
  },
  startOperation(operationId, action) {
    set({ progress: { operationId, action, step: 0, total: 0, phase: 'observe' }, commands: [], result: null });
  },
  setProgress(p) {
    set((s) => {
      const action = s.progress?.action ?? 'apply';
      const commands =
        p.command && s.commands[s.commands.length - 1] !== p.command ? [...s.commands, p.command] : s.commands;
      return { progress: { ...p, action }, commands };
    });
  },
  setResult(result) {
    set({ result, progress: null });
  },
  setPlan(plan) {
    set({ plan });
  },
  resetStatus() {
    set({ objects: {}, appliedRevision: null, observedRevision: null, progress: null, result: null, commands: [] });
  },
});

/** Status slice: live data from the server (connection, mode, object status, operation progress, plan). Not undoable. */
import type { StateCreator } from 'zustand';
import type { Mode, OperationResult } from '../../../shared/api';
import type { Issue } from '../../../shared/errors';
import type { Lab } from '../../../shared/lab';
import type { PlanResult } from '../../../shared/plan';
import type { LabStatus, ObjectStatus } from '../../../shared/status';
import { NO_RESERVED, type Reserved } from '../addressing';
import type { EditorState } from './editorStore';

export type Connection = 'connecting' | 'connected' | 'disconnected';
export interface Progress {
  operationId: string;
  action: 'apply' | 'destroy' | 'recover';
  step: number;
  total: number;
  phase: string;
  command?: string;
  object?: string;
}

/** An operation's result as the banner shows it: plus what the canvas did around it (e.g. routes it removed). */
export type ShownResult = OperationResult & { notice?: string };

export interface StatusSlice {
  connection: Connection;
  mode: Mode | null;
  objects: Record<string, ObjectStatus>;
  appliedRevision: number | null;
  observedRevision: number | null;
  progress: Progress | null;
  result: ShownResult | null;
  plan: { state: 'idle' | 'loading' | 'ready' | 'error'; result: PlanResult | null; error?: string };
  /** Kernel names other labs and the host already use (GET /api/names): proposals avoid them. */
  reserved: Reserved;
  setReserved(r: Reserved): void;
  /** Plan-time problems of the stored lab, and the lab object they were computed for (see allProblems). */
  planIssues: { lab: Lab; issues: Issue[] } | null;
  setPlanIssues(p: StatusSlice['planIssues']): void;
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
  startOperation(operationId: string, action: Progress['action']): void;
  setProgress(p: Omit<Progress, 'action'>): void;
  setResult(r: ShownResult | null): void;
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
  result: null,
  plan: { state: 'idle', result: null },
  planIssues: null,
  reserved: NO_RESERVED,
  setReserved(reserved) {
    set({ reserved });
  },
  capabilities: null,
  setPlanIssues(planIssues) {
    set({ planIssues });
  },
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
    set({ progress: { operationId, action, step: 0, total: 0, phase: 'observe' }, result: null });
  },
  setProgress(p) {
    // The commands an operation ran come with its result (OperationResult.commands), not from progress:
    // progress names one command per wave.
    set((s) => ({ progress: { ...p, action: s.progress?.action ?? 'apply' } }));
  },
  setResult(result) {
    set({ result, progress: null });
  },
  setPlan(plan) {
    set({ plan });
  },
  resetStatus() {
    set({
      objects: {},
      appliedRevision: null,
      observedRevision: null,
      progress: null,
      result: null,
      planIssues: null,
    });
  },
});

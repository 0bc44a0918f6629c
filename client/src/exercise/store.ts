/**
 * Exercise state of the page: its own small zustand store (never undoable, never saved; separate from the editor
 * store). Holds the exercise of the lab on the canvas (without solution), its latest live report (pushed over
 * /ws), which hints are shown, and the catalogue dialog. Pure state; the mount component does the I/O.
 */
import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ExerciseSummary, GradeReport, LabExercise } from '../../../shared/exercise';

export interface ExerciseState {
  /** The lab the exercise below belongs to. */
  lab: string | null;
  current: LabExercise | null;
  report: GradeReport | null;
  /** Goal ids whose hint is open. */
  hints: string[];
  /** The checklist panel is folded to its header. */
  folded: boolean;
  instructionsOpen: boolean;
  catalogueOpen: boolean;
  catalogue: ExerciseSummary[] | null;
  busy: boolean;
  error: string | null;
  /** The lab on the canvas changed: forget the previous one's exercise. */
  setLab(lab: string | null): void;
  setCurrent(lab: string, ex: LabExercise | null): void;
  /** A report from the socket (or a check): kept when it is about the lab on the canvas. */
  receive(lab: string, report: GradeReport | null): void;
  toggleHint(id: string): void;
  setFolded(folded: boolean): void;
  setInstructionsOpen(open: boolean): void;
  setCatalogueOpen(open: boolean): void;
  setCatalogue(list: ExerciseSummary[] | null): void;
  setBusy(busy: boolean): void;
  setError(error: string | null): void;
}

export type ExerciseStore = StoreApi<ExerciseState>;

export function createExerciseStore(): ExerciseStore {
  return createStore<ExerciseState>()((set, get) => ({
    lab: null,
    current: null,
    report: null,
    hints: [],
    folded: false,
    instructionsOpen: false,
    catalogueOpen: false,
    catalogue: null,
    busy: false,
    error: null,
    setLab(lab) {
      if (get().lab === lab) return;
      set({ lab, current: null, report: null, hints: [], instructionsOpen: false, error: null });
    },
    setCurrent(lab, current) {
      if (get().lab !== lab) return;
      // A report that came over the socket before the exercise itself is kept.
      set({ current, report: get().report ?? current?.report ?? null });
    },
    receive(lab, report) {
      if (get().lab !== lab) return;
      if (report === null) set({ report: null, current: null });
      else set({ report });
    },
    toggleHint(id) {
      const hints = get().hints;
      set({ hints: hints.includes(id) ? hints.filter((h) => h !== id) : [...hints, id] });
    },
    setFolded(folded) {
      set({ folded });
    },
    setInstructionsOpen(instructionsOpen) {
      set({ instructionsOpen });
    },
    setCatalogueOpen(catalogueOpen) {
      set({ catalogueOpen, error: null });
    },
    setCatalogue(catalogue) {
      set({ catalogue });
    },
    setBusy(busy) {
      set({ busy });
    },
    setError(error) {
      set({ error });
    },
  }));
}

/** The page's one exercise store (a browser tab is one student). */
export const exerciseStore = createExerciseStore();

export function useExercise<T>(selector: (s: ExerciseState) => T): T {
  return useStore(exerciseStore, selector);
}

/** Goals of the current report by the lab object they are about: met / failing / pending counts. */
export function goalsByObject(
  report: GradeReport | null,
): Map<string, { met: number; failing: number; pending: number; titles: string[] }> {
  const out = new Map<string, { met: number; failing: number; pending: number; titles: string[] }>();
  for (const g of report?.goals ?? [])
    for (const id of g.objects) {
      const e = out.get(id) ?? { met: 0, failing: 0, pending: 0, titles: [] };
      if (g.met === true) e.met++;
      else if (g.met === false) e.failing++;
      else e.pending++;
      e.titles.push(`${g.met === true ? '✓' : g.met === false ? '✗' : '…'} ${g.title}`);
      out.set(id, e);
    }
  return out;
}

/**
 * Goals drawn on the objects they are about: a small badge on each node and link of the lab that a goal of the
 * current exercise names (✓ met, ✗ failing, … being checked), and a lock on locked objects. Rendered inside
 * React Flow's viewport; reads node positions from React Flow, goals from the exercise store.
 */
import { useStore as useFlowStore, ViewportPortal } from '@xyflow/react';
import { useMemo } from 'react';
import { lockedObjects } from '../../../shared/exercise';
import { useEditor, useEditorStore } from '../store/context';
import { goalsByObject, useExercise } from './store';

type Box = { x: number; y: number; w: number; h: number };

export function GoalBadges() {
  const report = useExercise((s) => s.report);
  const current = useExercise((s) => s.current);
  const exLab = useExercise((s) => s.lab);
  const lab = useEditor((s) => s.lab);
  const store = useEditorStore();
  const lookup = useFlowStore((s) => s.nodeLookup);
  const byObject = useMemo(() => goalsByObject(report), [report]);
  const locked = useMemo(() => new Set(current ? lockedObjects(current.exercise) : []), [current]);
  if (!current || exLab !== lab.name) return null;

  const box = (id: string): Box | null => {
    const n = lookup.get(id);
    if (!n) return null;
    return {
      x: n.internals.positionAbsolute.x,
      y: n.internals.positionAbsolute.y,
      w: n.measured.width ?? 200,
      h: n.measured.height ?? 80,
    };
  };
  /** Top-right corner of a node; the middle of a link (between its two nodes' centres). */
  const anchor = (id: string): { x: number; y: number } | null => {
    const b = box(id);
    if (b) return { x: b.x + b.w - 6, y: b.y - 6 };
    const link = lab.links.find((l) => l.id === id);
    if (!link) return null;
    const [a, c] = link.endpoints.map((e) => box(e.node));
    if (!a || !c) return null;
    return { x: (a.x + a.w / 2 + c.x + c.w / 2) / 2, y: (a.y + a.h / 2 + c.y + c.h / 2) / 2 - 18 };
  };
  const ids = [...new Set([...byObject.keys(), ...locked])];
  return (
    <ViewportPortal>
      {ids.map((id) => {
        const at = anchor(id);
        if (!at) return null;
        const g = byObject.get(id);
        const state = !g ? 'none' : g.failing ? 'fail' : g.pending ? 'pending' : 'met';
        const title = [...(g?.titles ?? []), ...(locked.has(id) ? ['🔒 locked by the exercise'] : [])].join('\n');
        return (
          <button
            type="button"
            key={id}
            className={`nl-goal-badge nodrag nopan ${state}`}
            style={{ transform: `translate(-50%, -50%) translate(${at.x}px, ${at.y}px)` }}
            data-testid={`goal-badge.${id}`}
            data-state={state}
            data-met={g?.met ?? 0}
            data-failing={g?.failing ?? 0}
            title={title}
            onClick={() => store.getState().selectObject(id)}
          >
            {locked.has(id) && <span className="nl-goal-lock">🔒</span>}
            {g && g.met > 0 && <span className="met">✓{g.met}</span>}
            {g && g.failing > 0 && <span className="fail">✗{g.failing}</span>}
            {g && g.pending > 0 && <span className="pending">…{g.pending}</span>}
          </button>
        );
      })}
    </ViewportPortal>
  );
}

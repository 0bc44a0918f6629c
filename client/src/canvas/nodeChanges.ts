/** Pure reading of a batch of React Flow node changes, shared by the design canvas and the host view. */
import type { Node, NodeChange } from '@xyflow/react';

export type Size = { width: number; height: number };

export interface NodeChangeSummary {
  /** Dragged nodes, rounded to whole pixels; null when nothing moved. */
  positions: Record<string, { x: number; y: number }> | null;
  /** Some node's measured size really changed (already written into `measured`). */
  resized: boolean;
  /** Node selection after the select changes; null when there were none. */
  selection: Set<string> | null;
}

/**
 * Folds `changes`: new sizes go into `measured`, positions and selection are collected. `selected()` gives the
 * current node selection; it is read only when a select change comes.
 */
export function readNodeChanges<N extends Node>(
  changes: readonly NodeChange<N>[],
  measured: Map<string, Size>,
  selected: () => Iterable<string>,
): NodeChangeSummary {
  let positions: Record<string, { x: number; y: number }> | null = null;
  let resized = false;
  let selection: Set<string> | null = null;
  for (const c of changes) {
    if (c.type === 'dimensions' && c.dimensions) {
      const old = measured.get(c.id);
      if (!old || old.width !== c.dimensions.width || old.height !== c.dimensions.height) {
        measured.set(c.id, { width: c.dimensions.width, height: c.dimensions.height });
        resized = true;
      }
    } else if (c.type === 'position' && c.position) {
      positions ??= {};
      positions[c.id] = { x: Math.round(c.position.x), y: Math.round(c.position.y) };
    } else if (c.type === 'select') {
      selection ??= new Set(selected());
      if (c.selected) selection.add(c.id);
      else selection.delete(c.id);
    }
  }
  return { positions, resized, selection };
}

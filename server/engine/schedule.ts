/**
 * The one scheduler: assigns work items (steps of operations, or a driver's messages) the earliest wave that
 * keeps each after every earlier item it conflicts with on a resource. Items of the same executor (one
 * `ip -batch` process, one netlink socket) may share a wave with what they depend on, since their order is
 * kept there; another executor waits for the next wave. Barriers (deletions) come after everything before
 * them, and everything after them waits for them. Both drivers schedule through here.
 */
import { type Resource, resourceKey, type Step, steps } from './steps';
import type { AnyOpBody } from './types';

export interface Schedulable {
  /** Executor identity: items of one executor keep their order within a wave. */
  exec: string;
  reads: readonly Resource[];
  writes: readonly Resource[];
  barrier?: boolean | undefined;
}

/** Wave of each item (same order as `items`) and the number of waves. */
export function assignWaves(items: Iterable<Schedulable>): { waves: number[]; count: number } {
  type Use = { wave: number; exec: string };
  const writers = new Map<string, Use[]>();
  const readers = new Map<string, Use[]>();
  const note = (m: Map<string, Use[]>, key: string, u: Use) => {
    const list = m.get(key);
    if (!list) {
      m.set(key, [{ ...u }]);
      return;
    }
    const same = list.find((e) => e.exec === u.exec);
    if (same) same.wave = Math.max(same.wave, u.wave);
    else list.push({ ...u });
  };
  let barrier = -1; // last wave holding a barrier
  let maxWave = -1; // last wave of any other item
  let count = 0;
  const waves: number[] = [];
  for (const it of items) {
    const { exec } = it;
    let wave = it.barrier ? maxWave + 1 : barrier + 1;
    const after = (uses: Use[] | undefined) => {
      for (const u of uses ?? []) wave = Math.max(wave, u.exec === exec ? u.wave : u.wave + 1);
    };
    const reads = it.reads.map(resourceKey);
    const writes = it.writes.map(resourceKey);
    for (const r of reads) after(writers.get(r));
    for (const w of writes) {
      after(writers.get(w));
      after(readers.get(w));
    }
    waves.push(wave);
    for (const r of reads) note(readers, r, { wave, exec });
    for (const w of writes) note(writers, w, { wave, exec });
    if (it.barrier) barrier = Math.max(barrier, wave);
    else maxWave = Math.max(maxWave, wave);
    count = Math.max(count, wave + 1);
  }
  return { waves, count };
}

/** A step of operation `op` placed in a wave. */
export interface PlacedStep {
  op: number;
  /** Index of the step within its operation (matches the encoder's runs). */
  k: number;
  step: Step;
  wave: number;
}

const execOf = (s: Step): string => (s.netns === null ? '' : `/${s.netns}`);

/** Every step of `ops`, each in the earliest wave its dependencies allow. */
export function schedule(ops: readonly AnyOpBody[]): { placed: PlacedStep[]; waves: number } {
  const placed: PlacedStep[] = [];
  ops.forEach((op, i) => {
    steps(op).forEach((step, k) => {
      placed.push({ op: i, k, step, wave: 0 });
    });
  });
  const { waves, count } = assignWaves(placed.map((p) => ({ exec: execOf(p.step), ...p.step })));
  placed.forEach((p, j) => {
    p.wave = waves[j]!;
  });
  return { placed, waves: count };
}

/**
 * Golden planner tests (nmstate gen_diff style): one folder per case under server/test/fixtures/plan/
 * holding desired.json (a Lab), observed.json (an ObservedState) and plan.json (expected ops + errors).
 * Folders named `destroy-*` expect planDestroy(desired.name, observed) instead of plan(desired, observed).
 * An optional options.json holds the PlanOptions (kernel capabilities such as `macvlan`, `bridgeVlan`).
 * A missing plan.json fails the case. `npm run golden:update` (UPDATE_GOLDEN=1) writes plan.json: review the
 * diff by eye before keeping it.
 *
 * Beyond the expected text, every case checks properties that hold for any correct plan: running it on the
 * in-memory kernel succeeds and converges (a re-plan is empty, status is all ready), foreign objects are left
 * identical, and rolling the plan back with the engine's own `rollbackOps` (re-judged on the in-memory kernel
 * until it has nothing left, as the engine does) restores the observation. Cases whose plan deletes something
 * (an op without an inverse) are listed in IRREVERSIBLE with exactly those ops: their rollback is checked to
 * converge and to restore everything except what those ops deleted.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab } from '../../shared';
import { rollbackOps } from './engine';
import { type PlanOptions, plan } from './plan';
import { planDestroy } from './planDestroy';
import { normalize, simulateAll } from './simulate';
import { status } from './status';
import type { ObservedState, Plan } from './types';

const DIR = join(import.meta.dirname, '../test/fixtures/plan');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const cases = readdirSync(DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

/**
 * The cases whose plan has ops without an inverse, each with exactly those ops as `kind object`. A deletion
 * cannot be undone (nothing brings a deleted object back); a setting inside a namespace the plan creates
 * needs no inverse (rolling back deletes the namespace). Every case not deleting anything must roll back to
 * the observation exactly.
 */
const IRREVERSIBLE: Record<string, string[]> = {
  'attached-vxlan-vni-changed-recreated': ['link.delete sw/vx0'],
  'bridge-moved-ports-reattached': ['link.delete lan', 'link.delete l1#1'],
  'endpoint-moved': ['link.delete l1#1'],
  'link-removed': ['link.delete l2#0'],
  'macvlan-parent-changed-recreated': ['link.delete blue/mv0', 'link.delete red/mv0'],
  'namespace-removed': ['netns.delete green'],
  'namespace-renamed': ['netns.delete red'],
  'same-lab-other-object-replaced': ['netns.delete red'],
  'sysctls-new-namespace': ['sysctl.set red', 'sysctl.set red', 'sysctl.set red', 'sysctl.set red'],
};
const deletes = (c: string) => (IRREVERSIBLE[c] ?? []).some((op) => op.split(' ')[0]!.endsWith('.delete'));

const read = (c: string, f: string): unknown => JSON.parse(readFileSync(join(DIR, c, f), 'utf8'));

/** Every object (namespace or link) whose marker is not of `lab`, as comparable JSON. */
function foreign(o: ObservedState, lab: string): string[] {
  const out: string[] = [];
  const all = [o.root, ...Object.entries(o.namespaces).map(([name, n]) => ({ ...n, name }))];
  for (const n of all) {
    if (n.name !== null && n.marker?.lab !== lab) out.push(`ns ${n.name} ${n.marker?.object ?? '-'}`);
    if (n.name !== null && n.marker?.lab === lab) continue; // ours: everything inside is ours to change
    for (const { operstate: _o, ...l } of n.links) {
      if (l.marker?.lab === lab) continue;
      // A foreign link's settings must be untouched (it is never planned against).
      out.push(JSON.stringify({ ns: n.name, ...l, peer: undefined, addresses: [...l.addresses].sort() }));
    }
  }
  return out.sort();
}

describe('planner golden cases', () => {
  it('has at least 12 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(cases)('%s', (name) => {
    const desired = Lab.parse(read(name, 'desired.json'));
    const observed = read(name, 'observed.json') as ObservedState;
    const destroy = name.startsWith('destroy-');
    const opts = (existsSync(join(DIR, name, 'options.json')) ? read(name, 'options.json') : {}) as PlanOptions;
    const got: Plan = destroy ? planDestroy(desired.name, observed) : plan(desired, observed, opts);

    it('matches plan.json', () => {
      const file = join(DIR, name, 'plan.json');
      if (UPDATE) writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`);
      expect(existsSync(file), `${name}/plan.json is missing: write it with npm run golden:update and review it`).toBe(
        true,
      );
      expect(got).toEqual(read(name, 'plan.json'));
    });

    it('is deterministic and does not mutate its inputs', () => {
      const before = JSON.stringify(observed);
      const again = destroy ? planDestroy(desired.name, observed) : plan(desired, observed, opts);
      expect(again).toEqual(got);
      expect(JSON.stringify(observed)).toBe(before);
    });

    it('has no ops when it has errors; every op has an object and a reason', () => {
      if (got.errors.length) expect(got.ops).toEqual([]);
      for (const op of got.ops) {
        expect(op.object).not.toBe('');
        expect(op.reason.length).toBeGreaterThan(10);
      }
    });

    if (destroy) {
      it('destroy leaves no object of the lab and every other object identical', () => {
        const after = simulateAll(observed, got.ops);
        expect(foreign(after, desired.name)).toEqual(foreign(observed, desired.name));
        const left = [after.root, ...Object.values(after.namespaces)].flatMap((n) => [
          n.marker,
          ...n.links.map((l) => l.marker),
        ]);
        expect(left.filter((m) => m?.lab === desired.name)).toEqual([]);
      });
      return;
    }
    if (got.errors.length) return;

    it('runs on the in-memory kernel and converges: re-plan is empty, status is ready', () => {
      const after = simulateAll(observed, got.ops);
      expect(plan(desired, after, opts)).toEqual({ ops: [], errors: [] });
      const s = status(desired, after, { observed: 1, applied: 1 }, '2026-01-01T00:00:00Z');
      const notReady = Object.values(s.objects).filter((o) => o.state !== 'ready');
      expect(notReady).toEqual([]);
      expect(foreign(after, desired.name)).toEqual(foreign(observed, desired.name));
    });

    it(
      deletes(name)
        ? 'rolls back with rollbackOps: only the listed deletions stay undone'
        : 'rolls back with rollbackOps: the observation is restored exactly',
      () => {
        const irreversible = got.ops.filter((op) => op.inverse === null).map((op) => `${op.kind} ${op.object}`);
        expect(irreversible).toEqual(IRREVERSIBLE[name] ?? []);
        const after = simulateAll(observed, got.ops);
        // The engine's rollback (NetloomEngine.rollback): up to three rounds, each judging rollbackOps on a fresh
        // observation and running the inverses in order until one fails (the kernel refuses it); then nothing
        // may be left.
        let now = after;
        const newestFirst = [...got.ops].reverse();
        for (let round = 0; round < 3; round++) {
          const inverses = rollbackOps(desired.name, newestFirst, now);
          if (inverses.length === 0) break;
          for (const inv of inverses) {
            try {
              now = simulateAll(now, [inv]);
            } catch {
              break;
            }
          }
        }
        expect(rollbackOps(desired.name, newestFirst, now)).toEqual([]);
        if (!deletes(name)) {
          expect(normalize(now)).toEqual(normalize(observed));
          return;
        }
        // What the deletions took is gone for good; everything else is as it was, and nothing of the lab that
        // the plan created is left behind.
        expect(foreign(now, desired.name)).toEqual(foreign(observed, desired.name));
      },
    );
  });
});

/**
 * Test helpers for the interop tests (unit and kernel): where the shared corpus is, a describe() that runs
 * only where it is, and a normal form of labs for round-trip comparison (defaults filled, order-insensitive
 * lists sorted). Not used by the importers themselves.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Lab, validate } from '../../shared';

const repoRoot = join(import.meta.dirname, '..', '..');
/**
 * `../shared/corpus` from the repository root, as laid out for the main checkout and CI (a worktree one
 * level deeper finds it at `../../shared/corpus`; NETLOOM_CORPUS overrides both).
 */
export const CORPUS_DIR =
  process.env.NETLOOM_CORPUS ??
  [join(repoRoot, '..', 'shared', 'corpus'), join(repoRoot, '..', '..', 'shared', 'corpus')].find((d) =>
    existsSync(d),
  ) ??
  join(repoRoot, '..', 'shared', 'corpus');

/**
 * The corpus is third-party test data kept outside the repository (never shipped, never committed). A machine
 * without it runs the importers' own fixture tests only, and says so in one test's name and on stderr
 * (not a skip: skips fail the CI summary, and the absence is a fact of the machine, not of the code).
 */
export const CORPUS_PRESENT = existsSync(join(CORPUS_DIR, 'containerlab'));

/** describe() where the corpus is; elsewhere one test that names the missing folder. */
export function describeCorpus(name: string, fn: () => void): void {
  if (CORPUS_PRESENT) {
    describe(name, () => fn());
    return;
  }
  process.stderr.write(`interop: the topology corpus is not on this machine (${CORPUS_DIR}); corpus tests not run\n`);
  describe(name, () => {
    it(`not run: the topology corpus is not on this machine (${CORPUS_DIR})`, () => {
      expect(existsSync(CORPUS_DIR)).toBe(false);
    });
  });
}

/** The corpus files of one format (name + text); none where the corpus is missing. */
export function corpusFiles(format: 'containerlab' | 'core'): { file: string; text: string }[] {
  const dir = join(CORPUS_DIR, format);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|gotmpl|xml)$/.test(f))
    .sort()
    .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }));
}

export const fixture = (name: string): string => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

/** A lab in a comparable form: validated (defaults filled), default-valued fields dropped, lists sorted. */
export function normalLab(input: unknown): unknown {
  const v = validate(input);
  if (!v.ok) throw new Error(`not a valid lab: ${JSON.stringify(v.issues.slice(0, 3))}`);
  const lab = structuredClone(v.lab) as Lab;
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  for (const n of lab.nodes) {
    if (n.kind === 'bridge' && n.vlanFiltering === false) delete n.vlanFiltering;
    if (n.kind === 'namespace' && n.interfaces) {
      n.interfaces.sort((a, b) => (a.name < b.name ? -1 : 1));
      if (n.interfaces.length === 0) delete n.interfaces;
    }
  }
  for (const l of lab.links)
    for (const e of l.endpoints) {
      if (e.impairment) {
        if (e.impairment.burstKb === 32) delete e.impairment.burstKb;
        if (e.impairment.latencyMs === 50) delete e.impairment.latencyMs;
      }
      if (e.vlan) {
        if (e.vlan.pvid === 1) delete e.vlan.pvid;
        if (e.vlan.untagged === true) delete e.vlan.untagged;
        if (e.vlan.tagged?.length === 0) delete e.vlan.tagged;
        if (Object.keys(e.vlan).length === 0) delete e.vlan;
      }
      if (e.mac) e.mac = e.mac.toLowerCase();
      if (e.mtu === 1500) delete e.mtu;
    }
  lab.nodes.sort(byId);
  lab.links.sort(byId);
  return lab;
}

/**
 * Test helpers for the interop tests (unit and kernel): where the shared corpus is (failing under CI when it
 * is missing, never skipping there), and a normal form of labs for round-trip comparison (defaults filled,
 * order-insensitive lists sorted). Not used by the importers themselves.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

/** The corpus files of one format (name + text); throws under CI=true when the corpus is missing. */
export function corpusFiles(format: 'containerlab' | 'core'): { file: string; text: string }[] {
  const dir = join(CORPUS_DIR, format);
  if (!existsSync(dir)) {
    if (process.env.CI === 'true')
      throw new Error(`the topology corpus is missing: ${dir} (CI must have ../shared/corpus)`);
    return [];
  }
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

/**
 * The corpus through the real engine: every containerlab file that imports is applied in its own sandbox
 * (macvlan parents the file expects on the host are made there first), verified, and every addressed
 * neighbour pings (each address from a neighbour on the same segment and subnet); then destroyed, leaving
 * nothing. Runs on both drivers (NETLOOM_TEST_DRIVER).
 */
import { expect, it } from 'vitest';
import type { Lab } from '../../shared';
import { formatCidr, parseCidr, subnetOf } from '../../shared/net';
import type { CommandRunner } from '../engine/contract';
import { openEngine } from '../engine/engine';
import { describeKernel, kernelDriver, withSandbox } from '../engine/testing/kernel';
import { ImportRefused, importTopology } from './index';
import { CORPUS_PRESENT, corpusFiles, describeCorpus } from './testing';

const labs = corpusFiles('containerlab').flatMap(({ file, text }) => {
  try {
    return [{ file, lab: importTopology(text, { filename: file }).lab }];
  } catch (e) {
    if (e instanceof ImportRefused) return [];
    throw e;
  }
});

interface Party {
  netns: string | null;
  addr: string;
  segment: string;
}

/** Who can ping whom without a router: addresses on one L2 segment (a veth, or a bridge and its ports). */
export function neighbours(lab: Lab): [Party, Party][] {
  const byId = new Map(lab.nodes.map((n) => [n.id, n]));
  const netnsOf = (id: string): string | null | undefined => {
    const n = byId.get(id);
    if (n?.kind === 'namespace') return n.name;
    if (n?.kind === 'host') return null;
    if (n?.kind === 'bridge') return n.namespace ? netnsOf(n.namespace) : null;
    return undefined;
  };
  const parties: Party[] = [];
  for (const n of lab.nodes)
    if (n.kind === 'bridge')
      for (const a of n.addresses) parties.push({ netns: netnsOf(n.id) ?? null, addr: a, segment: n.id });
  for (const l of lab.links) {
    const [a, b] = l.endpoints;
    if (!a.up || !b.up) continue;
    const bridge = [a, b].find((e) => byId.get(e.node)?.kind === 'bridge');
    const segment = bridge ? bridge.node : l.id;
    for (const e of [a, b]) {
      if (byId.get(e.node)?.kind === 'bridge') continue;
      const ns = netnsOf(e.node);
      if (ns === undefined) continue;
      for (const addr of e.addresses) parties.push({ netns: ns, addr, segment });
    }
  }
  const pairs: [Party, Party][] = [];
  for (const p of parties) {
    const cp = parseCidr(p.addr)!;
    if (cp.family === 6 && cp.value >> 118n === 0x3fan) continue;
    const q = parties.find((x) => {
      if (x === p || x.segment !== p.segment || x.netns === p.netns) return false;
      const cx = parseCidr(x.addr)!;
      return cx.family === cp.family && formatCidr(subnetOf(cx)) === formatCidr(subnetOf(cp));
    });
    if (q) pairs.push([p, q]);
  }
  return pairs;
}

async function pings(runner: CommandRunner, from: string | null, to: string): Promise<boolean> {
  const ping = ['ping', '-c', '1', '-w', '8', to];
  const r = await runner.run(from === null ? ping : ['ip', 'netns', 'exec', from, ...ping], { timeoutMs: 15_000 });
  return r.code === 0;
}

let pinged = 0;

(CORPUS_PRESENT ? describeKernel : describeCorpus)('corpus labs in a sandbox', () => {
  it.each(labs.map((l) => [l.file, l.lab] as const))('%s comes up and its addressed neighbours ping', (file, lab) =>
    withSandbox(async (sb, stateDir) => {
      // A macvlan sits on a host NIC the file names (ens3, enp0s3…): give the sandbox one of that name.
      const parents = new Set(
        lab.nodes
          .flatMap((n) => (n.kind === 'namespace' ? (n.interfaces ?? []) : []))
          .flatMap((x) => (x.kind === 'macvlan' ? [x.parent] : [])),
      );
      for (const p of parents) {
        const r = await sb.runner.run(['ip', 'link', 'add', p, 'type', 'veth', 'peer', 'name', `${p.slice(0, 11)}-pp`]);
        expect(r.code, r.stderr).toBe(0);
        await sb.runner.run(['ip', 'link', 'set', p, 'up']);
      }
      const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver() });
      try {
        const applied = await engine.apply(lab);
        expect(applied.error, `${file}: ${JSON.stringify(applied.error)}`).toBeUndefined();
        for (const [p, q] of neighbours(lab)) {
          const [to] = q.addr.split('/');
          expect(
            await pings(sb.runner, p.netns, to!),
            `${file}: ${p.netns ?? 'host'} → ${q.addr} (${q.netns ?? 'host'})`,
          ).toBe(true);
          pinged++;
        }
        // Routed across a node that forwards (C35's router, its hosts' routes): farther than a neighbour.
        if (file.startsWith('C35')) {
          expect(await pings(sb.runner, 'host1', '10.0.3.20'), 'host1 → host2 through router').toBe(true);
          expect(await pings(sb.runner, 'host3', '10.0.1.10'), 'host3 → host1 through router').toBe(true);
        }
        const again = await engine.plan(lab);
        expect(again.operations, `${file}: a second apply plans nothing`).toHaveLength(0);
        expect((await engine.destroy(lab.name)).error).toBeUndefined();
      } finally {
        await engine.close();
      }
    }),
  );

  it('pinged a real number of neighbours across the corpus (the test is not vacuous)', () => {
    expect(pinged).toBeGreaterThanOrEqual(12);
  });
});

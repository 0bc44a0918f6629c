/**
 * `npm run bench`: a star of N namespaces on one root bridge, built by the engine (ip-batch driver: up,
 * no-op re-up, one-link edit, status, teardown) and by bench/star-per-command.sh (one `ip` process per step),
 * each inside its own sandbox. Prints one `bench …` line per figure, then a table with ratios.
 * Usage: tsx bench/bench.ts [--n 200] [--topology star]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEngine } from '../server/engine/engine';
import { createSandbox } from '../server/engine/sandbox';
import { type Lab, validate } from '../shared';

const here = dirname(fileURLToPath(import.meta.url));

function starLab(n: number): Lab {
  const nodes: unknown[] = [{ id: 'br', kind: 'bridge', name: 'br0' }];
  const links: unknown[] = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ id: `n${i}`, kind: 'namespace', name: `s${i}` });
    links.push({
      id: `l${i}`,
      kind: 'veth',
      endpoints: [
        { node: `n${i}`, ifname: 'eth0', addresses: [`10.${Math.floor(i / 250)}.${(i % 250) + 1}.1/16`] },
        { node: 'br', ifname: `p${i}` },
      ],
    });
  }
  const v = validate({ version: 1, name: 'bench-star', nodes, links });
  if (!v.ok) throw new Error(`bench lab is invalid: ${JSON.stringify(v.issues.slice(0, 3))}`);
  return v.lab;
}

type Phase = 'create' | 'noop' | 'edit' | 'status' | 'teardown';
interface Row {
  n: number;
  driver: 'ip-batch' | 'shell-per-command';
  phase: Phase;
  ms: number;
}

const rows: Row[] = [];
function record(n: number, driver: Row['driver'], phase: Phase, ms: number) {
  rows.push({ n, driver, phase, ms });
  console.log(`bench topology=star n=${n} driver=${driver} phase=${phase} ms=${ms.toFixed(1)}`);
}

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

async function benchEngine(n: number) {
  const sb = await createSandbox();
  const stateDir = await mkdtemp(join(tmpdir(), 'netloom-bench-'));
  try {
    const engine = await openEngine({ stateDir, runner: sb.runner, skipProbe: true });
    const lab = starLab(n);
    const check = (what: string, o: { ok: boolean; error?: { message: string } }) => {
      if (!o.ok) throw new Error(`${what} failed: ${o.error?.message}`);
    };
    const [create, up] = await time(() => engine.apply(lab));
    check('create', up);
    record(n, 'ip-batch', 'create', create);
    const [noop, again] = await time(() => engine.apply(lab));
    check('noop', again);
    if (again.ran !== 0) throw new Error(`no-op re-apply ran ${again.ran} operations`);
    record(n, 'ip-batch', 'noop', noop);
    const edited = structuredClone(lab);
    edited.links[Math.floor(n / 2)]!.endpoints[0]!.addresses = ['10.200.0.1/16'];
    const [edit, e] = await time(() => engine.apply(edited));
    check('edit', e);
    record(n, 'ip-batch', 'edit', edit);
    const [st] = await time(() => engine.status(edited, { observed: 1, applied: 1 }));
    record(n, 'ip-batch', 'status', st);
    const [down, d] = await time(() => engine.destroy(lab.name));
    check('teardown', d);
    record(n, 'ip-batch', 'teardown', down);
    await engine.close();
  } finally {
    await sb.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function benchShell(n: number) {
  const sb = await createSandbox();
  try {
    const script = join(here, 'star-per-command.sh');
    const [up, r] = await time(() => sb.runner.run(['bash', script, 'up', String(n)], { timeoutMs: 600_000 }));
    if (r.code !== 0) throw new Error(`per-command script failed: ${r.stderr}`);
    record(n, 'shell-per-command', 'create', up);
    const [down, d] = await time(() => sb.runner.run(['bash', script, 'down', String(n)], { timeoutMs: 600_000 }));
    if (d.code !== 0) throw new Error(`per-command teardown failed: ${d.stderr}`);
    record(n, 'shell-per-command', 'teardown', down);
  } finally {
    await sb.close();
  }
}

function table() {
  const ns = [...new Set(rows.map((r) => r.n))];
  const get = (n: number, d: Row['driver'], p: Phase) =>
    rows.find((r) => r.n === n && r.driver === d && r.phase === p)?.ms;
  const f = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(0).padStart(7));
  console.log(
    '\n    N |  create  noop%  edit  status  teardown |  per-cmd create  teardown | speed-up create  teardown',
  );
  console.log('  ----+-----------------------------------------+---------------------------+-------------------------');
  for (const n of ns) {
    const c = get(n, 'ip-batch', 'create');
    const noop = get(n, 'ip-batch', 'noop');
    const sc = get(n, 'shell-per-command', 'create');
    const st = get(n, 'shell-per-command', 'teardown');
    const t = get(n, 'ip-batch', 'teardown');
    const pct = c && noop !== undefined ? `${((100 * noop) / c).toFixed(1)}%`.padStart(6) : '     —';
    const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(1)}×`.padStart(8) : '       —');
    console.log(
      `  ${String(n).padStart(3)} | ${f(c)} ${pct} ${f(get(n, 'ip-batch', 'edit'))} ${f(get(n, 'ip-batch', 'status'))} ${f(t)}  |      ${f(sc)}   ${f(st)} |  ${ratio(sc, c)}  ${ratio(st, t)}`,
    );
  }
  console.log('\n  times in ms; noop% = no-op re-apply as a share of create; speed-up = per-command / ip-batch');
}

async function main() {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const topology = opt('topology') ?? 'star';
  if (topology !== 'star') throw new Error(`unknown topology '${topology}' (only: star)`);
  const sizes = opt('n') ? [Number(opt('n'))] : [10, 50, 100, 200];
  for (const n of sizes) {
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--n must be 1..1000 (a bridge takes 1023 ports)`);
    await benchEngine(n);
    await benchShell(n);
  }
  table();
}

await main();

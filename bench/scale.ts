/**
 * Scale bench (issue #9): star, chain and tree labs at N = 10, 100, 200, 1000 namespaces (and 1000 as a
 * star split across several bridges), each in its own sandbox, through the engine with both drivers
 * (ip-batch, netlink): create, no-op re-apply, one-link edit, one status sample (observe() for ip-batch,
 * observeNetlink() for netlink), teardown, and the process's peak RSS; plus the one-command-per-step shell
 * script (bench/star-per-command.sh, star only, N ≤ 200 unless asked for).
 * Prints one `bench topology=… n=… driver=… phase=… ms=…` line per figure (`phase=rss mb=…`), then a table.
 * Usage: tsx bench/scale.ts [--n N] [--topology star|star-split|chain|tree] [--driver ip-batch|netlink]
 *                           [--quick] [--no-shell] [--status-only]  (status-only: also observe() vs observeNetlink
 *                           alone, 5 samples, at N ≥ 1000)
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WebSocket } from 'ws';
import type { Sandbox } from '../server/engine/contract';
import { openEngine } from '../server/engine/engine';
import { lastCacheReport } from '../server/engine/netlink/cache';
import { loadNetlinkDriver, netlinkUnavailableReason } from '../server/engine/netlink/driver';
import { observeNetlink } from '../server/engine/netlink/observe';
import { observe } from '../server/engine/observe';
import { createSandbox } from '../server/engine/sandbox';
import { silentLogger } from '../server/log';
import { StatusHub } from '../server/status/hub';
import { LabStore } from '../server/store/labStore';
import { emptyLayout, type Lab, validate } from '../shared';

const here = dirname(fileURLToPath(import.meta.url));
export type Topology = 'star' | 'star-split' | 'chain' | 'tree';
type DriverName = 'ip-batch' | 'netlink' | 'shell-per-command';
type Phase = 'create' | 'noop-first' | 'noop' | 'edit' | 'status' | 'status-cpu' | 'teardown' | 'rss';

// ------------------------------------------------------------------------------------------------------
// Labs

const ip4 = (n: number) => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
/** Host i (0-based) of one flat /16 (10.1.0.0/16), skipping .0 and .255 in the last octet. */
const host16 = (i: number) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}/16`;

function checked(input: unknown): Lab {
  const v = validate(input);
  if (!v.ok) throw new Error(`bench lab is invalid: ${JSON.stringify(v.issues.slice(0, 3))}`);
  return v.lab;
}

/** N namespaces on bridges in the root namespace, at most `perBridge` ports each (separate segments). */
export function starLab(n: number, perBridge = 1023): Lab {
  const bridges = Math.ceil(n / perBridge);
  const nodes: unknown[] = Array.from({ length: bridges }, (_, b) => ({
    id: `br${b}`,
    kind: 'bridge',
    name: `br${b}`,
  }));
  const links: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / perBridge);
    const j = i % perBridge;
    nodes.push({ id: `n${i}`, kind: 'namespace', name: `s${i}` });
    links.push({
      id: `l${i}`,
      kind: 'veth',
      endpoints: [
        { node: `n${i}`, ifname: 'eth0', addresses: [`10.${b + 1}.${Math.floor(j / 250)}.${(j % 250) + 1}/16`] },
        { node: `br${b}`, ifname: `p${i}` },
      ],
    });
  }
  return checked({ version: 1, name: 'scale', nodes, links });
}

/** c0 – c1 – … – c(N-1): one veth (a /30) between consecutive namespaces. */
export function chainLab(n: number): Lab {
  const nodes: unknown[] = Array.from({ length: n }, (_, i) => ({ id: `c${i}`, kind: 'namespace', name: `c${i}` }));
  const links: unknown[] = [];
  for (let i = 0; i + 1 < n; i++) {
    const base = (10 << 24) + (2 << 16) + i * 4;
    links.push({
      id: `l${i}`,
      kind: 'veth',
      endpoints: [
        { node: `c${i}`, ifname: 'r', addresses: [`${ip4(base + 1)}/30`] },
        { node: `c${i + 1}`, ifname: 'l', addresses: [`${ip4(base + 2)}/30`] },
      ],
    });
  }
  return checked({ version: 1, name: 'scale', nodes, links });
}

/** A root bridge, ⌈N/20⌉ switch namespaces (a bridge inside each, one uplink), N leaf namespaces. */
export function treeLab(n: number, fanout = 20): Lab {
  const k = Math.max(1, Math.ceil(n / fanout));
  const nodes: unknown[] = [{ id: 'core', kind: 'bridge', name: 'core' }];
  const links: unknown[] = [];
  for (let j = 0; j < k; j++) {
    nodes.push(
      { id: `w${j}`, kind: 'namespace', name: `w${j}` },
      { id: `sw${j}`, kind: 'bridge', name: 'sw', namespace: `w${j}` },
    );
    links.push({
      id: `u${j}`,
      kind: 'veth',
      endpoints: [
        { node: `sw${j}`, ifname: 'uplink' },
        { node: 'core', ifname: `u${j}` },
      ],
    });
  }
  for (let i = 0; i < n; i++) {
    nodes.push({ id: `t${i}`, kind: 'namespace', name: `t${i}` });
    links.push({
      id: `l${i}`,
      kind: 'veth',
      endpoints: [
        { node: `t${i}`, ifname: 'eth0', addresses: [host16(i)] },
        { node: `sw${i % k}`, ifname: `d${i}` },
      ],
    });
  }
  return checked({ version: 1, name: 'scale', nodes, links });
}

export function labFor(topology: Topology, n: number): Lab {
  switch (topology) {
    case 'star':
      return starLab(n);
    case 'star-split':
      return starLab(n, 250);
    case 'chain':
      return chainLab(n);
    case 'tree':
      return treeLab(n);
  }
}

/** One link's address changed (the middle one). */
function edited(lab: Lab): Lab {
  const e = structuredClone(lab);
  const l = e.links[Math.floor(e.links.length / 2)]!;
  const ends = l.endpoints;
  if (ends[1]?.addresses?.length) {
    ends[0]!.addresses = ['10.250.0.1/30'];
    ends[1].addresses = ['10.250.0.2/30'];
  } else ends[0]!.addresses = ['10.1.250.250/16'];
  return e;
}

// ------------------------------------------------------------------------------------------------------
// Measuring

export interface Row {
  topology: Topology;
  n: number;
  driver: DriverName;
  phase: Phase;
  value: number;
}
export const rows: Row[] = [];
function record(topology: Topology, n: number, driver: DriverName, phase: Phase, value: number, extra = '') {
  rows.push({ topology, n, driver, phase, value });
  const v =
    phase === 'rss'
      ? `mb=${value.toFixed(1)}`
      : phase === 'status-cpu'
        ? `pct=${value.toFixed(1)}`
        : `ms=${value.toFixed(1)}`;
  console.log(`bench topology=${topology} n=${n} driver=${driver} phase=${phase} ${v}${extra}`);
}
/** Peak resident memory of this process: each engine run has a fresh one (runInChild), like a server. */
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

async function time<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

/** A closed sandbox's namespaces are freed by the kernel in the background: let that finish first. */
const settle = (n: number) => new Promise((r) => setTimeout(r, Math.min(3000, 200 + n * 2)));

/**
 * After creation the kernel keeps changing the lab for a few seconds (carrier up, IPv6 duplicate address
 * detection on every interface), and every namespace sends IPv6 router solicitations about 0, 4 and 8 s
 * after its link came up, each flooded to every port of a bridge (200 namespaces: 40k deliveries a burst).
 * Steady-state figures are taken after this wait: for the fast driver, until that start-up is over.
 */
const settleLab = (n: number, driver: DriverName, since: number) =>
  new Promise((r) =>
    setTimeout(
      r,
      driver === 'netlink' && n >= 200 ? Math.max(0, since + 9500 - performance.now()) : Math.min(5000, 500 + n * 4),
    ),
  );

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Processes this one started (the netlink agent, in its sandbox), from /proc. */
function childPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(d));
    } catch {}
  }
  return out;
}
/** utime + stime of a process, in clock ticks (0 once it is gone). */
function cpuTicks(pid: number): number {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}
const CLK_TCK = 100;

/** Just enough of a ws socket for the status hub: counts what it is sent. */
class BenchSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  messages = 0;
  snapshots = 0;
  send(text: string): void {
    this.messages++;
    if (text.startsWith('{"type":"snapshot"')) this.snapshots++;
  }
  ping(): void {
    queueMicrotask(() => this.emit('pong'));
  }
  terminate(): void {
    this.readyState = 3;
  }
}

async function inSandbox<T>(fn: (sb: Sandbox) => Promise<T>): Promise<T> {
  const sb = await createSandbox();
  try {
    return await fn(sb);
  } finally {
    await sb.close();
  }
}

async function benchEngine(topology: Topology, n: number, driver: 'ip-batch' | 'netlink') {
  await inSandbox(async (sb) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'netloom-scale-'));
    try {
      // As the server opens it: with 'netlink' the engine loads the driver and its observer (one agent
      // request per observation) and throws when the addon is unavailable.
      const engine = await openEngine({ stateDir, runner: sb.runner, skipProbe: true, driver });
      if (engine.driverName() !== driver) throw new Error(`asked for ${driver}, got ${engine.driverName()}`);
      const lab = labFor(topology, n);
      const check = (what: string, o: { ok: boolean; error?: { message: string } }) => {
        if (!o.ok) throw new Error(`${topology} n=${n} ${driver} ${what} failed: ${o.error?.message}`);
      };
      try {
        const [create, up] = await time(() => engine.apply(lab));
        const created = performance.now();
        check('create', up);
        record(topology, n, driver, 'create', create, ` ops=${up.ran}`);
        // Right after creation the kernel is still bringing links up (carrier, IPv6 autoconfiguration): a
        // re-apply now re-reads the namespaces that notified. Recorded as noop-first; the steady-state
        // figures below are taken once the lab has settled, as medians of several runs.
        const [first, again] = await time(() => engine.apply(lab));
        check('noop', again);
        if (again.ran !== 0) throw new Error(`no-op re-apply ran ${again.ran} operations`);
        record(topology, n, driver, 'noop-first', first);
        await settleLab(n, driver, created);
        // Medians of several runs; one (two edits) where each run takes seconds (ip-batch at N = 1000).
        const slow = driver === 'ip-batch' && n >= 1000;
        const noops: number[] = [];
        for (let k = 0; k < (slow ? 1 : 5); k++) {
          const [ms, o] = await time(() => engine.apply(lab));
          check('noop', o);
          if (o.ran !== 0) throw new Error(`no-op re-apply ran ${o.ran} operations`);
          noops.push(ms);
        }
        record(
          topology,
          n,
          driver,
          'noop',
          median(noops),
          ` runs=${noops.length} min=${Math.min(...noops).toFixed(1)}`,
        );
        // One link's addresses changed, then back: edits of 2 operations each. A server edits warm, so the
        // netlink figure is the median of 10 edits after 4 that warm the JIT (a median over a few edits in
        // this fresh process mostly measured how cold it was); the first, cold edit is printed beside it.
        const e = edited(lab);
        const edits: number[] = [];
        let ops = 0;
        // ip-batch edits take hundreds of ms of process spawning: no warm-up, 4 runs (2 at N = 1000).
        const warm = driver === 'netlink' ? 4 : 0;
        const runs = driver === 'netlink' ? 10 : slow ? 2 : 4;
        const targets = Array.from({ length: warm + runs }, (_, k) => (k % 2 ? lab : e));
        for (const target of targets) {
          const [ms, ed] = await time(() => engine.apply(target));
          check('edit', ed);
          edits.push(ms);
          ops = ed.ran;
        }
        const measured = edits.slice(warm);
        record(
          topology,
          n,
          driver,
          'edit',
          median(measured),
          ` ops=${ops} runs=${measured.length} min=${Math.min(...measured).toFixed(1)} max=${Math.max(...measured).toFixed(1)} first=${edits[0]!.toFixed(1)}${warm ? ` (after ${warm} warm-up edits)` : ''}`,
        );
        // Status samples as the status hub takes them: engine.status() = the engine's observer (fresh
        // counters) + status(). Median of 5, then the CPU they cost at 1 Hz (this process + the agent).
        const revisions = { observed: 1, applied: 1 };
        let s = await engine.status(lab, revisions);
        const sts: number[] = [];
        for (let k = 0; k < (slow ? 1 : 5); k++) {
          const [ms, r] = await time(() => engine.status(lab, revisions));
          sts.push(ms);
          s = r;
        }
        const c = driver === 'netlink' ? lastCacheReport() : null;
        record(
          topology,
          n,
          driver,
          'status',
          median(sts),
          ` objects=${Object.keys(s.objects ?? {}).length} runs=${sts.length}${c ? ` reread=${c.read} reused=${c.reused}` : ''}`,
        );
        if (driver === 'netlink' && n >= 200) {
          // Live status as a real server runs it: the status hub (lab document from the store, engine
          // sample, rates, delta to the one subscribed socket) at 1 Hz; CPU of this process + the agent over
          // 10 s, once 5 s of samples have warmed the JIT (a rate, so start-up compilation is left out).
          const store = await LabStore.open(stateDir, silentLogger());
          await store.create(lab, emptyLayout());
          await store.setApplied(lab.name, 1);
          const hub = new StatusHub({ engine, store, log: silentLogger(), mode: 'sandbox', intervalMs: 1000 });
          const sock = new BenchSocket();
          hub.add(sock as unknown as WebSocket);
          sock.emit('message', Buffer.from(JSON.stringify({ type: 'subscribe', lab: lab.name })), false);
          for (const deadline = Date.now() + 30_000; !sock.snapshots; ) {
            if (Date.now() > deadline) throw new Error(`${topology} n=${n}: no status snapshot`);
            await new Promise((r) => setTimeout(r, 20));
          }
          await new Promise((r) => setTimeout(r, 5000));
          const agents = childPids();
          const cpu0 = process.cpuUsage();
          const a0 = agents.map(cpuTicks);
          const m0 = sock.messages;
          const t0 = performance.now();
          await new Promise((r) => setTimeout(r, 10_000));
          const wall = performance.now() - t0;
          const own = process.cpuUsage(cpu0);
          const agentMs = agents.reduce((sum, pid, i) => sum + (cpuTicks(pid) - a0[i]!) * (1000 / CLK_TCK), 0);
          hub.close();
          const serverPct = ((own.user + own.system) / 1000 / wall) * 100;
          const agentPct = (agentMs / wall) * 100;
          record(
            topology,
            n,
            driver,
            'status-cpu',
            serverPct + agentPct,
            ` server_pct=${serverPct.toFixed(1)} agent_pct=${agentPct.toFixed(1)} messages=${sock.messages - m0} (status hub, 1 Hz, 10 s after 5 s)`,
          );
        }
        const [down, d] = await time(() => engine.destroy(lab.name));
        check('teardown', d);
        record(topology, n, driver, 'teardown', down);
        const left = await observe(sb.runner);
        if (Object.keys(left.namespaces).length || left.root.links.length > 1)
          throw new Error(`${topology} n=${n} ${driver}: teardown left objects`);
      } finally {
        await engine.close();
      }
      record(topology, n, driver, 'rss', peakRssMb());
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });
}

/**
 * One engine run in a fresh process (`scale.ts --child TOPOLOGY N DRIVER`), so its peak RSS is that run's
 * alone (as a server's would be) and no heap carries over from a bigger run. Its `bench …` lines are echoed
 * and recorded here.
 */
async function runInChild(topology: Topology, n: number, driver: 'ip-batch' | 'netlink'): Promise<void> {
  const script = join(here, 'scale.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, '--child', topology, String(n), driver], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  const take = (line: string) => {
    const m = /^bench topology=(\S+) n=(\d+) driver=(\S+) phase=(\S+) (?:ms|mb|pct)=([\d.]+)/.exec(line);
    if (!m) return;
    console.log(line);
    rows.push({
      topology: m[1] as Topology,
      n: Number(m[2]),
      driver: m[3] as DriverName,
      phase: m[4] as Phase,
      value: Number(m[5]),
    });
  };
  child.stdout.on('data', (b: Buffer) => {
    buf += b.toString();
    for (let k = buf.indexOf('\n'); k >= 0; k = buf.indexOf('\n')) {
      take(buf.slice(0, k));
      buf = buf.slice(k + 1);
    }
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c) => resolve(c));
  });
  if (buf) take(buf);
  if (code !== 0) throw new Error(`${topology} n=${n} ${driver}: bench child exited with ${code}`);
}

async function benchShell(n: number) {
  await inSandbox(async (sb) => {
    const script = join(here, 'star-per-command.sh');
    const [up, r] = await time(() => sb.runner.run(['bash', script, 'up', String(n)], { timeoutMs: 600_000 }));
    if (r.code !== 0) throw new Error(`per-command script failed: ${r.stderr}`);
    record('star', n, 'shell-per-command', 'create', up);
    const [down, d] = await time(() => sb.runner.run(['bash', script, 'down', String(n)], { timeoutMs: 600_000 }));
    if (d.code !== 0) throw new Error(`per-command teardown failed: ${d.stderr}`);
    record('star', n, 'shell-per-command', 'teardown', down);
  });
}

/** Status sample alone, both readers on the same host (after a netlink build, which is quicker). */
async function benchStatusOnly(topology: Topology, n: number) {
  await inSandbox(async (sb) => {
    const nl = await loadNetlinkDriver(sb.runner);
    if (!nl) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
    try {
      const { plan } = await import('../server/engine/plan');
      const lab = labFor(topology, n);
      const p = plan(lab, await observeNetlink(nl));
      const r = await nl.execute(p.ops);
      if (!r.ok) throw new Error(JSON.stringify(r.failure));
      const [ipMs] = await time(() => observe(sb.runner));
      await observeNetlink(nl);
      const samples: number[] = [];
      for (let k = 0; k < 5; k++) samples.push((await time(() => observeNetlink(nl)))[0]);
      samples.sort((a, b) => a - b);
      console.log(
        `bench topology=${topology} n=${n} driver=observe-ip phase=status ms=${ipMs.toFixed(1)}\n` +
          `bench topology=${topology} n=${n} driver=observe-netlink phase=status ms=${samples[2]!.toFixed(1)} (median of 5; min ${samples[0]!.toFixed(1)})`,
      );
    } finally {
      await nl.close();
    }
  });
}

export function table() {
  const keys = [...new Set(rows.map((r) => `${r.topology}|${r.n}`))];
  const get = (t: string, n: number, d: DriverName, p: Phase) =>
    rows.find((r) => r.topology === t && r.n === n && r.driver === d && r.phase === p)?.value;
  const f = (x: number | undefined, w = 7) => (x === undefined ? '—'.padStart(w) : x.toFixed(0).padStart(w));
  const ratio = (a?: number, b?: number) => (a && b ? `${(a / b).toFixed(1)}×` : '—').padStart(6);
  console.log('\n  topology     N  driver     create    noop    edit  status teardown  rss MB | ip/nl create status');
  for (const k of keys) {
    const [t, ns] = k.split('|') as [Topology, string];
    const n = Number(ns);
    for (const d of ['ip-batch', 'netlink', 'shell-per-command'] as const) {
      if (!rows.some((r) => r.topology === t && r.n === n && r.driver === d)) continue;
      const extra =
        d === 'netlink'
          ? ` | ${ratio(get(t, n, 'ip-batch', 'create'), get(t, n, 'netlink', 'create'))} ${ratio(get(t, n, 'ip-batch', 'status'), get(t, n, 'netlink', 'status'))}`
          : d === 'shell-per-command'
            ? ` | per-cmd/ip-batch create ${ratio(get(t, n, d, 'create'), get(t, n, 'ip-batch', 'create'))}`
            : '';
      console.log(
        `  ${t.padEnd(10)} ${String(n).padStart(4)}  ${d.slice(0, 9).padEnd(9)} ${f(get(t, n, d, 'create'))} ${f(get(t, n, d, 'noop'))} ${f(get(t, n, d, 'edit'))} ${f(get(t, n, d, 'status'))} ${f(get(t, n, d, 'teardown'), 8)} ${f(get(t, n, d, 'rss'))}${extra}`,
      );
    }
  }
  console.log(
    '\n  times in ms; status = one engine.status() sample (ip-batch: observe() through ip; netlink: the observation cache)',
  );
}

export interface ScaleOptions {
  sizes?: number[];
  topology?: Topology;
  driver?: 'ip-batch' | 'netlink';
  /** Skip the one-command-per-step shell script. */
  noShell?: boolean;
  /** Also observe() vs observeNetlink() alone at N ≥ 1000. */
  statusOnly?: boolean;
  /** Sizes were given explicitly (--n): run the shell script at any N. */
  explicitN?: boolean;
}

/**
 * The matrix: every topology (star, chain, tree; at N ≥ 1000 also star-split, 250 ports per bridge) at every
 * size, on both drivers, each in its own sandbox; the shell script beside the star at N ≤ 200.
 */
export async function runScale(o: ScaleOptions = {}): Promise<Row[]> {
  const drivers = (o.driver ? [o.driver] : ['ip-batch', 'netlink']) as ('ip-batch' | 'netlink')[];
  const sizes = o.sizes ?? [10, 100, 200, 1000];
  for (const n of sizes) if (!Number.isInteger(n) || n < 2 || n > 5000) throw new Error('--n must be 2..5000');
  for (const n of sizes) {
    const topologies: Topology[] = o.topology
      ? [o.topology]
      : n > 1023
        ? ['star-split', 'chain', 'tree']
        : n >= 1000
          ? ['star', 'star-split', 'chain', 'tree']
          : ['star', 'chain', 'tree'];
    for (const t of topologies) {
      for (const d of drivers) {
        await settle(n);
        await runInChild(t, n, d);
      }
      if (t === 'star' && !o.noShell && (n <= 200 || o.explicitN)) {
        await settle(n);
        await benchShell(n);
      }
    }
    if (n >= 1000 && !o.driver && o.statusOnly) {
      await settle(n);
      await benchStatusOnly(o.topology ?? 'star', n);
    }
  }
  return rows;
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, t, n, d] = argv as [string, Topology, string, 'ip-batch' | 'netlink'];
    await benchEngine(t, Number(n), d);
    return;
  }
  const opt = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const flag = (name: string) => argv.includes(`--${name}`);
  const topoArg = opt('topology') as Topology | undefined;
  if (topoArg && !['star', 'star-split', 'chain', 'tree'].includes(topoArg))
    throw new Error(`unknown topology '${topoArg}' (star, star-split, chain, tree)`);
  const driverArg = opt('driver');
  if (driverArg && driverArg !== 'ip-batch' && driverArg !== 'netlink')
    throw new Error(`unknown driver '${driverArg}' (ip-batch, netlink)`);
  const t0 = performance.now();
  await runScale({
    sizes: opt('n') ? [Number(opt('n'))] : flag('quick') ? [10, 100, 200] : [10, 100, 200, 1000],
    ...(topoArg && { topology: topoArg }),
    ...(driverArg && { driver: driverArg as 'ip-batch' | 'netlink' }),
    noShell: flag('no-shell'),
    statusOnly: flag('status-only'),
    explicitN: opt('n') !== undefined,
  });
  table();
  console.log(`  total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1]?.endsWith('scale.ts')) await main();

/**
 * Micro-bench (not a test): a star of N namespaces, each with a veth to one root bridge, addressed and up,
 * created and torn down by the ip-batch driver and by the netlink driver, each inside its own sandbox.
 * Times driver.execute() only (the plan is computed beforehand from a real observation), then the same
 * through the engine (observe + plan + journal + execute + verify).
 * Usage: tsx bench/netlink.ts [--n 200] [--rounds 3] [--settle-ms 3000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sandbox } from '../server/engine/contract';
import { type Driver, IpBatchDriver } from '../server/engine/driver';
import { openEngine } from '../server/engine/engine';
import { loadNetlinkDriver, type NetlinkDriver, netlinkUnavailableReason } from '../server/engine/netlink/driver';
import { observe } from '../server/engine/observe';
import { plan } from '../server/engine/plan';
import { planDestroy } from '../server/engine/planDestroy';
import { createSandbox } from '../server/engine/sandbox';
import { type Lab, validate } from '../shared';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 200);
const ROUNDS = arg('rounds', 3);

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

const line = (driver: string, phase: string, ms: number, extra = '') =>
  console.log(`bench topology=star n=${N} driver=${driver} phase=${phase} ms=${ms.toFixed(1)}${extra}`);

async function driverOnly(name: 'ip-batch' | 'netlink', sb: Sandbox, lab: Lab) {
  let driver: Driver;
  if (name === 'netlink') {
    const d = await loadNetlinkDriver(sb.runner);
    if (!d) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
    driver = d;
  } else driver = new IpBatchDriver(sb.runner);
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const up = plan(lab, await observe(sb.runner));
      if (up.errors.length) throw new Error(JSON.stringify(up.errors));
      let t0 = performance.now();
      const c = await driver.execute(up.ops);
      const create = performance.now() - t0;
      if (!c.ok) throw new Error(`${name} create failed: ${JSON.stringify(c.failure)}`);
      const again = plan(lab, await observe(sb.runner));
      if (again.ops.length) throw new Error(`${name}: host differs after create (${again.ops.length} ops left)`);
      line(name, 'create', create, ` ops=${up.ops.length} round=${r}`);
      const observed = await observe(sb.runner);
      const down = planDestroy(lab.name, observed);
      // As the engine does: the deleted namespaces' veth peers come from the observation.
      const peersOf = (netns: string) =>
        observed.namespaces[netns]?.links.flatMap((l) =>
          l.peer && l.peer.netns !== netns ? [{ netns: l.peer.netns, ifindex: l.peer.ifindex }] : [],
        );
      t0 = performance.now();
      const d = await driver.execute(down.ops, { peersOf });
      const teardown = performance.now() - t0;
      if (!d.ok) throw new Error(`${name} teardown failed: ${JSON.stringify(d.failure)}`);
      line(name, 'teardown', teardown, ` ops=${down.ops.length} round=${r}`);
      const left = await sb.runner.run(['ip', '-o', 'link', 'show']);
      const ns = await sb.runner.run(['ip', 'netns', 'list']);
      if (left.stdout.trim().split('\n').length !== 1 || ns.stdout.trim())
        throw new Error(`${name}: teardown left objects`);
    }
  } finally {
    await (driver as Partial<NetlinkDriver>).close?.();
  }
}

async function viaEngine(name: 'ip-batch' | 'netlink', sb: Sandbox, lab: Lab) {
  const stateDir = await mkdtemp(join(tmpdir(), 'netloom-bench-'));
  const nl = name === 'netlink' ? await loadNetlinkDriver(sb.runner) : null;
  try {
    const engine = await openEngine({
      stateDir,
      runner: sb.runner,
      skipProbe: true,
      ...(nl && { driverImpl: nl }),
    });
    let t0 = performance.now();
    const up = await engine.apply(lab);
    if (!up.ok) throw new Error(`${name} engine apply failed: ${up.error?.message}`);
    line(`engine+${name}`, 'create', performance.now() - t0);
    t0 = performance.now();
    const down = await engine.destroy(lab.name);
    if (!down.ok) throw new Error(`${name} engine destroy failed: ${down.error?.message}`);
    line(`engine+${name}`, 'teardown', performance.now() - t0);
    await engine.close();
  } finally {
    await nl?.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** A closed sandbox's namespaces are freed by the kernel in the background: let that finish first. */
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));
const SETTLE_MS = arg('settle-ms', 3000);

const lab = starLab(N);
for (const fn of [driverOnly, viaEngine]) {
  for (const name of ['ip-batch', 'netlink'] as const) {
    await settle();
    const sb = await createSandbox();
    try {
      await fn(name, sb, lab);
    } finally {
      await sb.close();
    }
  }
}

/**
 * `tsx bench/discover.ts [--n 200]`: discovery of N namespaces (each with a veth to the root), built with one
 * `ip -batch` inside a sandbox. Prints observe() alone and the whole discover() (+ toLab), median of 5 runs.
 */
import { discover } from '../server/discovery/discover';
import { toLab } from '../server/discovery/toLab';
import { observe } from '../server/engine/observe';
import { createSandbox } from '../server/engine/sandbox';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Medians (ms) of observe() alone and of discover() + toLab() over N namespaces, in a fresh sandbox. */
export async function benchDiscovery(n = 200): Promise<{ observeMs: number; discoverMs: number }> {
  const sb = await createSandbox();
  try {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`netns add b${i}`);
    for (let i = 0; i < n; i++) lines.push(`link add hb${i} type veth peer name eth0 netns b${i}`);
    const r = await sb.runner.run(['ip', '-batch', '-'], { stdin: `${lines.join('\n')}\n` });
    if (r.code !== 0) throw new Error(r.stderr);
    await discover(sb.runner); // warm
    const obs: number[] = [];
    const disc: number[] = [];
    for (let k = 0; k < 5; k++) {
      let t0 = performance.now();
      await observe(sb.runner);
      obs.push(performance.now() - t0);
      t0 = performance.now();
      const d = await discover(sb.runner);
      const dl = toLab(d);
      disc.push(performance.now() - t0);
      if (dl.lab.links.length !== n) throw new Error(`expected ${n} links, got ${dl.lab.links.length}`);
    }
    const out = { observeMs: median(obs), discoverMs: median(disc) };
    console.log(`bench topology=discover n=${n} driver=ip-batch phase=observe ms=${out.observeMs.toFixed(1)}`);
    console.log(`bench topology=discover n=${n} driver=ip-batch phase=status ms=${out.discoverMs.toFixed(1)}`);
    return out;
  } finally {
    await sb.close();
  }
}

if (process.argv[1]?.endsWith('discover.ts')) {
  const arg = process.argv.indexOf('--n');
  await benchDiscovery(arg > 0 ? Number(process.argv[arg + 1]) : 200);
}

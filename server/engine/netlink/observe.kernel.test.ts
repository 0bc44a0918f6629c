/**
 * observeNetlink() against observe() on the kernel, each case in its own sandbox: after applying every
 * example lab (and a few shapes observe() must also get right: named-named veths, forwarding, a route via a
 * gateway, a foreign unmarked interface), both readings are deep-equal once counters (which move between
 * the two reads) are removed.
 */
import { isDeepStrictEqual } from 'node:util';
import { expect, it } from 'vitest';
import { type Lab, type LabInput, validate } from '../../../shared';
import { optionalFeatures } from '../../testing/examples';
import { openEngine } from '../engine';
import { observe } from '../observe';
import { plan } from '../plan';
import { describeKernel, exampleLabs, kernelDriver, withSandbox } from '../testing/kernel';
import type { ObservedState } from '../types';
import { loadNetlinkDriver, netlinkUnavailableReason } from './driver';
import { lastNetlinkObserveTimings, observeNetlink } from './observe';
import { NetlinkObserver } from './observer';

// Examples needing an optional kernel feature (refused by a plan without capabilities) are covered by
// server/examples.kernel.test.ts.
const labs = (await exampleLabs().catch(() => [])).filter((l) => optionalFeatures(l.lab).length === 0);
const parse = (input: LabInput): Lab => {
  const v = validate(input);
  if (!v.ok) throw new Error(`example is invalid: ${JSON.stringify(v.issues)}`);
  return v.lab;
};

/** Counters differ between two reads (traffic, IPv6 DAD/RS packets); everything else must not. */
function noCounters(s: ObservedState): ObservedState {
  const c = structuredClone(s);
  for (const ns of [c.root, ...Object.values(c.namespaces)]) for (const l of ns.links) delete l.counters;
  return c;
}

describeKernel('observeNetlink on the kernel', () => {
  it('has example labs to compare', () => {
    expect(labs.length).toBeGreaterThan(0);
  });

  for (const { file, lab: input } of labs) {
    it(`${file}: observeNetlink deep-equals observe()`, async () => {
      const lab = parse(input);
      await withSandbox(async (sb, stateDir) => {
        const engine = await openEngine({ stateDir, runner: sb.runner, driver: kernelDriver(), skipProbe: true });
        const up = await engine.apply(lab);
        expect(up.error).toBeUndefined();
        const viaIp = await observe(sb.runner);
        const viaNl = await observeNetlink(sb.runner);
        expect(noCounters(viaNl)).toEqual(noCounters(viaIp));
        // Counters are there, with the same shape.
        const lo = viaNl.root.links.find((l) => l.ifname === 'lo');
        expect(lo?.counters).toMatchObject({ rxBytes: expect.any(Number), txPackets: expect.any(Number) });
        await engine.close();
      });
    });
  }

  it('named-named veths (ambiguous ifindex pairs), forwarding, gateway routes, foreign links, deleted netns', async () => {
    await withSandbox(async (sb) => {
      const run = async (...argv: string[]) => {
        const r = await sb.runner.run(argv);
        if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      };
      // A chain a - b - c - d whose veth ends all get ifindex 2 or 3 in fresh namespaces: ambiguous pairs.
      for (const n of ['a', 'b', 'c', 'd']) await run('ip', 'netns', 'add', n);
      await run('ip', '-n', 'a', 'link', 'add', 'ab', 'type', 'veth', 'peer', 'name', 'ba', 'netns', 'b');
      await run('ip', '-n', 'c', 'link', 'add', 'cd', 'type', 'veth', 'peer', 'name', 'dc', 'netns', 'd');
      await run('ip', '-n', 'b', 'link', 'add', 'bc', 'type', 'veth', 'peer', 'name', 'cb', 'netns', 'c');
      await run('ip', 'link', 'add', 'r0', 'type', 'veth', 'peer', 'name', 'e0', 'netns', 'a');
      await run('ip', 'link', 'add', 'same0', 'type', 'veth', 'peer', 'name', 'same1');
      await run('ip', 'link', 'add', 'br9', 'type', 'bridge', 'stp_state', '1');
      await run('ip', 'link', 'set', 'r0', 'master', 'br9', 'alias', 'netloom:x:l1.1');
      await run('ip', '-n', 'a', 'link', 'set', 'lo', 'alias', 'netloom:x:a');
      await run('ip', 'link', 'add', 'foreign7', 'type', 'bridge');
      await run('ip', 'netns', 'exec', 'b', 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=2');
      for (const n of ['a', 'b']) await run('ip', 'netns', 'exec', n, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
      await run('ip', 'netns', 'exec', 'a', 'sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1');
      await run('ip', '-n', 'a', 'link', 'set', 'ab', 'up', 'mtu', '1400');
      await run('ip', '-n', 'b', 'link', 'set', 'ba', 'up');
      await run('ip', '-n', 'a', 'addr', 'add', '10.1.0.1/24', 'dev', 'ab');
      await run('ip', '-n', 'a', 'addr', 'add', 'fd00:1::1/64', 'dev', 'ab', 'nodad');
      await run('ip', '-n', 'a', 'route', 'add', '10.9.0.0/16', 'via', '10.1.0.2', 'metric', '7');
      await run('ip', '-n', 'a', 'route', 'add', 'default', 'via', '10.1.0.254');
      await run('ip', '-n', 'a', 'route', 'add', 'fd00:9::/48', 'via', 'fd00:1::2');
      await run('ip', 'netns', 'add', 'gone');
      await run('ip', 'netns', 'del', 'gone');
      // Links just set up settle asynchronously (carrier, then an fe80 route): compare once two reads agree
      // on a settled host, at most a few rounds.
      let viaIp = await observe(sb.runner);
      let viaNl = await observeNetlink(sb.runner);
      for (let i = 0; i < 5 && !isDeepStrictEqual(noCounters(viaNl), noCounters(viaIp)); i++) {
        viaIp = await observe(sb.runner);
        viaNl = await observeNetlink(sb.runner);
      }
      expect(noCounters(viaNl)).toEqual(noCounters(viaIp));
      // And the pairs really are resolved (not merely equally unresolved).
      const peer = (ns: string, ifname: string) => viaNl.namespaces[ns]!.links.find((l) => l.ifname === ifname)?.peer;
      expect(peer('a', 'ab')).toMatchObject({ netns: 'b', ifname: 'ba' });
      expect(peer('c', 'cd')).toMatchObject({ netns: 'd', ifname: 'dc' });
      expect(peer('b', 'bc')).toMatchObject({ netns: 'c', ifname: 'cb' });
      expect(peer('a', 'e0')).toMatchObject({ netns: null, ifname: 'r0' });
      expect(viaNl.namespaces.a!.forwarding).toBe(true);
      expect(viaNl.namespaces.b!.forwarding).toBe(false);
    });
  });

  it('a chain of 60 named namespaces (every end ifindex 2 or 3): exact peers from the nsid tables, linear queries', async () => {
    const N = 60;
    await withSandbox(async (sb) => {
      const run = async (argv: string[], stdin?: string) => {
        const r = await sb.runner.run(argv, stdin === undefined ? {} : { stdin });
        if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
      };
      const names = Array.from({ length: N }, (_, i) => `c${i}`);
      await run(['ip', '-batch', '-'], names.map((n) => `netns add ${n}\n`).join(''));
      // Created inside c(i) with the peer moved to c(i+1): the root takes no part (has no nsid for them yet).
      for (let i = 0; i + 1 < N; i++)
        await run([
          'ip',
          '-n',
          names[i]!,
          'link',
          'add',
          `r${i}`,
          'type',
          'veth',
          'peer',
          'name',
          `l${i + 1}`,
          'netns',
          names[i + 1]!,
        ]);
      const viaIp = await observe(sb.runner);
      const viaNl = await observeNetlink(sb.runner);
      const first = lastNetlinkObserveTimings()!.nsidQueries;
      expect(noCounters(viaNl)).toEqual(noCounters(viaIp));
      for (let i = 0; i + 1 < N; i++) {
        const r = viaNl.namespaces[names[i]!]!.links.find((l) => l.ifname === `r${i}`)!;
        expect(r.peer).toMatchObject({ netns: names[i + 1], ifname: `l${i + 1}` });
        expect([2, 3]).toContain(r.ifindex);
      }
      // Linear: per namespace one root-id query (+ assign and re-query when unassigned) and one table dump;
      // never the per-pair fallback (which would be ~N² here).
      expect(first.pairs).toBe(0);
      expect(first.table).toBeGreaterThan(0);
      expect(first.table).toBeLessThanOrEqual(4 * N);
      // The root ids stay assigned: a second read needs no assignment; observe() still reads the same.
      const again = await observeNetlink(sb.runner);
      const second = lastNetlinkObserveTimings()!.nsidQueries;
      expect(second.pairs).toBe(0);
      expect(second.table).toBeLessThanOrEqual(2 * N);
      expect(noCounters(again)).toEqual(noCounters(await observe(sb.runner)));
    });
  });

  for (const { file, lab: input } of labs) {
    it(`${file}: the netlink observer's re-observation after an execute is what observe() reads itself`, async () => {
      const lab = parse(input);
      await withSandbox(async (sb) => {
        const d = await loadNetlinkDriver(sb.runner);
        if (!d) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
        try {
          const base = await observe(sb.runner);
          const p = plan(lab, base);
          const r = await d.execute(p.ops);
          if (!r.ok) throw new Error(JSON.stringify(r.failure));
          const again = await new NetlinkObserver(d).reobserve({ ops: p.ops, base });
          const fresh = await observe(sb.runner);
          expect(noCounters(again)).toEqual(noCounters(fresh));
        } finally {
          await d.close();
        }
      });
    });
  }

  it('engine on the netlink driver: apply verifies from the read-back, no-op and destroy stay correct', async () => {
    const lab = parse(labs.find((l) => l.file.startsWith('router'))?.lab ?? labs[0]!.lab);
    await withSandbox(async (sb, stateDir) => {
      const d = await loadNetlinkDriver(sb.runner);
      if (!d) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
      try {
        const engine = await openEngine({ stateDir, runner: sb.runner, skipProbe: true, driverImpl: d });
        expect((await engine.apply(lab)).error).toBeUndefined();
        expect((await engine.apply(lab)).ran).toBe(0);
        expect((await engine.destroy(lab.name)).error).toBeUndefined();
        const left = await observeNetlink(d);
        expect(Object.keys(left.namespaces)).toEqual([]);
        await engine.close();
      } finally {
        await d.close();
      }
    });
  });

  it('shares the netlink driver agent and leaves no fd holding a deleted namespace', async () => {
    await withSandbox(async (sb) => {
      const d = await loadNetlinkDriver(sb.runner);
      if (!d) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
      try {
        await sb.runner.run(['ip', 'netns', 'add', 'n1']);
        await sb.runner.run(['ip', 'link', 'add', 'v1', 'type', 'veth', 'peer', 'name', 'v2', 'netns', 'n1']);
        const first = await observeNetlink(d);
        expect(Object.keys(first.namespaces)).toEqual(['n1']);
        await sb.runner.run(['ip', 'netns', 'del', 'n1']);
        // Nothing in the agent keeps n1 alive: its veth's root end goes away.
        let gone = false;
        for (let i = 0; i < 100 && !gone; i++) {
          const s = await observeNetlink(d);
          gone = !s.root.links.some((l) => l.ifname === 'v1') && !s.namespaces.n1;
          if (!gone) await new Promise((r) => setTimeout(r, 20));
        }
        expect(gone).toBe(true);
      } finally {
        await d.close();
      }
    });
  });
});

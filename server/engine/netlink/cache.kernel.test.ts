/**
 * The observation cache (kept current by kernel notifications) against a full netlink read, on the kernel,
 * in a sandbox: after every kind of change made behind Netloom's back with plain `ip`/`nft` commands, the
 * cached observation deep-equals a full read (counters aside), and it re-read only what changed.
 */
import { expect, it } from 'vitest';
import type { CommandRunner } from '../contract';
import { describeKernel, withSandbox } from '../testing/kernel';
import type { ObservedState } from '../types';
import { ObservationCache } from './cache';
import { loadNetlinkDriver, netlinkUnavailableReason } from './driver';
import { observeNetlink } from './observe';

function noCounters(s: ObservedState): ObservedState {
  const c = structuredClone(s);
  for (const ns of [c.root, ...Object.values(c.namespaces)]) for (const l of ns.links) delete l.counters;
  return c;
}

const sh = async (runner: CommandRunner, ...argv: string[]) => {
  const r = await runner.run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** Three namespaces on a root bridge, and a chain a—b of named-named veths, built by hand. */
async function build(runner: CommandRunner): Promise<void> {
  const lines = ['link add br0 type bridge', 'link set br0 up'];
  for (const n of ['a', 'b', 'c']) {
    lines.push(
      `netns add ${n}`,
      `link add ${n}0 type veth peer name eth0 netns ${n}`,
      `link set ${n}0 master br0`,
      `link set ${n}0 up`,
      `-n ${n} link set eth0 up`,
      `-n ${n} link set lo up`,
    );
  }
  lines.push(
    '-n a addr add 10.7.0.1/24 dev eth0',
    '-n b addr add 10.7.0.2/24 dev eth0',
    '-n c addr add 10.7.0.3/24 dev eth0',
    '-n a link add ab type veth peer name ba netns b',
    '-n a link set ab up',
    '-n b link set ba up',
  );
  // No IPv6: its background traffic (router solicitations, MLD) would move counters between two reads.
  const noV6 = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
  await sh(runner, 'sysctl', '-qw', ...noV6);
  for (const line of lines) {
    await sh(runner, 'ip', ...line.split(' '));
    const made = /^netns add (\w+)$/.exec(line);
    if (made) await sh(runner, 'ip', 'netns', 'exec', made[1]!, 'sysctl', '-qw', ...noV6);
  }
  // The cache keeps namespaces that have an id in the root (these do: their veth peers are in the root).
  for (const n of ['a', 'b', 'c']) await runner.run(['ip', 'netns', 'set', n, 'auto']);
}

describeKernel('observation cache on the kernel', () => {
  it('equals a full read after every change made by hand, re-reading only what changed', async () => {
    await withSandbox(async (sb) => {
      const nl = await loadNetlinkDriver(sb.runner);
      if (!nl) throw new Error(`netlink driver unavailable: ${netlinkUnavailableReason()}`);
      try {
        await build(sb.runner);
        const cache = new ObservationCache(nl);
        // The kernel finishes some changes in the background (carrier and operstate follow a link's peer
        // up to a second later), so a change can land between the cached read and the full one. Compare
        // again after such a race: a cache that missed a notification stays wrong however often it is asked.
        // `reports`: the cache's report of each first attempt (a retry after a race is a later, partial read).
        const reports: (typeof cache.last)[] = [];
        const same = async () => {
          for (let attempt = 1; ; attempt++) {
            const cached = await cache.observe();
            if (attempt === 1) reports.push(cache.last);
            const full = await observeNetlink(nl);
            try {
              expect(noCounters(cached)).toEqual(noCounters(full));
              return cached;
            } catch (e) {
              if (attempt === 10) throw e;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        // Until the kernel is done: `reads` namespaces re-read (those always read) for 1.2 s in a row.
        const quiet = async (reads: number) => {
          const deadline = Date.now() + 10_000;
          for (let since = Date.now(); Date.now() - since < 1200; ) {
            if (Date.now() > deadline) throw new Error('the host never went quiet');
            await cache.observe();
            if ((cache.last?.read ?? 0) > reads) since = Date.now();
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        const first = await same();
        expect(reports[0]?.full).toBe('start');
        expect(first.namespaces.a?.links.find((l) => l.ifname === 'ab')?.peer).toMatchObject({ netns: 'b' });
        // Quiet host: nothing is read again.
        await quiet(0);
        await same();
        await same();
        expect(cache.last).toMatchObject({ read: 0, reused: 3 });

        // An address added in one namespace: that one is read again, the others reused.
        await sh(sb.runner, 'ip', '-n', 'b', 'addr', 'add', '10.8.0.2/24', 'dev', 'eth0');
        const afterAddr = await cache.observe();
        expect(cache.last).toMatchObject({ read: 1, reused: 2 });
        expect(afterAddr.namespaces.b?.links.find((l) => l.ifname === 'eth0')?.addresses).toContain('10.8.0.2/24');
        await same();

        // A route, a link down, an MTU, forwarding, rp_filter: each seen at once.
        await sh(sb.runner, 'ip', '-n', 'c', 'route', 'add', '10.99.0.0/16', 'via', '10.7.0.1');
        expect((await cache.observe()).namespaces.c?.routes.some((r) => r.to === '10.99.0.0/16')).toBe(true);
        await sh(sb.runner, 'ip', '-n', 'a', 'link', 'set', 'ab', 'down');
        const down = await cache.observe();
        expect(down.namespaces.a?.links.find((l) => l.ifname === 'ab')?.adminUp).toBe(false);
        await sh(sb.runner, 'ip', '-n', 'a', 'link', 'set', 'eth0', 'mtu', '1400');
        expect((await cache.observe()).namespaces.a?.links.find((l) => l.ifname === 'eth0')?.mtu).toBe(1400);
        await sh(sb.runner, 'ip', 'netns', 'exec', 'b', 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
        expect((await cache.observe()).namespaces.b?.ipv4Forward).toBe(true);
        await sh(sb.runner, 'ip', 'netns', 'exec', 'c', 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=2');
        expect((await cache.observe()).namespaces.c?.sysctls?.['net.ipv4.conf.all.rp_filter']).toBe('2');
        await same();

        // In the root: a port leaves the bridge.
        await sh(sb.runner, 'ip', 'link', 'set', 'c0', 'nomaster');
        expect((await cache.observe()).root.links.find((l) => l.ifname === 'c0')?.master).toBeUndefined();
        await same();

        // nftables: a table appears (nft is read again only after it changed).
        await sh(sb.runner, 'nft', 'add', 'table', 'ip', 'netloom_cachetest');
        expect((await cache.observe()).nft?.some((t) => t.name === 'netloom_cachetest')).toBe(true);
        await sh(sb.runner, 'nft', 'delete', 'table', 'ip', 'netloom_cachetest');
        expect((await cache.observe()).nft?.some((t) => t.name === 'netloom_cachetest')).toBe(false);

        // A namespace deleted and another one created under the same name: the new, empty one is seen.
        await sh(sb.runner, 'ip', 'netns', 'del', 'c');
        await sh(sb.runner, 'ip', 'netns', 'add', 'c');
        // The kernel frees the old namespace in the background; its veth peer c0 in the root goes with it.
        for (let i = 0; i < 100 && (await observeNetlink(nl)).root.links.some((l) => l.ifname === 'c0'); i++)
          await new Promise((r) => setTimeout(r, 20));
        const replaced = await cache.observe();
        expect(replaced.namespaces.c?.links.map((l) => l.ifname)).toEqual(['lo']);
        expect(replaced.root.links.some((l) => l.ifname === 'c0')).toBe(false);
        await same();

        // A namespace without an id in the root cannot notify: it is read every time, never cached.
        await sh(sb.runner, 'ip', '-n', 'c', 'link', 'set', 'lo', 'up');
        expect((await cache.observe()).namespaces.c?.links[0]?.adminUp).toBe(true);
        expect(cache.last?.read).toBeGreaterThanOrEqual(1);

        // Status samples: counters move on reused namespaces. The a—b pair has both ends in reused
        // namespaces: one of them is read, the other end mirrors it (rx ↔ tx); eth0 ends mirror the root's.
        await sh(sb.runner, 'ip', '-n', 'a', 'link', 'set', 'ab', 'up');
        await sh(sb.runner, 'ip', '-n', 'a', 'addr', 'add', '10.9.0.1/30', 'dev', 'ab');
        await sh(sb.runner, 'ip', '-n', 'b', 'addr', 'add', '10.9.0.2/30', 'dev', 'ba');
        await quiet(1);
        await same();
        const before = await cache.observe({ counters: true });
        expect(cache.last).toMatchObject({ read: 1, counters: 1 }); // c (no nsid) is read; a or b for counters
        await sh(sb.runner, 'ip', 'netns', 'exec', 'a', 'ping', '-c', '3', '-i', '0.2', '-W', '1', '10.7.0.2');
        await sh(sb.runner, 'ip', 'netns', 'exec', 'a', 'ping', '-c', '2', '-i', '0.2', '-W', '1', '10.9.0.2');
        const after = await cache.observe({ counters: true });
        const fresh = await observeNetlink(nl);
        const c = (s: ObservedState, ns: string, ifname: string) =>
          s.namespaces[ns]?.links.find((l) => l.ifname === ifname)?.counters;
        expect(c(after, 'a', 'eth0')!.txPackets).toBeGreaterThanOrEqual(c(before, 'a', 'eth0')!.txPackets + 3);
        expect(c(after, 'a', 'ab')!.txPackets).toBeGreaterThanOrEqual(c(before, 'a', 'ab')!.txPackets + 2);
        expect(c(after, 'b', 'ba')!.rxPackets).toBeGreaterThanOrEqual(c(before, 'b', 'ba')!.rxPackets + 2);
        // Mirrored or read, every veth end's counters equal a full read's (nothing moves in between: no traffic).
        for (const [ns, ifname] of [
          ['a', 'eth0'],
          ['b', 'eth0'],
          ['a', 'ab'],
          ['b', 'ba'],
        ] as const)
          expect(c(after, ns, ifname)).toEqual(c(fresh, ns, ifname));

        // The named-named pair goes when one end is deleted.
        await sh(sb.runner, 'ip', '-n', 'b', 'link', 'del', 'ba');
        const unpaired = await same();
        expect(unpaired.namespaces.a?.links.some((l) => l.ifname === 'ab')).toBe(false);
      } finally {
        await nl.close();
      }
    });
  });
});

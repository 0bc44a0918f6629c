/**
 * The `ip` reader against `ip` itself: each abbreviated or re-ordered command line is run by the real
 * iproute2 in a sandbox namespace, and what the kernel then holds must be what readCommand() said the line
 * does; lines the reader refuses must fail in `ip` too. Proves the prefix rule and the argument order, not
 * just our reading of the source.
 */
import { expect, it } from 'vitest';
import type { CommandRunner } from '../engine/contract';
import { describeKernel, withSandbox } from '../engine/testing/kernel';
import { readCommand } from './iproute2';

const NS = 'oracle';

/** A line, and how to check its effect in the kernel afterwards. */
const CASES: string[] = [
  'ip a a 10.0.0.1/24 dev eth1',
  'ip ad add dev eth1 10.0.1.1/24',
  'ip -4 addr add 10.0.2.1/24 dev eth1',
  'ip address add local 10.0.3.1/24 dev eth1',
  'ip -6 a a 2001:db8::1/64 dev eth1',
  'ip addr add 10.0.4.1 dev eth1',
  'ip r a 10.5.0.0/16 via 10.0.0.254',
  'ip ro add 10.6.0.0/16 dev eth1 metric 7',
  'ip route add to 10.7.0.0/16 via 10.0.1.254 dev eth1',
  'ip r rep default via 10.0.0.254',
  'ip l s eth1 mtu 1400',
  'ip li se dev eth2 addr 02:00:00:00:00:09',
  'ip link set eth2 down',
  'ip link add name br0 type bridge',
  'ip link set eth2 m br0',
  'ip link add br1 ty bridge',
];
/** Lines ip refuses, and the reader too. */
const REFUSED = [
  'ip link add br9 t bridge',
  'ip link add a type veth peer name b',
  'ip route add 10.8.0.1/24 via 10.0.0.254',
  'ip a a dev eth1',
];

async function sh(r: CommandRunner, argv: string[]) {
  return r.run(['ip', 'netns', 'exec', NS, ...argv], { timeoutMs: 10_000 });
}
async function json(r: CommandRunner, argv: string[]): Promise<Record<string, unknown>[]> {
  const out = await sh(r, argv);
  return JSON.parse(out.stdout || '[]') as Record<string, unknown>[];
}

describeKernel('the ip reader agrees with ip', () => {
  it('abbreviations and argument order: the kernel holds what readCommand said', () =>
    withSandbox(async (sb) => {
      const run = sb.runner;
      for (const argv of [
        ['ip', 'netns', 'add', NS],
        ['ip', '-n', NS, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'peer1'],
        ['ip', '-n', NS, 'link', 'add', 'eth2', 'type', 'veth', 'peer', 'name', 'peer2'],
        ['ip', '-n', NS, 'link', 'set', 'eth1', 'up'],
        ['ip', '-n', NS, 'link', 'set', 'peer1', 'up'],
        ['ip', '-n', NS, 'link', 'set', 'eth2', 'up'],
      ])
        expect((await run.run(argv)).code).toBe(0);
      for (const line of CASES) {
        const reading = readCommand(line.split(' '));
        expect(reading.kind, line).toBe('effects');
        const r = await sh(run, line.split(' '));
        expect(r.code, `${line}: ${r.stderr}`).toBe(0);
        if (reading.kind !== 'effects') continue;
        for (const e of reading.effects) {
          if (e.op === 'addr.add') {
            const addrs = (await json(run, ['ip', '-j', 'addr', 'show', 'dev', e.dev]))[0]?.addr_info as {
              local: string;
              prefixlen: number;
            }[];
            expect(
              addrs.map((a) => `${a.local}/${a.prefixlen}`),
              line,
            ).toContain(e.cidr);
          } else if (e.op === 'route.add') {
            const routes = await json(run, ['ip', '-j', ...(e.route.family === 6 ? ['-6'] : []), 'route', 'show']);
            const hit = routes.find(
              (x) =>
                (x.dst === 'default' ? 'default' : String(x.dst).includes('/') ? x.dst : `${x.dst}/32`) === e.route.to,
            );
            expect(hit, line).toBeDefined();
            if (e.route.via) expect(hit!.gateway, line).toBe(e.route.via);
            if (e.route.dev) expect(hit!.dev, line).toBe(e.route.dev);
            if (e.route.metric !== undefined) expect(hit!.metric, line).toBe(e.route.metric);
          } else if (e.op === 'link.set') {
            const l = (await json(run, ['ip', '-j', 'link', 'show', 'dev', e.dev]))[0]!;
            if (e.set.mtu !== undefined) expect(l.mtu, line).toBe(e.set.mtu);
            if (e.set.mac !== undefined) expect(l.address, line).toBe(e.set.mac);
            if (e.set.up === false) expect(l.flags as string[], line).not.toContain('UP');
            if (typeof e.set.master === 'string') expect(l.master, line).toBe(e.set.master);
          } else if (e.op === 'link.add') {
            const l = (await json(run, ['ip', '-j', '-d', 'link', 'show', 'dev', e.add.name]))[0]!;
            expect((l.linkinfo as { info_kind: string }).info_kind, line).toBe(e.add.type);
          }
        }
      }
      for (const line of REFUSED) {
        expect(readCommand(line.split(' ')).kind, line).toBe('unsupported');
        expect((await sh(run, line.split(' '))).code, `${line} should fail in ip too`).not.toBe(0);
      }
    }));
});

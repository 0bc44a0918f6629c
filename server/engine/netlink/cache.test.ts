/**
 * The pure parts of the observation cache's status samples: which namespaces must read counters (the rest
 * mirror their veth peers), the mirroring itself, and the RTM_GETSTATS encoding/decoding.
 */
import { describe, expect, it } from 'vitest';
import type { NetnsRef, ObservedLink } from '../types';
import { counterPlan, mirrorCounters } from './cache';
import { dumpStats, parseReplies, parseStatsRecord, RTM_GETSTATS, RTM_NEWSTATS } from './messages';
import type { RawNetlinkNetns } from './observe';

const link = (netns: NetnsRef, ifindex: number, ifname: string, kind: string, peer?: [NetnsRef, number]) =>
  ({
    netns,
    ifindex,
    ifname,
    kind,
    marker: null,
    adminUp: true,
    operstate: 'UP',
    mtu: 1500,
    addresses: [],
    ...(peer && { peer: { netns: peer[0], ifname: `p${peer[1]}`, ifindex: peer[1] } }),
  }) as ObservedLink;

const ns = (name: NetnsRef, links: ObservedLink[]): RawNetlinkNetns => ({
  ns: { name, marker: null, forwarding: false, links, routes: [] },
  vethRefs: new Map(),
});

describe('counterPlan', () => {
  it('a star reads nothing but the root: every end mirrors its root peer', () => {
    const by = new Map<NetnsRef, RawNetlinkNetns>([[null, ns(null, [])]]);
    for (const n of ['a', 'b', 'c'])
      by.set(n, ns(n, [link(n, 1, 'lo', 'loopback'), link(n, 2, 'eth0', 'veth', [null, 10])]));
    const p = counterPlan(by, new Set(['a', 'b', 'c']));
    expect(p.read).toEqual([]);
    expect([...p.mirror].sort()).toEqual(['a', 'b', 'c']);
  });

  it('a chain of reused namespaces reads one end of every pair', () => {
    const names = ['n0', 'n1', 'n2', 'n3', 'n4'];
    const by = new Map<NetnsRef, RawNetlinkNetns>([[null, ns(null, [])]]);
    names.forEach((n, i) => {
      const links = [link(n, 1, 'lo', 'loopback')];
      if (i > 0) links.push(link(n, 2, 'left', 'veth', [names[i - 1]!, 3]));
      if (i < names.length - 1) links.push(link(n, 3, 'right', 'veth', [names[i + 1]!, 2]));
      by.set(n, ns(n, links));
    });
    const p = counterPlan(by, new Set(names));
    for (let i = 0; i + 1 < names.length; i++)
      expect(p.read.includes(names[i]!) || p.read.includes(names[i + 1]!)).toBe(true);
    expect(p.read.length).toBeLessThan(names.length);
    for (const n of p.mirror) expect(p.read).not.toContain(n);
  });

  it('reads a namespace with anything but veths (a bridge, an unresolved veth, a same-namespace pair)', () => {
    const by = new Map<NetnsRef, RawNetlinkNetns>([
      [null, ns(null, [])],
      ['br', ns('br', [link('br', 2, 'br0', 'bridge')])],
      ['lost', ns('lost', [{ ...link('lost', 2, 'eth0', 'veth'), peer: null }])],
      ['self', ns('self', [link('self', 2, 'x', 'veth', ['self', 3]), link('self', 3, 'y', 'veth', ['self', 2])])],
      ['ok', ns('ok', [link('ok', 2, 'eth0', 'veth', [null, 9])])],
    ]);
    const p = counterPlan(by, new Set(['br', 'lost', 'self', 'ok']));
    expect(p.read.sort()).toEqual(['br', 'lost', 'self']);
    expect([...p.mirror]).toEqual(['ok']);
  });
});

describe('mirrorCounters', () => {
  it('gives a veth end its peer counters, rx and tx swapped, without touching the old link object', () => {
    const rootEnd = {
      ...link(null, 10, 'a0', 'veth', ['a', 2]),
      counters: { rxPackets: 1, txPackets: 2, rxBytes: 100, txBytes: 200 },
    };
    const end = link('a', 2, 'eth0', 'veth', [null, 10]);
    const by = new Map<NetnsRef, RawNetlinkNetns>([
      [null, ns(null, [rootEnd])],
      ['a', ns('a', [end])],
    ]);
    mirrorCounters(by, new Set(['a']));
    expect(by.get('a')!.ns.links[0]!.counters).toEqual({ rxPackets: 2, txPackets: 1, rxBytes: 200, txBytes: 100 });
    expect(end.counters).toBeUndefined();
  });
});

describe('RTM_GETSTATS', () => {
  it('asks for every interface with IFLA_STATS_LINK_64 only, and decodes a reply', () => {
    const req = dumpStats(7).buf;
    expect(req.readUInt16LE(4)).toBe(RTM_GETSTATS);
    expect(req.readUInt32LE(8)).toBe(7);
    expect([...req.subarray(16)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    // nlmsghdr + if_stats_msg(ifindex 5) + attr IFLA_STATS_LINK_64 (4 + 8 counters shown of 24)
    const stats = Buffer.alloc(4 + 8 * 24);
    stats.writeUInt16LE(stats.length, 0);
    stats.writeUInt16LE(1, 2);
    for (const [i, v] of [3, 4, 300, 400].entries()) stats.writeBigUInt64LE(BigInt(v), 4 + 8 * i);
    const head = Buffer.alloc(16 + 12);
    head.writeUInt32LE(head.length + stats.length, 0);
    head.writeUInt16LE(RTM_NEWSTATS, 4);
    head.writeUInt32LE(7, 8);
    head.writeInt32LE(5, 16 + 4);
    const [r] = parseReplies(Buffer.concat([head, stats]));
    expect(parseStatsRecord(r!)).toEqual({
      index: 5,
      stats: { rxPackets: 3, txPackets: 4, rxBytes: 300, txBytes: 400 },
    });
  });
});

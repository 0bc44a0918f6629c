/**
 * observeNetlink's pure parts: decoding kernel replies into observe()'s shapes, resolving veth peers across
 * namespaces, and the `ip -j` text the driver hands back as ExecResult.observed (read by observe()'s own
 * parser, so it must round-trip through parseNetns).
 */
import { describe, expect, it } from 'vitest';
import type { Action, ActionResult } from './agentProcess';
import {
  AF_INET,
  AF_INET6,
  type Attr,
  attrBytes,
  attrS32,
  attrStr,
  attrStrz,
  attrU32,
  IFA_LOCAL,
  IFLA_ADDRESS,
  IFLA_BR_STP_STATE,
  IFLA_IFALIAS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_QDISC,
  IFLA_STATS64,
  ifaddrmsg,
  ifinfomsg,
  ipBytes,
  macBytes,
  message,
  NETCONFA_FORWARDING,
  NETCONFA_IFINDEX,
  NETCONFA_IFINDEX_ALL,
  NETCONFA_RP_FILTER,
  NETNSA_NSID,
  nest,
  RTA_DST,
  RTA_GATEWAY,
  RTA_OIF,
  RTA_PRIORITY,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWNETCONF,
  RTM_NEWNSID,
  RTM_NEWROUTE,
  RTN_UNICAST,
  rtmsg,
} from './messages';
import {
  askNsids,
  decodeNetns,
  linkAddressText,
  linkTypeName,
  nsidTables,
  protocolName,
  type RawNetlinkNetns,
  resolvePeers,
} from './observe';

const stats = () => {
  const b = Buffer.alloc(192);
  b.writeBigUInt64LE(5n, 0); // rx_packets
  b.writeBigUInt64LE(6n, 8); // tx_packets
  b.writeBigUInt64LE(500n, 16); // rx_bytes
  b.writeBigUInt64LE(600n, 24); // tx_bytes
  return b;
};
const u8 = (...v: number[]) => Buffer.from(v);

function link(o: {
  index: number;
  name: string;
  type?: number;
  up?: boolean;
  kind?: string;
  alias?: string;
  peer?: [number, number];
  master?: number;
  stp?: number;
  qdisc?: string;
}) {
  const info = o.kind
    ? [
        nest(IFLA_LINKINFO, [
          attrStr(IFLA_INFO_KIND, o.kind),
          ...(o.stp !== undefined ? [nest(IFLA_INFO_DATA, [attrU32(IFLA_BR_STP_STATE, o.stp)])] : []),
        ]),
      ]
    : [];
  return message(RTM_NEWLINK, 2, 1, ifinfomsg({ index: o.index, type: o.type ?? 1, flags: o.up ? 1 : 0 }), [
    attrStrz(IFLA_IFNAME, o.name),
    attrU32(IFLA_MTU, 1500),
    ...(o.qdisc ? [attrStrz(IFLA_QDISC, o.qdisc)] : []),
    ...(o.master !== undefined ? [attrU32(IFLA_MASTER, o.master)] : []),
    attrBytes(IFLA_OPERSTATE, u8(o.up ? 6 : 2)),
    ...info,
    ...(o.alias ? [attrStr(IFLA_IFALIAS, o.alias)] : []),
    attrBytes(IFLA_ADDRESS, macBytes('AA:bb:cc:00:00:01')),
    attrBytes(IFLA_STATS64, stats()),
    ...(o.peer ? [attrU32(IFLA_LINK, o.peer[0]), attrS32(IFLA_LINK_NETNSID, o.peer[1])] : []),
  ]).buf;
}
const addr = (index: number, cidr: string, scope = 0) => {
  const [ip, len] = cidr.split('/');
  const b = ipBytes(ip!);
  return message(RTM_NEWADDR, 2, 1, ifaddrmsg({ family: b.family, prefixlen: Number(len), scope, index }), [
    attrBytes(IFA_LOCAL, b.bytes),
  ]).buf;
};
const route = (o: {
  family: number;
  to?: string;
  len: number;
  via?: string;
  oif?: number;
  metric?: number;
  proto: number;
}) =>
  message(RTM_NEWROUTE, 2, 1, rtmsg({ family: o.family, dstLen: o.len, protocol: o.proto, type: RTN_UNICAST }), [
    ...(o.to ? [attrBytes(RTA_DST, ipBytes(o.to).bytes)] : []),
    ...(o.via ? [attrBytes(RTA_GATEWAY, ipBytes(o.via).bytes)] : []),
    ...(o.oif !== undefined ? [attrU32(RTA_OIF, o.oif)] : []),
    ...(o.metric !== undefined ? [attrU32(RTA_PRIORITY, o.metric)] : []),
  ]).buf;
const netconf = (family: number, fwd: number, rp?: number) =>
  message(RTM_NEWNETCONF, 0, 1, Buffer.from([family, 0, 0, 0]), [
    attrS32(NETCONFA_IFINDEX, NETCONFA_IFINDEX_ALL),
    attrS32(NETCONFA_FORWARDING, fwd),
    ...(rp !== undefined ? [attrS32(NETCONFA_RP_FILTER, rp)] : []),
  ]).buf;
const nsid = (id: number) => message(RTM_NEWNSID, 0, 1, Buffer.alloc(4), [attrS32(NETNSA_NSID, id)]).buf;

describe('decodeNetns', () => {
  const replies = Buffer.concat([
    link({ index: 1, name: 'lo', type: 772, up: true, alias: 'netloom:lab:n1' }),
    link({ index: 2, name: 'eth0', up: true, kind: 'veth', alias: 'netloom:lab:l1.0', peer: [7, 0], master: 3 }),
    link({ index: 3, name: 'br0', kind: 'bridge', stp: 1, qdisc: 'tbf' }),
    link({ index: 4, name: 'tunl0', type: 768, kind: undefined, qdisc: 'noqueue' }),
    addr(1, '127.0.0.1/8', 254),
    addr(2, '10.0.0.1/24'),
    addr(2, 'fd00:0:0:0:0:0:0:1/64'),
    addr(2, 'fe80::1/64', 253),
    route({ family: AF_INET, to: '10.0.0.0', len: 24, oif: 2, proto: 2 }),
    route({ family: AF_INET, len: 0, via: '10.0.0.254', oif: 2, proto: 3 }),
    route({ family: AF_INET6, to: 'fd00::', len: 64, oif: 2, metric: 256, proto: 2 }),
    route({ family: AF_INET, to: '10.9.9.9', len: 32, oif: 9, proto: 4 }),
    netconf(AF_INET, 1, 2),
    netconf(AF_INET6, 1),
    nsid(0),
  ]);
  const raw = decodeNetns('n1', replies);

  it('links: kind, marker (.0 → #0), state, mac, master, stats, stp, qdisc, veth reference', () => {
    const [lo, eth0, br0, tunl0] = raw.ns.links;
    expect(lo).toMatchObject({ kind: 'loopback', marker: { lab: 'lab', object: 'n1' }, adminUp: true, addresses: [] });
    expect(eth0).toMatchObject({
      ifindex: 2,
      kind: 'veth',
      alias: 'netloom:lab:l1#0',
      marker: { lab: 'lab', object: 'l1#0' },
      operstate: 'UP',
      mtu: 1500,
      mac: 'aa:bb:cc:00:00:01',
      master: 'br0',
      addresses: ['10.0.0.1/24', 'fd00::1/64'],
      counters: { rxPackets: 5, txPackets: 6, rxBytes: 500, txBytes: 600 },
      peer: null,
    });
    expect(br0).toMatchObject({ kind: 'bridge', stp: true, adminUp: false, operstate: 'DOWN', qdisc: { kind: 'tbf' } });
    expect(tunl0!.kind).toBe('ipip');
    expect(tunl0!.qdisc).toBeUndefined();
    expect(raw.vethRefs.get(2)).toEqual({ nsid: 0, peerIndex: 7 });
    expect(raw.rootNsid).toBe(0);
  });

  it('routes, namespace marker, forwarding and sysctls as observe() writes them', () => {
    expect(raw.ns.marker).toEqual({ lab: 'lab', object: 'n1' });
    expect(raw.ns.routes).toEqual([
      { family: 4, to: '10.0.0.0/24', dev: 'eth0', protocol: 'kernel' },
      { family: 4, to: 'default', via: '10.0.0.254', dev: 'eth0', protocol: 'boot' },
      { family: 6, to: 'fd00::/64', dev: 'eth0', metric: 256, protocol: 'kernel' },
      { family: 4, to: '10.9.9.9/32', dev: 'if9', protocol: 'static' },
    ]);
    expect(raw.ns).toMatchObject({
      forwarding: true,
      ipv4Forward: true,
      sysctls: { 'net.ipv4.conf.all.rp_filter': '2' },
    });
  });
});

/** A namespace of veth ends: [ifindex, ifname, peer ifindex?, nsid of the peer's namespace?]. */
const ns = (name: string | null, links: [number, string, number?, number?][], rootNsid?: number): RawNetlinkNetns => {
  const vethRefs = new Map<number, { nsid: number; peerIndex: number }>();
  for (const [i, , p, id] of links) if (p !== undefined) vethRefs.set(i, { nsid: id!, peerIndex: p });
  return {
    ns: {
      name,
      marker: null,
      links: links.map(([i, n]) => ({
        netns: name,
        ifindex: i,
        ifname: n,
        kind: 'veth',
        marker: null,
        adminUp: true,
        operstate: 'UP',
        mtu: 1500,
        addresses: [],
        peer: null,
      })),
      routes: [],
    },
    vethRefs,
    ...(rootNsid !== undefined && { rootNsid }),
  };
};

describe('resolvePeers', () => {
  it('pairs root ends exactly, unique named pairs directly, and asks the kernel about ambiguous ones', async () => {
    const byName = new Map([
      [
        null,
        ns(null, [
          [5, 'p0', 2, 0],
          [6, 'p1', 2, 1],
        ]),
      ],
      // a and b both have ifindex 2 pointing back at root ends 5/6: exact by their root nsid.
      [
        'a',
        ns(
          'a',
          [
            [2, 'eth0', 5, 3],
            [3, 'x', 2, 1],
          ],
          3,
        ),
      ],
      [
        'b',
        ns(
          'b',
          [
            [2, 'eth0', 6, 0],
            [3, 'y', 2, 1],
          ],
          0,
        ),
      ],
      // c and d also have (2 → 3) ends: a.x (3 → 2) has three candidates (b.y? no: b.y is 3 → 2 too).
      ['c', ns('c', [[2, 'z', 3, 4]], 7)],
      ['d', ns('d', [[2, 'w', 3, 5]], 7)],
    ]);
    const asked: unknown[] = [];
    await resolvePeers(byName, async (qs) => {
      asked.push(...qs);
      // a names c with 1, b names d with 1.
      return new Map([
        [
          'a',
          new Map([
            ['c', 1],
            ['d', 9],
          ]),
        ],
        [
          'b',
          new Map([
            ['c', 9],
            ['d', 1],
          ]),
        ],
      ]);
    });
    const peer = (n: string | null, i: string) => byName.get(n)!.ns.links.find((l) => l.ifname === i)!.peer;
    expect(peer('a', 'eth0')).toEqual({ netns: null, ifname: 'p0', ifindex: 5 });
    expect(peer(null, 'p0')).toEqual({ netns: 'a', ifname: 'eth0', ifindex: 2 });
    expect(peer('b', 'eth0')).toEqual({ netns: null, ifname: 'p1', ifindex: 6 });
    expect(peer('a', 'x')).toEqual({ netns: 'c', ifname: 'z', ifindex: 2 });
    expect(peer('b', 'y')).toEqual({ netns: 'd', ifname: 'w', ifindex: 2 });
    expect(peer('d', 'w')).toEqual({ netns: 'b', ifname: 'y', ifindex: 3 });
    expect(asked.length).toBeGreaterThan(0);
  });

  it('leaves ambiguous ends unresolved when nobody can be asked', async () => {
    const byName = new Map([
      [null, ns(null, [])],
      ['a', ns('a', [[3, 'x', 2, 1]], -1)],
      ['c', ns('c', [[2, 'z', 3, 4]], -1)],
      ['d', ns('d', [[2, 'w', 3, 5]], -1)],
    ]);
    await resolvePeers(byName);
    expect(byName.get('a')!.ns.links[0]!.peer).toBeNull();
  });
});

describe('node-attached interfaces (vxlan, tap) as observe() reads `ip -d`', () => {
  const port = Buffer.alloc(2);
  port.writeUInt16BE(4789, 0);
  const withData = (index: number, name: string, kind: string, data: Attr[]) =>
    message(RTM_NEWLINK, 2, 1, ifinfomsg({ index, type: 1, flags: 1 }), [
      attrStrz(IFLA_IFNAME, name),
      attrU32(IFLA_MTU, 1500),
      attrBytes(IFLA_OPERSTATE, u8(0)),
      nest(IFLA_LINKINFO, [attrStr(IFLA_INFO_KIND, kind), nest(IFLA_INFO_DATA, data)]),
    ]).buf;
  const replies = Buffer.concat([
    // unicast remote, local, dstport (IFLA_VXLAN_ID 1, GROUP 2, LOCAL 4, PORT 15)
    withData(5, 'vx0', 'vxlan', [
      attrU32(1, 42),
      attrBytes(2, ipBytes('192.168.1.2').bytes),
      attrBytes(4, ipBytes('192.168.1.1').bytes),
      attrBytes(15, port),
    ]),
    // multicast group over IPv6 (GROUP6 16), local unset (LOCAL 0.0.0.0: omitted as ip does)
    withData(6, 'vx1', 'vxlan', [
      attrU32(1, 7),
      attrBytes(16, ipBytes('ff05::100').bytes),
      attrBytes(4, Buffer.alloc(4)),
      attrBytes(15, port),
    ]),
    withData(7, 'tap0', 'tun', [attrBytes(3, u8(2))]), // IFLA_TUN_TYPE = IFF_TAP
  ]);
  const raw = decodeNetns('h', replies);

  it('decodes VNI, remote/group, local, port and the tun type', () => {
    const [vx0, vx1, tap0] = raw.ns.links;
    expect(vx0!.vxlan).toEqual({ vni: 42, remote: '192.168.1.2', local: '192.168.1.1', port: 4789 });
    expect(vx1!.vxlan).toEqual({ vni: 7, group: 'ff05::100', port: 4789 });
    expect(tap0!.tunType).toBe('tap');
  });
});

describe('iproute2 names', () => {
  it('link types, protocols and tunnel addresses', () => {
    expect(linkTypeName(1)).toBe('ether');
    expect(linkTypeName(772)).toBe('loopback');
    expect(linkTypeName(4242)).toBe('[4242]');
    expect(protocolName(3)).toBe('boot');
    expect(protocolName(77)).toBe('77');
    expect(linkAddressText(Buffer.from([10, 0, 0, 1]), 768)).toBe('10.0.0.1');
    expect(linkAddressText(Buffer.from([0xaa, 1, 2, 3, 4, 5]), 1)).toBe('aa:01:02:03:04:05');
  });
});

describe('resolvePeers through the agent (a fake kernel behind a fake agent)', () => {
  /** Each namespace's nsid table (peer name → id; '' = the root) and the root's; `translate`: ≥ 4.20. */
  function fakeKernel(tables: Record<string, Record<string, number>>, translate: boolean) {
    const root = new Map(Object.entries(tables[''] ?? {}));
    const sent = { nl: 0, dumps: 0, pairs: 0 };
    const msg = (type: number, seq: number, attrs: [number, number][] = [], err?: number) => {
      const b = Buffer.alloc(20 + 8 * attrs.length);
      b.writeUInt32LE(b.length, 0);
      b.writeUInt16LE(type, 4);
      b.writeUInt32LE(seq, 8);
      if (err !== undefined) b.writeInt32LE(err, 16);
      attrs.forEach(([t, v], i) => {
        b.writeUInt16LE(8, 20 + 8 * i);
        b.writeUInt16LE(t, 22 + 8 * i);
        b.writeInt32LE(v, 24 + 8 * i);
      });
      return b;
    };
    const requests = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      const out: { type: number; seq: number; off: number; attrs: Map<number, number> }[] = [];
      for (let off = 0; off < buf.length; off += buf.readUInt32LE(off)) {
        const attrs = new Map<number, number>();
        for (let a = off + 20; a < off + buf.readUInt32LE(off); a += 8)
          attrs.set(buf.readUInt16LE(a + 2), buf.readInt32LE(a + 4));
        out.push({ type: buf.readUInt16LE(off + 4), seq: buf.readUInt32LE(off + 8), off, attrs });
      }
      return out;
    };
    const run = (a: Action): ActionResult => {
      if (a.t === 'nl') {
        const replies: Buffer[] = [];
        for (const m of requests(a.b64)) {
          sent.nl++;
          const name = a.fds!.find((f) => f.offset === m.off + 24)!.netns!;
          if (m.type === 90) replies.push(msg(88, m.seq, [[1, root.get(name) ?? -1]]), msg(2, m.seq, [], 0));
          else if (root.has(name)) replies.push(msg(2, m.seq, [], -17));
          else {
            root.set(name, Math.max(-1, ...root.values()) + 1);
            replies.push(msg(2, m.seq, [], 0));
          }
        }
        return { ok: true, b64: Buffer.concat(replies).toString('base64') };
      }
      if (a.t === 'dumps') {
        const replies: Buffer[] = [];
        for (const m of requests(a.b64)) {
          sent.dumps++;
          const target = [...root].find(([, id]) => id === m.attrs.get(4))![0];
          // Without translation the kernel ignores the target and dumps the root's own table.
          const table = translate ? (tables[target] ?? {}) : Object.fromEntries(root);
          for (const [peer, id] of Object.entries(table))
            replies.push(
              msg(
                88,
                m.seq,
                translate
                  ? [
                      [1, id],
                      [5, root.get(peer) ?? -1],
                    ]
                  : [[1, id]],
              ),
            );
          replies.push(msg(3, m.seq, [], 0));
        }
        return { ok: true, b64: Buffer.concat(replies).toString('base64') };
      }
      if (a.t === 'nsids') {
        const ids: number[] = [];
        for (let i = 0; i < a.pairs.length; i += 2) {
          sent.pairs++;
          ids.push(tables[a.asks[a.pairs[i]!]!]?.[a.targets[a.pairs[i + 1]!]!] ?? -1);
        }
        return { ok: true, ids };
      }
      return { ok: false, errno: 22 };
    };
    const agent = {
      request: async (body: { actions: Action[] } | { cmd: 'closeAll' }) =>
        'actions' in body ? body.actions.map(run) : [],
    };
    return { agent, root, sent };
  }
  // A chain n0 - … - n5 built as `ip -n n(i) link add r(i) type veth peer name l(i+1) netns n(i+1)` does:
  // l(i) is the first end in n(i) (ifindex 2), r(i) the next one, so every end past n1.l1 is (2 → 3) or
  // (3 → 2): ambiguous. Each namespace's id of its neighbours: 0 for the left, 1 for
  // the right (0 in n0). The root already has an id for n0 only; n3 also names some unnamed namespace.
  const K = 6;
  const tablesOf = () => {
    const t: Record<string, Record<string, number>> = { '': { n0: 4 } };
    for (let i = 0; i < K; i++) {
      const m: Record<string, number> = {};
      if (i > 0) m[`n${i - 1}`] = 0;
      if (i < K - 1) m[`n${i + 1}`] = i > 0 ? 1 : 0;
      t[`n${i}`] = m;
    }
    t.n3!['(unnamed)'] = 7;
    return t;
  };
  const chainNs = () => {
    const byName = new Map<string | null, RawNetlinkNetns>([[null, ns(null, [])]]);
    for (let i = 0; i < K; i++) {
      const links: [number, string, number?, number?][] = [];
      const li = i > 0 ? 2 : undefined; // l(i): first end in n(i)
      const ri = i < K - 1 ? (i > 0 ? 3 : 2) : undefined;
      const leftPeer = i - 1 > 0 ? 3 : 2; // r(i-1)'s index in n(i-1)
      if (li !== undefined) links.push([li, `l${i}`, leftPeer, 0]);
      if (ri !== undefined) links.push([ri, `r${i}`, 2, i > 0 ? 1 : 0]);
      byName.set(`n${i}`, ns(`n${i}`, links, -1));
    }
    return byName;
  };
  const peers = (byName: Map<string | null, RawNetlinkNetns>) =>
    Array.from({ length: K - 1 }, (_, i) => byName.get(`n${i}`)!.ns.links.find((l) => l.ifname === `r${i}`)!.peer);
  const expected = Array.from({ length: K - 1 }, (_, i) => ({ netns: `n${i + 1}`, ifname: `l${i + 1}`, ifindex: 2 }));

  it('reads each namespace’s table once from the root (assigning missing root ids), no per-pair query', async () => {
    const k = fakeKernel(tablesOf(), true);
    const counts = { table: 0, pairs: 0 };
    const byName = chainNs();
    await resolvePeers(
      byName,
      (qs) => askNsids(k.agent, qs, counts),
      (asks, names) => nsidTables(k.agent, asks, names, counts),
    );
    expect(peers(byName)).toEqual(expected);
    // n0.r0 (2 → 2) and n1.l1 (2 → 2) pair directly; n1…n5 ask: 5 root ids, all 5 assigned, 5 dumps.
    expect(counts).toEqual({ table: 5 + 2 * 5 + 5, pairs: 0 });
    expect(k.sent).toEqual({ nl: 15, dumps: 5, pairs: 0 });
    expect([...k.root.keys()].sort()).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    expect(k.root.get('n0')).toBe(4); // an existing id is never changed
    // A second read finds every root id assigned: no more assignment.
    const again = { table: 0, pairs: 0 };
    const second = chainNs();
    await resolvePeers(
      second,
      (qs) => askNsids(k.agent, qs, again),
      (asks, names) => nsidTables(k.agent, asks, names, again),
    );
    expect(peers(second)).toEqual(expected);
    expect(again).toEqual({ table: 5 + 5, pairs: 0 });
  });

  it('falls back to per-pair queries when the kernel does not translate (no NETNSA_CURRENT_NSID)', async () => {
    const k = fakeKernel(tablesOf(), false);
    const counts = { table: 0, pairs: 0 };
    const byName = chainNs();
    await resolvePeers(
      byName,
      (qs) => askNsids(k.agent, qs, counts),
      (asks, names) => nsidTables(k.agent, asks, names, counts),
    );
    expect(peers(byName)).toEqual(expected);
    expect(counts.pairs).toBeGreaterThan(0);
    expect(k.sent.pairs).toBe(counts.pairs);
  });
});

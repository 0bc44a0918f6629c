/**
 * TEST SUPPORT ONLY: a tiny in-memory kernel. `simulate(observed, op)` returns the ObservedState the host
 * would show after `op`, modelling the kernel facts the planner relies on (deleting a veth end removes its
 * peer, a netns deletion takes its interfaces and their peers, setting a link down flushes its routes and
 * IPv6 addresses, deleting a bridge releases its ports). Pure; never used by the engine at run time.
 */
import { canonicalCidr, canonicalIp, routeFamily, routeMatches } from './desired';
import { attachedKind } from './kinds';
import { parseMarker } from './marker';
import type { AnyOpBody, NetnsRef, ObservedLink, ObservedNetns, ObservedState, VethEnd } from './types';

export function emptyObserved(): ObservedState {
  return {
    root: { name: null, marker: null, forwarding: false, links: [loopback(1, undefined)], routes: [] },
    namespaces: {},
  };
}

function loopback(ifindex: number, alias: string | undefined): ObservedLink {
  return {
    netns: null,
    ifindex,
    ifname: 'lo',
    kind: 'loopback',
    ...(alias !== undefined && { alias }),
    marker: parseMarker(alias),
    adminUp: true,
    operstate: 'UNKNOWN',
    mtu: 65536,
    addresses: [],
  };
}

export class SimError extends Error {}

export function simulateAll(observed: ObservedState, ops: readonly AnyOpBody[]): ObservedState {
  return ops.reduce(simulate, observed);
}

export function simulate(observed: ObservedState, op: AnyOpBody): ObservedState {
  const s: ObservedState = structuredClone(observed);
  const nsOf = (n: NetnsRef): ObservedNetns => {
    const ns = n === null ? s.root : s.namespaces[n];
    if (!ns) throw new SimError(`no namespace ${n}`);
    return ns;
  };
  const all = () => [s.root, ...Object.values(s.namespaces)];
  const linkOf = (n: NetnsRef, ifname: string): ObservedLink => {
    const l = nsOf(n).links.find((x) => x.ifname === ifname);
    if (!l) throw new SimError(`no link ${ifname} in ${n}`);
    return l;
  };
  const nextIndex = () => Math.max(0, ...all().flatMap((ns) => ns.links.map((l) => l.ifindex))) + 1;
  const addLink = (n: NetnsRef, l: ObservedLink) => {
    const ns = nsOf(n);
    if (ns.links.some((x) => x.ifname === l.ifname)) throw new SimError(`File exists: ${l.ifname} in ${n}`);
    ns.links.push(l);
  };
  const removeLink = (n: NetnsRef, ifname: string) => {
    const ns = nsOf(n);
    ns.links = ns.links.filter((x) => x.ifname !== ifname);
    ns.routes = ns.routes.filter((r) => r.dev !== ifname);
    for (const l of ns.links) if (l.master === ifname) delete l.master;
  };
  const defaultVlans = () => [{ vid: 1, pvid: true, untagged: true }];
  /**
   * observe() reads port VLANs only on filtering bridges, but the kernel keeps them either way: on a bridge
   * that does not filter a port shows them only when they are not the default (a state the planner never
   * leaves behind), so the model loses nothing and default ports look as observe() shows them.
   */
  const tidyVlans = (p: ObservedLink) => {
    const bridge = p.master !== undefined ? nsOf(p.netns).links.find((x) => x.ifname === p.master) : undefined;
    if (bridge?.vlanFiltering !== true && JSON.stringify(p.vlans) === JSON.stringify(defaultVlans())) delete p.vlans;
  };
  const flush = (n: NetnsRef, l: ObservedLink) => {
    const ns = nsOf(n);
    ns.routes = ns.routes.filter((r) => r.dev !== l.ifname);
    l.addresses = l.addresses.filter((a) => !a.includes(':'));
  };

  switch (op.kind) {
    case 'netns.create': {
      if (s.namespaces[op.netns]) throw new SimError(`netns ${op.netns} exists`);
      const lo = loopback(nextIndex(), op.marker);
      s.namespaces[op.netns] = { name: op.netns, marker: lo.marker, forwarding: false, links: [lo], routes: [] };
      lo.netns = op.netns;
      break;
    }
    case 'netns.delete': {
      const ns = nsOf(op.netns);
      delete s.namespaces[op.netns];
      for (const l of ns.links) {
        if (l.peer && (l.peer.netns === null || s.namespaces[l.peer.netns])) {
          if (nsOf(l.peer.netns).links.some((x) => x.ifname === l.peer!.ifname))
            removeLink(l.peer.netns, l.peer.ifname);
        }
      }
      break;
    }
    case 'netns.setForwarding':
      nsOf(op.netns).forwarding = op.on;
      break;
    case 'bridge.create':
      addLink(op.netns, {
        netns: op.netns,
        ifindex: nextIndex(),
        ifname: op.ifname,
        kind: 'bridge',
        alias: op.marker,
        marker: parseMarker(op.marker),
        adminUp: false,
        operstate: 'DOWN',
        mtu: op.mtu ?? 1500,
        mac: `02:00:00:00:00:${nextIndex().toString(16).padStart(2, '0')}`,
        addresses: [],
        stp: op.stp ?? false,
      });
      break;
    case 'bridge.setStp':
      linkOf(op.netns, op.ifname).stp = op.on;
      break;
    case 'veth.create': {
      const ia = nextIndex();
      const make = (e: VethEnd, ifindex: number, peer: VethEnd, peerIndex: number): ObservedLink => {
        if (e.master !== undefined && linkOf(e.netns, e.master).kind !== 'bridge') throw new SimError('not a bridge');
        return {
          netns: e.netns,
          ifindex,
          ifname: e.ifname,
          kind: 'veth',
          alias: e.marker,
          marker: parseMarker(e.marker),
          adminUp: false,
          operstate: 'DOWN',
          mtu: e.mtu ?? 1500,
          mac: e.mac ?? `02:00:00:00:01:${ifindex.toString(16).padStart(2, '0')}`,
          ...(e.master !== undefined && { master: e.master }),
          peer: { netns: peer.netns, ifname: peer.ifname, ifindex: peerIndex },
          addresses: [],
        };
      };
      addLink(op.a.netns, make(op.a, ia, op.b, ia + 1));
      addLink(op.b.netns, make(op.b, ia + 1, op.a, ia));
      break;
    }
    case 'link.delete': {
      const l = linkOf(op.netns, op.ifname);
      removeLink(op.netns, op.ifname);
      if (l.peer) removeLink(l.peer.netns, l.peer.ifname);
      break;
    }
    case 'link.rename': {
      const l = linkOf(op.netns, op.from);
      if (l.adminUp) throw new SimError(`Device or resource busy: ${op.from} is up`);
      if (nsOf(op.netns).links.some((x) => x.ifname === op.to)) throw new SimError(`File exists: ${op.to}`);
      l.ifname = op.to;
      if (l.peer) {
        const p = linkOf(l.peer.netns, l.peer.ifname);
        p.peer = { ...p.peer!, ifname: op.to };
      }
      const ns = nsOf(op.netns);
      for (const x of ns.links) if (x.master === op.from) x.master = op.to;
      for (const r of ns.routes) if (r.dev === op.from) r.dev = op.to;
      break;
    }
    case 'link.setUp': {
      const l = linkOf(op.netns, op.ifname);
      if (l.adminUp && !op.up) flush(op.netns, l);
      l.adminUp = op.up;
      l.operstate = op.up ? 'UP' : 'DOWN';
      break;
    }
    case 'link.setMtu':
      linkOf(op.netns, op.ifname).mtu = op.mtu;
      break;
    case 'link.setMac':
      linkOf(op.netns, op.ifname).mac = op.mac;
      break;
    case 'link.setMaster': {
      const l = linkOf(op.netns, op.ifname);
      if (op.master === null) delete l.master;
      else {
        if (linkOf(op.netns, op.master).kind !== 'bridge') throw new SimError('not a bridge');
        l.master = op.master;
      }
      break;
    }
    case 'link.setAlias': {
      const l = linkOf(op.netns, op.ifname);
      l.alias = op.alias;
      l.marker = parseMarker(op.alias);
      break;
    }
    case 'addr.add': {
      const l = linkOf(op.netns, op.ifname);
      const c = canonicalCidr(op.cidr);
      if (l.addresses.includes(c)) throw new SimError(`File exists: ${c}`);
      l.addresses.push(c);
      break;
    }
    case 'addr.del': {
      const l = linkOf(op.netns, op.ifname);
      const c = canonicalCidr(op.cidr);
      if (!l.addresses.includes(c)) throw new SimError(`Cannot assign requested address: ${c}`);
      l.addresses = l.addresses.filter((a) => a !== c);
      break;
    }
    case 'qdisc.replace':
      linkOf(op.netns, op.ifname).qdisc = { ...op.qdisc };
      break;
    case 'qdisc.delete': {
      const l = linkOf(op.netns, op.ifname);
      if (!l.qdisc) throw new SimError('Cannot delete qdisc with handle of zero');
      delete l.qdisc;
      break;
    }
    case 'iface.create': {
      const x = op.spec;
      if (op.master !== undefined && linkOf(op.netns, op.master).kind !== 'bridge') throw new SimError('not a bridge');
      const kind = attachedKind(x.kind);
      // The kind's own fields first: a parent it needs is looked up before anything is added.
      const { mtu: ownMtu, ...own } = kind?.simulated?.(x as never, (ifname) => linkOf(null, ifname)) ?? {};
      const tun = x.kind === 'tap' || (x.kind === 'wireguard' && x.mode !== 'kernel');
      addLink(op.netns, {
        netns: op.netns,
        ifindex: nextIndex(),
        ifname: op.ifname,
        kind: tun ? 'tun' : x.kind,
        alias: op.marker,
        marker: parseMarker(op.marker),
        adminUp: false,
        operstate: 'DOWN',
        mtu: op.mtu ?? ownMtu ?? 1500,
        mac: `02:00:00:00:02:${nextIndex().toString(16).padStart(2, '0')}`,
        ...(op.master !== undefined && { master: op.master }),
        addresses: [],
        ...(tun && { tunType: x.kind === 'tap' ? 'tap' : 'tun' }),
        ...own,
      });
      break;
    }
    case 'bridge.setVlanFiltering': {
      const l = linkOf(op.netns, op.ifname);
      if (l.kind !== 'bridge') throw new SimError('not a bridge');
      // Here an absent vlanFiltering means off (bridge.create does not set it, as in most fixtures).
      if (op.on) l.vlanFiltering = true;
      else delete l.vlanFiltering;
      for (const p of nsOf(op.netns).links)
        if (p.master === op.ifname) {
          if (op.on) p.vlans ??= defaultVlans();
          tidyVlans(p);
        }
      break;
    }
    case 'bridge.vlanAdd': {
      const l = linkOf(op.netns, op.ifname);
      if (l.master === undefined) throw new SimError(`Operation not supported: ${op.ifname} is not a bridge port`);
      const list = (l.vlans ?? defaultVlans()).filter((e) => e.vid !== op.vid);
      if (op.pvid) for (const e of list) e.pvid = false;
      list.push({ vid: op.vid, pvid: op.pvid, untagged: op.untagged });
      l.vlans = list.sort((a, b) => a.vid - b.vid);
      tidyVlans(l);
      break;
    }
    case 'bridge.vlanDel': {
      const l = linkOf(op.netns, op.ifname);
      const list = l.vlans ?? defaultVlans();
      if (!list.some((e) => e.vid === op.vid)) throw new SimError(`No such file or directory: vid ${op.vid}`);
      l.vlans = list.filter((e) => e.vid !== op.vid);
      tidyVlans(l);
      break;
    }
    case 'nat.apply': {
      const tables = s.nft ?? [];
      const i = tables.findIndex((t) => t.name === op.table);
      if (i >= 0 && !op.replace) throw new SimError(`File exists: table ${op.table}`);
      if (i < 0 && op.replace) throw new SimError(`No such file or directory: table ${op.table}`);
      const m = /^([^ ]+) ipfwd=([01])$/.exec(op.comment);
      const rest = tables.filter((t) => t.name !== op.table);
      s.nft = [
        ...rest,
        {
          family: 'ip',
          name: op.table,
          marker: parseMarker(m?.[1]),
          ...(m && { ipForwardWas: m[2] === '1' ? (1 as const) : (0 as const) }),
          sources: [...op.sources].sort(),
        },
      ];
      break;
    }
    case 'nat.delete': {
      if (!s.nft?.some((t) => t.name === op.table)) throw new SimError(`No such file or directory: ${op.table}`);
      s.nft = s.nft.filter((t) => t.name !== op.table);
      break;
    }
    case 'sysctl.set': {
      const ns = nsOf(op.netns);
      if (op.key === 'net.ipv4.ip_forward') ns.ipv4Forward = op.value === '1';
      else ns.sysctls = { ...ns.sysctls, [op.key]: op.value };
      break;
    }
    case 'route.add': {
      const ns = nsOf(op.netns);
      const r = op.route;
      if (r.dev !== undefined && !linkOf(op.netns, r.dev).adminUp) throw new SimError('Network is down');
      const family = routeFamily(r);
      // Like the kernel, resolve the outgoing device from the gateway's connected subnet.
      const dev =
        r.dev ??
        (r.via !== undefined ? ns.links.find((l) => l.addresses.some((a) => onSubnet(a, r.via!)))?.ifname : undefined);
      if (r.via !== undefined && dev === undefined) throw new SimError('Network is unreachable');
      ns.routes.push({
        family,
        to: r.to === 'default' ? 'default' : canonicalCidr(r.to),
        ...(r.via !== undefined && { via: canonicalIp(r.via) }),
        ...(dev !== undefined && { dev }),
        ...(r.metric !== undefined && { metric: r.metric }),
        protocol: 'static',
      });
      break;
    }
    case 'route.del': {
      const ns = nsOf(op.netns);
      const i = ns.routes.findIndex((x) => x.protocol !== 'kernel' && routeMatches(op.route, x));
      if (i < 0) throw new SimError('No such process: route');
      ns.routes.splice(i, 1);
      break;
    }
  }
  return s;
}

/** IPv4 only (enough for the fixtures); IPv6 gateways match any address of the same family. */
function onSubnet(cidr: string, ip: string): boolean {
  if (cidr.includes(':') !== ip.includes(':')) return false;
  if (ip.includes(':')) return true;
  const [addr, len] = cidr.split('/') as [string, string];
  const n = (x: string) => x.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return Math.floor(n(addr) / size) === Math.floor(n(ip) / size);
}

/** Comparable form: volatile fields (operstate, counters) dropped, everything sorted. */
export function normalize(s: ObservedState): unknown {
  const ns = (n: ObservedNetns) => ({
    ...n,
    links: [...n.links]
      .map(({ operstate: _o, counters: _c, ...l }) => ({ ...l, addresses: [...l.addresses].sort() }))
      .sort((a, b) => (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0)),
    routes: n.routes.map((r) => JSON.stringify(r)).sort(),
  });
  return {
    nft: [...(s.nft ?? [])].sort((a, b) => (a.name < b.name ? -1 : 1)),
    root: ns(s.root),
    namespaces: Object.fromEntries(
      Object.keys(s.namespaces)
        .sort()
        .map((k) => [k, ns(s.namespaces[k]!)]),
    ),
  };
}

/**
 * The importers' working model of a topology: network namespaces ("spaces") holding interfaces, veth
 * links between them, bridges, routes and switches — built from a foreign file, changed by the effects
 * of its exec lines in order, then emitted as a Netloom lab. Kernel name rules are applied here (renames
 * are reported, never silent). Pure.
 */
import type {
  AttachedInterface,
  BridgeNode,
  HostNode,
  Impairment,
  LabInput,
  LabLink,
  NamespaceNode,
  PortVlan,
  Route,
} from '../../shared';
import { ID_PATTERN, IFNAME_MAX_BYTES, ifnameProblem, netnsNameProblem } from '../../shared/names';
import { formatCidr, parseCidr, parseIp, subnetOf } from '../../shared/net';
import { type HostAttachedKind, hostAttachedToLab, inNodeDrop } from './hostAttached';
import type { Effect, LinkAdd, LinkSet } from './iproute2';
import type { Item, Reporter } from './report';

export const ROOT = '\0root';

export type IfaceKind = 'veth' | 'bridge' | 'vxlan' | 'tap' | 'vlan' | HostAttachedKind;

export interface ModelIface {
  name: string;
  kind: IfaceKind;
  /** veth: its link and which end. */
  link?: ModelLink;
  /** bridge: the lab node that stands for it. */
  bridgeNode?: ModelNode;
  addresses: string[];
  mtu?: number;
  mac?: string;
  up: boolean;
  /** Name of the bridge (in the same space) this interface is a port of. */
  master?: string;
  impairment?: Impairment;
  vlan?: PortVlan;
  vxlan?: { vni: number; remote?: string; group?: string; local?: string; dev?: string; dstPort: number };
  parent?: string;
  vlanId?: number;
  stp?: boolean;
  vlanFiltering?: boolean;
  /** The report item that created it (notes about it go there). */
  item: Item;
}

export interface Space {
  key: string;
  /** `namespace "x"` / `the host` — for notes. */
  label: string;
  node: ModelNode | undefined;
  ifaces: Map<string, ModelIface>;
  /** Source-file interface names → kernel names (after renames). */
  aliases: Map<string, string>;
  routes: { route: Route; item: Item; text: string }[];
  fwd4?: boolean;
  fwd6?: boolean;
  rpFilter?: 0 | 1 | 2;
  proxyArp?: boolean;
}

export interface ModelNode {
  id: string;
  kind: 'namespace' | 'bridge' | 'host';
  /** Namespace name (namespaces) / bridge interface name (bridges). */
  name: string;
  /** The space it is (namespace, host) or lives in (bridge). */
  space: Space;
  iface?: ModelIface;
  item: Item;
  description?: string;
  /** Placeholder for something a namespace cannot run (a router OS): no forwarding inference. */
  placeholder?: boolean;
}

export interface ModelEnd {
  space: Space;
  iface: ModelIface;
}

export interface ModelLink {
  id: string;
  ends: [ModelEnd, ModelEnd];
  item: Item;
  description?: string;
  removed?: boolean;
}

/** Interface name as the kernel allows it: `/` and spaces become `-` (as containerlab does), ≤ 15 bytes. */
export function kernelIfname(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[-.]+/, '');
  if (!s) s = 'if';
  if (s.length > IFNAME_MAX_BYTES) s = s.slice(0, IFNAME_MAX_BYTES);
  if (ifnameProblem(s)) s = `${s.slice(0, IFNAME_MAX_BYTES - 1)}0`;
  if (ifnameProblem(s)) s = 'if0';
  return s;
}

export class Model {
  readonly nodes: ModelNode[] = [];
  readonly links: ModelLink[] = [];
  readonly spaces = new Map<string, Space>();
  private readonly ids = new Set<string>();
  private readonly netnsNames = new Set<string>();
  private host: ModelNode | undefined;

  constructor(readonly report: Reporter) {}

  /** `preferred` when it is a free, valid id (an id carried over from an export), else one made from `raw`. */
  claimId(preferred: string | undefined, raw: string, fallback: string): string {
    if (preferred && ID_PATTERN.test(preferred) && !this.ids.has(preferred)) {
      this.ids.add(preferred);
      return preferred;
    }
    return this.uniqueId(raw, fallback);
  }

  uniqueId(raw: string, fallback: string): string {
    let base = raw.replace(/[^A-Za-z0-9_-]/g, '-');
    if (!/^[A-Za-z]/.test(base)) base = `${fallback}-${base}`;
    base = base.slice(0, 44).replace(/-+$/, '') || fallback;
    let id = base;
    for (let n = 2; this.ids.has(id) || !ID_PATTERN.test(id); n++) id = `${base.slice(0, 44)}-${n}`;
    this.ids.add(id);
    return id;
  }

  private space(key: string, label: string): Space {
    const s: Space = { key, label, node: undefined, ifaces: new Map(), aliases: new Map(), routes: [] };
    this.spaces.set(key, s);
    return s;
  }

  /** A namespace node for a source node; the name follows the kernel's rules (renamed with a note). */
  namespace(sourceName: string, item: Item, id?: string): ModelNode {
    const nodeId = this.claimId(id, sourceName, 'n');
    let name =
      sourceName
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .replace(/^[-.]+|-+$/g, '')
        .slice(0, 64) || nodeId;
    if (netnsNameProblem(name)) name = nodeId;
    for (let n = 2; this.netnsNames.has(name); n++) name = `${name.slice(0, 60)}-${n}`;
    if (name !== sourceName)
      item.approximated(`namespace named "${name}": "${sourceName}" is not a valid namespace name`);
    this.netnsNames.add(name);
    const space = this.space(nodeId, `namespace "${name}"`);
    const node: ModelNode = { id: nodeId, kind: 'namespace', name, space, item };
    space.node = node;
    item.target = nodeId;
    this.nodes.push(node);
    return node;
  }

  /** The root namespace (bridges and veth ends can live there without a host node in the lab). */
  rootSpace(): Space {
    return this.spaces.get(ROOT) ?? this.space(ROOT, 'the host (root namespace)');
  }

  /** The host node (the root namespace), created on first use. */
  hostNode(item?: Item, id?: string): ModelNode {
    if (this.host) {
      if (item && !item.target) item.target = this.host.id;
      return this.host;
    }
    const hostItem = item ?? this.report.add('node', 'host');
    const nodeId = this.claimId(id, 'host', 'host');
    const space = this.rootSpace();
    this.host = { id: nodeId, kind: 'host', name: 'host', space, item: hostItem };
    space.node = this.host;
    hostItem.target = nodeId;
    this.nodes.push(this.host);
    return this.host;
  }

  get hasHost(): boolean {
    return this.host !== undefined;
  }

  /** An interface in `space`, with a kernel-valid name unique there; renames are noted on `item`. */
  addIface(space: Space, rawName: string, kind: IfaceKind, item: Item, why?: string): ModelIface {
    let name = kernelIfname(rawName);
    const base = name;
    for (let n = 1; space.ifaces.has(name) || name === 'lo'; n++) {
      const suffix = `-${n}`;
      name = `${base.slice(0, IFNAME_MAX_BYTES - suffix.length)}${suffix}`;
    }
    if (name !== rawName) {
      const reason =
        base !== rawName
          ? (ifnameProblem(rawName) ?? `"${rawName}" is not a name Netloom accepts`)
          : `${space.label} already has an interface "${base}"${why ? ` (${why})` : ''}`;
      item.approximated(`interface "${rawName}" renamed "${name}": ${reason}`);
    }
    if (!space.aliases.has(rawName)) space.aliases.set(rawName, name);
    const iface: ModelIface = { name, kind, addresses: [], up: true, item };
    space.ifaces.set(name, iface);
    return iface;
  }

  /** A bridge node: its interface `rawName` in `space` (the root when no namespace). */
  bridge(sourceName: string, rawName: string, space: Space, item: Item, id?: string): ModelNode {
    const nodeId = this.claimId(id, sourceName, 'br');
    const iface = this.addIface(space, rawName, 'bridge', item);
    const node: ModelNode = { id: nodeId, kind: 'bridge', name: iface.name, space, iface, item };
    iface.bridgeNode = node;
    item.target ??= nodeId;
    this.nodes.push(node);
    return node;
  }

  veth(
    a: { space: Space; name: string; node?: ModelNode },
    b: { space: Space; name: string; node?: ModelNode },
    item: Item,
    id?: string,
  ): ModelLink {
    const linkId = this.claimId(
      id,
      `${(a.node ?? a.space.node)?.id ?? 'x'}-${(b.node ?? b.space.node)?.id ?? 'y'}`,
      'link',
    );
    const ia = this.addIface(a.space, a.name, 'veth', item);
    const ib = this.addIface(b.space, b.name, 'veth', item);
    const link: ModelLink = {
      id: linkId,
      ends: [
        { space: a.space, iface: ia },
        { space: b.space, iface: ib },
      ],
      item,
    };
    ia.link = link;
    ib.link = link;
    item.target = linkId;
    this.links.push(link);
    return link;
  }

  /** The interface a name in an exec line refers to: the source name first, then the kernel name. */
  find(space: Space, name: string): ModelIface | undefined {
    const alias = space.aliases.get(name);
    return (alias !== undefined ? space.ifaces.get(alias) : undefined) ?? space.ifaces.get(name);
  }

  // ─── exec effects ─────────────────────────────────────────────────────────────────────────────────────

  /** Applies one effect of an exec line to `space`; notes go to `item` (the node's report item). */
  apply(space: Space, e: Effect, item: Item, text: string): void {
    const missing = (dev: string) =>
      item.dropped(`\`${text}\`: ${space.label} has no interface "${dev}" at this point`);
    const isRoot = space.key === ROOT;
    switch (e.op) {
      case 'addr.add': {
        const f = this.find(space, e.dev);
        if (!f) {
          missing(e.dev);
          return;
        }
        if (e.dev === 'lo') {
          item.dropped(`\`${text}\`: addresses on the loopback interface are not part of a Netloom lab`);
          return;
        }
        if (!f.addresses.includes(e.cidr)) f.addresses.push(e.cidr);
        else if (!e.replace) item.info(`\`${text}\`: ${e.cidr} is already there`);
        if (e.ignored?.length) item.approximated(`\`${text}\`: ${e.ignored.join(', ')} not kept`);
        return;
      }
      case 'addr.del': {
        const f = this.find(space, e.dev);
        if (!f) {
          missing(e.dev);
          return;
        }
        if (e.cidr === undefined) f.addresses.shift();
        else {
          const c = parseCidr(e.cidr);
          f.addresses = f.addresses.filter((x) => {
            const y = parseCidr(x);
            return !(y && c && y.family === c.family && y.value === c.value);
          });
        }
        return;
      }
      case 'addr.flush': {
        const list = e.dev ? [this.find(space, e.dev)] : [...space.ifaces.values()];
        if (e.dev && !list[0]) {
          missing(e.dev);
          return;
        }
        for (const f of list)
          if (f) f.addresses = f.addresses.filter((x) => e.family === undefined || parseCidr(x)?.family !== e.family);
        return;
      }
      case 'link.set': {
        const f = this.find(space, e.dev);
        if (!f) {
          missing(e.dev);
          return;
        }
        this.setLink(space, f, e.set, item, text);
        return;
      }
      case 'link.add':
        this.linkAdd(space, e.add, item, text);
        return;
      case 'link.del': {
        const f = this.find(space, e.dev);
        if (!f) {
          missing(e.dev);
          return;
        }
        this.removeIface(space, f, `deleted by \`${text}\``);
        return;
      }
      case 'route.add':
      case 'route.del': {
        if (isRoot) {
          item.dropped(`\`${text}\`: routes of the host's root namespace are not part of a Netloom lab`);
          return;
        }
        const r = e.route;
        if (r.type) {
          item.dropped(`\`${text}\`: a ${r.type} route is not part of a Netloom lab`);
          return;
        }
        if (r.table) {
          item.dropped(`\`${text}\`: routes in table ${r.table} are not part of a Netloom lab (only the main table)`);
          return;
        }
        if (r.dev !== undefined) {
          const f = this.find(space, r.dev);
          if (!f) {
            missing(r.dev);
            return;
          }
          r.dev = f.name;
        }
        const route: Route = {
          to: r.to,
          ...(r.via ? { via: canonicalIp(r.via) } : {}),
          ...(r.dev ? { dev: r.dev } : {}),
          ...(r.metric !== undefined ? { metric: r.metric } : {}),
        };
        if (route.to === 'default' && r.family === 6 && !route.via && route.dev) {
          item.dropped(`\`${text}\`: an IPv6 default route without a gateway is not part of a Netloom lab`);
          return;
        }
        const key = (x: Route) => `${x.to}|${x.metric ?? ''}`;
        const same = (x: { route: Route }) => key(x.route) === key(route) && sameFamily(x.route, r.family);
        if (e.op === 'route.del') {
          const before = space.routes.length;
          space.routes = space.routes.filter((x) => !same(x));
          if (space.routes.length === before) item.info(`\`${text}\`: there was no such route`);
          return;
        }
        if (e.replace) space.routes = space.routes.filter((x) => !same(x));
        else if (space.routes.some(same)) {
          item.dropped(`\`${text}\`: the kernel refuses a second route to ${route.to} ("File exists")`);
          return;
        }
        if (r.ignored?.length) item.approximated(`\`${text}\`: ${r.ignored.join(', ')} not kept`);
        space.routes.push({ route, item, text });
        return;
      }
      case 'route.flush':
        if (isRoot) return;
        space.routes = space.routes.filter(
          (x) =>
            (e.dev !== undefined && x.route.dev !== e.dev) ||
            (e.family !== undefined && !sameFamily(x.route, e.family)),
        );
        return;
      case 'sysctl':
        this.sysctl(space, e.key, e.value, item, text);
        return;
      case 'bridge.vlan': {
        const f = this.find(space, e.dev);
        if (!f) {
          missing(e.dev);
          return;
        }
        const v: PortVlan = { ...(f.vlan ?? {}) };
        const tagged = new Set(v.tagged ?? []);
        for (const vid of e.vids) {
          if (e.add) {
            if (e.pvid) {
              v.pvid = vid;
              v.untagged = e.untagged;
            } else tagged.add(vid);
          } else {
            tagged.delete(vid);
            if (v.pvid === vid) delete v.pvid;
          }
        }
        if (v.pvid !== undefined) tagged.delete(v.pvid);
        if (tagged.size) v.tagged = [...tagged].sort((x, y) => x - y);
        else delete v.tagged;
        if (v.untagged === undefined || v.untagged === true) delete v.untagged;
        f.vlan = v;
        if (f.kind === 'bridge')
          item.dropped(`\`${text}\`: VLANs of the bridge device itself are not part of a Netloom lab`);
        return;
      }
      case 'qdisc.set': {
        const f = this.find(space, e.dev);
        if (!f) {
          missing(e.dev);
          return;
        }
        if (f.kind !== 'veth') {
          item.dropped(`\`${text}\`: impairments apply to veth ends only in a Netloom lab`);
          return;
        }
        f.impairment = e.impairment;
        if (e.ignored.length) item.approximated(`\`${text}\`: ${e.ignored.join(', ')} not kept`);
        return;
      }
      case 'qdisc.del': {
        const f = this.find(space, e.dev);
        if (f) delete f.impairment;
        return;
      }
    }
  }

  private setLink(space: Space, f: ModelIface, set: LinkSet, item: Item, text: string): void {
    if (set.netns !== undefined) {
      item.dropped(`\`${text}\`: moving an interface to another namespace from inside a node is not imported`);
      return;
    }
    if (set.up !== undefined) {
      if (f.kind === 'veth') f.up = set.up;
      else if (!set.up) item.approximated(`\`${text}\`: ${f.kind} interfaces are always up in a Netloom lab`);
    }
    if (set.mtu !== undefined) {
      if (set.mtu < 68 || set.mtu > 65535) item.dropped(`\`${text}\`: MTU ${set.mtu} is out of range`);
      else f.mtu = set.mtu; // every kind of the model has an MTU
    }
    if (set.mac !== undefined) {
      if (f.kind === 'veth') f.mac = set.mac;
      else item.dropped(`\`${text}\`: a MAC address on a ${f.kind} interface is not part of a Netloom lab`);
    }
    if (set.master !== undefined) {
      if (set.master === null) delete f.master;
      else {
        const br = this.find(space, set.master);
        if (br?.kind !== 'bridge') item.dropped(`\`${text}\`: ${space.label} has no bridge "${set.master}"`);
        else if (f.kind === 'bridge') item.dropped(`\`${text}\`: a bridge cannot be a port of another bridge`);
        else f.master = br.name;
      }
    }
    if (set.stp !== undefined) {
      if (f.kind === 'bridge') f.stp = set.stp;
    }
    if (set.vlanFiltering !== undefined) {
      if (f.kind === 'bridge') f.vlanFiltering = set.vlanFiltering;
    }
    if (set.name !== undefined && set.name !== f.name) {
      const wanted = kernelIfname(set.name);
      if (space.ifaces.has(wanted)) item.dropped(`\`${text}\`: ${space.label} already has "${wanted}"`);
      else {
        if (wanted !== set.name)
          item.approximated(`\`${text}\`: "${set.name}" is not a valid interface name; "${wanted}" used`);
        space.ifaces.delete(f.name);
        for (const [k, v] of space.aliases) if (v === f.name) space.aliases.set(k, wanted);
        space.aliases.set(set.name, wanted);
        for (const g of space.ifaces.values()) if (g.master === f.name) g.master = wanted;
        for (const r of space.routes) if (r.route.dev === f.name) r.route.dev = wanted;
        f.name = wanted;
        space.ifaces.set(wanted, f);
        if (f.bridgeNode) f.bridgeNode.name = wanted;
      }
    }
    if (set.ignored?.length) item.approximated(`\`${text}\`: ${set.ignored.join(', ')} not kept`);
  }

  private linkAdd(space: Space, add: LinkAdd, item: Item, text: string): void {
    if (this.find(space, add.name) && space.ifaces.has(kernelIfname(add.name))) {
      item.dropped(`\`${text}\`: ${space.label} already has "${add.name}" (the kernel says "File exists")`);
      return;
    }
    const isRoot = space.key === ROOT;
    const attachedHere = () => {
      if (isRoot) {
        item.dropped(`\`${text}\`: interfaces created on the host itself are not part of a Netloom lab`);
        return false;
      }
      return true;
    };
    let f: ModelIface | undefined;
    switch (add.type) {
      case 'bridge': {
        const bi = this.report
          .add('node', `${space.node?.name ?? 'host'}/${add.name}`)
          .info(`bridge created by \`${text}\``);
        const node = this.bridge(`${space.node?.id ?? 'host'}-${add.name}`, add.name, space, bi);
        f = node.iface!;
        if (add.bridge?.stp !== undefined) f.stp = add.bridge.stp;
        if (add.bridge?.vlanFiltering !== undefined) f.vlanFiltering = add.bridge.vlanFiltering;
        break;
      }
      case 'vxlan': {
        if (!attachedHere()) return;
        const v = add.vxlan ?? {};
        if (v.vni === undefined) {
          item.dropped(`\`${text}\`: a VXLAN needs "id" (the kernel: missing virtual network identifier)`);
          return;
        }
        if (
          (v.remote && parseIp(v.remote)?.family !== 4) ||
          (v.group && parseIp(v.group)?.family !== 4) ||
          (v.local && parseIp(v.local)?.family !== 4)
        ) {
          item.dropped(`\`${text}\`: a VXLAN over IPv6 is not part of a Netloom lab (IPv4 underlay only)`);
          return;
        }
        f = this.addIface(space, add.name, 'vxlan', item);
        // Without "dstport", ip warns and the kernel uses its own default, 8472 (not IANA's 4789).
        f.vxlan = {
          vni: v.vni,
          dstPort: v.dstPort || 8472,
          ...(v.remote ? { remote: v.remote } : {}),
          ...(v.group ? { group: v.group } : {}),
          ...(v.local ? { local: v.local } : {}),
          ...(v.dev ? { dev: this.find(space, v.dev)?.name ?? v.dev } : {}),
        };
        break;
      }
      case 'vlan': {
        if (!attachedHere()) return;
        const parent = add.link ? this.find(space, add.link) : undefined;
        if (!parent) {
          item.dropped(`\`${text}\`: ${space.label} has no parent interface "${add.link ?? '?'}"`);
          return;
        }
        if (add.vlanId === undefined) {
          item.dropped(`\`${text}\`: a VLAN interface needs "id"`);
          return;
        }
        f = this.addIface(space, add.name, 'vlan', item);
        f.parent = parent.name;
        f.vlanId = add.vlanId;
        break;
      }
      case 'dummy':
      case 'tap':
        if (!attachedHere()) return;
        f = this.addIface(space, add.name, 'tap', item);
        if (add.type === 'dummy')
          item.approximated(
            `\`${text}\`: a dummy interface becomes a TAP device (the lab has no dummy kind; a TAP without a program has no carrier)`,
          );
        break;
      case 'veth': {
        if (!add.peer) {
          item.dropped(`\`${text}\`: a veth without "peer name" is not imported`);
          return;
        }
        const li = this.report.add('link', `${space.node?.name ?? 'host'}: ${add.name} ↔ ${add.peer.name}`);
        li.info(`veth created by \`${text}\``);
        const l = this.veth({ space, name: add.name }, { space, name: add.peer.name }, li);
        this.setLink(space, l.ends[1].iface, add.peer.set, item, text);
        f = l.ends[0].iface;
        break;
      }
      default: {
        item.dropped(`\`${text}\`: ${inNodeDrop(add.type) ?? `a ${add.type} interface is not part of a Netloom lab`}`);
        return;
      }
    }
    if (add.ignored?.length) item.approximated(`\`${text}\`: ${add.ignored.join(', ')} not kept`);
    const { name: _ignored, ...set } = add.set;
    this.setLink(space, f, set, item, text);
  }

  private removeIface(space: Space, f: ModelIface, why: string): void {
    space.ifaces.delete(f.name);
    if (f.link && !f.link.removed) {
      f.link.removed = true;
      f.link.item.drop(`the veth was ${why}`);
      const other = f.link.ends.find((x) => x.iface !== f);
      if (other && other.iface !== f) other.space.ifaces.delete(other.iface.name);
    }
    if (f.bridgeNode) {
      f.bridgeNode.item.drop(`the bridge was ${why}`);
      const i = this.nodes.indexOf(f.bridgeNode);
      if (i >= 0) this.nodes.splice(i, 1);
      for (const g of space.ifaces.values()) if (g.master === f.name) delete g.master;
    }
  }

  private sysctl(space: Space, rawKey: string, value: string, item: Item, text: string): void {
    const key = rawKey.replace(/\//g, '.');
    const on = value.trim() !== '0';
    const isRoot = space.key === ROOT;
    if (isRoot) {
      item.dropped(`\`${text}\`: sysctls of the host are not part of a Netloom lab`);
      return;
    }
    const m = /^net\.ipv([46])\.conf\.([^.]+)\.(forwarding|rp_filter|proxy_arp)$/.exec(key);
    if (key === 'net.ipv4.ip_forward' || (m && m[3] === 'forwarding' && (m[2] === 'all' || m[2] === 'default'))) {
      if (key === 'net.ipv4.ip_forward' || m?.[1] === '4') space.fwd4 = on;
      else space.fwd6 = on;
      return;
    }
    if (m && m[3] === 'forwarding') {
      item.approximated(
        `\`${text}\`: per-interface forwarding is not part of a Netloom lab (forwarding is per namespace)`,
      );
      return;
    }
    if (m && m[1] === '4' && m[3] === 'rp_filter') {
      const n = Number(value);
      if (n !== 0 && n !== 1 && n !== 2) {
        item.dropped(`\`${text}\`: rp_filter is 0, 1 or 2`);
        return;
      }
      if (m[2] !== 'all' && m[2] !== 'default')
        item.approximated(
          `\`${text}\`: rp_filter on ${m[2]} applied to the whole namespace (the lab sets conf.all and conf.default)`,
        );
      space.rpFilter = Math.max(n, space.rpFilter ?? 0) as 0 | 1 | 2;
      if (m[2] === 'all' || m[2] === 'default') space.rpFilter = n as 0 | 1 | 2;
      return;
    }
    if (m && m[1] === '4' && m[3] === 'proxy_arp') {
      if (m[2] !== 'all' && m[2] !== 'default')
        item.approximated(`\`${text}\`: proxy_arp on ${m[2]} applied to the whole namespace`);
      space.proxyArp = on;
      return;
    }
    item.dropped(`\`${text}\`: sysctl ${key} is not part of a Netloom lab`);
  }

  // ─── emission ───────────────────────────────────────────────────────────────────────────────────────

  /** The lab, before validation and repair. `explicit` decides nothing: forwarding is inferred here. */
  toLab(name: string, title?: string, description?: string): LabInput {
    const nodes: LabInput['nodes'] = [];
    const links: LabLink[] = [];
    const owner = new Map<string, ModelNode>(); // address value → namespace node (for forwarding inference)
    for (const s of this.spaces.values())
      if (s.node?.kind === 'namespace')
        for (const f of s.ifaces.values())
          for (const a of f.addresses) {
            const c = parseCidr(a);
            if (c) owner.set(`${c.family}:${c.value}`, s.node);
          }
    const gatewayOf = new Map<ModelNode, string[]>();
    for (const s of this.spaces.values())
      for (const r of s.routes) {
        const via = r.route.via ? parseIp(r.route.via) : null;
        const o = via ? owner.get(`${via.family}:${via.value}`) : undefined;
        if (o && o !== s.node) gatewayOf.set(o, [...(gatewayOf.get(o) ?? []), s.node?.name ?? '?']);
      }

    for (const node of this.nodes) {
      const s = node.space;
      if (node.kind === 'host') {
        const h: HostNode = {
          id: node.id,
          kind: 'host',
          ...(node.description ? { description: node.description } : {}),
        };
        nodes.push(h);
        continue;
      }
      if (node.kind === 'bridge') {
        const f = node.iface!;
        const b: BridgeNode = {
          id: node.id,
          kind: 'bridge',
          name: f.name,
          ...(s.key !== ROOT ? { namespace: s.node!.id } : {}),
          ...(f.stp !== undefined ? { stp: f.stp } : {}),
          ...(f.mtu !== undefined ? { mtu: f.mtu } : {}),
          addresses: [...f.addresses],
          ...(f.vlanFiltering ? { vlanFiltering: true } : {}),
          ...(node.description ? { description: node.description } : {}),
        };
        nodes.push(b);
        continue;
      }
      const attached: AttachedInterface[] = [];
      for (const f of s.ifaces.values()) {
        const base = {
          name: f.name,
          addresses: [...f.addresses],
          ...(f.mtu !== undefined ? { mtu: f.mtu } : {}),
          ...(f.master ? { bridge: this.find(s, f.master)?.bridgeNode?.id ?? f.master } : {}),
        };
        if (f.kind === 'vxlan' && f.vxlan) attached.push({ kind: 'vxlan', ...base, ...f.vxlan });
        else if (f.kind === 'tap') attached.push({ kind: 'tap', ...base });
        else if (f.kind === 'vlan') attached.push({ kind: 'vlan', ...base, parent: f.parent!, vlanId: f.vlanId! });
        else {
          const onHost = hostAttachedToLab(f.kind, base, f.parent);
          if (onHost) attached.push(onHost);
        }
      }
      let forwarding = false;
      if (s.fwd4 !== undefined || s.fwd6 !== undefined) {
        forwarding = s.fwd4 ?? s.fwd6 ?? false;
        if (s.fwd4 !== undefined && s.fwd6 !== undefined && s.fwd4 !== s.fwd6)
          node.item.approximated(
            `forwarding ${forwarding ? 'on' : 'off'} for both IPv4 and IPv6 (the file sets IPv4 ${s.fwd4 ? 'on' : 'off'}, IPv6 ${s.fwd6 ? 'on' : 'off'}; the lab has one switch)`,
          );
      } else if (!node.placeholder) {
        const why = forwardingEvidence(node, gatewayOf.get(node));
        if (why) {
          forwarding = true;
          node.item.approximated(
            `forwarding on, inferred: ${why} (containers forward like their Docker host; Netloom's default is off)`,
          );
        }
      }
      const ns: NamespaceNode = {
        id: node.id,
        kind: 'namespace',
        name: node.name,
        forwarding,
        ...(s.rpFilter !== undefined ? { rpFilter: s.rpFilter } : {}),
        ...(s.proxyArp !== undefined ? { proxyArp: s.proxyArp } : {}),
        routes: s.routes.map((r) => r.route),
        ...(attached.length ? { interfaces: attached } : {}),
        ...(node.description ? { description: node.description } : {}),
      };
      nodes.push(ns);
    }

    for (const l of this.links) {
      if (l.removed) continue;
      const eps = l.ends.map((end) => {
        const f = end.iface;
        const bridge = f.master ? this.find(end.space, f.master)?.bridgeNode : undefined;
        return {
          node: bridge?.id ?? end.space.node!.id,
          ifname: f.name,
          addresses: [...f.addresses],
          ...(f.mtu !== undefined ? { mtu: f.mtu } : {}),
          ...(f.mac ? { mac: f.mac } : {}),
          ...(f.up ? {} : { up: false }),
          ...(f.impairment && Object.keys(f.impairment).length ? { impairment: f.impairment } : {}),
          ...(f.vlan && Object.keys(f.vlan).length && bridge ? { vlan: f.vlan } : {}),
        };
      });
      links.push({
        id: l.id,
        kind: 'veth',
        endpoints: [eps[0]!, eps[1]!] as LabLink['endpoints'],
        ...(l.description ? { description: l.description } : {}),
      });
    }
    return {
      version: 1,
      name,
      ...(title ? { title } : {}),
      ...(description ? { description } : {}),
      nodes,
      links,
    } as LabInput;
  }
}

/** Why a namespace looks like a router: it is someone's gateway, or it has addresses on two subnets. */
function forwardingEvidence(node: ModelNode, gatewayFor: string[] | undefined): string | null {
  if (gatewayFor?.length) return `the gateway of ${[...new Set(gatewayFor)].slice(0, 3).join(', ')}`;
  const subnets = new Map<string, string>();
  for (const f of node.space.ifaces.values()) {
    if (f.master) continue;
    for (const a of f.addresses) {
      const c = parseCidr(a);
      if (!c || c.prefix === (c.family === 4 ? 32 : 128)) continue;
      const key = formatCidr(subnetOf(c));
      if (!subnets.has(key)) subnets.set(key, f.name);
    }
  }
  const ifaces = new Set(subnets.values());
  if (ifaces.size >= 2) return `addresses on ${[...subnets.keys()].slice(0, 3).join(', ')}`;
  return null;
}

function sameFamily(r: Route, family: 4 | 6): boolean {
  if (r.to !== 'default') return parseCidr(r.to)?.family === family;
  return (r.via ? parseIp(r.via)?.family : 4) === family;
}

function canonicalIp(text: string): string {
  const ip = parseIp(text);
  if (!ip) return text;
  return formatCidr({ ...ip, prefix: ip.family === 4 ? 32 : 128 }).split('/')[0]!;
}

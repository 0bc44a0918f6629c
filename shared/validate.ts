/**
 * validate(input): every problem of a lab document, each with a JSON path, a stable code, the lab object it
 * concerns and a message a student understands. Runs unchanged in the browser and in the server.
 * Pure; never throws on any input; every rule is O(n log n) in the size of the lab.
 *
 * Codes (stable; the canvas and tests key on them, never on the message):
 * - schema: MissingField WrongType UnknownField UnknownKind InvalidValue InvalidFormat InvalidName TooBig TooSmall
 *   MulticastMac ZeroMac
 * - objects: DuplicateId DuplicateName TooManyHosts UnknownNamespace NotANamespace DanglingEndpoint VethSelfLoop
 *   ReservedName DuplicateInterfaceName TooManyPorts BridgeLoop MtuMismatch(w)
 * - addresses: NonCanonicalAddress SpecialAddress NetworkAddress BroadcastAddress DuplicateAddress OverlappingSubnet
 *   DuplicateMac AddressOnBridgePort(w)
 * - routes: RouteHostBits RouteNeedsViaOrDev UnknownDevice RouteFamilyMismatch GatewayIsLocal LinkLocalGatewayNeedsDev
 *   GatewayNotOnDev GatewayNotConnected GatewayInterfaceDown DuplicateRoute RouteShadowsConnected GatewayAbsent(w)
 *   GatewayNotForwarding(w)
 * - impairments: EmptyImpairment ImpairmentNeedsRate JitterNeedsDelay BurstBelowMtu
 * - host NAT: NatSourceHostBits NatWithoutUplink(w)
 * - attached interfaces (interfaces of their namespace for every rule above and below: names, addresses, routes,
 *   reachability): NotABridge TunnelBridgePort VxlanNeedsRemoteOrGroup VxlanGroupNotMulticast VxlanGroupNeedsDev
 *   UnknownDevice (vlan parent, vxlan dev) DuplicateVni TunnelLocalNotUnicast TunnelLocalNotOwn (vxlan/gre/ipip/
 *   ip6tnl `local`); VXLAN pairs (tunnels.ts): VxlanVniMismatch(w) VxlanPortMismatch(w) VxlanRemoteNoTunnel(w)
 * - bridge VLANs: VlanNeedsFilteringBridge DuplicateVlan
 * - format version (migrate.ts): VersionTooNew VersionUnknown MigrationFailed
 * - WireGuard: see wireguard.ts
 * - hints: Unreachable(w) · fallbacks: TooManyIssues Unreadable InvalidAddress          (w) = warning
 */
import type { Issue } from './errors';
import { type AttachedInterface, type BridgeNode, Lab, type NamespaceNode, type Route, type VethLink } from './lab';
import { migrateLab } from './migrate';
import { quoteName } from './names';
import {
  type Cidr,
  contains,
  type Family,
  familyBits,
  formatCidr,
  formatIp,
  hasHostBits,
  type IpAddr,
  lastAddress,
  netmask,
  networkAddress,
  parseCidr,
  parseIp,
  subnetOf,
} from './net';
import { checkVxlanTunnels, underlayAddresses, vxlanTunnels } from './tunnels';
import { checkWireguard, resolvePeer, type WireguardAt, wireguardInterfaces, wireguardKey } from './wireguard';

export type ValidationResult =
  | { ok: true; lab: Lab; issues: Issue[] /* warnings only */ }
  | { ok: false; lab?: undefined; issues: Issue[] };

/** The kernel refuses the 1024th port of a bridge ("Exchange full"). */
export const MAX_BRIDGE_PORTS = 1023;
/** A pathological document is not worth a million issues; the first ones say enough. */
export const MAX_ISSUES = 1000;

type Path = Issue['path'];

export interface ValidateOptions {
  /**
   * Id of the object the user just edited (an endpoint key, a bridge node id). When two interfaces clash on
   * an address, the problem is reported on this one: it is the field that changed, not its untouched twin.
   */
  prefer?: string;
}

export function validate(input: unknown, opts: ValidateOptions = {}): ValidationResult {
  try {
    return validateOrThrow(input, opts);
  } catch {
    // Only reachable with exotic input (a Proxy, a throwing getter): report it, never crash the caller.
    return {
      ok: false,
      issues: [
        {
          path: [],
          message: 'the lab could not be read: it is not plain data (JSON or YAML)',
          severity: 'error',
          code: 'Unreadable',
        },
      ],
    };
  }
}

function validateOrThrow(raw: unknown, opts: ValidateOptions): ValidationResult {
  // A file of an older format is read as today's (migrate.ts); one from a newer Netloom is refused on `version`.
  const migrated = migrateLab(raw);
  if (!migrated.ok) return { ok: false, issues: [migrated.issue] };
  const input = migrated.doc;
  // reportInput: tells a missing field (input undefined) from a wrong type, and names what was found.
  const parsed = Lab.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, issues: cap(parsed.error.issues.flatMap((i) => schemaIssue(input, i))) };
  const issues = cap(crossReferenceIssues(parsed.data, opts));
  return issues.some((i) => i.severity === 'error') ? { ok: false, issues } : { ok: true, lab: parsed.data, issues };
}

function cap(issues: Issue[]): Issue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const rest = issues.length - MAX_ISSUES;
  return [
    ...issues.slice(0, MAX_ISSUES),
    { path: [], message: `…and ${rest} more problems not listed`, severity: 'error', code: 'TooManyIssues' },
  ];
}

// ─── Schema issues (zod) → Issue ────────────────────────────────────────────────────────────────────────

interface ZodIssueLike {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  input?: unknown;
  expected?: string;
  origin?: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
  note?: string;
  options?: unknown[];
  values?: unknown[];
  params?: Record<string, unknown>;
}

function schemaIssue(input: unknown, zi: ZodIssueLike): Issue[] {
  const path: Path = zi.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const object = objectAt(input, path);
  const at = (p: Path, code: string, message: string): Issue => ({
    path: p,
    message,
    severity: 'error',
    code,
    ...(object === undefined ? {} : { object }),
  });
  const field = typeof path[path.length - 1] === 'string' ? `"${path[path.length - 1]}"` : 'this entry';
  switch (zi.code) {
    case 'unrecognized_keys':
      return (zi.keys ?? []).map((k) =>
        at([...path, k], 'UnknownField', `unknown field ${quoteName(k)}: check its spelling, or remove it`),
      );
    case 'invalid_type':
      if (path.length === 0)
        return [
          at(path, 'WrongType', `a lab is an object with version, name, nodes and links, not ${describeValue(input)}`),
        ];
      if (zi.input === undefined) return [at(path, 'MissingField', `${field} is required`)];
      if (!zi.message.startsWith('Invalid input')) return [at(path, 'WrongType', zi.message)];
      return [at(path, 'WrongType', `${field} must be ${article(zi.expected)}, not ${describeValue(zi.input)}`)];
    case 'too_big':
      return [at(path, 'TooBig', zi.message.startsWith('Too big') ? tooBig(zi) : zi.message)];
    case 'too_small':
      return [at(path, 'TooSmall', zi.message.startsWith('Too small') ? tooSmall(zi) : zi.message)];
    case 'invalid_union':
      if (zi.note === 'No matching discriminator')
        return [at(path, 'UnknownKind', `"kind" must be one of: ${(zi.options ?? []).join(', ')}`)];
      return [at(path, 'InvalidValue', zi.message.startsWith('Invalid input') ? `${field} is not valid` : zi.message)];
    case 'invalid_value':
      return [
        at(path, 'InvalidValue', `${field} must be ${(zi.values ?? []).map((v) => JSON.stringify(v)).join(' or ')}`),
      ];
    case 'invalid_format':
      return [at(path, 'InvalidFormat', zi.message)];
    case 'custom': {
      const code = zi.params?.code;
      return [at(path, typeof code === 'string' ? code : 'InvalidValue', zi.message)];
    }
    default:
      return [at(path, 'Invalid', zi.message)];
  }
}

const article = (t: string | undefined): string =>
  t === undefined ? 'something else' : /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return article(typeof v);
}

function tooBig(zi: ZodIssueLike): string {
  const max = String(zi.maximum);
  if (zi.origin === 'string') return `at most ${max} characters`;
  if (zi.origin === 'array') return `at most ${max} entries`;
  return `must be at most ${max}`;
}

function tooSmall(zi: ZodIssueLike): string {
  const min = String(zi.minimum);
  if (zi.origin === 'string') return `at least ${min} characters`;
  if (zi.origin === 'array') return `at least ${min} entries`;
  return `must be at least ${min}`;
}

/** Own data property only: never runs a getter, never walks the prototype (`__proto__` is just a key). */
function own(v: unknown, key: string | number): unknown {
  if (typeof v !== 'object' || v === null) return undefined;
  const d = Object.getOwnPropertyDescriptor(v, key);
  return d && 'value' in d ? d.value : undefined;
}

const plainId = (v: unknown): string | undefined =>
  typeof v === 'string' && /^[A-Za-z][A-Za-z0-9_-]{0,47}$/.test(v) ? v : undefined;

/** The canvas object a schema issue belongs to: node id, link id, or `${linkId}#0|1` for an endpoint. */
function objectAt(input: unknown, path: Path): string | undefined {
  const [top, index, sub, end] = path;
  if (typeof index !== 'number' || (top !== 'nodes' && top !== 'links')) return undefined;
  const id = plainId(own(own(own(input, top), index), 'id'));
  if (id === undefined) return undefined;
  if (top === 'links' && sub === 'endpoints' && (end === 0 || end === 1)) return `${id}#${end}`;
  return id;
}

// ─── Cross-reference rules ──────────────────────────────────────────────────────────────────────────────

/** A network namespace: `root` (the host, and bridges without `namespace`) or a namespace node's id. */
type NsKey = string;
const ROOT: NsKey = '\0root';

interface Address {
  text: string;
  cidr: Cidr;
  /** addrKey(cidr), computed once: several rules index addresses by it. */
  key: string;
  path: Path;
}

/** An interface as the kernel will see it: a veth end, a bridge device or an attached interface of a namespace. */
interface Iface {
  key: string;
  name: string;
  ns: NsKey | undefined;
  path: Path; // of its name
  object: string;
  what: string; // for messages: `eth0 (link l1)`
  up: boolean;
  /** Up, and so is the other end of its veth: packets can actually flow. */
  carrier: boolean;
  addresses: Address[];
  /** L2 segment: every interface that hears the same broadcasts shares one. */
  segment: string;
  /** The bridge this veth end is enslaved to (its IP addresses are not used). */
  bridgeIndex?: number;
  /** An attached interface: `lab.nodes[i].interfaces[k]`. */
  at?: { i: number; k: number };
}

class UnionFind {
  private parent = new Map<string, string>();
  find(x: string): string {
    let root = x;
    for (let p = this.parent.get(root); p !== undefined && p !== root; p = this.parent.get(root)) root = p;
    for (let y = x; y !== root; ) {
      const next = this.parent.get(y) ?? root;
      this.parent.set(y, root);
      y = next;
    }
    return root;
  }
  union(a: string, b: string): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    this.parent.set(ra, rb);
    return true;
  }
}

type NodeById = Map<string, { index: number; node: Lab['nodes'][number] }>;

function crossReferenceIssues(lab: Lab, opts: ValidateOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const report: Report = (path, code, message, object, severity = 'error') => {
    issues.push({ path, message, severity, code, ...(object === undefined ? {} : { object }) });
  };
  const nodeById = checkIds(lab, report);
  const bridgeNs = checkNodes(lab, nodeById, report);
  const nsLabel = (ns: NsKey): string =>
    ns === ROOT
      ? 'the root namespace (host)'
      : `namespace "${(nodeById.get(ns)?.node as NamespaceNode | undefined)?.name ?? ns}"`;
  const wiring = collectInterfaces(lab, nodeById, bridgeNs, report);
  const { ifaces, segments } = wiring;
  checkBridgePorts(lab, wiring.ports, report);
  checkBridgeLoops(lab, wiring, report);
  const ifaceByNsName = checkInterfaceNames(ifaces, wiring.selfLoops, nsLabel, report);
  // The later of two clashing interfaces gets the problem: the preferred (just edited) one goes last.
  const prefer = opts.prefer;
  checkAddresses(
    prefer === undefined
      ? ifaces
      : [...ifaces.filter((x) => x.object !== prefer), ...ifaces.filter((x) => x.object === prefer)],
    report,
    nsLabel,
  );
  checkImpairments(lab, report);
  checkNat(lab, report);
  checkAttached(lab, interfacesByNamespace(ifaces), ifaceByNsName, report);
  checkVxlanTunnels(lab, report);
  checkWireguard(lab, report);
  checkBridgeVlans(lab, report);
  checkMacs(lab, segments, report);
  checkRoutes(lab, ifaces, report, nsLabel);
  checkReachability(lab, ifaces, report);
  return issues;
}

/** Ids: unique across nodes and links. Later duplicates are ignored as reference targets. */
function checkIds(lab: Lab, report: Report): NodeById {
  const firstById = new Map<string, { path: Path }>();
  const nodeById: NodeById = new Map();
  const unique = (id: string, path: Path): boolean => {
    const seen = firstById.get(id);
    if (seen) {
      report([...path, 'id'], 'DuplicateId', `id "${id}" is already used by ${describePath(seen.path)}`, id);
      return false;
    }
    firstById.set(id, { path });
    return true;
  };
  lab.nodes.forEach((node, i) => {
    if (unique(node.id, ['nodes', i])) nodeById.set(node.id, { index: i, node });
  });
  lab.links.forEach((link, j) => {
    unique(link.id, ['links', j]);
  });
  return nodeById;
}

/** Nodes: one host at most, unique namespace names, bridges in existing namespaces (their namespace by index). */
function checkNodes(lab: Lab, nodeById: NodeById, report: Report): Map<number, NsKey | undefined> {
  let hostSeen = false;
  const nsByName = new Map<string, NamespaceNode>();
  const bridgeNs = new Map<number, NsKey | undefined>();
  lab.nodes.forEach((node, i) => {
    if (node.kind === 'host') {
      if (hostSeen)
        report(
          ['nodes', i],
          'TooManyHosts',
          'a lab has at most one host node: it stands for the root namespace, and there is only one',
          node.id,
        );
      hostSeen = true;
    } else if (node.kind === 'namespace') {
      const other = nsByName.get(node.name);
      if (other)
        report(
          ['nodes', i, 'name'],
          'DuplicateName',
          `namespace "${node.name}" is already the name of "${other.id}": namespace names must be unique`,
          node.id,
        );
      else nsByName.set(node.name, node);
    } else {
      bridgeNs.set(i, bridgeNamespace(node, i, nodeById, report));
    }
  });
  return bridgeNs;
}

function bridgeNamespace(bridge: BridgeNode, i: number, nodeById: NodeById, report: Report): NsKey | undefined {
  if (bridge.namespace === undefined) return ROOT;
  const target = nodeById.get(bridge.namespace);
  if (!target) {
    report(
      ['nodes', i, 'namespace'],
      'UnknownNamespace',
      `bridge "${bridge.name}" is placed in namespace "${bridge.namespace}", but no node has that id`,
      bridge.id,
    );
    return undefined;
  }
  if (target.node.kind !== 'namespace') {
    report(
      ['nodes', i, 'namespace'],
      'NotANamespace',
      `bridge "${bridge.name}" must be placed in a namespace node, but "${bridge.namespace}" is a ${target.node.kind}` +
        (target.node.kind === 'host' ? ' (leave "namespace" out to put it in the root namespace)' : ''),
      bridge.id,
    );
    return undefined;
  }
  return bridge.namespace;
}

/** Every interface of the lab, each in a namespace and on an L2 segment, and what the bridge rules need. */
interface Wiring {
  ifaces: Iface[];
  segments: UnionFind;
  /** Bridge node index → its number of ports. */
  ports: Map<number, number>;
  /** Bridges connected by veths (directly or through other bridges). */
  bridgeLoops: UnionFind;
  /** Veths between two bridges already connected: each closes a loop. */
  loopLinks: { j: number; link: VethLink; bridges: [number, number] }[];
  /** `${j}#1` of the veths whose two ends are the same interface. */
  selfLoops: Set<string>;
}

/** Interfaces: bridges, then veth ends, then attached interfaces; segments resolved at the end. */
function collectInterfaces(
  lab: Lab,
  nodeById: NodeById,
  bridgeNs: Map<number, NsKey | undefined>,
  report: Report,
): Wiring {
  const w: Wiring = {
    ifaces: [],
    segments: new UnionFind(),
    ports: new Map(),
    bridgeLoops: new UnionFind(),
    loopLinks: [],
    selfLoops: new Set(),
  };
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'bridge') return;
    w.ifaces.push({
      key: `B${i}`,
      name: node.name,
      ns: bridgeNs.get(i),
      path: ['nodes', i, 'name'],
      object: node.id,
      what: `bridge ${node.name}`,
      up: true,
      carrier: true,
      addresses: readAddresses(node.addresses, ['nodes', i, 'addresses'], node.id, report),
      segment: `B${i}`,
    });
  });
  const ctx: VethContext = { nodeById, bridgeNs, w, report };
  lab.links.forEach((link, j) => {
    addVeth(lab, link, j, ctx);
  });
  attachedIfaces(lab, nodeById, w.segments, w.ports, w.ifaces, report);
  vlanSegments(lab, w.ifaces, w.segments);
  for (const iface of w.ifaces) iface.segment = w.segments.find(iface.segment);
  return w;
}

interface VethContext {
  nodeById: NodeById;
  bridgeNs: Map<number, NsKey | undefined>;
  w: Wiring;
  report: Report;
}

/** Veth `j`: its two ends as interfaces; a self loop, a loop between bridges, an MTU mismatch. */
function addVeth(lab: Lab, link: VethLink, j: number, ctx: VethContext): void {
  const { w, report } = ctx;
  const [a, b] = link.endpoints;
  if (a.node === b.node && a.ifname === b.ifname) {
    report(
      ['links', j, 'endpoints', 1, 'ifname'],
      'VethSelfLoop',
      `both ends of veth "${link.id}" are ${a.ifname} on the same node: a veth needs two distinct interfaces`,
      `${link.id}#1`,
    );
    w.selfLoops.add(`${j}#1`);
  }
  const [ba, bb] = link.endpoints.map((_, e) => addVethEnd(lab, link, j, e, ctx));
  if (ba !== undefined && bb !== undefined && !w.bridgeLoops.union(`B${ba}`, `B${bb}`))
    w.loopLinks.push({ j, link, bridges: [ba, bb] });
  const mtuA = a.mtu ?? 1500;
  const mtuB = b.mtu ?? 1500;
  if (mtuA !== mtuB)
    report(
      ['links', j, 'endpoints', b.mtu === undefined ? 0 : 1, 'mtu'],
      'MtuMismatch',
      `the two ends of veth "${link.id}" have different MTUs (${mtuA} and ${mtuB}): large packets will be dropped one way`,
      `${link.id}#${b.mtu === undefined ? 0 : 1}`,
      'warning',
    );
}

/** End `e` of veth `j` as an interface: the index of the bridge it is a port of, if it is one. */
function addVethEnd(lab: Lab, link: VethLink, j: number, e: number, ctx: VethContext): number | undefined {
  const { w, report } = ctx;
  const ep = link.endpoints[e]!;
  const target = ctx.nodeById.get(ep.node);
  const epPath: Path = ['links', j, 'endpoints', e];
  const object = `${link.id}#${e}`;
  let ns: NsKey | undefined;
  let bridgeIndex: number | undefined;
  if (!target) {
    report(
      [...epPath, 'node'],
      'DanglingEndpoint',
      `this end of veth "${link.id}" is attached to "${ep.node}", but no node has that id`,
      object,
    );
  } else if (target.node.kind === 'namespace') ns = target.node.id;
  else if (target.node.kind === 'host') ns = ROOT;
  else {
    bridgeIndex = target.index;
    ns = ctx.bridgeNs.get(target.index);
    w.ports.set(target.index, (w.ports.get(target.index) ?? 0) + 1);
    w.segments.union(`L${j}`, `B${target.index}`);
  }
  w.ifaces.push({
    key: `L${j}#${e}`,
    name: ep.ifname,
    ns,
    path: [...epPath, 'ifname'],
    object,
    what: `${ep.ifname} (veth "${link.id}")`,
    up: ep.up,
    carrier: ep.up && link.endpoints[1 - e]!.up,
    addresses: readAddresses(ep.addresses, [...epPath, 'addresses'], object, report),
    segment: `L${j}`,
    ...(bridgeIndex === undefined ? {} : { bridgeIndex }),
  });
  if (bridgeIndex !== undefined && ep.addresses.length > 0)
    report(
      [...epPath, 'addresses'],
      'AddressOnBridgePort',
      `${ep.ifname} is a port of bridge "${(lab.nodes[bridgeIndex] as BridgeNode).name}": a bridge port does not use its own IP address. Put the address on the bridge instead`,
      object,
      'warning',
    );
  return bridgeIndex;
}

/** Bridge ports: the kernel limit. */
function checkBridgePorts(lab: Lab, ports: Map<number, number>, report: Report): void {
  for (const [i, n] of ports) {
    if (n > MAX_BRIDGE_PORTS) {
      const bridge = lab.nodes[i] as BridgeNode;
      report(
        ['nodes', i],
        'TooManyPorts',
        `bridge "${bridge.name}" has ${n} ports; Linux allows at most ${MAX_BRIDGE_PORTS} ("Exchange full")`,
        bridge.id,
      );
    }
  }
}

/** Loops between bridges: a broadcast storm without STP, a link carrying nothing with it. */
function checkBridgeLoops(lab: Lab, { loopLinks, bridgeLoops }: Wiring, report: Report): void {
  if (loopLinks.length === 0) return;
  const withoutStp = new Set<string>();
  lab.nodes.forEach((node, i) => {
    if (node.kind === 'bridge' && node.stp !== true) withoutStp.add(bridgeLoops.find(`B${i}`));
  });
  for (const { j, link, bridges } of loopLinks) {
    const [x, y] = bridges.map((i) => (lab.nodes[i] as BridgeNode).name);
    const where =
      x === y && bridges[0] === bridges[1]
        ? `both ends of veth "${link.id}" are ports of bridge "${x}"`
        : `veth "${link.id}" closes a loop between bridges ("${x}" and "${y}" are already connected)`;
    if (withoutStp.has(bridgeLoops.find(`B${bridges[0]}`)))
      report(
        ['links', j],
        'BridgeLoop',
        `${where}: every broadcast would circle forever (a broadcast storm). Remove the link, or set "stp: true" on the bridges so they block a port`,
        link.id,
      );
    else
      report(
        ['links', j],
        'BridgeLoop',
        `${where}: STP will block one port, so this link carries no traffic until another path fails`,
        link.id,
        'warning',
      );
  }
}

/** Interface names: unique per namespace, `lo` is taken. The first interface of each `${ns}\0${name}`. */
function checkInterfaceNames(
  ifaces: readonly Iface[],
  selfLoops: ReadonlySet<string>,
  nsLabel: (ns: NsKey) => string,
  report: Report,
): Map<string, Iface> {
  const ifaceByNsName = new Map<string, Iface>();
  for (const iface of ifaces) {
    if (iface.name === 'lo') {
      report(
        iface.path,
        'ReservedName',
        '"lo" is the loopback interface every namespace already has; choose another name',
        iface.object,
      );
      continue;
    }
    if (iface.ns === undefined) continue;
    const k = `${iface.ns}\0${iface.name}`;
    const other = ifaceByNsName.get(k);
    if (!other) ifaceByNsName.set(k, iface);
    else if (!selfLoops.has(iface.key.slice(1)))
      report(
        iface.path,
        'DuplicateInterfaceName',
        `${nsLabel(iface.ns)} already has an interface called ${iface.name}: ${other.what}. Interface names must be unique in a namespace`,
        iface.object,
      );
  }
  return ifaceByNsName;
}

/** The interfaces of each namespace with their addresses: the one index the attached rules read. */
function interfacesByNamespace(ifaces: readonly Iface[]): Map<NsKey, Iface[]> {
  const ifacesOf = new Map<NsKey, Iface[]>();
  for (const iface of ifaces) {
    if (iface.ns === undefined) continue;
    const list = ifacesOf.get(iface.ns);
    if (list) list.push(iface);
    else ifacesOf.set(iface.ns, [iface]);
  }
  return ifacesOf;
}

export type Report = (
  path: Path,
  code: string,
  message: string,
  object: string | undefined,
  severity?: Issue['severity'],
) => void;

/** Ethernet header on top of the MTU: a token bucket smaller than this can never send a full packet. */
const ETH_HEADER = 14;

/** Impairments: settings that only mean something together, and a bucket big enough for one packet. */
function checkImpairments(lab: Lab, report: Report): void {
  lab.links.forEach((link, j) => {
    link.endpoints.forEach((ep, e) => {
      const imp = ep.impairment;
      if (!imp) return;
      const path: Path = ['links', j, 'endpoints', e, 'impairment'];
      const object = `${link.id}#${e}`;
      const set = Object.values(imp).filter((v) => v !== undefined);
      if (!set.length)
        report(path, 'EmptyImpairment', `impairment on ${ep.ifname} sets nothing; remove it or set a value`, object);
      if (imp.rateKbit === undefined) {
        for (const f of ['burstKb', 'latencyMs'] as const)
          if (imp[f] !== undefined)
            report(
              [...path, f],
              'ImpairmentNeedsRate',
              `${f} on ${ep.ifname} only applies to a rate limit: set rateKbit too`,
              object,
            );
      }
      if (imp.jitterMs !== undefined && imp.jitterMs > 0 && !imp.delayMs)
        report(
          [...path, 'jitterMs'],
          'JitterNeedsDelay',
          `jitter on ${ep.ifname} varies a delay: set delayMs too`,
          object,
        );
      const mtu = ep.mtu ?? 1500;
      if (imp.rateKbit !== undefined && (imp.burstKb ?? 32) * 1024 < mtu + ETH_HEADER)
        report(
          [...path, 'burstKb'],
          'BurstBelowMtu',
          `a burst of ${imp.burstKb} KB on ${ep.ifname} cannot hold one ${mtu}-byte packet, so nothing would pass; use at least ${Math.ceil((mtu + ETH_HEADER) / 1024)} KB`,
          object,
        );
    });
  });
}

/** Host NAT: sources are networks (no host bits); a NAT with no link to the host does nothing. */
function checkNat(lab: Lab, report: Report): void {
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'host' || !node.nat) return;
    (node.nat.sources ?? []).forEach((src, k) => {
      const c = parseCidr(src);
      if (c && hasHostBits(c))
        report(
          ['nodes', i, 'nat', 'sources', k],
          'NatSourceHostBits',
          `${src} has host bits set; the network is ${formatCidr(subnetOf(c))}`,
          node.id,
        );
    });
    if (!lab.links.some((l) => l.endpoints.some((e) => e.node === node.id)))
      report(
        ['nodes', i, 'nat'],
        'NatWithoutUplink',
        'NAT on the host only helps namespaces linked to the host node; no link reaches it',
        node.id,
        'warning',
      );
  });
}

/** The schema accepted these texts; net.ts must read them too (a disagreement is reported, not thrown). */
function readAddresses(texts: string[], path: Path, object: string, report: Report): Address[] {
  const out: Address[] = [];
  texts.forEach((text, k) => {
    const cidr = parseCidr(text);
    if (cidr) out.push({ text, cidr, key: addrKey(cidr), path: [...path, k] });
    else report([...path, k], 'InvalidAddress', `${quoteName(text)} is not an address Netloom can read`, object);
  });
  return out;
}

const KIND_LABEL: Record<AttachedInterface['kind'], string> = {
  vxlan: 'VXLAN',
  tap: 'TAP',
  vlan: 'VLAN',
  macvlan: 'macvlan',
  wireguard: 'WireGuard',
  gre: 'GRE',
  ipip: 'IPIP',
  ip6tnl: 'ip6tnl',
  geneve: 'GENEVE',
};

/** Kinds that carry Ethernet frames, and so may be bridge ports. */
const L2_KINDS = new Set<AttachedInterface['kind']>(['vxlan', 'tap', 'vlan', 'macvlan', 'geneve']);

/**
 * The attached interfaces of the namespace nodes (vxlan, tap, vlan, macvlan, WireGuard, GRE, IPIP, ip6tnl,
 * GENEVE) as interfaces of their namespace, appended to `ifaces` like veth ends and bridges, so every rule
 * (names, addresses, routes, reachability) sees them. Their L2 segment: a bridge of the same namespace they
 * are a port of; the two ends of a tunnel (VXLAN pairs from tunnels.ts, point-to-point tunnels below,
 * WireGuard interfaces that list each other); macvlans on one parent (bridge mode: they hear each other);
 * a VLAN's is derived from its parent's once segments are known (vlanSegments).
 */
function attachedIfaces(
  lab: Lab,
  nodeById: Map<string, { index: number; node: Lab['nodes'][number] }>,
  segments: UnionFind,
  ports: Map<number, number>,
  ifaces: Iface[],
  report: Report,
): void {
  if (!lab.nodes.some((n) => n.kind === 'namespace' && n.interfaces?.length)) return;
  const tunnelOf = new Map<string, string>();
  for (const t of vxlanTunnels(lab).tunnels)
    if (t.ok) {
      tunnelOf.set(t.a.key, t.id);
      tunnelOf.set(t.b.key, t.id);
    }
  for (const [key, id] of pointToPointTunnels(lab)) tunnelOf.set(key, id);
  const wg = wireguardTunnels(lab);
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'namespace' || !node.interfaces?.length) return;
    // A node with a duplicate id (reported) is not a namespace its interfaces can be placed in.
    const ns = nodeById.get(node.id)?.index === i ? node.id : undefined;
    node.interfaces.forEach((x, k) => {
      const at: Path = ['nodes', i, 'interfaces', k];
      const key = `${node.id}/${x.name}`;
      const segment = `A${i}/${k}`;
      let bridgeIndex: number | undefined;
      let carrier = true;
      if (x.bridge !== undefined && L2_KINDS.has(x.kind)) {
        const b = nodeById.get(x.bridge);
        if (b?.node.kind === 'bridge' && b.node.namespace === node.id && ns !== undefined) {
          bridgeIndex = b.index;
          ports.set(b.index, (ports.get(b.index) ?? 0) + 1);
          segments.union(segment, `B${b.index}`);
          if (x.addresses.length > 0)
            report(
              [...at, 'addresses'],
              'AddressOnBridgePort',
              `${x.name} is a port of bridge "${b.node.name}": a bridge port does not use its own IP address. Put the address on the bridge instead`,
              node.id,
              'warning',
            );
        }
      }
      const tunnel = tunnelOf.get(key);
      if (tunnel !== undefined) segments.union(segment, tunnel);
      if (x.kind === 'macvlan') segments.union(segment, `macvlan:${x.parent}`);
      if (x.kind === 'wireguard') {
        const w = wg.get(`${i}/${k}`);
        if (w) segments.union(segment, w.segment);
        carrier = (w?.mutual ?? 0) > 0;
      }
      // A TAP has no carrier until a program (a VM) opens it.
      if (x.kind === 'tap') carrier = false;
      ifaces.push({
        key: `A${i}/${k}`,
        name: x.name,
        ns,
        path: [...at, 'name'],
        object: node.id,
        what: `${x.name} (${KIND_LABEL[x.kind]}${x.kind === 'vlan' ? ` ${x.vlanId}` : ''})`,
        up: true,
        carrier,
        addresses: readAddresses(x.addresses, [...at, 'addresses'], node.id, report),
        segment,
        ...(bridgeIndex === undefined ? {} : { bridgeIndex }),
        at: { i, k },
      });
    });
  });
}

/**
 * A VLAN sub-interface hears the frames tagged with its id on its parent's segment (after every other union,
 * a parent VLAN first); as a bridge port it joins that bridge's segment too.
 */
function vlanSegments(lab: Lab, ifaces: Iface[], segments: UnionFind): void {
  const vlans = ifaces.filter((f) => f.at && attachedAt(lab, f)?.kind === 'vlan');
  if (!vlans.length) return;
  const byName = new Map<string, Iface>();
  for (const f of ifaces) {
    const k = `${f.ns}\0${f.name}`;
    if (f.ns !== undefined && !byName.has(k)) byName.set(k, f);
  }
  const done = new Set<Iface>();
  const resolve = (f: Iface, depth: number): void => {
    const x = attachedAt(lab, f);
    if (done.has(f) || x?.kind !== 'vlan' || depth > 8) return;
    done.add(f);
    const parent = byName.get(`${f.ns}\0${x.parent}`);
    if (!parent || parent === f) return;
    resolve(parent, depth + 1);
    segments.union(f.segment, `V${x.vlanId}@${segments.find(parent.segment)}`);
  };
  for (const f of vlans) resolve(f, 0);
}

const attachedAt = (lab: Lab, f: Iface): AttachedInterface | undefined => {
  const n = f.at && lab.nodes[f.at.i];
  return n?.kind === 'namespace' ? n.interfaces?.[f.at!.k] : undefined;
};

/**
 * Point-to-point tunnels (GRE, IPIP, ip6tnl, GENEVE): two ends of one kind in namespaces M and N are one
 * tunnel when each one's `remote` is an underlay address of the other's namespace (GENEVE: same VNI and
 * port too). Returns `${node.id}/${name}` → tunnel id for the ends that pair.
 */
function pointToPointTunnels(lab: Lab): Map<string, string> {
  const out = new Map<string, string>();
  const ends: { node: NamespaceNode; x: AttachedInterface & { remote: string } }[] = [];
  for (const n of lab.nodes)
    if (n.kind === 'namespace')
      for (const x of n.interfaces ?? [])
        if (x.kind === 'gre' || x.kind === 'ipip' || x.kind === 'ip6tnl' || x.kind === 'geneve')
          ends.push({ node: n, x });
  if (ends.length < 2) return out;
  const addrs = underlayAddresses(lab);
  const ownerOf = new Map<string, string>();
  for (const [id, set] of addrs) for (const a of set) if (!ownerOf.has(a)) ownerOf.set(a, id);
  const flavour = (x: AttachedInterface) => (x.kind === 'geneve' ? `geneve/${x.vni}/${x.dstPort ?? 6081}` : x.kind);
  // Waiting ends by `${flavour}|${their node}|${remote node}`: the other end looks itself up reversed.
  const waiting = new Map<string, string>();
  for (const { node, x } of ends) {
    const there = ownerOf.get(x.remote);
    if (there === undefined || there === node.id) continue;
    const me = `${node.id}/${x.name}`;
    const mine = `${flavour(x)}|${node.id}|${there}`;
    const back = waiting.get(`${flavour(x)}|${there}|${node.id}`);
    if (back !== undefined && !out.has(back)) {
      out.set(back, `tunnel:${back}~${me}`);
      out.set(me, `tunnel:${back}~${me}`);
    } else if (!waiting.has(mine)) waiting.set(mine, me);
  }
  return out;
}

/**
 * Rules of their own for interfaces attached to namespace nodes (their names and addresses go through the
 * common rules with every other interface): bridges, tunnel endpoints (`local`, `dev`), VLAN parents, VNIs.
 */
function checkAttached(
  lab: Lab,
  ifacesOf: Map<NsKey, Iface[]>,
  ifaceByNsName: Map<string, Iface>,
  report: Report,
): void {
  if (!lab.nodes.some((node) => node.kind === 'namespace' && node.interfaces?.length)) return;
  const nodeById = new Map<string, Lab['nodes'][number]>();
  for (const n of lab.nodes) if (!nodeById.has(n.id)) nodeById.set(n.id, n);
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'namespace' || !node.interfaces?.length) return;
    /** An interface of this namespace by name (`lo` is always there). */
    const has = (name: string) => name === 'lo' || ifaceByNsName.has(`${node.id}\0${name}`);
    // The kernel keys VXLAN devices of one namespace by VNI, UDP port and address family (not by local
    // address): a second one with the same key is refused ("VNI already exists").
    const vnis = new Map<string, string>();
    let holders: Map<string, Iface[]> | undefined;
    node.interfaces.forEach((x, k) => {
      const at: Path = ['nodes', i, 'interfaces', k];
      if (x.kind === 'vxlan') {
        const v6 = [x.remote, x.group, x.local].some((a) => a?.includes(':'));
        const key = `${x.vni}/${x.dstPort ?? 4789}/${v6 ? 6 : 4}`;
        const first = vnis.get(key);
        if (first !== undefined)
          report(
            [...at, 'vni'],
            'DuplicateVni',
            `VXLAN ${x.name} uses VNI ${x.vni} on UDP port ${x.dstPort ?? 4789} like ${first} in namespace "${node.name}": the kernel allows one per namespace. Use another VNI or port`,
            node.id,
          );
        else vnis.set(key, x.name);
      }
      if (x.bridge !== undefined && (x.kind === 'gre' || x.kind === 'ipip' || x.kind === 'ip6tnl'))
        report(
          [...at, 'bridge'],
          'TunnelBridgePort',
          `${x.kind} ${x.name} carries IP packets, not Ethernet frames: it cannot be a bridge port. Route to it instead (GENEVE or VXLAN carry frames)`,
          node.id,
        );
      else if (x.bridge !== undefined) {
        const b = nodeById.get(x.bridge);
        if (b?.kind !== 'bridge' || b.namespace !== node.id)
          report(
            [...at, 'bridge'],
            'NotABridge',
            `"${x.bridge}" is not a bridge node in namespace "${node.name}"`,
            node.id,
          );
      }
      if (x.kind === 'vxlan') {
        if ((x.remote === undefined) === (x.group === undefined))
          report(
            at,
            'VxlanNeedsRemoteOrGroup',
            `VXLAN ${x.name} needs exactly one of "remote" (one peer) or "group" (multicast)`,
            node.id,
          );
        if (x.group !== undefined && !/^2(2[4-9]|3\d)\./.test(x.group))
          report(
            [...at, 'group'],
            'VxlanGroupNotMulticast',
            `${x.group} is not a multicast address (224.0.0.0/4)`,
            node.id,
          );
        if (x.group !== undefined && x.dev === undefined)
          report(
            [...at, 'dev'],
            'VxlanGroupNeedsDev',
            `a multicast VXLAN needs "dev", the underlay interface`,
            node.id,
          );
        if (x.dev !== undefined && (x.dev === x.name || !has(x.dev)))
          report(
            [...at, 'dev'],
            'UnknownDevice',
            x.dev === x.name
              ? `VXLAN ${x.name} cannot carry its own packets: "dev" is the underlay interface, another interface of namespace "${node.name}"`
              : `namespace "${node.name}" has no interface ${x.dev} to carry VXLAN ${x.name}`,
            node.id,
          );
      }
      if (
        (x.kind === 'vxlan' || x.kind === 'gre' || x.kind === 'ipip' || x.kind === 'ip6tnl') &&
        x.local !== undefined
      ) {
        holders ??= addressHolders(ifacesOf.get(node.id) ?? []);
        checkTunnelLocal(
          x.local,
          x.name,
          KIND_LABEL[x.kind],
          [...at, 'local'],
          node,
          ifacesOf.get(node.id) ?? [],
          holders,
          k,
          i,
          report,
        );
      }
      if (x.kind === 'vlan' && !has(x.parent))
        report(
          [...at, 'parent'],
          'UnknownDevice',
          `namespace "${node.name}" has no interface ${x.parent} to carry VLAN ${x.vlanId}`,
          node.id,
        );
    });
  });
}

/** The interfaces of a namespace holding each address (by addrKey). */
function addressHolders(mine: Iface[]): Map<string, Iface[]> {
  const out = new Map<string, Iface[]>();
  for (const f of mine)
    for (const a of f.addresses) {
      const list = out.get(a.key);
      if (list) list.push(f);
      else out.set(a.key, [f]);
    }
  return out;
}

/**
 * A tunnel's `local` is the source address of its outer packets: a unicast address this namespace holds on
 * another interface (the underlay), of the tunnel's family (the schema's types already fix the family).
 */
function checkTunnelLocal(
  text: string,
  name: string,
  kind: string,
  path: Path,
  node: NamespaceNode,
  mine: Iface[],
  holders: Map<string, Iface[]>,
  k: number,
  i: number,
  report: Report,
): void {
  const ip = parseIp(text);
  if (!ip) return;
  if (formatIp(ip) !== text) report(path, 'NonCanonicalAddress', nonCanonical(text, formatIp(ip)), node.id);
  const host: Cidr = { ...ip, prefix: familyBits(ip.family) };
  const special = specialAddressProblem(host);
  if (special) {
    report(
      path,
      'TunnelLocalNotUnicast',
      `${text} ${special}: the "local" of ${kind} ${name} is the source of its outer packets, a unicast address of this namespace`,
      node.id,
    );
    return;
  }
  const key = addrKey(ip);
  const self = mine.find((f) => f.at?.i === i && f.at.k === k);
  if ((holders.get(key) ?? []).some((f) => f !== self)) return;
  report(
    path,
    'TunnelLocalNotOwn',
    self?.addresses.some((a) => a.key === key)
      ? `${text} is ${name}'s own tunnel address: the outer packets need an underlay address of namespace "${node.name}" on another interface`
      : `${text} is not an address of namespace "${node.name}": the "local" of ${kind} ${name} must be one of its underlay addresses` +
          (mine.some((f) => f !== self && f.addresses.length)
            ? ` (it has ${mine
                .filter((f) => f !== self)
                .flatMap((f) => f.addresses.map((a) => `${formatIp(a.cidr)} on ${f.name}`))
                .slice(0, 6)
                .join(', ')})`
            : ' (it has none yet)'),
    node.id,
  );
}

/**
 * Bridge VLAN filtering: a port's `vlan` only means something on a bridge that filters (ids 1–4094 are the
 * schema's); a VLAN listed twice (or the pvid also listed as tagged) is a mistake.
 */
function checkBridgeVlans(lab: Lab, report: Report): void {
  const bridges = new Map<string, BridgeNode>();
  for (const n of lab.nodes) if (n.kind === 'bridge' && !bridges.has(n.id)) bridges.set(n.id, n);
  lab.links.forEach((link, j) => {
    link.endpoints.forEach((ep, e) => {
      const v = ep.vlan;
      if (!v) return;
      const path: Path = ['links', j, 'endpoints', e, 'vlan'];
      const object = `${link.id}#${e}`;
      const b = bridges.get(ep.node);
      if (!b) {
        report(
          path,
          'VlanNeedsFilteringBridge',
          `VLAN settings on ${ep.ifname} only apply to a port of a bridge; "${ep.node}" is not a bridge node`,
          object,
        );
        return;
      }
      if (b.vlanFiltering !== true) {
        report(
          path,
          'VlanNeedsFilteringBridge',
          `VLAN settings on ${ep.ifname} need VLAN filtering on bridge "${b.name}": set vlanFiltering: true on it`,
          object,
        );
        return;
      }
      const seen = new Set<number>(v.pvid !== undefined ? [v.pvid] : []);
      (v.tagged ?? []).forEach((id, k) => {
        if (seen.has(id))
          report(
            [...path, 'tagged', k],
            'DuplicateVlan',
            id === v.pvid
              ? `VLAN ${id} is the pvid of ${ep.ifname}; it cannot also be tagged there`
              : `VLAN ${id} is listed twice on ${ep.ifname}`,
            object,
          );
        seen.add(id);
      });
    });
  });
}

function describePath(path: Path): string {
  return path[0] === 'nodes' ? `node #${Number(path[1]) + 1}` : `link #${Number(path[1]) + 1}`;
}

const addrKey = (a: IpAddr): string => `${a.family}:${a.value.toString(16)}`;

/** Ranges no interface address may come from. */
const SPECIAL_RANGES: [Cidr, string][] = (
  [
    ['0.0.0.0/8', 'is in 0.0.0.0/8 ("this network"), which no interface can use'],
    ['127.0.0.0/8', 'is a loopback address; those belong to "lo" only'],
    ['224.0.0.0/4', 'is a multicast address, not an address for one interface'],
    ['255.255.255.255/32', 'is the limited broadcast address'],
    ['::/128', 'is the unspecified address ::'],
    ['::1/128', 'is the loopback address ::1; it belongs to "lo" only'],
    ['ff00::/8', 'is a multicast address, not an address for one interface'],
  ] as const
).map(([text, why]) => [parseCidr(text)!, why]);

function specialAddressProblem(c: Cidr): string | null {
  for (const [range, why] of SPECIAL_RANGES) if (contains(range, c)) return why;
  return null;
}

function nonCanonical(text: string, canonical: string): string {
  return `write ${text} as ${canonical}, the way "ip" prints it, so Netloom can compare it with the host`;
}

function checkAddresses(ifaces: Iface[], report: Report, nsLabel: (ns: NsKey) => string): void {
  interface Placed {
    subnet: Cidr;
    first: bigint;
    last: bigint;
    iface: Iface;
    addr: Address;
  }
  const byNs = new Map<NsKey, Placed[]>();
  const onSegment = new Map<string, Iface>();
  for (const iface of ifaces) {
    const mine = new Set<string>();
    for (const addr of iface.addresses) {
      const c = addr.cidr;
      const canonical = formatCidr(c);
      if (canonical !== addr.text)
        report(addr.path, 'NonCanonicalAddress', nonCanonical(addr.text, canonical), iface.object);
      const special = specialAddressProblem(c);
      if (special) {
        report(addr.path, 'SpecialAddress', `${addr.text} ${special}`, iface.object);
        continue;
      }
      const bits = familyBits(c.family);
      // /31, /32, /127 and /128 have no network or broadcast address (RFC 3021): every address is a host.
      if (c.prefix <= bits - 2) {
        const net = formatCidr(subnetOf(c));
        if (!hasHostBits(c))
          report(
            addr.path,
            'NetworkAddress',
            `${addr.text} is the network address of ${net}, not an interface address: use a host address such as ${formatCidr({ ...c, value: c.value + 1n })}`,
            iface.object,
          );
        else if (c.family === 4 && c.value === lastAddress(c))
          report(
            addr.path,
            'BroadcastAddress',
            `${addr.text} is the broadcast address of ${net}, not an interface address: use a host address such as ${formatCidr({ ...c, value: c.value - 1n })}`,
            iface.object,
          );
      }
      const k = addr.key;
      if (mine.has(k)) {
        report(addr.path, 'DuplicateAddress', `${formatIp(c)} is listed twice on ${iface.what}`, iface.object);
        continue;
      }
      mine.add(k);
      const segKey = `${iface.segment}|${k}`;
      const holder = onSegment.get(segKey);
      if (holder)
        report(
          addr.path,
          'DuplicateAddress',
          `${formatIp(c)} is also the address of ${holder.what} on the same network segment: two interfaces that hear each other need different addresses`,
          iface.object,
        );
      else onSegment.set(segKey, iface);
      if (iface.ns === undefined) continue;
      const list = byNs.get(iface.ns) ?? [];
      list.push({ subnet: subnetOf(c), first: networkAddress(c), last: lastAddress(c), iface, addr });
      byNs.set(iface.ns, list);
    }
  }

  // Overlapping subnets on different interfaces of one namespace: sort by start, sweep keeping the interval
  // that reaches furthest and the furthest-reaching one on a different interface (O(n log n)).
  for (const [ns, list] of byNs) {
    if (list.length < 2) continue; // one subnet overlaps nothing
    for (const family of [4, 6] as Family[]) {
      const sorted = list
        .filter((p) => p.subnet.family === family)
        .sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : x.subnet.prefix - y.subnet.prefix));
      let top: Placed | undefined;
      let second: Placed | undefined;
      for (const p of sorted) {
        const rival = top && top.iface !== p.iface ? top : second;
        if (rival && p.first <= rival.last)
          report(
            p.addr.path,
            'OverlappingSubnet',
            `${p.addr.text} on ${p.iface.what} overlaps ${rival.addr.text} on ${rival.iface.what} in ${nsLabel(ns)}: ` +
              'the kernel could not tell which interface to send to. Use separate subnets',
            p.iface.object,
          );
        if (!top || p.last > top.last) {
          if (top && top.iface !== p.iface) second = top;
          top = p;
        } else if (p.iface !== top.iface && (!second || p.last > second.last)) second = p;
      }
    }
  }
}

function checkMacs(lab: Lab, segments: UnionFind, report: Report): void {
  const seen = new Map<string, string>();
  lab.links.forEach((link, j) => {
    link.endpoints.forEach((ep, e) => {
      if (ep.mac === undefined) return;
      const key = `${segments.find(`L${j}`)}|${ep.mac.toLowerCase()}`;
      const other = seen.get(key);
      if (other)
        report(
          ['links', j, 'endpoints', e, 'mac'],
          'DuplicateMac',
          `MAC address ${ep.mac} is also used by ${other} on the same network segment`,
          `${link.id}#${e}`,
        );
      else seen.set(key, `${ep.ifname} (veth "${link.id}")`);
    });
  });
}

/** A namespace's directly connected subnets, indexed for lookups by prefix length. */
interface Connected {
  names: Set<string>;
  local: Map<string, Iface>;
  /** `${family}/${prefix}/${network}` → interfaces with an address in that subnet. */
  subnets: Map<string, { iface: Iface; addr: Address }[]>;
  prefixes: Set<number>; // family * 1000 + prefix, for each prefix length present
  list: string[]; // for messages
}

function checkRoutes(lab: Lab, ifaces: Iface[], report: Report, nsLabel: (ns: NsKey) => string): void {
  // Nothing to check, so no index to build (a large lab often has no routes at all).
  if (!lab.nodes.some((node) => node.kind === 'namespace' && node.routes.length > 0)) return;
  const byNs = new Map<NsKey, Connected>();
  const connectedOf = (ns: NsKey): Connected => {
    let c = byNs.get(ns);
    if (!c) {
      c = { names: new Set(['lo']), local: new Map(), subnets: new Map(), prefixes: new Set(), list: [] };
      byNs.set(ns, c);
    }
    return c;
  };
  const onSegment = new Map<string, Iface>();
  for (const iface of ifaces) {
    for (const addr of iface.addresses) onSegment.set(`${iface.segment}|${addr.key}`, iface);
    if (iface.ns === undefined) continue;
    const c = connectedOf(iface.ns);
    c.names.add(iface.name);
    for (const addr of iface.addresses) {
      const a = addr.cidr;
      c.local.set(addr.key, iface);
      const k = `${a.family}/${a.prefix}/${networkAddress(a).toString(16)}`;
      const list = c.subnets.get(k) ?? [];
      if (list.length === 0 && c.list.length < 8) c.list.push(`${formatCidr(subnetOf(a))} on ${iface.name}`);
      list.push({ iface, addr });
      c.subnets.set(k, list);
      c.prefixes.add(a.family * 1000 + a.prefix);
    }
  }
  const nsIndex = new Map<string, NamespaceNode>();
  for (const node of lab.nodes) if (node.kind === 'namespace' && !nsIndex.has(node.id)) nsIndex.set(node.id, node);

  lab.nodes.forEach((node, i) => {
    // A namespace with a duplicate id was reported already; its routes cannot be placed.
    if (node.kind !== 'namespace' || node.routes.length === 0 || nsIndex.get(node.id) !== node) return;
    const ns = node.id;
    const label = nsLabel(ns);
    const conn = connectedOf(ns);
    const seenRoutes = new Map<string, number>();
    node.routes.forEach((route, k) => {
      const path: Path = ['nodes', i, 'routes', k];
      const object = node.id;
      const to = route.to === 'default' ? undefined : parseCidr(route.to);
      const via = route.via === undefined ? undefined : parseIp(route.via);
      if (to === null || via === null) {
        report(path, 'InvalidAddress', 'this route has an address Netloom cannot read', object);
        return;
      }
      if (to) {
        const canonical = formatCidr(to);
        if (canonical !== route.to)
          report([...path, 'to'], 'NonCanonicalAddress', nonCanonical(route.to, canonical), object);
        if (hasHostBits(to))
          report(
            [...path, 'to'],
            'RouteHostBits',
            `a route goes to a network, but ${route.to} has host bits set: did you mean ${formatCidr(subnetOf(to))}?`,
            object,
          );
      }
      if (via && formatIp(via) !== route.via)
        report([...path, 'via'], 'NonCanonicalAddress', nonCanonical(route.via!, formatIp(via)), object);
      const family: Family = to?.family ?? via?.family ?? 4;
      // Always one of them: the schema has no blackhole/unreachable route types (the only routes that need
      // neither), and `ip route add 10.1.0.0/24` alone is refused.
      if (route.via === undefined && route.dev === undefined)
        report(
          path,
          'RouteNeedsViaOrDev',
          `the route to ${route.to} needs "via" (the next router's address) or "dev" (the interface to send it out of)`,
          object,
        );
      if (route.dev !== undefined && !conn.names.has(route.dev))
        report(
          [...path, 'dev'],
          'UnknownDevice',
          `${label} has no interface called ${route.dev}` +
            ` (it has: ${[...conn.names].slice(0, 12).join(', ')}${conn.names.size > 12 ? ', …' : ''})`,
          object,
        );
      if (via && to && via.family !== to.family)
        report(
          [...path, 'via'],
          'RouteFamilyMismatch',
          `the route to ${route.to} is IPv${to.family} but its gateway ${route.via} is IPv${via.family}`,
          object,
        );
      else if (via) checkGateway(via, route.via!, route.dev, [...path, 'via'], object);

      // The kernel keys a route by destination and metric ("File exists" for a second one).
      const metric = route.metric ?? (family === 4 ? 0 : 1024);
      const dest = to ? formatCidr(subnetOf(to)) : family === 4 ? '0.0.0.0/0' : '::/0';
      const routeKey = `${dest}|${metric}`;
      const earlier = seenRoutes.get(routeKey);
      if (earlier !== undefined)
        report(
          path,
          'DuplicateRoute',
          `${label} already has a route to ${route.to} with metric ${metric} (route #${earlier + 1}); give one a different metric or remove it`,
          object,
        );
      else seenRoutes.set(routeKey, k);
      // Connected routes: IPv4 metric 0, IPv6 metric 256, added by the kernel with the address.
      if (to && metric === (family === 4 ? 0 : 256)) {
        const hit = conn.subnets.get(`${family}/${to.prefix}/${networkAddress(to).toString(16)}`);
        if (hit)
          report(
            [...path, 'to'],
            'RouteShadowsConnected',
            `${formatCidr(subnetOf(to))} is already reached directly through ${hit[0]!.iface.name} (the kernel adds that route with the address); remove this route or give it another metric`,
            object,
          );
      }
    });

    function checkGateway(via: IpAddr, text: string, dev: string | undefined, path: Path, object: string): void {
      const local = conn.local.get(addrKey(via));
      if (local) {
        report(
          path,
          'GatewayIsLocal',
          `${text} is an address of this namespace itself (${local.what}); the gateway must be another machine on that network`,
          object,
        );
        return;
      }
      // fe80::/10 is on every IPv6 link, so the kernel needs to be told which one.
      if (via.family === 6 && via.value >> 118n === 0x3fan) {
        if (dev === undefined)
          report(path, 'LinkLocalGatewayNeedsDev', `${text} is a link-local address: also give "dev"`, object);
        return;
      }
      const matches: { iface: Iface; addr: Address }[] = [];
      for (let p = familyBits(via.family); p >= 0; p--) {
        if (!conn.prefixes.has(via.family * 1000 + p)) continue;
        const net = via.value & netmask(via.family, p);
        for (const m of conn.subnets.get(`${via.family}/${p}/${net.toString(16)}`) ?? []) matches.push(m);
      }
      const onDev = dev === undefined ? matches : matches.filter((m) => m.iface.name === dev);
      if (onDev.length === 0) {
        if (matches.length > 0)
          report(
            path,
            'GatewayNotOnDev',
            `${text} is on the subnet of ${matches[0]!.iface.name}, not of ${dev}: drop "dev" or pick the right interface`,
            object,
          );
        else
          report(
            path,
            'GatewayNotConnected',
            `the gateway ${text} is not on any subnet of ${label}` +
              (conn.list.length ? ` (it has ${conn.list.join(', ')})` : ' (it has no addresses yet)') +
              ': a gateway must be a neighbour reached directly, so give an address in one of those subnets',
            object,
          );
        return;
      }
      const up = onDev.filter((m) => m.iface.up);
      if (up.length === 0) {
        report(
          path,
          'GatewayInterfaceDown',
          `${text} is only reachable through ${onDev[0]!.iface.name}, which is set down: the kernel refuses this route. Set the interface up or remove the route`,
          object,
        );
        return;
      }
      // Who answers for the gateway? Only a hint: the host's forwarding is not part of the lab.
      const owner = up.map((m) => onSegment.get(`${m.iface.segment}|${addrKey(via)}`)).find((o) => o !== undefined);
      if (!owner)
        report(
          path,
          'GatewayAbsent',
          `no interface on that network has the address ${text}, so nothing will answer for the gateway`,
          object,
          'warning',
        );
      else if (owner.ns !== undefined && owner.ns !== ROOT) {
        const router = nsIndex.get(owner.ns);
        if (router && !router.forwarding)
          report(
            path,
            'GatewayNotForwarding',
            `the gateway ${text} belongs to namespace "${router.name}", which does not forward packets: set "forwarding: true" there`,
            object,
            'warning',
          );
      }
    }
  });
}

/** Beyond these sizes the all-pairs reachability hint is skipped (it is a hint, not a rule). */
export const MAX_REACHABILITY_NAMESPACES = 64;
const MAX_REACHABILITY_INTERFACES = 2000;
/** Interface/route comparisons the simulation may spend before it gives up silently (~100 ms). */
const REACHABILITY_BUDGET = 1_000_000;

/**
 * Warns about namespaces (with addresses) that can never reach each other: a small forwarding simulation —
 * longest-prefix match over connected subnets and routes, next hop resolved on its L2 segment, only
 * namespaces with forwarding pass packets on (the host's forwarding is not in the lab: assumed on) — in both
 * directions, since a ping needs its reply.
 */
function checkReachability(lab: Lab, ifaces: Iface[], report: Report): void {
  if (ifaces.length > MAX_REACHABILITY_INTERFACES) return;
  const nodes = new Map<NsKey, { node: NamespaceNode; index: number }>();
  lab.nodes.forEach((node, index) => {
    if (node.kind === 'namespace' && !nodes.has(node.id)) nodes.set(node.id, { node, index });
  });
  const byNs = new Map<NsKey, Iface[]>();
  // A bridge port's own addresses are not used (it hands every frame to the bridge).
  const used = ifaces.filter((iface) => iface.ns !== undefined && iface.bridgeIndex === undefined);
  for (const iface of used) {
    const list = byNs.get(iface.ns!) ?? [];
    list.push(iface);
    byNs.set(iface.ns!, list);
  }
  const participants = [...nodes.keys()].filter((ns) => (byNs.get(ns) ?? []).some((i) => i.addresses.length > 0));
  if (participants.length < 2 || participants.length > MAX_REACHABILITY_NAMESPACES) return;
  const owner = new Map<string, Iface>();
  for (const iface of used) for (const a of iface.addresses) owner.set(`${iface.segment}|${a.key}`, iface);

  const routes = new Map<NsKey, { to: Cidr; via?: IpAddr; dev?: string; metric: number }[]>();
  for (const [ns, { node }] of nodes) {
    const list = [];
    // routeAllowedIps: a route into the WireGuard interface for each allowed network (as desired state has).
    const derived = (node.interfaces ?? []).flatMap((x) =>
      x.kind === 'wireguard' && x.routeAllowedIps
        ? x.peers.flatMap((p) => p.allowedIps.map((to) => ({ to, dev: x.name })))
        : [],
    );
    for (const r of [...node.routes, ...derived] as Route[]) {
      const via = r.via === undefined ? undefined : (parseIp(r.via) ?? undefined);
      const family: Family = via?.family ?? 4;
      const to = r.to === 'default' ? { family, value: 0n, prefix: 0 } : parseCidr(r.to);
      if (to) list.push({ to, ...(via ? { via } : {}), ...(r.dev ? { dev: r.dev } : {}), metric: r.metric ?? 0 });
    }
    routes.set(ns, list);
  }

  const peerFor = wireguardPeerFor(lab, ifaces);
  let budget = REACHABILITY_BUDGET;
  function isLocal(ns: NsKey, dst: IpAddr): boolean {
    const list = byNs.get(ns) ?? [];
    budget -= list.length;
    return list.some((i) => i.addresses.some((a) => a.cidr.family === dst.family && a.cidr.value === dst.value));
  }
  /** The interface a next hop is reached through: an up interface with a subnet containing it. */
  const onLink = (ns: NsKey, hop: IpAddr, dev?: string) =>
    (byNs.get(ns) ?? []).find(
      (i) => i.carrier && (dev === undefined || i.name === dev) && i.addresses.some((a) => contains(a.cidr, hop)),
    );
  function lookup(ns: NsKey, dst: IpAddr): { iface: Iface; hop: IpAddr } | undefined {
    budget -= (byNs.get(ns)?.length ?? 0) + (routes.get(ns)?.length ?? 0) * 2;
    if (budget < 0) return undefined;
    let best: { iface: Iface; hop: IpAddr; prefix: number; metric: number } | undefined;
    const offer = (iface: Iface | undefined, hop: IpAddr, prefix: number, metric: number) => {
      if (iface && (!best || prefix > best.prefix || (prefix === best.prefix && metric < best.metric)))
        best = { iface, hop, prefix, metric };
    };
    for (const i of byNs.get(ns) ?? [])
      if (i.carrier) for (const a of i.addresses) if (contains(a.cidr, dst)) offer(i, dst, a.cidr.prefix, 0);
    for (const r of routes.get(ns) ?? []) {
      if (!contains(r.to, dst)) continue;
      if (r.via) offer(onLink(ns, r.via, r.dev), r.via, r.to.prefix, r.metric);
      else if (r.dev)
        offer(
          (byNs.get(ns) ?? []).find((i) => i.carrier && i.name === r.dev),
          dst,
          r.to.prefix,
          r.metric,
        );
    }
    return best;
  }
  /** Where a packet from `from` to `dst` ends up, and the interface it first left by. */
  function trace(from: NsKey, dst: IpAddr): { at?: NsKey; first?: Iface } {
    let first: Iface | undefined;
    let at = from;
    for (let hop = 0; hop < 32; hop++) {
      if (isLocal(at, dst)) return { at, ...(first ? { first } : {}) };
      if (hop > 0 && at !== ROOT && !nodes.get(at)?.node.forwarding) return {};
      const next = lookup(at, dst);
      if (!next) return {};
      first ??= next.iface;
      const peer = owner.get(`${next.iface.segment}|${addrKey(next.hop)}`) ?? peerFor(next.iface, next.hop);
      if (!peer || peer.ns === undefined || !peer.carrier || peer === next.iface) return {};
      at = peer.ns;
    }
    return {};
  }
  function reaches(a: NsKey, b: NsKey): boolean {
    const targets = (byNs.get(b) ?? []).flatMap((i) => i.addresses).slice(0, 8);
    for (const t of targets) {
      const there = trace(a, t.cidr);
      if (there.at !== b) continue;
      const source =
        there.first?.addresses.find((x) => x.cidr.family === t.cidr.family) ??
        (byNs.get(a) ?? []).flatMap((i) => i.addresses).find((x) => x.cidr.family === t.cidr.family);
      if (source && trace(b, source.cidr).at === a) return true;
    }
    return false;
  }
  for (const a of participants) {
    const unreachable = participants.filter((b) => b !== a && !reaches(a, b));
    // Out of budget: the answers are no longer trustworthy, and a hint is not worth a slow editor.
    if (budget < 0) return;
    if (unreachable.length === 0) continue;
    const { node, index } = nodes.get(a)!;
    const names = unreachable.map((b) => `"${nodes.get(b)!.node.name}"`);
    report(
      ['nodes', index],
      'Unreachable',
      `namespace "${node.name}" cannot reach ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}: ` +
        'no shared network and no route leads there and back (a ping needs its reply). Connect them, or add routes and forwarding',
      node.id,
      'warning',
    );
  }
}

/**
 * WireGuard interfaces as one segment per set of lab interfaces that list each other (the tunnel: a hub
 * with several peers is one segment), by `${i}/${k}`, with how many mutual peers each has (none: no
 * carrier, nothing crosses). Whether the handshake crosses the underlay is not simulated (validate's
 * WireGuard rules check endpoints and ports).
 */
function wireguardTunnels(lab: Lab): Map<string, { segment: string; mutual: number }> {
  const all = wireguardInterfaces(lab);
  const out = new Map<string, { segment: string; mutual: number }>();
  if (all.size === 0) return out;
  const tunnels = new UnionFind();
  const mutualOf = new Map<WireguardAt, number>();
  for (const at of all.values()) {
    const mine = wireguardKey(at.node.id, at.x.name);
    let n = 0;
    for (const p of at.x.peers) {
      const r = resolvePeer(lab, all, p);
      if (!r.ok || !r.at.x.peers.some((q) => q.node === at.node.id && q.interface === at.x.name)) continue;
      tunnels.union(mine, wireguardKey(r.at.node.id, r.at.x.name));
      n++;
    }
    mutualOf.set(at, n);
  }
  for (const at of all.values())
    out.set(`${at.i}/${at.k}`, {
      segment: `WG:${tunnels.find(wireguardKey(at.node.id, at.x.name))}`,
      mutual: mutualOf.get(at) ?? 0,
    });
  return out;
}

/** Cryptokey routing for the reachability simulation: the peer whose allowed IPs (at the sending end) hold the destination. */
function wireguardPeerFor(lab: Lab, ifaces: Iface[]): (from: Iface, dst: IpAddr) => Iface | undefined {
  const all = wireguardInterfaces(lab);
  if (all.size === 0) return () => undefined;
  const byAt = new Map<string, Iface>();
  for (const f of ifaces) if (f.at) byAt.set(`${f.at.i}/${f.at.k}`, f);
  const atOf = new Map<Iface, WireguardAt>();
  for (const at of all.values()) {
    const f = byAt.get(`${at.i}/${at.k}`);
    if (f) atOf.set(f, at);
  }
  return (from, dst) => {
    const at = atOf.get(from);
    if (!at) return undefined;
    for (const p of at.x.peers) {
      if (
        !p.allowedIps.some((t) => {
          const c = parseCidr(t);
          return c !== null && contains(c, dst);
        })
      )
        continue;
      const r = resolvePeer(lab, all, p);
      return r.ok ? byAt.get(`${r.at.i}/${r.at.k}`) : undefined;
    }
    return undefined;
  };
}

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
 * - attached interfaces: DuplicateInterfaceName NotABridge VxlanNeedsRemoteOrGroup VxlanGroupNotMulticast
 *   VxlanGroupNeedsDev UnknownDevice DuplicateVni; VXLAN pairs (tunnels.ts): VxlanVniMismatch(w) VxlanPortMismatch(w)
 *   VxlanRemoteNoTunnel(w)
 * - bridge VLANs: VlanNeedsFilteringBridge DuplicateVlan
 * - format version (migrate.ts): VersionTooNew VersionUnknown MigrationFailed
 * - WireGuard: see wireguard.ts
 * - hints: Unreachable(w) · fallbacks: TooManyIssues Unreadable InvalidAddress          (w) = warning
 */
import type { Issue } from './errors';
import { type BridgeNode, Lab, type NamespaceNode, type Route, type VethLink } from './lab';
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
import { checkVxlanTunnels, vxlanTunnels } from './tunnels';
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

/** An interface as the kernel will see it: a veth end or a bridge device. */
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

function crossReferenceIssues(lab: Lab, opts: ValidateOptions = {}): Issue[] {
  const issues: Issue[] = [];
  const report = (
    path: Path,
    code: string,
    message: string,
    object: string | undefined,
    severity: Issue['severity'] = 'error',
  ) => {
    issues.push({ path, message, severity, code, ...(object === undefined ? {} : { object }) });
  };

  // Ids: unique across nodes and links. Later duplicates are ignored as reference targets.
  const firstById = new Map<string, { path: Path }>();
  const nodeById = new Map<string, { index: number; node: Lab['nodes'][number] }>();
  lab.nodes.forEach((node, i) => {
    const seen = firstById.get(node.id);
    if (seen) {
      report(
        ['nodes', i, 'id'],
        'DuplicateId',
        `id "${node.id}" is already used by ${describePath(seen.path)}`,
        node.id,
      );
      return;
    }
    firstById.set(node.id, { path: ['nodes', i] });
    nodeById.set(node.id, { index: i, node });
  });
  lab.links.forEach((link, j) => {
    const seen = firstById.get(link.id);
    if (seen) {
      report(
        ['links', j, 'id'],
        'DuplicateId',
        `id "${link.id}" is already used by ${describePath(seen.path)}`,
        link.id,
      );
      return;
    }
    firstById.set(link.id, { path: ['links', j] });
  });

  // Nodes: one host at most, unique namespace names, bridges in existing namespaces.
  let hostSeen = false;
  const nsByName = new Map<string, NamespaceNode>();
  const bridgeNs = new Map<number, NsKey | undefined>();
  const nsLabel = (ns: NsKey): string =>
    ns === ROOT
      ? 'the root namespace (host)'
      : `namespace "${(nodeById.get(ns)?.node as NamespaceNode | undefined)?.name ?? ns}"`;
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
      bridgeNs.set(i, bridgeNamespace(node, i));
    }
  });

  function bridgeNamespace(bridge: BridgeNode, i: number): NsKey | undefined {
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

  /** The schema accepted these texts; net.ts must read them too (a disagreement is reported, not thrown). */
  function addresses(texts: string[], path: Path, object: string): Address[] {
    const out: Address[] = [];
    texts.forEach((text, k) => {
      const cidr = parseCidr(text);
      if (cidr) out.push({ text, cidr, key: addrKey(cidr), path: [...path, k] });
      else report([...path, k], 'InvalidAddress', `${quoteName(text)} is not an address Netloom can read`, object);
    });
    return out;
  }

  // Interfaces: bridges, then veth ends; each in a namespace and on an L2 segment.
  const segments = new UnionFind();
  const ifaces: Iface[] = [];
  const bridgeIface = new Map<number, Iface>();
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'bridge') return;
    const iface: Iface = {
      key: `B${i}`,
      name: node.name,
      ns: bridgeNs.get(i),
      path: ['nodes', i, 'name'],
      object: node.id,
      what: `bridge ${node.name}`,
      up: true,
      carrier: true,
      addresses: addresses(node.addresses, ['nodes', i, 'addresses'], node.id),
      segment: `B${i}`,
    };
    ifaces.push(iface);
    bridgeIface.set(i, iface);
  });

  const ports = new Map<number, number>();
  const bridgeLoops = new UnionFind();
  const loopLinks: { j: number; link: VethLink; bridges: [number, number] }[] = [];
  const selfLoops = new Set<string>();
  lab.links.forEach((link, j) => {
    const [a, b] = link.endpoints;
    if (a.node === b.node && a.ifname === b.ifname) {
      report(
        ['links', j, 'endpoints', 1, 'ifname'],
        'VethSelfLoop',
        `both ends of veth "${link.id}" are ${a.ifname} on the same node: a veth needs two distinct interfaces`,
        `${link.id}#1`,
      );
      selfLoops.add(`${j}#1`);
    }
    const onBridge: (number | undefined)[] = [];
    link.endpoints.forEach((ep, e) => {
      const target = nodeById.get(ep.node);
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
        ns = bridgeNs.get(target.index);
        ports.set(target.index, (ports.get(target.index) ?? 0) + 1);
        segments.union(`L${j}`, `B${target.index}`);
      }
      onBridge.push(bridgeIndex);
      ifaces.push({
        key: `L${j}#${e}`,
        name: ep.ifname,
        ns,
        path: [...epPath, 'ifname'],
        object,
        what: `${ep.ifname} (veth "${link.id}")`,
        up: ep.up,
        carrier: ep.up && link.endpoints[1 - e]!.up,
        addresses: addresses(ep.addresses, [...epPath, 'addresses'], object),
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
    });
    const [ba, bb] = onBridge;
    if (ba !== undefined && bb !== undefined && !bridgeLoops.union(`B${ba}`, `B${bb}`))
      loopLinks.push({ j, link, bridges: [ba, bb] });
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
  });
  for (const iface of ifaces) iface.segment = segments.find(iface.segment);

  // Bridge ports: the kernel limit, and loops between bridges (a broadcast storm without STP).
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
  if (loopLinks.length > 0) {
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

  // Interface names: unique per namespace, `lo` is taken.
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
  checkAttached(lab, report);
  checkVxlanTunnels(lab, report);
  checkWireguard(lab, report);
  checkBridgeVlans(lab, report);
  checkMacs(lab, segments, report);
  checkRoutes(lab, withAttached(lab, ifaces), report, nsLabel);
  checkReachability(lab, ifaces, report);
  return issues;
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

/** Interfaces attached to namespace nodes (vxlan, tap, vlan, macvlan): names, bridges, tunnel endpoints, VNIs. */
function checkAttached(lab: Lab, report: Report): void {
  if (!lab.nodes.some((node) => node.kind === 'namespace' && node.interfaces?.length)) return;
  // Indexed once: names of bridges and veth ends by the node id they are in, nodes by id (the first wins).
  const namesIn = new Map<string, string[]>();
  const nameIn = (id: string, name: string) => {
    const list = namesIn.get(id);
    if (list) list.push(name);
    else namesIn.set(id, [name]);
  };
  for (const b of lab.nodes) if (b.kind === 'bridge' && b.namespace !== undefined) nameIn(b.namespace, b.name);
  for (const l of lab.links) for (const e of l.endpoints) nameIn(e.node, e.ifname);
  const nodeById = new Map<string, Lab['nodes'][number]>();
  for (const n of lab.nodes) if (!nodeById.has(n.id)) nodeById.set(n.id, n);
  lab.nodes.forEach((node, i) => {
    if (node.kind !== 'namespace' || !node.interfaces?.length) return;
    const taken = new Set<string>(['lo', ...(namesIn.get(node.id) ?? [])]);
    const own = new Set(node.interfaces.map((x) => x.name));
    // The kernel keys VXLAN devices of one namespace by VNI, UDP port and address family (not by local
    // address): a second one with the same key is refused ("VNI already exists").
    const vnis = new Map<string, string>();
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
      if (taken.has(x.name))
        report(
          [...at, 'name'],
          'DuplicateInterfaceName',
          `namespace "${node.name}" already has an interface called ${x.name}`,
          node.id,
        );
      taken.add(x.name);
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
      }
      if (x.kind === 'vlan' && !taken.has(x.parent) && !own.has(x.parent))
        report(
          [...at, 'parent'],
          'UnknownDevice',
          `namespace "${node.name}" has no interface ${x.parent} to carry VLAN ${x.vlanId}`,
          node.id,
        );
    });
  });
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

/**
 * The veth/bridge interfaces plus the namespaces' attached interfaces (their addresses are connected subnets
 * too: a route may go via the far end of a VXLAN overlay). The two ends of a VXLAN tunnel whose VNI and port
 * agree share one segment, so a gateway at the far end is found on it (shared/tunnels.ts).
 */
function withAttached(lab: Lab, ifaces: Iface[]): Iface[] {
  if (!lab.nodes.some((n) => n.kind === 'namespace' && n.interfaces?.length)) return ifaces;
  const segmentOf = new Map<string, string>();
  for (const t of vxlanTunnels(lab).tunnels)
    if (t.ok) {
      segmentOf.set(t.a.key, t.id);
      segmentOf.set(t.b.key, t.id);
    }
  const out = [...ifaces];
  lab.nodes.forEach((n, i) => {
    if (n.kind !== 'namespace') return;
    (n.interfaces ?? []).forEach((x, k) => {
      if (x.bridge !== undefined) return; // a bridge port: L2 only
      const path: Path = ['nodes', i, 'interfaces', k, 'addresses'];
      const addresses: Address[] = [];
      x.addresses.forEach((text, j) => {
        const cidr = parseCidr(text);
        if (cidr) addresses.push({ text, cidr, key: addrKey(cidr), path: [...path, j] });
      });
      const key = `${n.id}/${x.name}`;
      out.push({
        key,
        name: x.name,
        ns: n.id,
        path: ['nodes', i, 'interfaces', k, 'name'],
        object: n.id,
        what: `${x.name} (${x.kind})`,
        up: true,
        carrier: true,
        addresses,
        segment: segmentOf.get(key) ?? `attached:${key}`,
      });
    });
  });
  return out;
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
function checkReachability(lab: Lab, veths: Iface[], report: Report): void {
  if (veths.length > MAX_REACHABILITY_INTERFACES) return;
  const wg = wireguardIfaces(lab);
  const ifaces = [...veths, ...wg.ifaces];
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
      const peer = owner.get(`${next.iface.segment}|${addrKey(next.hop)}`) ?? wg.peerFor(next.iface, next.hop);
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
 * WireGuard interfaces as the reachability simulation sees them: each pair of lab interfaces that list each
 * other is one point-to-point segment (the tunnel), carrying whatever its routes send into it. Whether the
 * handshake crosses the underlay is not simulated (validate's WireGuard rules check endpoints and ports).
 */
function wireguardIfaces(lab: Lab): { ifaces: Iface[]; peerFor: (from: Iface, dst: IpAddr) => Iface | undefined } {
  const all = wireguardInterfaces(lab);
  const out: Iface[] = [];
  const byAt = new Map<WireguardAt, Iface>();
  // Every pair of interfaces that list each other is joined: a hub with several peers is one segment.
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
  for (const at of all.values()) {
    const segment = tunnels.find(wireguardKey(at.node.id, at.x.name));
    const addrs: Address[] = [];
    at.x.addresses.forEach((text, k) => {
      const cidr = parseCidr(text);
      if (cidr)
        addrs.push({ text, cidr, key: addrKey(cidr), path: ['nodes', at.i, 'interfaces', at.k, 'addresses', k] });
    });
    out.push({
      key: `W${at.i}/${at.k}`,
      name: at.x.name,
      ns: at.node.id,
      path: ['nodes', at.i, 'interfaces', at.k, 'name'],
      object: at.node.id,
      what: `${at.x.name} (WireGuard)`,
      up: true,
      carrier: (mutualOf.get(at) ?? 0) > 0,
      addresses: addrs,
      segment: `WG:${segment}`,
    });
    byAt.set(at, out[out.length - 1]!);
  }
  const atOf = new Map([...byAt].map(([at, iface]) => [iface, at] as const));
  /** Cryptokey routing: the peer whose allowed IPs (at the sending end) hold the destination. */
  const peerFor = (from: Iface, dst: IpAddr): Iface | undefined => {
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
      return r.ok ? byAt.get(r.at) : undefined;
    }
    return undefined;
  };
  return { ifaces: out, peerFor };
}

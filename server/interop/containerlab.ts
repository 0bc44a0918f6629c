/**
 * containerlab topology (.clab.yml) → Netloom lab + layout + report, in containerlab's own order: refuse
 * Go templates, substitute environment variables, read strict YAML, resolve every node through the
 * inheritance chain defaults → kinds → groups → node, map nodes and links (brief and extended forms), then
 * run each node's exec lines through the shell and iproute2 readers. Pure: no I/O, no process.env.
 */
import type { ImportReport, Lab, Layout } from '../../shared';
import { formatCidr, parseCidr } from '../../shared/net';
import { envsubst } from './envsubst';
import { checkSize, ImportRefused } from './errors';
import { HOST_ATTACHED, hostAttachedWords, isHostAttachedEnd, isHostAttachedLink } from './hostAttached';
import { readCommand } from './iproute2';
import { kernelIfname, Model, type ModelIface, type ModelNode, type Space } from './model';
import { repairLab } from './repair';
import { type Item, Reporter } from './report';
import { execCommands } from './shell';
import { parseClabYaml } from './yaml';

export interface ImportOptions {
  /** Shown in the report. */
  filename?: string;
  /** Values for `${VAR}` (containerlab reads the environment; the caller decides which one). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Lab name to use instead of the file's. */
  name?: string;
}

export interface ImportResult {
  lab: Lab;
  layout?: Layout;
  report: ImportReport;
}

/** containerlab's default veth MTU (links/link.go DefaultLinkMTU). */
export const CLAB_DEFAULT_MTU = 9500;
/** containerlab's default VXLAN UDP port (links/link_vxlan.go). */
export const CLAB_VXLAN_PORT = 14789;

type Def = Record<string, unknown>;
const isMap = (v: unknown): v is Def => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Node fields containerlab knows that have no place in a Netloom lab (named in the report, not refused). */
const NODE_FIELDS = new Set([
  'kind',
  'group',
  'type',
  'image',
  'image-pull-policy',
  'restart-policy',
  'license',
  'position',
  'entrypoint',
  'cmd',
  'subject',
  'exec',
  'binds',
  'ports',
  'user',
  'env',
  'env-files',
  'labels',
  'startup-config',
  'startup-delay',
  'enforce-startup-config',
  'suppress-startup-config',
  'auto-remove',
  'mgmt-ipv4',
  'mgmt-ipv6',
  'mgmt-net',
  'network-mode',
  'runtime',
  'cpu',
  'cpu-set',
  'memory',
  'shm-size',
  'sysctls',
  'sandbox',
  'kernel',
  'extras',
  'config',
  'wait-for',
  'publish',
  'dns',
  'certificate',
  'healthcheck',
  'aliases',
  'devices',
  'cap-add',
  'stages',
  'components',
  'SANs',
  'save-config',
  'mac',
  'mgmt-mac',
  'ipv4',
  'ipv6',
  'interfaces',
]);
const TOP_FIELDS = new Set(['name', 'prefix', 'mgmt', 'topology', 'settings', 'debug']);

interface Resolved {
  name: string;
  def: Def;
  kind: string | undefined;
  group: string | undefined;
  get(field: string): unknown;
  exec: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
}

export function importContainerlab(text: string, opts: ImportOptions = {}): ImportResult {
  checkSize(text);
  const source = opts.filename ?? '-';
  const tmpl = text.indexOf('{{');
  if (tmpl >= 0) {
    const line = text.slice(0, tmpl).split('\n').length;
    const snippet = text.slice(tmpl, text.indexOf('}}', tmpl) + 2 || tmpl + 20).slice(0, 60);
    throw new ImportRefused(
      'unsupported',
      'go-template',
      `"${snippet}" is a Go template action: containerlab renders such topologies (with their _vars file) before reading them — render it first and import the result`,
      line,
    );
  }
  const report = new Reporter();
  const { text: substituted, substitutions } = envsubst(text, opts.env ?? {});
  const envItem = report.lab('environment variables');
  for (const s of substitutions) {
    if (s.how === 'default')
      envItem.info(`\${${s.variable}} → "${s.value}" (the default in the file; ${s.variable} is not set)`);
    else if (s.how === 'environment') envItem.info(`\${${s.variable}} → "${s.value}"`);
    else envItem.info(`$${s.variable} is not set and has no default: left as written (as containerlab does)`);
  }

  const doc = parseClabYaml(substituted);
  if (!isMap(doc) || !isMap(doc.topology))
    throw new ImportRefused(
      'unsupported',
      'not-containerlab',
      'not a containerlab topology: it has no "topology" mapping',
    );
  const topo = doc.topology;
  const fileItem = report.lab('file');
  for (const k of Object.keys(doc))
    if (!TOP_FIELDS.has(k)) fileItem.dropped(`top-level "${k}" is not a containerlab field`);
  for (const k of Object.keys(topo))
    if (!['nodes', 'links', 'kinds', 'defaults', 'groups'].includes(k))
      fileItem.dropped(`topology.${k} is not a containerlab field`);
  if (topo.nodes !== undefined && topo.nodes !== null && !isMap(topo.nodes))
    throw new ImportRefused('syntax', 'nodes', 'topology.nodes must be a mapping of node names to definitions');
  const rawNodes = (isMap(topo.nodes) ? topo.nodes : {}) as Record<string, unknown>;
  const defaults = isMap(topo.defaults) ? topo.defaults : {};
  const kinds = isMap(topo.kinds) ? topo.kinds : {};
  const groups = isMap(topo.groups) ? topo.groups : {};

  const fileName = str(doc.name) ?? '';
  const labName = opts.name ?? labNameOf(fileName || source.replace(/\.clab\.ya?ml$|\.ya?ml$/, ''));
  if (!opts.name && labName !== fileName)
    fileItem.info(`lab named "${labName}" (lab names are lowercase letters, digits and "-", at most 32)`);
  const model = new Model(report);

  // ── nodes, through the inheritance chain ──
  const resolved = new Map<string, Resolved>();
  for (const [name, raw] of Object.entries(rawNodes)) {
    if (raw !== null && raw !== undefined && !isMap(raw)) {
      report.add('node', name).drop('its definition is not a mapping');
      continue;
    }
    resolved.set(name, resolve(name, (raw ?? {}) as Def, defaults, kinds, groups));
  }
  const byName = new Map<string, ModelNode>();
  const itemByName = new Map<string, Item>();
  const labItems = {
    images: report.lab('images'),
    startup: report.lab('startup-configs'),
    placeholders: report.lab('router-OS and other kinds'),
    mgmt: report.lab('management network'),
    mtu: report.lab('link MTU'),
  };
  const images = new Map<string, number>();
  const layout: Layout = { version: 1, positions: {}, notes: [] };

  const visiting = new Set<string>();
  const build = (name: string): ModelNode | undefined => {
    const done = byName.get(name);
    if (done) return done;
    const r = resolved.get(name);
    if (!r) return undefined;
    if (visiting.has(name)) return undefined;
    visiting.add(name);
    const item = itemByName.get(name) ?? report.add('node', name);
    itemByName.set(name, item);
    const node = mapNode(r, item);
    visiting.delete(name);
    if (node) byName.set(name, node);
    return node;
  };

  const mapNode = (r: Resolved, item: Item): ModelNode | undefined => {
    const kind = (r.kind ?? '').toLowerCase();
    const netMode = str(r.get('network-mode')) ?? '';
    const labelId = r.labels['netloom.id'];
    const description = r.labels['netloom.description'];
    noteIgnored(r, item, labItems, images);
    const x = Number(r.labels['graph-posX']);
    const y = Number(r.labels['graph-posY']);
    const place = (n: ModelNode) => {
      if (Number.isFinite(x) && Number.isFinite(y) && r.labels['graph-posX'] !== undefined)
        layout.positions[n.id] = { x, y };
      if (description) n.description = description;
      return n;
    };
    let shared: ModelNode | undefined;
    if (netMode.startsWith('container:')) {
      const other = netMode.slice('container:'.length);
      shared = other === r.name ? undefined : build(other);
      if (!shared)
        item.approximated(
          `network-mode ${netMode}: "${other}" is not a node of this file (an outside container), so it gets a namespace of its own`,
        );
      else if (shared.kind === 'bridge') {
        item.approximated(`network-mode ${netMode} names a bridge; it gets a namespace of its own`);
        shared = undefined;
      }
    }
    if (kind === 'bridge' || kind === 'ovs-bridge') {
      const brName = r.labels['netloom.name'] ?? (r.name.includes('|') ? r.name.slice(0, r.name.indexOf('|')) : r.name);
      if (kind === 'ovs-bridge')
        item.approximated(
          'an Open vSwitch bridge becomes a Linux bridge (same L2 switching; no OpenFlow, no OVS options)',
        );
      if (r.exec.length)
        for (const l of r.exec) item.dropped(`exec \`${l}\`: containerlab does not run exec on bridge nodes`);
      if (netMode === 'host' || (!shared && !netMode.startsWith('container:'))) {
        const n = model.bridge(
          r.name,
          brName,
          netMode === 'host' ? model.hostNode().space : model.rootSpace(),
          item,
          labelId,
        );
        if (!shared && !netMode.startsWith('container:'))
          item.info('containerlab expects this bridge to exist on the host already; Netloom creates (and removes) it');
        return place(n);
      }
      const space = shared ? shared.space : model.namespace(`${r.name}-ns`, item).space;
      const n = model.bridge(r.name, brName, space, item, labelId);
      item.target = n.id;
      return place(n);
    }
    if (kind === 'host') {
      if (r.labels['netloom.carrier'] === 'true') {
        // An exported lab without a host node: this node only carries root-namespace exec lines.
        item.info('carries settings of the root namespace (exported by Netloom)');
        return { id: '', kind: 'host', name: 'host', space: model.rootSpace(), item };
      }
      const h = model.hostNode(item, labelId);
      if (r.exec.length) item.info('exec lines of a host node run in the root namespace');
      return place(h);
    }
    if (netMode === 'host') {
      item.approximated('network-mode host: the node is the host itself (its links end in the root namespace)');
      return model.hostNode(item);
    }
    if (shared) {
      item.approximated(`shares the namespace of "${shared.item.source}" (network-mode ${netMode}): merged into it`);
      item.target = shared.id;
      return shared;
    }
    const placeholder = !(kind === 'linux' || kind === 'ext-container');
    const n = model.namespace(r.labels['netloom.name'] ?? r.name, item, labelId);
    if (kind === 'ext-container')
      item.info(
        'an external container: a namespace stands in for it (Netloom creates it; containerlab would attach to it)',
      );
    if (placeholder) {
      n.placeholder = true;
      const what = kind ? `kind "${r.kind}"` : 'no kind (containerlab refuses a node without one)';
      item.approximated(
        `placeholder: ${what} runs its own OS, which a namespace cannot; the namespace keeps its interfaces and link addresses, not its configuration`,
      );
      labItems.placeholders.approximated(`${r.name}: ${kind || 'no kind'} → placeholder namespace`);
    }
    return place(n);
  };

  for (const name of resolved.keys()) build(name);

  // ── links ──
  const links = topo.links;
  if (links !== undefined && links !== null && !Array.isArray(links))
    throw new ImportRefused('syntax', 'links', 'topology.links must be a list');
  let defaultMtuUsed = 0;
  let mgmt: { space: Space; bridge: string } | undefined;
  const mgmtPlaceholder = (): { space: Space; bridge: string } => {
    if (mgmt) return mgmt;
    const net = isMap(doc.mgmt) ? (str(doc.mgmt.network) ?? 'clab') : 'clab';
    const it = report.add('node', `mgmt (${net})`);
    const ns = model.namespace('mgmt', it);
    ns.placeholder = true;
    it.approximated(
      `placeholder for containerlab's management network "${net}": a namespace with a bridge that the mgmt-net links join (no Docker network, no addresses)`,
    );
    const br = model.bridge('mgmt-br', 'mgmt0', ns.space, report.add('node', 'mgmt bridge'));
    mgmt = { space: ns.space, bridge: br.name };
    return mgmt;
  };

  (Array.isArray(links) ? links : []).forEach((raw, index) => {
    const label = describeLink(raw, index);
    const item = report.add('link', label);
    if (!isMap(raw)) {
      item.drop('a link must be a mapping');
      return;
    }
    const type = (str(raw.type) ?? 'brief').trim().toLowerCase();
    const common = raw;
    const mtuOf = (epMtu?: unknown): number | undefined => {
      const m = Number(epMtu ?? common.mtu ?? Number.NaN);
      if (Number.isFinite(m)) {
        if (m < 68 || m > 65535 || !Number.isInteger(m)) {
          item.dropped(`mtu ${m} is out of range`);
          return undefined;
        }
        return m === 1500 ? undefined : m;
      }
      defaultMtuUsed++;
      return CLAB_DEFAULT_MTU;
    };
    const labelsOf = isMap(common.labels) ? (common.labels as Record<string, unknown>) : {};
    const linkId = str(labelsOf['netloom.id']);
    const description = str(labelsOf['netloom.description']);
    interface End {
      node: string;
      iface: string;
      mac?: unknown;
      ipv4?: unknown;
      ipv6?: unknown;
      mtu?: unknown;
    }
    const endOf = (v: unknown): End | null => {
      if (typeof v === 'string') {
        const i = v.indexOf(':');
        if (i < 0) return null;
        return { node: v.slice(0, i), iface: v.slice(i + 1) };
      }
      if (isMap(v) && str(v.node) !== undefined) {
        return {
          node: str(v.node)!,
          iface: str(v.interface) ?? '',
          mac: v.mac,
          ipv4: v.ipv4,
          ipv6: v.ipv6,
          mtu: v.mtu,
        };
      }
      return null;
    };
    /** Where an end lives: a node's space, as a port of a bridge when the node is one. */
    const placeOf = (e: End): { space: Space; master?: string; node: ModelNode } | string => {
      if (e.node === 'host') return { space: model.hostNode().space, node: model.hostNode() };
      if (byName.get(e.node)?.id === '') return `"${e.node}" only carries settings; link "host:${e.iface}" instead`;
      const n = byName.get(e.node);
      if (!n) return `"${e.node}" is not a node of this file`;
      if (n.kind === 'bridge') return { space: n.space, master: n.name, node: n };
      return { space: n.space, node: n };
    };
    const applyEnd = (end: End, f: ModelIface, ownMtu: number | undefined) => {
      if (ownMtu !== undefined) f.mtu = ownMtu;
      if (end.mac !== undefined && end.mac !== '') {
        const mac = str(end.mac)!.toLowerCase();
        if (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) f.mac = mac;
        else item.dropped(`mac "${str(end.mac)}" is not a MAC address`);
      }
      for (const v of [end.ipv4, end.ipv6]) addAddress(f, v, item);
    };

    if (type === 'brief' || type === 'veth') {
      const eps = raw.endpoints;
      if (!Array.isArray(eps) || eps.length !== 2) {
        item.drop(
          '"endpoints" must list exactly two ends (containerlab: "endpoint definition should consist of exactly 2 entries")',
        );
        return;
      }
      const ends = eps.map(endOf);
      if (ends.some((e) => e === null || !e.iface)) {
        item.drop('an endpoint is not "node:interface" (containerlab refuses it)');
        return;
      }
      const [a, b] = ends as End[];
      if (type === 'brief') {
        const v4 = Array.isArray(common.ipv4) ? common.ipv4 : [];
        const v6 = Array.isArray(common.ipv6) ? common.ipv6 : [];
        a!.ipv4 = v4[0];
        b!.ipv4 = v4[1];
        a!.ipv6 = v6[0];
        b!.ipv6 = v6[1];
        // Brief special ends: the host-attached kind's (hostAttached.ts), mgmt-net:IF, host:IF.
        for (const [special, other] of [
          [a!, b!],
          [b!, a!],
        ] as const) {
          if (isHostAttachedEnd(special.node)) {
            hostAttached(other, special.iface, 'bridge');
            return;
          }
          if (special.node === 'mgmt-net') {
            mgmtNet(other, special.iface);
            return;
          }
        }
      }
      if (common.impairment !== undefined)
        item.approximated('"impairment" (a helper bridge node) is not imported; add an impairment on an end instead');
      const pa = placeOf(a!);
      const pb = placeOf(b!);
      if (typeof pa === 'string' || typeof pb === 'string') {
        item.drop(typeof pa === 'string' ? pa : (pb as string));
        return;
      }
      if (pa.node.kind === 'bridge' && pb.node.kind === 'bridge' && pa.node === pb.node && a!.iface === b!.iface) {
        item.drop('both ends are the same port');
        return;
      }
      const link = model.veth(
        { space: pa.space, name: a!.iface, node: pa.node },
        { space: pb.space, name: b!.iface, node: pb.node },
        item,
        linkId,
      );
      if (description) link.description = description;
      if (pa.master) link.ends[0].iface.master = pa.master;
      if (pb.master) link.ends[1].iface.master = pb.master;
      applyEnd(a!, link.ends[0].iface, mtuOf(a!.mtu));
      applyEnd(b!, link.ends[1].iface, mtuOf(b!.mtu));
      if (a!.node === 'host' || b!.node === 'host') item.info("one end is in the host's root namespace");
      return;
    }
    const single = endOf(raw.endpoint);
    if (!single?.iface) {
      item.drop(`a "${type}" link needs "endpoint: {node, interface}"`);
      return;
    }
    if (isHostAttachedLink(type)) {
      hostAttached(single, str(raw['host-interface']) ?? '', str(raw.mode) ?? 'bridge');
      return;
    }
    switch (type) {
      case 'host': {
        const hostIf = str(raw['host-interface']);
        if (!hostIf) {
          item.drop('a host link needs "host-interface"');
          return;
        }
        const p = placeOf(single);
        if (typeof p === 'string') {
          item.drop(p);
          return;
        }
        const link = model.veth(
          { space: p.space, name: single.iface },
          { space: model.hostNode().space, name: hostIf },
          item,
          linkId,
        );
        if (p.master) link.ends[0].iface.master = p.master;
        applyEnd(single, link.ends[0].iface, mtuOf(single.mtu));
        const m = mtuOf();
        if (m !== undefined) link.ends[1].iface.mtu = m;
        else if (link.ends[0].iface.mtu === undefined) delete link.ends[1].iface.mtu;
        return;
      }
      case 'mgmt-net': {
        const hostIf = str(raw['host-interface']);
        if (!hostIf) {
          item.drop('a mgmt-net link needs "host-interface"');
          return;
        }
        mgmtNet(single, hostIf);
        return;
      }
      case 'vxlan':
      case 'vxlan-stitch': {
        const p = placeOf(single);
        if (typeof p === 'string') {
          item.drop(p);
          return;
        }
        if (p.node.kind !== 'namespace') {
          item.drop(`a VXLAN end must be on a namespace node; "${single.node}" is a ${p.node.kind}`);
          return;
        }
        const remote = str(raw.remote) ?? '';
        const vni = Number(raw.vni);
        const port = Number(raw['dst-port'] ?? raw['udp-port'] ?? CLAB_VXLAN_PORT);
        const rip = parseCidr(`${remote}/32`);
        if (!rip) {
          item.drop(
            `remote "${remote}" is not an IPv4 address (host names and IPv6 underlays are not part of a Netloom lab)`,
          );
          return;
        }
        if (!Number.isInteger(vni) || vni < 1 || vni > 16777215) {
          item.drop(`vni "${String(raw.vni)}" is not 1 to 16777215`);
          return;
        }
        if (!Number.isInteger(port) || port < 1 || port > 65535) {
          item.drop(`UDP port "${String(port)}" is not 1 to 65535`);
          return;
        }
        const f = model.addIface(p.space, single.iface, 'vxlan', item);
        f.vxlan = { vni, remote, dstPort: port };
        item.target = p.node.id;
        // containerlab leaves a VXLAN's MTU to the kernel unless the link or its end sets one.
        const explicit = single.mtu ?? raw.mtu;
        if (explicit !== undefined) {
          const m = mtuOf(explicit);
          if (m !== undefined) f.mtu = m;
        }
        for (const v of [single.ipv4, single.ipv6]) addAddress(f, v, item);
        if (single.mac)
          item.dropped(`mac ${str(single.mac)}: a MAC address on a VXLAN interface is not part of a Netloom lab`);
        if (raw['parent-interface'])
          item.approximated(
            `parent-interface ${str(raw['parent-interface'])} not kept: the tunnel uses the namespace's own routes`,
          );
        if (raw['src-port']) item.dropped(`src-port ${str(raw['src-port'])} is not part of a Netloom lab`);
        item.approximated(
          type === 'vxlan'
            ? "the VXLAN interface sits in the node and sends its underlay from the node's own network (containerlab creates it on the host and moves it in, so the underlay is the host's)"
            : 'vxlan-stitch (a veth to the host tc-redirected into a host VXLAN) becomes one VXLAN interface in the node: the same L2 segment, without the host-side pair',
        );
        return;
      }
      case 'dummy': {
        const p = placeOf(single);
        if (typeof p === 'string') {
          item.drop(p);
          return;
        }
        if (p.node.kind !== 'namespace') {
          item.drop('a dummy interface must be on a namespace node');
          return;
        }
        const f = model.addIface(p.space, single.iface, 'tap', item);
        item.target = p.node.id;
        for (const v of [single.ipv4, single.ipv6]) addAddress(f, v, item);
        item.approximated(
          'a dummy interface becomes a TAP device (the lab has no dummy kind, and this kernel lacks it; a TAP without a program has no carrier)',
        );
        return;
      }
      default: {
        item.drop(`link type "${type}" is not one containerlab defines`);
        return;
      }
    }

    /** An interface on one of the host's interfaces (`parent`): hostAttached.ts says what and how. */
    function hostAttached(end: End, parent: string, mode: string): void {
      const p = placeOf(end);
      if (typeof p === 'string') {
        item.drop(p);
        return;
      }
      if (p.node.kind !== 'namespace') {
        item.drop(hostAttachedWords.notOnNamespace(end.node, p.node.kind));
        return;
      }
      const par = kernelIfname(parent);
      if (!parent || par !== parent) {
        item.drop(hostAttachedWords.badParent(parent));
        return;
      }
      const f = model.addIface(p.space, end.iface, HOST_ATTACHED, item);
      f.parent = parent;
      item.target = p.node.id;
      for (const v of [end.ipv4, end.ipv6]) addAddress(f, v, item);
      const approx = hostAttachedWords.mode(mode);
      if (approx) item.approximated(approx);
      if (end.mac) item.dropped(hostAttachedWords.mac(str(end.mac)));
      item.info(hostAttachedWords.parentNeeded(parent));
    }
    function mgmtNet(end: End, hostIf: string): void {
      const p = placeOf(end);
      if (typeof p === 'string') {
        item.drop(p);
        return;
      }
      const m = mgmtPlaceholder();
      const link = model.veth({ space: p.space, name: end.iface }, { space: m.space, name: hostIf }, item, linkId);
      if (p.master) link.ends[0].iface.master = p.master;
      link.ends[1].iface.master = m.bridge;
      const mtu = mtuOf(end.mtu);
      applyEnd(end, link.ends[0].iface, mtu);
      if (mtu !== undefined) link.ends[1].iface.mtu = mtu;
      item.approximated('a link to the management network joins the placeholder "mgmt" bridge');
    }
  });
  if (images.size)
    labItems.images.approximated(
      `container images are not run (${[...images.keys()].slice(0, 6).join(', ')}${images.size > 6 ? ', …' : ''}): each node is a bare namespace with the host's programs`,
    );
  if (defaultMtuUsed > 0)
    labItems.mtu.info(`links without "mtu" get containerlab's default veth MTU ${CLAB_DEFAULT_MTU} on both ends`);

  // ── exec lines, in file order, each node in its space ──
  for (const r of resolved.values()) {
    const node = byName.get(r.name);
    const item = itemByName.get(r.name);
    if (!node || !item || r.exec.length === 0) continue;
    const kind = (r.kind ?? '').toLowerCase();
    if (kind === 'bridge' || kind === 'ovs-bridge') continue;
    for (const line of r.exec) runExec(model, node.space, line, r.env, item);
  }

  const lab0 = model.toLab(
    labName,
    fileName && fileName !== labName ? fileName : undefined,
    defaultsLabel(defaults, 'netloom.lab-description'),
  );
  const title = defaultsLabel(defaults, 'netloom.lab-title');
  if (title) (lab0 as { title?: string }).title = title;
  const items = new Map<string, Item>();
  for (const it of report.items) if (it.target && !items.has(it.target)) items.set(it.target, it);
  for (const n of model.nodes) items.set(n.id, n.item);
  for (const l of model.links) items.set(l.id, l.item);
  const lab = repairLab(lab0, (id) => items.get(id), fileItem);
  for (const id of Object.keys(layout.positions)) if (!lab.nodes.some((n) => n.id === id)) delete layout.positions[id];
  return {
    lab,
    ...(Object.keys(layout.positions).length ? { layout } : {}),
    report: report.build('containerlab', source, lab.name),
  };
}

function defaultsLabel(defaults: Def, key: string): string | undefined {
  return isMap(defaults.labels) ? str(defaults.labels[key]) : undefined;
}

/** One exec line: its commands, each read as iproute2 & co., applied to the node's space in order. */
export function runExec(model: Model, space: Space, line: string, env: Record<string, string>, item: Item): void {
  for (const piece of execCommands(line, env)) {
    if (piece.kind === 'skipped') {
      item.dropped(`exec \`${piece.text}\`: ${piece.why}`);
      continue;
    }
    const c = piece.command;
    const reading = readCommand(c.argv, c.stdoutTo);
    switch (reading.kind) {
      case 'effects':
        for (const e of reading.effects) model.apply(space, e, item, c.text);
        break;
      case 'readonly':
        item.info(`exec \`${c.text}\`: changes nothing`);
        break;
      case 'foreign':
        item.dropped(
          `exec \`${c.text}\`: not a network command (${reading.program} runs inside the container image; a namespace has none)`,
        );
        break;
      case 'unsupported':
        item.dropped(`exec \`${c.text}\`: ${reading.why}`);
        break;
    }
  }
}

function addAddress(f: ModelIface, v: unknown, item: Item): void {
  const s = str(v);
  if (s === undefined || s === '') return;
  const c = parseCidr(s);
  if (!c) {
    item.dropped(`address "${s}" is not an address with a prefix`);
    return;
  }
  const text = formatCidr(c);
  if (!f.addresses.includes(text)) f.addresses.push(text);
}

function resolve(name: string, node: Def, defaults: Def, kinds: Def, groups: Def): Resolved {
  const group = (g: string | undefined): Def | undefined =>
    g !== undefined && isMap(groups[g]) ? (groups[g] as Def) : undefined;
  const kindDef = (k: string | undefined): Def | undefined =>
    k !== undefined && isMap(kinds[k]) ? (kinds[k] as Def) : undefined;
  // topology.go GetNodeKind / GetNodeGroup.
  const kind =
    str(node.kind) || str(group(str(node.group))?.kind) || str(group(str(defaults.group))?.kind) || str(defaults.kind);
  const grp = str(node.group) || str(kindDef(kind)?.group) || str(defaults.group);
  const chain = [node, group(grp), kindDef(kind), defaults].filter((d): d is Def => d !== undefined);
  const get = (field: string): unknown => {
    for (const d of chain) {
      const v = d[field];
      if (v !== undefined && v !== null && v !== '') return v;
    }
    return undefined;
  };
  const list = (d: Def | undefined) =>
    Array.isArray(d?.exec) ? (d!.exec as unknown[]).map((x) => str(x) ?? '').filter(Boolean) : [];
  // GetNodeExec: defaults ++ kind ++ group ++ node.
  const exec = [...list(defaults), ...list(kindDef(kind)), ...list(group(grp)), ...list(node)];
  const merged = (field: string): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const d of [defaults, kindDef(kind), group(grp), node])
      if (d && isMap(d[field]))
        for (const [k, v] of Object.entries(d[field] as Def)) if (str(v) !== undefined) out[k] = str(v)!;
    return out;
  };
  return { name, def: node, kind, group: grp, get, exec, env: merged('env'), labels: merged('labels') };
}

function noteIgnored(
  r: Resolved,
  item: Item,
  lab: { images: Item; startup: Item; mgmt: Item },
  images: Map<string, number>,
): void {
  const unknown = Object.keys(r.def).filter((k) => !NODE_FIELDS.has(k));
  if (unknown.length) item.dropped(`${unknown.map((k) => `"${k}"`).join(', ')}: not containerlab node fields`);
  const image = str(r.get('image'));
  const kind = (r.kind ?? '').toLowerCase();
  if (image && kind !== 'bridge' && kind !== 'ovs-bridge' && kind !== 'host') {
    item.approximated(`image ${image} is not run: the namespace has the host's programs, not the image's`);
    images.set(image, (images.get(image) ?? 0) + 1);
  }
  const startup = r.get('startup-config');
  if (startup !== undefined) {
    item.dropped("startup-config is not applied (it configures the node's OS, which does not run here)");
    if (lab.startup.notes.length === 0)
      lab.startup.dropped('startup-configs are not applied (they configure network OSes, which do not run here)');
  }
  const mgmtFields = ['mgmt-ipv4', 'mgmt-ipv6', 'mgmt-net'].filter((f) => r.get(f) !== undefined);
  if (mgmtFields.length) item.info(`${mgmtFields.join(', ')}: the management network is not created`);
  const other = [
    'cmd',
    'entrypoint',
    'binds',
    'ports',
    'env',
    'env-files',
    'cpu',
    'memory',
    'healthcheck',
    'dns',
    'license',
    'type',
    'sysctls',
    'publish',
    'user',
    'devices',
    'cap-add',
  ].filter((f) => r.def[f] !== undefined);
  if (other.length) item.info(`container settings not used by a namespace: ${other.join(', ')}`);
  if (lab.mgmt.notes.length === 0)
    lab.mgmt.approximated(
      "containerlab's management network (the Docker network giving each node eth0 and a mgmt address) is not created",
    );
}

function describeLink(raw: unknown, index: number): string {
  if (isMap(raw)) {
    if (Array.isArray(raw.endpoints)) {
      const ends = raw.endpoints.map((e) =>
        typeof e === 'string' ? e : isMap(e) ? `${str(e.node) ?? '?'}:${str(e.interface) ?? '?'}` : '?',
      );
      return ends.join(' ↔ ');
    }
    if (isMap(raw.endpoint)) {
      const e = raw.endpoint;
      const other = str(raw['host-interface']) ?? str(raw.remote) ?? '';
      return `${str(e.node) ?? '?'}:${str(e.interface) ?? '?'} (${str(raw.type) ?? 'link'}${other ? ` ${other}` : ''})`;
    }
  }
  return `links[${index}]`;
}

/** A file's name as a lab name: lowercase letters, digits and `-`, starting with a letter, ≤ 32. */
export function labNameOf(raw: string): string {
  let s = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/-{2,}/g, '-');
  if (!/^[a-z]/.test(s)) s = `clab-${s}`;
  s = s.slice(0, 32).replace(/-+$/, '');
  return s || 'imported';
}

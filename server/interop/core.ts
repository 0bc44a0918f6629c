/**
 * CORE scenario XML → Netloom lab + layout + report: devices become namespaces (routers forward), switches
 * and hubs become bridges, RJ45 nodes become host links, link options (delay, jitter, loss, duplicates,
 * bandwidth) become impairments. XML is read by fast-xml-parser with entities off and a size limit. Pure.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Impairment, Layout } from '../../shared';
import { formatCidr, parseCidr } from '../../shared/net';
import type { ImportOptions, ImportResult } from './containerlab';
import { labNameOf } from './containerlab';
import { checkSize, ImportRefused } from './errors';
import { Model, type ModelIface, type ModelNode } from './model';
import { repairLab } from './repair';
import { type Item, Reporter } from './report';

type X = Record<string, unknown>;
const isMap = (v: unknown): v is X => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): X[] => (Array.isArray(v) ? v.filter(isMap) : isMap(v) ? [v] : []);
const s = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

const ROUTER_TYPES = new Set(['router', 'mdr', 'prouter']);

export function importCore(text: string, opts: ImportOptions = {}): ImportResult {
  checkSize(text);
  const source = opts.filename ?? '-';
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    // No entity expansion: `&foo;` stays text (no billion laughs, no external entities).
    processEntities: false,
    htmlEntities: false,
    parseAttributeValue: false,
    parseTagValue: false,
    allowBooleanAttributes: true,
  });
  let doc: X;
  try {
    const valid = XMLValidatorOk(text);
    if (valid !== true) throw new ImportRefused('syntax', 'xml', `not valid XML: ${valid.msg}`, valid.line);
    doc = parser.parse(text) as X;
  } catch (e) {
    if (e instanceof ImportRefused) throw e;
    throw new ImportRefused('syntax', 'xml', `not valid XML: ${(e as Error).message.split('\n')[0]}`);
  }
  const scenario = doc.scenario;
  if (!isMap(scenario))
    throw new ImportRefused('unsupported', 'not-core', 'not a CORE scenario: no <scenario> element');

  const report = new Reporter();
  const model = new Model(report);
  const layout: Layout = { version: 1, positions: {}, notes: [] };
  const byId = new Map<string, { node: ModelNode; type: string; services: string[] } | { rj45: string; item: Item }>();
  const bridges = new Map<string, ModelNode>();
  const scenarioName = s(scenario.name);
  const labName = opts.name ?? labNameOf(source.replace(/\.xml$/i, '').replace(/^.*\//, '') || 'core');

  const position = (n: ModelNode, el: X) => {
    const p = isMap(el.position) ? el.position : undefined;
    const x = Number(p?.x);
    const y = Number(p?.y);
    if (Number.isFinite(x) && Number.isFinite(y)) layout.positions[n.id] = { x, y };
  };

  const networks = isMap(scenario.networks) ? list(scenario.networks.network) : [];
  for (const net of networks) {
    const id = s(net.id) ?? '';
    const name = s(net.name) ?? `net${id}`;
    const type = (s(net.type) ?? '').toUpperCase();
    const item = report.add('node', `${name} (${type || 'network'})`);
    if (type === 'SWITCH' || type === 'HUB' || type === 'WIRELESS_LAN') {
      const b = model.bridge(name, name, model.rootSpace(), item);
      if (type === 'HUB')
        item.approximated('a hub becomes a bridge (a bridge learns addresses; a hub floods every frame)');
      if (type === 'WIRELESS_LAN')
        item.approximated(
          'a wireless LAN becomes a bridge: every member hears every other (no radio range, mobility or wireless model)',
        );
      bridges.set(id, b);
      position(b, net);
    } else if (type === 'RJ45') {
      byId.set(id, { rj45: name, item });
    } else item.drop(`a CORE ${type || 'untyped'} network is not part of a Netloom lab`);
  }

  const devices = isMap(scenario.devices) ? list(scenario.devices.device) : [];
  for (const dev of devices) {
    const id = s(dev.id) ?? '';
    const name = s(dev.name) ?? `n${id}`;
    const type = s(dev.type) ?? '';
    const item = report.add('node', name);
    const services = isMap(dev.services) ? list(dev.services.service).map((x) => s(x.name) ?? '') : [];
    const n = model.namespace(name, item);
    if (s(dev.class) || s(dev.image))
      item.approximated(`a ${s(dev.class) || 'container'} node (${s(dev.image) ?? ''}) becomes a plain namespace`);
    const routing = services.filter((x) => !['IPForward', 'DefaultRoute', 'StaticRoute'].includes(x));
    if (routing.length)
      item.approximated(`services not run: ${routing.join(', ')} (a namespace runs no daemons; add routes by hand)`);
    byId.set(id, { node: n, type, services });
    position(n, dev);
  }

  const links = isMap(scenario.links) ? list(scenario.links.link) : [];
  const ifaceOf = new Map<string, ModelIface>();
  for (const [index, link] of links.entries()) {
    const a = byId.get(s(link.node1) ?? '');
    const b = byId.get(s(link.node2) ?? '');
    const ba = bridges.get(s(link.node1) ?? '');
    const bb = bridges.get(s(link.node2) ?? '');
    const i1 = isMap(link.iface1) ? link.iface1 : undefined;
    const i2 = isMap(link.iface2) ? link.iface2 : undefined;
    const label = `${nameOf(a, ba, link.node1)}${i1?.name ? `:${s(i1.name)}` : ''} ↔ ${nameOf(b, bb, link.node2)}${i2?.name ? `:${s(i2.name)}` : ''}`;
    const item = report.add('link', label);
    const opt = isMap(link.options) ? link.options : {};
    const one = s(opt.unidirectional) === '1';
    const imp = impairmentOf(opt, item);
    // A device and its interface: reuse the interface a unidirectional twin already created.
    const end = (d: typeof a, br: ModelNode | undefined, ifc: X | undefined, peerName: string) => {
      if (br) return { space: br.space, name: `${br.name}-${peerName}`.slice(0, 15), master: br.name };
      if (d && 'node' in d) return { space: d.node.space, name: s(ifc?.name) ?? `eth${index}` };
      return undefined;
    };
    if ((a && 'rj45' in a) || (b && 'rj45' in b)) {
      const rj = (a && 'rj45' in a ? a : b) as { rj45: string; item: Item };
      const other = a && 'rj45' in a ? b : a;
      const otherIf = a && 'rj45' in a ? i2 : i1;
      if (!other || !('node' in other)) {
        item.drop('an RJ45 node must be linked to a device');
        continue;
      }
      const key = `${other.node.id}/${s(otherIf?.name)}`;
      if (ifaceOf.has(key)) {
        item.info('the other direction of a link already imported');
        if (imp && ifaceOf.get(key)!.link) ifaceOf.get(key)!.impairment ??= imp;
        continue;
      }
      if (!rj.rj45 || rj.rj45 === 'unassigned' || /[^A-Za-z0-9_.-]/.test(rj.rj45)) {
        item.drop(`RJ45 "${rj.rj45}" names no host interface (CORE would bind a physical NIC here)`);
        continue;
      }
      item.approximated(
        `RJ45 ${rj.rj45} (a physical NIC given to the lab) becomes a veth to the host, ending in "${rj.rj45}" in the root namespace`,
      );
      const l = model.veth(
        { space: other.node.space, name: s(otherIf?.name) ?? 'eth0' },
        { space: model.hostNode().space, name: rj.rj45 },
        item,
      );
      addIfaceFields(l.ends[0].iface, otherIf, item);
      ifaceOf.set(key, l.ends[0].iface);
      continue;
    }
    const ea = end(a, ba, i1, nameOf(b, bb, link.node2));
    const eb = end(b, bb, i2, nameOf(a, ba, link.node1));
    if (!ea || !eb) {
      item.drop(`an end (${!ea ? s(link.node1) : s(link.node2)}) is not a device or switch of this file`);
      continue;
    }
    if (ba && bb) {
      const l = model.veth({ space: ea.space, name: ea.name }, { space: eb.space, name: eb.name }, item);
      l.ends[0].iface.master = ba.name;
      l.ends[1].iface.master = bb.name;
    } else {
      const keyA = a && 'node' in a ? `${a.node.id}/${s(i1?.name)}` : '';
      const keyB = b && 'node' in b ? `${b.node.id}/${s(i2?.name)}` : '';
      if ((keyA && ifaceOf.has(keyA)) || (keyB && ifaceOf.has(keyB))) {
        item.info('the other direction of a link already imported');
        const f = ifaceOf.get(keyB) ?? ifaceOf.get(keyA);
        if (imp && f) f.impairment ??= imp;
        continue;
      }
      const l = model.veth({ space: ea.space, name: ea.name }, { space: eb.space, name: eb.name }, item);
      if (ea.master) l.ends[0].iface.master = ea.master;
      if (eb.master) l.ends[1].iface.master = eb.master;
      if (!ba) addIfaceFields(l.ends[0].iface, i1, item);
      if (!bb) addIfaceFields(l.ends[1].iface, i2, item);
      if (keyA) ifaceOf.set(keyA, l.ends[0].iface);
      if (keyB) ifaceOf.set(keyB, l.ends[1].iface);
      if (imp) {
        l.ends[0].iface.impairment = { ...imp };
        if (!one) l.ends[1].iface.impairment = { ...imp };
      }
    }
  }

  // Services: IPForward (and router types) forward; DefaultRoute points at the first address of the subnet.
  for (const entry of byId.values()) {
    if (!('node' in entry)) continue;
    const sp = entry.node.space;
    if (ROUTER_TYPES.has(entry.type) || entry.services.includes('IPForward')) sp.fwd4 = sp.fwd6 = true;
    if (entry.services.includes('DefaultRoute')) defaultRoute(entry.node, model);
  }

  const lab0 = model.toLab(
    labName,
    scenarioName && !scenarioName.startsWith('/tmp') ? scenarioName : undefined,
    `Imported from the CORE scenario ${source}`,
  );
  const items = new Map<string, Item>();
  for (const n of model.nodes) items.set(n.id, n.item);
  for (const l of model.links) items.set(l.id, l.item);
  const lab = repairLab(lab0, (id) => items.get(id), report.lab('file'));
  for (const id of Object.keys(layout.positions)) if (!lab.nodes.some((n) => n.id === id)) delete layout.positions[id];
  return { lab, layout, report: report.build('core', source, lab.name) };
}

function XMLValidatorOk(text: string): true | { msg: string; line?: number } {
  // The validator rejects malformed XML with a position; the parser alone is lenient.
  const r = XMLValidator.validate(text, { allowBooleanAttributes: true });
  if (r === true) return true;
  return { msg: r.err.msg, line: r.err.line };
}

function nameOf(d: unknown, br: ModelNode | undefined, id: unknown): string {
  if (br) return br.name;
  if (isMap(d) && 'node' in d) return (d.node as ModelNode).name;
  if (isMap(d) && 'rj45' in d) return String(d.rj45);
  return `#${String(id)}`;
}

function addIfaceFields(f: ModelIface, ifc: X | undefined, item: Item): void {
  if (!ifc) return;
  const mac = s(ifc.mac)?.toLowerCase();
  if (mac) f.mac = mac;
  for (const [ip, len] of [
    [ifc.ip4, ifc.ip4_mask],
    [ifc.ip6, ifc.ip6_mask],
  ] as const) {
    if (ip === undefined) continue;
    const c = parseCidr(`${String(ip)}/${String(len ?? (String(ip).includes(':') ? 64 : 24))}`);
    if (c) f.addresses.push(formatCidr(c));
    else item.dropped(`address ${String(ip)}/${String(len)} is not an address`);
  }
}

/** CORE link options: delay/jitter in µs, loss/dup in %, bandwidth in bit/s (0 = none). */
function impairmentOf(opt: X, item: Item): Impairment | undefined {
  const num = (k: string) => {
    const n = Number(opt[k]);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const imp: Impairment = {};
  const delay = num('delay');
  const jitter = num('jitter');
  const loss = num('loss');
  const dup = num('dup');
  const bw = num('bandwidth');
  if (delay) imp.delayMs = Math.round(delay / 1000);
  if (jitter) imp.jitterMs = Math.round(jitter / 1000);
  if (loss) imp.lossPct = Math.min(100, loss);
  if (dup) imp.duplicatePct = Math.min(100, dup);
  if (bw) imp.rateKbit = Math.min(100_000_000, Math.max(8, Math.round(bw / 1000)));
  if (num('buffer'))
    item.approximated(`buffer ${String(opt.buffer)} not kept (the rate limiter keeps its default queue)`);
  if (delay && imp.delayMs === 0) delete imp.delayMs;
  if (Object.keys(imp).length === 0) return undefined;
  const netem = ['delayMs', 'jitterMs', 'lossPct', 'duplicatePct'].filter((k) => k in imp);
  item.info(
    `impairment ${Object.entries(imp)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${netem.length ? " (delay, jitter, loss and duplicates need the kernel's netem)" : ''}`,
  );
  return imp;
}

/** CORE's DefaultRoute service: a default route via the first address of the first subnet, when it exists. */
function defaultRoute(node: ModelNode, model: Model): void {
  const owners = new Map<string, string>();
  for (const sp of model.spaces.values())
    for (const f of sp.ifaces.values()) for (const a of f.addresses) owners.set(a.split('/')[0]!, sp.node?.name ?? '');
  for (const family of [4, 6] as const) {
    for (const f of node.space.ifaces.values()) {
      const a = f.addresses.map((x) => parseCidr(x)).find((c) => c?.family === family);
      if (!a || a.prefix >= (family === 4 ? 31 : 127)) continue;
      const net = a.value & ~((1n << BigInt((family === 4 ? 32 : 128) - a.prefix)) - 1n);
      const gw = formatCidr({ family, value: net + 1n, prefix: family === 4 ? 32 : 128 }).split('/')[0]!;
      if (gw === formatCidr(a).split('/')[0]) break;
      if (!owners.has(gw)) {
        node.item.approximated(
          `DefaultRoute: no node has ${gw} (the first address of ${f.name}'s subnet), so no default route`,
        );
        break;
      }
      node.space.routes.push({ route: { to: 'default', via: gw }, item: node.item, text: 'DefaultRoute' });
      node.item.approximated(`DefaultRoute service: default route via ${gw} (${owners.get(gw)})`);
      break;
    }
  }
}

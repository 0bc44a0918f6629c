/**
 * Netloom lab → containerlab topology (.clab.yml): namespaces become `kind: linux` nodes (no management
 * network, so their interface names are free), bridges `kind: bridge` (in a namespace with
 * `network-mode: container:NS`), veths links, interfaces on a host interface their links (hostAttached.ts); addresses, routes, forwarding,
 * sysctls, impairments, attached interfaces and VLANs become exec lines the importer reads back, so
 * import(export(lab)) is the same lab. Ids, names and descriptions ride in `netloom.*` labels. Pure.
 */
import { stringify } from 'yaml';
import type { AttachedInterface, Endpoint, Impairment, Lab, Layout, NamespaceNode } from '../../shared';
import { parseCidr, parseIp } from '../../shared/net';
import { importContainerlab } from './containerlab';
import { CLAB_SPECIAL_NODES, hostAttachedClabLink } from './hostAttached';

/** A small image with iproute2, tc and ping (containerlab's own network-multitool). */
export const EXPORT_IMAGE = 'ghcr.io/srl-labs/network-multitool';
/** The clab node that carries root-namespace settings (`host` itself is containerlab's endpoint keyword). */
const HOST_NODE = 'netloom-host';

export interface ExportResult {
  text: string;
  /** What could not be expressed (each also a comment at the top of the file). */
  notes: string[];
}

export function exportContainerlab(lab: Lab, layout?: Layout): ExportResult {
  let forceOff = new Set<string>();
  let out = build(lab, layout, forceOff);
  // The importer infers forwarding for namespaces that look like routers: say "0" where the lab says off.
  for (let round = 0; round < 2; round++) {
    const back = importContainerlab(out.text, { filename: `${lab.name}.clab.yml` }).lab;
    const more = new Set(forceOff);
    for (const n of lab.nodes) {
      if (n.kind !== 'namespace' || n.forwarding) continue;
      const b = back.nodes.find((x) => x.id === n.id);
      if (b?.kind === 'namespace' && b.forwarding) more.add(n.id);
    }
    if (more.size === forceOff.size) break;
    forceOff = more;
    out = build(lab, layout, forceOff);
  }
  return out;
}

function build(lab: Lab, layout: Layout | undefined, forceOff: Set<string>): ExportResult {
  const notes: string[] = [];
  const byId = new Map(lab.nodes.map((n) => [n.id, n]));
  const used = new Set<string>([...CLAB_SPECIAL_NODES, HOST_NODE]);
  const clabName = new Map<string, string>();
  const unique = (want: string) => {
    let n = want;
    for (let i = 2; used.has(n); i++) n = `${want}-${i}`;
    used.add(n);
    return n;
  };
  for (const n of lab.nodes) if (n.kind === 'namespace') clabName.set(n.id, unique(n.name));
  for (const n of lab.nodes)
    if (n.kind === 'bridge') {
      const ns = n.namespace ? byId.get(n.namespace) : undefined;
      clabName.set(n.id, unique(ns?.kind === 'namespace' ? `${n.name}|${ns.name}` : n.name));
    }
  const host = lab.nodes.find((n) => n.kind === 'host');
  if (host) clabName.set(host.id, HOST_NODE);

  /** Exec lines per clab node; the root namespace's go to the host node. */
  const exec = new Map<string, string[]>();
  const run = (clab: string, line: string) => {
    const l = exec.get(clab) ?? [];
    l.push(line);
    exec.set(clab, l);
  };
  /** The clab node whose exec runs in the namespace an object of node `id` lives in. */
  const ownerOf = (id: string): string => {
    const n = byId.get(id);
    if (n?.kind === 'namespace') return clabName.get(n.id)!;
    if (n?.kind === 'bridge' && n.namespace) return clabName.get(n.namespace)!;
    return HOST_NODE;
  };
  let needHost = host !== undefined;

  // Namespace switches and attached interfaces.
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    const me = clabName.get(n.id)!;
    if (n.forwarding) {
      run(me, 'sysctl -w net.ipv4.ip_forward=1');
      run(me, 'sysctl -w net.ipv6.conf.all.forwarding=1');
    } else if (forceOff.has(n.id)) {
      run(me, 'sysctl -w net.ipv4.ip_forward=0');
      run(me, 'sysctl -w net.ipv6.conf.all.forwarding=0');
    }
    if (n.rpFilter !== undefined) {
      run(me, `sysctl -w net.ipv4.conf.all.rp_filter=${n.rpFilter}`);
      run(me, `sysctl -w net.ipv4.conf.default.rp_filter=${n.rpFilter}`);
    }
    if (n.proxyArp !== undefined) {
      run(me, `sysctl -w net.ipv4.conf.all.proxy_arp=${n.proxyArp ? 1 : 0}`);
      run(me, `sysctl -w net.ipv4.conf.default.proxy_arp=${n.proxyArp ? 1 : 0}`);
    }
  }
  // Bridges: switches and addresses (containerlab creates namespaced bridges; root ones must exist).
  for (const n of lab.nodes) {
    if (n.kind !== 'bridge') continue;
    const at = ownerOf(n.id);
    if (at === HOST_NODE)
      needHost ||= n.stp !== undefined || n.vlanFiltering === true || n.mtu !== undefined || n.addresses.length > 0;
    if (n.stp !== undefined) run(at, `ip link set dev ${n.name} type bridge stp_state ${n.stp ? 1 : 0}`);
    if (n.vlanFiltering) run(at, `ip link set dev ${n.name} type bridge vlan_filtering 1`);
    if (n.mtu !== undefined) run(at, `ip link set dev ${n.name} mtu ${n.mtu}`);
    for (const a of n.addresses) run(at, `ip addr add ${a} dev ${n.name}`);
  }
  const links: Record<string, unknown>[] = [];
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    const me = clabName.get(n.id)!;
    const ordered = [...(n.interfaces ?? [])].sort((a, b) => Number(a.kind === 'vlan') - Number(b.kind === 'vlan'));
    for (const x of ordered) {
      if (x.kind === 'wireguard') {
        // Its keys never leave the server, and a container would need wireguard-go supervised by someone.
        notes.push(`WireGuard interface ${n.name}/${x.name} is not exported (its keys stay on the Netloom server)`);
        continue;
      }
      if (x.kind === 'gre' || x.kind === 'ipip' || x.kind === 'ip6tnl' || x.kind === 'geneve') {
        notes.push(
          `${x.kind} interface ${n.name}/${x.name} is not exported (the containerlab importer does not model it)`,
        );
        continue;
      }
      const clabLink = hostAttachedClabLink(x, me);
      if (clabLink) links.push(clabLink);
      else run(me, createLine(x));
      if (x.mtu !== undefined) run(me, `ip link set dev ${x.name} mtu ${x.mtu}`);
      if (x.bridge)
        run(me, `ip link set dev ${x.name} master ${(byId.get(x.bridge) as { name?: string })?.name ?? x.bridge}`);
      if (!clabLink) run(me, `ip link set dev ${x.name} up`);
      for (const a of x.addresses) run(me, `ip addr add ${a} dev ${x.name}`);
    }
  }

  // Links: one clab link per veth; per-end settings as exec lines in the end's namespace.
  for (const l of lab.links) {
    const ends = l.endpoints.map((e) => {
      const n = byId.get(e.node);
      const node = n?.kind === 'host' ? 'host' : clabName.get(e.node)!;
      return { e, node, owner: ownerOf(e.node) };
    });
    const mtus = l.endpoints.map((e) => e.mtu ?? 1500);
    const linkMtu = Math.max(mtus[0]!, mtus[1]!);
    const labels: Record<string, string> = { 'netloom.id': l.id };
    if (l.description) labels['netloom.description'] = l.description;
    links.push({ endpoints: ends.map((x) => `${x.node}:${x.e.ifname}`), mtu: linkMtu, labels });
    ends.forEach((x, i) => {
      if (x.owner === HOST_NODE && endNeedsExec(x.e, mtus[i]!, linkMtu)) needHost = true;
      endLines(x.e, mtus[i]!, linkMtu, (line) => run(x.owner, line));
    });
  }
  // Routes last: their gateways and devices exist by then.
  for (const n of lab.nodes) {
    if (n.kind !== 'namespace') continue;
    for (const r of n.routes) run(clabName.get(n.id)!, routeLine(r, n));
  }
  if (host?.kind === 'host' && host.nat)
    notes.push('host NAT (nftables masquerade on the host) is not exported: containerlab has no equivalent');

  const nodes: Record<string, Record<string, unknown>> = {};
  const labelsOf = (id: string, name: string, description?: string) => {
    const labels: Record<string, string> = {};
    if (id !== name) labels['netloom.id'] = id;
    if (description) labels['netloom.description'] = description;
    const p = layout?.positions[id];
    if (p) {
      labels['graph-posX'] = String(Math.round(p.x));
      labels['graph-posY'] = String(Math.round(p.y));
    }
    return Object.keys(labels).length ? { labels } : {};
  };
  for (const n of lab.nodes) {
    const name = clabName.get(n.id)!;
    if (n.kind === 'namespace') {
      nodes[name] = {
        kind: 'linux',
        image: EXPORT_IMAGE,
        'network-mode': 'none',
        ...labelsOf(n.id, name, n.description),
        ...(exec.get(name)?.length ? { exec: exec.get(name) } : {}),
      };
      if (name !== n.name) withLabel(nodes[name]!, 'netloom.name', n.name);
    } else if (n.kind === 'bridge') {
      const ns = n.namespace ? byId.get(n.namespace) : undefined;
      const plain = ns?.kind === 'namespace' ? `${n.name}|${ns.name}` : n.name;
      nodes[name] = {
        kind: 'bridge',
        ...(ns?.kind === 'namespace' ? { 'network-mode': `container:${clabName.get(ns.id)}` } : {}),
        ...labelsOf(n.id, name, n.description),
      };
      if (name !== plain) withLabel(nodes[name]!, 'netloom.name', n.name);
    }
  }
  if (host || needHost) {
    const carrier = host ? {} : { labels: { 'netloom.carrier': 'true' } };
    nodes[HOST_NODE] = {
      kind: 'host',
      ...(host ? labelsOf(host.id, HOST_NODE, host.kind === 'host' ? host.description : undefined) : carrier),
      ...(exec.get(HOST_NODE)?.length ? { exec: exec.get(HOST_NODE) } : {}),
    };
    if (!host)
      notes.push('a "netloom-host" node carries root-namespace settings (bridge addresses, host-side veth ends)');
  }
  const defaults: Record<string, unknown> = {};
  const dl: Record<string, string> = {};
  if (lab.title) dl['netloom.lab-title'] = lab.title;
  if (lab.description) dl['netloom.lab-description'] = lab.description;
  if (Object.keys(dl).length) defaults.labels = dl;
  const doc = {
    name: lab.name,
    topology: { ...(Object.keys(defaults).length ? { defaults } : {}), nodes, ...(links.length ? { links } : {}) },
  };
  const header = [
    `# containerlab topology exported by Netloom from lab "${lab.name}".`,
    `# Nodes are ${EXPORT_IMAGE} containers with network-mode none (no management network);`,
    '# exec lines recreate addresses, routes and switches. Bridges outside a node must exist on the host',
    '# (containerlab does not create them). netloom.* labels let Netloom import this file back unchanged.',
    ...notes.map((n) => `# Not exported: ${n}`),
  ];
  return { text: `${header.join('\n')}\n${stringify(doc, { lineWidth: 0 })}`, notes };
}

function withLabel(node: Record<string, unknown>, key: string, value: string): void {
  const labels = (node.labels as Record<string, string> | undefined) ?? {};
  labels[key] = value;
  node.labels = labels;
}

function createLine(x: AttachedInterface): string {
  switch (x.kind) {
    case 'vxlan':
      return [
        `ip link add ${x.name} type vxlan id ${x.vni}`,
        x.remote ? `remote ${x.remote}` : '',
        x.group ? `group ${x.group}` : '',
        x.local ? `local ${x.local}` : '',
        x.dev ? `dev ${x.dev}` : '',
        `dstport ${x.dstPort}`,
      ]
        .filter(Boolean)
        .join(' ');
    case 'tap':
      return `ip tuntap add dev ${x.name} mode tap`;
    case 'vlan':
      return `ip link add link ${x.parent} name ${x.name} type vlan id ${x.vlanId}`;
    default:
      return '';
  }
}

function endNeedsExec(e: Endpoint, mtu: number, linkMtu: number): boolean {
  return Boolean(e.mac || mtu !== linkMtu || e.addresses.length || !e.up || e.impairment || e.vlan);
}

function endLines(e: Endpoint, mtu: number, linkMtu: number, run: (line: string) => void): void {
  const dev = e.ifname;
  if (e.mac) run(`ip link set dev ${dev} address ${e.mac}`);
  if (mtu !== linkMtu) run(`ip link set dev ${dev} mtu ${mtu}`);
  for (const a of e.addresses) run(`ip addr add ${a} dev ${dev}`);
  if (!e.up) run(`ip link set dev ${dev} down`);
  if (e.impairment) run(tcLine(dev, e.impairment));
  if (e.vlan) {
    const v = e.vlan;
    if (v.pvid !== undefined || v.untagged === false)
      run(`bridge vlan add dev ${dev} vid ${v.pvid ?? 1} pvid${v.untagged === false ? '' : ' untagged'}`);
    for (const t of v.tagged ?? []) run(`bridge vlan add dev ${dev} vid ${t}`);
  }
}

function tcLine(dev: string, imp: Impairment): string {
  const netem =
    imp.delayMs !== undefined ||
    imp.jitterMs !== undefined ||
    imp.lossPct !== undefined ||
    imp.duplicatePct !== undefined ||
    imp.corruptPct !== undefined;
  if (!netem) {
    const parts = [`tc qdisc replace dev ${dev} root tbf rate ${imp.rateKbit}kbit`];
    parts.push(`burst ${imp.burstKb ?? 32}kb`, `latency ${imp.latencyMs ?? 50}ms`);
    return parts.join(' ');
  }
  return [
    `tc qdisc replace dev ${dev} root netem`,
    imp.delayMs !== undefined ? `delay ${imp.delayMs}ms${imp.jitterMs ? ` ${imp.jitterMs}ms` : ''}` : '',
    imp.lossPct !== undefined ? `loss ${imp.lossPct}%` : '',
    imp.duplicatePct !== undefined ? `duplicate ${imp.duplicatePct}%` : '',
    imp.corruptPct !== undefined ? `corrupt ${imp.corruptPct}%` : '',
    imp.rateKbit !== undefined ? `rate ${imp.rateKbit}kbit` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function routeLine(r: NamespaceNode['routes'][number], n: NamespaceNode): string {
  const v6 = r.to === 'default' ? parseIp(r.via ?? '')?.family === 6 : parseCidr(r.to)?.family === 6;
  void n;
  return [
    `ip ${v6 ? '-6 ' : ''}route add ${r.to}`,
    r.via ? `via ${r.via}` : '',
    r.dev ? `dev ${r.dev}` : '',
    r.metric !== undefined ? `metric ${r.metric}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * Discovery results as text: the HTTP response (its shape is in shared/discovery.ts), the re-creation script
 * (plan of the discovered lab against an empty host, rendered by the engine) and the CLI
 * (`netloom discover [--json] [--script]`).
 */
import type { DiscoveredLab, DiscoveryResponse } from '../../shared';
import { plan } from '../engine/plan';
import { script } from '../engine/render';
import type { ObservedState } from '../engine/types';
import { type DiscoveredNetns, type Discovery, discover } from './discover';
import { toLab } from './toLab';

/** GET /api/discovery */
export function discoveryResponse(d: Discovery, dl: DiscoveredLab): DiscoveryResponse<DiscoveredNetns> {
  return {
    at: d.at,
    durationMs: Math.round(d.durationMs * 10) / 10,
    lab: dl.lab,
    extras: dl.extras,
    objects: dl.objects,
    warnings: [...d.warnings, ...dl.warnings],
    namespaces: d.namespaces,
  };
}

export const emptyObservedState = (): ObservedState => ({
  root: { name: null, marker: null, forwarding: false, links: [], routes: [] },
  namespaces: {},
});

/** The commands that would recreate the discovered topology from nothing (plan against an empty host). */
export function recreateScript(dl: DiscoveredLab): string {
  const p = plan(dl.lab, emptyObservedState());
  const text = script(dl.lab.name, p.ops);
  const notes = [
    ...p.errors.map((e) => `# not planned: ${e.message}`),
    ...dl.extras.map((x) => `# not recreated: ${x.kind} ${x.ifname ?? x.netns ?? ''} — ${x.reason}`),
  ];
  return notes.length ? `${text}${notes.join('\n').replaceAll('\r', '')}\n` : text;
}

// ---------------------------------------------------------------------------------------------------
// CLI: `netloom discover [--json] [--script] [--mac]`

const ownerText = (o: { ownership: string; marker?: { lab: string; object: string } }) =>
  o.ownership === 'owned' && o.marker ? `owned by ${o.marker.lab}/${o.marker.object}` : 'foreign';

/** A readable tree per namespace. */
export function printTree(d: Discovery, dl: DiscoveredLab): string {
  const lines: string[] = [];
  const idOf = new Map<string, string>();
  for (const o of Object.values(dl.objects)) if (o.ifname) idOf.set(`${o.netns ?? ''}/${o.ifname}`, o.id);
  for (const ns of d.namespaces) {
    const title =
      ns.ref === null
        ? 'root namespace'
        : ns.source === 'process'
          ? `${ns.ref} (${ns.comm ?? '?'}, no name)`
          : `namespace ${ns.ref}`;
    const nsOwner = ns.marker ? ` [owned by ${ns.marker.lab}/${ns.marker.object}]` : '';
    lines.push(`${title}${nsOwner}${ns.forwarding ? ' forwarding' : ''}`);
    const links = ns.links.filter((l) => l.ifname !== 'lo');
    for (const l of links) {
      const bits = [
        l.kind || '?',
        l.adminUp ? 'up' : 'down',
        l.master ? `master ${l.master}` : '',
        l.peer ? `peer ${l.peer.netns ?? 'root'}/${l.peer.ifname}` : l.kind === 'veth' ? 'peer ?' : '',
        l.parent ? `on ${l.parent.netns ?? 'root'}/${l.parent.ifname}` : '',
        l.mtu !== 1500 ? `mtu ${l.mtu}` : '',
        ...l.addresses,
        l.marker ? `[owned by ${l.marker.lab}/${l.marker.object}]` : '',
      ].filter(Boolean);
      const id = idOf.get(`${ns.ref ?? ''}/${l.ifname}`);
      lines.push(`  ├─ ${l.ifname}${id ? ` (${id})` : ''}: ${bits.join(' ')}`);
    }
    const routes = ns.routes.filter((r) => r.protocol !== 'kernel');
    for (const r of routes)
      lines.push(
        `  └─ route ${r.to}${r.via ? ` via ${r.via}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.metric ? ` metric ${r.metric}` : ''}`,
      );
  }
  const own = Object.values(dl.objects).filter((o) => o.kind !== 'extra');
  lines.push(
    '',
    `lab '${dl.lab.name}': ${dl.lab.nodes.length} nodes, ${dl.lab.links.length} links; ${dl.extras.length} extras; ` +
      `${own.filter((o) => o.ownership === 'foreign').length} foreign, ${own.filter((o) => o.ownership === 'owned').length} owned objects`,
  );
  for (const o of own.filter((x) => x.ownership === 'owned').slice(0, 50)) lines.push(`  ${o.id}: ${ownerText(o)}`);
  for (const w of [...d.warnings, ...dl.warnings]) lines.push(`warning: ${w}`);
  lines.push(`read in ${d.durationMs.toFixed(0)} ms`);
  return lines.join('\n');
}

export async function runDiscover(args: string[]): Promise<number> {
  const { cliRunner } = await import('../engine/commands');
  const flags = new Set(args.filter((a) => a.startsWith('--')).map((a) => a.slice(2)));
  const unknown = [...flags].filter((f) => !['json', 'script', 'mac'].includes(f));
  if (unknown.length || args.some((a) => !a.startsWith('--'))) {
    process.stderr.write('usage: netloom discover [--json] [--script] [--mac]\n');
    return 2;
  }
  const d = await discover(cliRunner());
  const dl = toLab(d, { includeMac: flags.has('mac') });
  if (flags.has('json')) process.stdout.write(`${JSON.stringify(discoveryResponse(d, dl), null, 2)}\n`);
  else if (flags.has('script')) process.stdout.write(recreateScript(dl));
  else process.stdout.write(`${printTree(d, dl)}\n`);
  return 0;
}

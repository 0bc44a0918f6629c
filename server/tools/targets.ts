/**
 * Tool targets from ownership, not names (issue #13 item 4). Every exec, terminal, capture, path and
 * reachability target is resolved from the lab as THIS lab last applied (the engine's record, never the
 * stored document), then checked against a fresh observation: the namespace or interface exists now and
 * carries this lab's exact marker. Otherwise refused, naming the node or interface and why:
 * - 409 Conflict: the lab is not applied, the node/link is not in what it applied, or the object is gone;
 * - 403 PermissionDenied: the object is not Netloom's, or another lab (or another object) owns it.
 * The host node (root namespace): exec and path only while the lab owns a root-namespace object now (a root
 * bridge, a host-side veth end, an attached interface or its NAT table); never a terminal, because a shell in
 * the root namespace reaches every foreign interface there. Captures only on interfaces this lab owns.
 * Pure: the caller supplies the applied lab and the observation.
 */
import { endpointKey, type Lab, type LabNode, NetnsName } from '../../shared';
import type { Marker, ObservedNetns, ObservedState } from '../engine/types';
import { AppError } from '../errors';
import { linkEnd } from './capture';

export type ToolUse = 'exec' | 'terminal' | 'capture' | 'path' | 'reachability';

/** The applied lab, or 409 naming the lab: tools never run on what was only stored. */
export function requireApplied(labName: string, applied: Lab | null): Lab {
  if (!applied)
    throw new AppError(
      'Conflict',
      `lab "${labName}" is not applied: live tools run only on objects a lab applied and owns (apply it first)`,
    );
  return applied;
}

/** Throws unless `marker` is exactly this lab's marker for `object`. `what` names the kernel object. */
export function requireOwned(marker: Marker | null, lab: string, object: string, what: string): void {
  if (!marker)
    throw new AppError(
      'PermissionDenied',
      `${what} is not owned by Netloom; tools run only on objects lab "${lab}" owns`,
    );
  if (marker.lab !== lab)
    throw new AppError('PermissionDenied', `${what} is owned by lab "${marker.lab}", not by lab "${lab}"`);
  if (marker.object !== object)
    throw new AppError(
      'PermissionDenied',
      `${what} carries the marker of "${marker.object}", not of "${object}" (lab "${lab}")`,
    );
}

function appliedNode(lab: Lab, nodeId: string): LabNode {
  const node = lab.nodes.find((n) => n.id === nodeId);
  if (!node)
    throw new AppError(
      'Conflict',
      `node "${nodeId}" is not part of what lab "${lab.name}" applied (apply the lab first, or check the name)`,
    );
  return node;
}

/** The observed namespace `name`, owned by this lab as node `nodeId`. */
function ownedNamespace(lab: Lab, obs: ObservedState, name: string, nodeId: string): ObservedNetns {
  if (!NetnsName.safeParse(name).success) throw new AppError('InvalidRequest', 'invalid namespace name');
  const what = `namespace "${name}" of node "${nodeId}"`;
  const ns = Object.hasOwn(obs.namespaces, name) ? obs.namespaces[name] : undefined;
  if (!ns) throw new AppError('Conflict', `${what} does not exist on the host now (is lab "${lab.name}" applied?)`);
  requireOwned(ns.marker, lab.name, nodeId, what);
  return ns;
}

/** Does this lab own something in the root namespace right now (an interface or its NAT table)? */
export function ownsHostSide(lab: string, obs: ObservedState): boolean {
  return obs.root.links.some((l) => l.marker?.lab === lab) || (obs.nft ?? []).some((t) => t.marker?.lab === lab);
}

/**
 * The namespace a node's tool runs in (null: the root namespace), after the ownership checks. Bridges are
 * not tool targets. `use` decides the host node: a terminal there is always refused.
 */
export function nodeTarget(lab: Lab, obs: ObservedState, nodeId: string, use: ToolUse): string | null {
  const node = appliedNode(lab, nodeId);
  if (node.kind === 'host') {
    if (use === 'terminal')
      throw new AppError(
        'PermissionDenied',
        `node "${nodeId}" is the host's root namespace: no terminal there, a shell in it reaches interfaces other labs and the host own (use exec, ping or a namespace's terminal)`,
      );
    if (!ownsHostSide(lab.name, obs))
      throw new AppError(
        'Conflict',
        `node "${nodeId}" (the root namespace): lab "${lab.name}" owns no host-side object there now, so it has no tools there`,
      );
    return null;
  }
  if (node.kind !== 'namespace')
    throw new AppError('InvalidRequest', `node "${nodeId}" is a ${node.kind}; pick a namespace or the host`);
  ownedNamespace(lab, obs, node.name, node.id);
  return node.name;
}

/** A link end to capture on: the interface this lab owns as that end, in the namespace it owns (or the root). */
export function captureTarget(
  lab: Lab,
  obs: ObservedState,
  linkId: string,
  end: 0 | 1,
): { ifname: string; netns: string | null } {
  if (!lab.links.some((l) => l.id === linkId))
    throw new AppError('Conflict', `link "${linkId}" is not part of what lab "${lab.name}" applied`);
  const { ifname, netns } = linkEnd(lab, linkId, end);
  const key = endpointKey(linkId, end);
  let ns: ObservedNetns;
  if (netns === null) ns = obs.root;
  else {
    const holder = lab.nodes.find((n) => n.kind === 'namespace' && n.name === netns);
    ns = ownedNamespace(lab, obs, netns, holder?.id ?? netns);
  }
  const where = netns === null ? 'the root namespace' : `namespace "${netns}"`;
  const what = `interface "${ifname}" (${key}) in ${where}`;
  const link = ns.links.find((l) => l.ifname === ifname);
  if (!link) throw new AppError('Conflict', `${what} does not exist on the host now (is lab "${lab.name}" applied?)`);
  requireOwned(link.marker, lab.name, key, what);
  return { ifname, netns };
}
